package shop_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/shop"
)

// admin calls /admin/faults with an optional bearer token.
func admin(t *testing.T, b *browser, method, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, b.base+"/admin/faults", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("%s /admin/faults: %v", method, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(out)
}

func TestAdminToken(t *testing.T) {
	_, ts := startShop(t, shop.Options{AdminToken: "s3cret"})
	b := newBrowser(t, ts)
	for _, token := range []string{"", "wrong", "s3cret2"} {
		code, body := admin(t, b, http.MethodGet, token, "")
		if code != http.StatusUnauthorized || !strings.Contains(body, "admin token") {
			t.Errorf("token %q: %d %s, want 401", token, code, body)
		}
	}
	if code, _ := admin(t, b, http.MethodDelete, "wrong", ""); code != http.StatusUnauthorized {
		t.Errorf("DELETE with a wrong token: %d, want 401", code)
	}
	if code, body := admin(t, b, http.MethodGet, "s3cret", ""); code != http.StatusOK {
		t.Errorf("right token: %d %s", code, body)
	}
	// Basic auth or a bare token is not a bearer token.
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/admin/faults", nil)
	req.Header.Set("Authorization", "s3cret")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("bare token: %d, want 401 with WWW-Authenticate", resp.StatusCode)
	}
}

func TestAdminNoTokenConfigured(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	if code, _ := admin(t, newBrowser(t, ts), http.MethodGet, "", ""); code != http.StatusOK {
		t.Errorf("GET without a configured token: %d, want 200", code)
	}
}

func TestAdminFaults(t *testing.T) {
	s, ts := startShop(t, shop.Options{AdminToken: "tok"})
	b := newBrowser(t, ts)
	call := func(method, body string) string {
		t.Helper()
		code, out := admin(t, b, method, "tok", body)
		if code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, body, code, out)
		}
		return strings.TrimSpace(out)
	}

	if got := call(http.MethodGet, ""); got != `{"faults":[]}` {
		t.Errorf("GET: %s", got)
	}
	if got := call(http.MethodPost, `{"kind":"slow","path":"/product/"}`); got != `{"faults":[{"kind":"slow","path":"/product/","delay":"3s"}]}` {
		t.Errorf("POST: %s", got)
	}
	if got := call(http.MethodPost, `{"kind":"checkout_500","region":"eu-west"}`); !strings.Contains(got, `{"kind":"checkout_500","region":"eu-west"}`) || len(s.Faults()) != 2 {
		t.Errorf("second POST: %s", got)
	}
	got := call(http.MethodPut, `{"faults":[{"kind":"outage","mode":"refuse","region":"ap-south"},{"kind":"slow","delay":"1.5s"}]}`)
	if got != `{"faults":[{"kind":"outage","region":"ap-south","mode":"refuse"},{"kind":"slow","delay":"1.5s"}]}` {
		t.Errorf("PUT: %s", got)
	}
	var list struct{ Faults []shop.Fault }
	if err := json.Unmarshal([]byte(call(http.MethodGet, "")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Faults) != 2 || list.Faults[1].Delay != shop.Duration(1500*1e6) {
		t.Errorf("GET after PUT: %+v", list.Faults)
	}

	// The admin API works while the shop refuses everything else.
	call(http.MethodPut, `{"faults":[{"kind":"outage","mode":"refuse"}]}`)
	if _, _, err := b.do(context.Background(), http.MethodGet, "/", "", nil); err == nil {
		t.Errorf("GET / answered under outage:mode=refuse")
	}
	if got := call(http.MethodDelete, ""); got != `{"faults":[]}` {
		t.Errorf("DELETE: %s", got)
	}
	b.getOK("/")
}

func TestAdminValidation(t *testing.T) {
	tests := []struct {
		name, method, body string
		status             int
		want               string
	}{
		{"unknown kind", "POST", `{"kind":"meltdown"}`, 400, `unknown kind \"meltdown\"`},
		{"missing kind", "POST", `{"region":"eu-west"}`, 400, `unknown kind \"\"`},
		{"bad mode", "POST", `{"kind":"outage","mode":"404"}`, 400, `outage: unknown mode \"404\"`},
		{"mode on slow", "POST", `{"kind":"slow","mode":"503"}`, 400, "mode applies only to outage"},
		{"negative delay", "POST", `{"kind":"slow","delay":"-2s"}`, 400, "negative delay -2s"},
		{"numeric delay", "POST", `{"kind":"slow","delay":2000}`, 400, `want a string like \"2s\"`},
		{"bad delay", "POST", `{"kind":"slow","delay":"soon"}`, 400, `duration \"soon\"`},
		{"relative path", "POST", `{"kind":"slow","path":"product"}`, 400, "must start with /"},
		{"unknown field", "POST", `{"kind":"slow","speed":"low"}`, 400, `unknown field \"speed\"`},
		{"bad JSON", "POST", `{"kind":`, 400, "bad JSON"},
		{"empty body", "POST", ``, 400, "empty body"},
		{"two values", "POST", `{"kind":"slow"}{"kind":"slow"}`, 400, "data after the value"},
		{"PUT without faults", "PUT", `{}`, 400, `missing \"faults\"`},
		{"PUT one bad", "PUT", `{"faults":[{"kind":"slow"},{"kind":"outage","mode":"x"}]}`, 400, `faults[1]: outage: unknown mode`},
		{"PUT a fault", "PUT", `{"kind":"slow"}`, 400, `unknown field \"kind\"`},
		{"too big", "PUT", `{"faults":[` + strings.Repeat(`{"kind":"slow"},`, 5000) + `{"kind":"slow"}]}`, 413, "too large"},
		{"method", "PATCH", `{}`, 405, "method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := []shop.Fault{{Kind: shop.FaultCheckout500, Region: "eu-west"}}
			s, ts := startShop(t, shop.Options{Faults: before})
			code, body := admin(t, newBrowser(t, ts), tt.method, "", tt.body)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%s: %d %s, want %d with %q", tt.method, code, body, tt.status, tt.want)
			}
			if after := s.Faults(); len(after) != 1 || after[0] != before[0] {
				t.Errorf("faults changed by bad input: %+v", after)
			}
		})
	}
}
