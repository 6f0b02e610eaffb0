package httpcheck

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/vigilhq/vigil/internal/buildinfo"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestPass(t *testing.T) {
	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
		fmt.Fprint(w, "Welcome to the Shop")
	}))
	defer srv.Close()

	res := run(t, newTestRunner(t, Config{}), httpCheck(srv.URL+"/", &vigilv1.HttpSpec{BodyContains: "Shop"}))
	wantPass(t, res)
	if res.GetHttpStatus() != 200 {
		t.Errorf("http_status = %d, want 200", res.GetHttpStatus())
	}
	if res.GetTlsCertExpiryDays() != -1 {
		t.Errorf("tls_cert_expiry_days = %d, want -1 for plain http", res.GetTlsCertExpiryDays())
	}
	if res.GetStartedAt() == nil {
		t.Error("started_at not set")
	}
	for name, us := range map[string]int64{"dns": res.GetDnsUs(), "connect": res.GetConnectUs(), "tls": res.GetTlsUs(), "ttfb": res.GetTtfbUs()} {
		if us < 0 || us > res.GetDurationUs() {
			t.Errorf("%s_us = %d, want within [0, duration_us=%d]", name, us, res.GetDurationUs())
		}
	}
	if res.GetTlsUs() != 0 {
		t.Errorf("tls_us = %d for plain http", res.GetTlsUs())
	}
	if want := "Vigil/" + buildinfo.Version + " (+synthetic)"; ua.Load() != want {
		t.Errorf("User-Agent = %q, want %q", ua.Load(), want)
	}
}

func TestStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(code)
	}))
	defer srv.Close()
	r := newTestRunner(t, Config{})

	tests := []struct {
		code    int
		expect  uint32
		wantErr string // "" means pass
	}{
		{200, 0, ""},
		{204, 0, ""},
		{304, 0, ""},
		{404, 0, "status 404, want 2xx or 3xx"},
		{503, 200, "status 503, want 200"},
		{200, 200, ""},
		{404, 404, ""},
		{200, 201, "status 200, want 201"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d-want-%d", tt.code, tt.expect), func(t *testing.T) {
			target := fmt.Sprintf("%s/?code=%d", srv.URL, tt.code)
			res := run(t, r, httpCheck(target, &vigilv1.HttpSpec{ExpectStatus: tt.expect}))
			if res.GetHttpStatus() != uint32(tt.code) {
				t.Errorf("http_status = %d, want %d", res.GetHttpStatus(), tt.code)
			}
			if tt.wantErr == "" {
				wantPass(t, res)
				return
			}
			wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS)
			if want := "GET " + target + ": " + tt.wantErr; res.GetError() != want {
				t.Errorf("error = %q, want %q", res.GetError(), want)
			}
		})
	}
}

func TestRequestFromSpec(t *testing.T) {
	type seen struct {
		method, host, ua, custom, body string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.Host, r.UserAgent(), r.Header.Get("X-Vigil-Test"), string(b)}
	}))
	defer srv.Close()

	res := run(t, newTestRunner(t, Config{}), httpCheck(srv.URL, &vigilv1.HttpSpec{
		Method: "POST",
		Body:   `{"q":1}`,
		Headers: []*vigilv1.Header{
			{Name: "X-Vigil-Test", Value: "yes"},
			{Name: "User-Agent", Value: "custom-agent"},
			{Name: "Host", Value: "shop.example"},
		},
	}))
	wantPass(t, res)
	want := seen{"POST", "shop.example", "custom-agent", "yes", `{"q":1}`}
	if s := <-got; s != want {
		t.Errorf("server saw %+v, want %+v", s, want)
	}
}

func TestBodyAssertions(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<h1>Shop</h1><p>Service Unavailable</p>")
	}))
	defer srv.Close()
	r := newTestRunner(t, Config{})

	tests := []struct {
		name    string
		spec    *vigilv1.HttpSpec
		wantErr string
	}{
		{"contains", &vigilv1.HttpSpec{BodyContains: "Shop"}, ""},
		{"missing", &vigilv1.HttpSpec{BodyContains: "Order confirmed"}, `body does not contain "Order confirmed"`},
		{"not contains ok", &vigilv1.HttpSpec{BodyNotContains: "Exception"}, ""},
		{"not contains hit", &vigilv1.HttpSpec{BodyNotContains: "Unavailable"}, `body contains "Unavailable"`},
		{"both", &vigilv1.HttpSpec{BodyContains: "Shop", BodyNotContains: "Unavailable"}, `body contains "Unavailable"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, r, httpCheck(srv.URL+"/", tt.spec))
			if tt.wantErr == "" {
				wantPass(t, res)
				return
			}
			wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_ASSERTION)
			if want := "GET " + srv.URL + "/: " + tt.wantErr; res.GetError() != want {
				t.Errorf("error = %q, want %q", res.GetError(), want)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("a", 4096)+"MARKER")
	}))
	defer srv.Close()
	check := httpCheck(srv.URL+"/", &vigilv1.HttpSpec{BodyContains: "MARKER"})

	res := run(t, newTestRunner(t, Config{BodyLimit: 1024}), check)
	wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_ASSERTION)
	if want := `GET ` + srv.URL + `/: body does not contain "MARKER" (searched the first 1024 bytes)`; res.GetError() != want {
		t.Errorf("error = %q, want %q", res.GetError(), want)
	}

	wantPass(t, run(t, newTestRunner(t, Config{}), check)) // default limit: 1 MiB
}

func TestRedirects(t *testing.T) {
	mux := http.NewServeMux()
	// /hops/{n} redirects n times before answering.
	mux.HandleFunc("/hops/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			fmt.Fprint(w, "arrived")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hops/%d", n-1), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := newTestRunner(t, Config{})

	t.Run("followed", func(t *testing.T) {
		res := run(t, r, httpCheck(srv.URL+"/hops/10", &vigilv1.HttpSpec{ExpectStatus: 200, BodyContains: "arrived"}))
		wantPass(t, res)
	})
	t.Run("too many", func(t *testing.T) {
		res := run(t, r, httpCheck(srv.URL+"/hops/11", nil))
		wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS)
		if want := "GET " + srv.URL + "/hops/1: stopped after 10 redirects"; res.GetError() != want {
			t.Errorf("error = %q, want %q", res.GetError(), want)
		}
		if res.GetHttpStatus() != http.StatusFound {
			t.Errorf("http_status = %d, want 302", res.GetHttpStatus())
		}
	})
	t.Run("not followed", func(t *testing.T) {
		res := run(t, r, httpCheck(srv.URL+"/hops/1", &vigilv1.HttpSpec{NoFollowRedirects: true}))
		wantPass(t, res)
		if res.GetHttpStatus() != http.StatusFound {
			t.Errorf("http_status = %d, want 302", res.GetHttpStatus())
		}
	})
	t.Run("not followed, want 200", func(t *testing.T) {
		res := run(t, r, httpCheck(srv.URL+"/hops/1", &vigilv1.HttpSpec{NoFollowRedirects: true, ExpectStatus: 200}))
		wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS)
		if want := "GET " + srv.URL + "/hops/1: status 302, want 200"; res.GetError() != want {
			t.Errorf("error = %q, want %q", res.GetError(), want)
		}
	})
}

// TestFreshConnectionPerRun pins that runs never reuse a connection, so each
// run's connect time is real.
func TestFreshConnectionPerRun(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	r := newTestRunner(t, Config{})
	for range 3 {
		wantPass(t, run(t, r, httpCheck(srv.URL, nil)))
	}
	if got := conns.Load(); got != 3 {
		t.Errorf("server saw %d connections for 3 runs, want 3", got)
	}
}

func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := "http://" + ln.Addr().String() + "/"
	ln.Close()

	res := run(t, newTestRunner(t, Config{}), httpCheck(target, nil))
	wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_CONNECT)
	if want := "GET " + target + ": dial tcp "; !strings.HasPrefix(res.GetError(), want) {
		t.Errorf("error = %q, want prefix %q", res.GetError(), want)
	}
}

func TestServerClosesConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}))
	defer srv.Close()

	res := run(t, newTestRunner(t, Config{}), httpCheck(srv.URL+"/", nil))
	wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_CONNECT)
	if want := "GET " + srv.URL + "/: connection closed by the server while waiting for response"; res.GetError() != want {
		t.Errorf("error = %q, want %q", res.GetError(), want)
	}
}

func TestBodyCutShort(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "only a little")
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}))
	defer srv.Close()

	res := run(t, newTestRunner(t, Config{}), httpCheck(srv.URL+"/", nil))
	wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_CONNECT)
	if res.GetHttpStatus() != 200 {
		t.Errorf("http_status = %d, want 200 (the headers arrived)", res.GetHttpStatus())
	}
	if want := "GET " + srv.URL + "/: connection closed by the server while reading body"; res.GetError() != want {
		t.Errorf("error = %q, want %q", res.GetError(), want)
	}
}

// hangingServer answers nothing until the client goes away or the test ends.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv
}

func TestTimeout(t *testing.T) {
	srv := hangingServer(t)

	t.Run("check timeout", func(t *testing.T) {
		check := httpCheck(srv.URL+"/", nil)
		check.Timeout = durationpb.New(200 * time.Millisecond)
		res := run(t, newTestRunner(t, Config{}), check)
		wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT)
		if want := "GET " + srv.URL + "/: timed out after 200ms while waiting for response"; res.GetError() != want {
			t.Errorf("error = %q, want %q", res.GetError(), want)
		}
	})
	t.Run("caller deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		res := newTestRunner(t, Config{}).Run(ctx, httpCheck(srv.URL+"/", nil))
		wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT)
	})
}

func TestCancelledIsProbeError(t *testing.T) {
	srv := hangingServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var res *vigilv1.Result
	wg.Go(func() { res = newTestRunner(t, Config{}).Run(ctx, httpCheck(srv.URL+"/", nil)) })
	cancel()
	wg.Wait()
	wantOutcome(t, res, vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR, vigilv1.ErrorClass_ERROR_CLASS_PROBE)
}

func TestDNSFailure(t *testing.T) {
	const host = "no-such-host.vigil-test.invalid"
	// .invalid never resolves (RFC 6761), and a resolver answers that at
	// once; a host whose resolver cannot be reached would time out instead,
	// which says nothing about the runner.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(ctx, host); ctx.Err() != nil {
		t.Skipf("skipping: this host's resolver did not answer for %s within 3s (%v)", host, err)
	}

	res := run(t, newTestRunner(t, Config{}), httpCheck("http://"+host+"/", nil))
	wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_DNS)
	if want := "GET http://" + host + "/: dial tcp: lookup " + host; !strings.HasPrefix(res.GetError(), want) {
		t.Errorf("error = %q, want prefix %q", res.GetError(), want)
	}
}

func TestInvalidCheckIsProbeError(t *testing.T) {
	r := newTestRunner(t, Config{})
	tests := []struct {
		name string
		// check is built from target and spec.
		target string
		spec   *vigilv1.HttpSpec
		want   string
	}{
		{"relative target", "/path", nil, `invalid check "test": target "/path": want an absolute http or https URL`},
		{"ftp target", "ftp://example.com/", nil, `invalid check "test": target "ftp://example.com/": want an absolute http or https URL`},
		{"unparsable", "http://[::1", nil, `invalid check "test": target: parse "http://[::1": missing ']' in host`},
		{"bad method", "http://example.com/", &vigilv1.HttpSpec{Method: "GE T"}, `invalid check "test": request: net/http: invalid method "GE T"`},
		{"bad header name", "http://example.com/", &vigilv1.HttpSpec{Headers: []*vigilv1.Header{{Name: "X Bad"}}}, `invalid check "test": header name "X Bad" is not a valid token`},
		{"bad header value", "http://example.com/", &vigilv1.HttpSpec{Headers: []*vigilv1.Header{{Name: "X-Ok", Value: "a\r\nb"}}}, `invalid check "test": header X-Ok: value has control characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, r, httpCheck(tt.target, tt.spec))
			wantOutcome(t, res, vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR, vigilv1.ErrorClass_ERROR_CLASS_PROBE)
			if res.GetError() != tt.want {
				t.Errorf("error = %q, want %q", res.GetError(), tt.want)
			}
		})
	}
}
