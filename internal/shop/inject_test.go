package shop_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/shop"
	"github.com/vigilhq/vigil/internal/testwait"
)

// held is the delay of faults that must hold a request: far longer than any
// test, so a request that gets an answer was not held.
const held = shop.Duration(time.Hour)

// patience bounds requests that must be answered; a request that takes
// longer fails the test with a clear error instead of hanging it.
const patience = 30 * time.Second

// heldUntilDeadline requests path with a short deadline and reports whether
// the request was still unanswered when the deadline passed.
func heldUntilDeadline(t *testing.T, b *browser, path string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	resp, _, err := b.do(ctx, http.MethodGet, path, "", nil)
	if err == nil {
		t.Logf("GET %s answered %d", path, resp.StatusCode)
		return false
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GET %s: %v, want the deadline to pass", path, err)
	}
	return true
}

// answered requests path with a generous deadline and returns its status.
func answered(t *testing.T, b *browser, method, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	resp, body, err := b.do(ctx, method, path, "application/x-www-form-urlencoded", strings.NewReader(validForm().Encode()))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, body
}

func TestOutage503(t *testing.T) {
	s, ts := startShop(t, shop.Options{Faults: []shop.Fault{{Kind: shop.FaultOutage}}})
	b := newBrowser(t, ts)
	for _, path := range []string{"/", "/product/coffee", "/cart", "/static/style.css", "/thirdparty/widget.js"} {
		resp, body := b.get(path)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "503") {
			t.Errorf("GET %s: status %d, want 503", path, resp.StatusCode)
		}
	}
	if resp, body := b.get("/healthz"); resp.StatusCode != http.StatusOK || body != "ok" {
		t.Errorf("/healthz: %d %q, want 200 ok during an outage", resp.StatusCode, body)
	}
	if resp, _ := b.get("/admin/faults"); resp.StatusCode != http.StatusOK {
		t.Errorf("/admin/faults: %d, want 200 during an outage", resp.StatusCode)
	}
	if f := s.Faults(); len(f) != 1 || f[0].Mode != "503" {
		t.Errorf("Faults() = %+v, want the outage with its default mode 503", f)
	}
}

func TestOutageRefuse(t *testing.T) {
	_, ts := startShop(t, shop.Options{Faults: []shop.Fault{{Kind: shop.FaultOutage, Mode: "refuse"}}})
	b := newBrowser(t, ts)
	resp, _, err := b.do(context.Background(), http.MethodGet, "/", "", nil)
	if err == nil {
		t.Fatalf("GET /: status %d, want a connection error and no response", resp.StatusCode)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("GET /: %v, want the connection closed, not a timeout", err)
	}
	t.Logf("refused as: %v", err)
	if resp, body := b.get("/healthz"); resp.StatusCode != http.StatusOK || body != "ok" {
		t.Errorf("/healthz: %d %q, want 200 ok", resp.StatusCode, body)
	}
}

func TestSlow(t *testing.T) {
	s, ts := startShop(t, shop.Options{Faults: []shop.Fault{{Kind: shop.FaultSlow, Path: "/product/", Delay: held}}})
	b := newBrowser(t, ts)
	if !heldUntilDeadline(t, b, "/product/coffee") {
		t.Errorf("/product/coffee not held by the slow fault")
	}
	if code, _ := answered(t, b, http.MethodGet, "/"); code != http.StatusOK {
		t.Errorf("/ outside the slow path: %d, want 200", code)
	}

	// A slow page is still served, after its delay.
	s.SetFaults([]shop.Fault{{Kind: shop.FaultSlow, Path: "/product/", Delay: shop.Duration(time.Millisecond)}})
	if code, body := answered(t, b, http.MethodGet, "/product/coffee"); code != http.StatusOK || !strings.Contains(body, `id="add-to-cart"`) {
		t.Errorf("slow /product/coffee: %d, want 200 with the page", code)
	}

	// No path: every page, but never /healthz.
	s.SetFaults([]shop.Fault{{Kind: shop.FaultSlow, Delay: held}})
	for _, path := range []string{"/", "/cart", "/static/app.js"} {
		if !heldUntilDeadline(t, b, path) {
			t.Errorf("%s not held by a slow fault without path", path)
		}
	}
	if code, _ := answered(t, b, http.MethodGet, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
}

func TestCheckout500(t *testing.T) {
	s, ts := startShop(t, shop.Options{Faults: []shop.Fault{{Kind: shop.FaultCheckout500}}})
	b := newBrowser(t, ts)
	b.addToCart("coffee")
	b.getOK("/checkout") // the form still renders
	resp, body := b.postForm("/checkout", validForm())
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("POST /checkout: %d, want 500", resp.StatusCode)
	}
	doc := parseHTML(t, body)
	if byID(doc, "cart-count") == nil || strings.Contains(body, "Order confirmed") {
		t.Errorf("want the shop's error page, got:\n%s", body)
	}
	if s.Orders() != 0 {
		t.Errorf("Orders() = %d, want 0", s.Orders())
	}
	if got := text(mustID(t, b.getOK("/cart"), "cart-count")); got != "1" {
		t.Errorf("cart after a failed checkout: count %q, want 1", got)
	}
}

func TestMissingAddToCart(t *testing.T) {
	_, ts := startShop(t, shop.Options{Faults: []shop.Fault{{Kind: shop.FaultMissingAddToCart}}})
	b := newBrowser(t, ts)
	doc := b.getOK("/product/coffee")
	if byID(doc, "add-to-cart") != nil {
		t.Errorf("#add-to-cart present under missing_add_to_cart")
	}
	if h1 := tagged(doc, "h1", ""); len(h1) != 1 || text(h1[0]) != "Coffee" {
		t.Errorf("the rest of the page must render")
	}
}

func TestProductJSError(t *testing.T) {
	_, ts := startShop(t, shop.Options{Faults: []shop.Fault{{Kind: shop.FaultProductJSError}}})
	b := newBrowser(t, ts)
	doc := b.getOK("/product/coffee")
	if got := attr(tagged(doc, "body", "")[0], "data-fault"); got != "product_js_error" {
		t.Errorf("body data-fault %q, want product_js_error", got)
	}
	if byID(doc, "add-to-cart") == nil {
		t.Errorf("the button must still be there; only its handler is missing")
	}
	// Other pages are not marked.
	if hasAttr(tagged(b.getOK("/"), "body", "")[0], "data-fault") {
		t.Errorf("home page marked with the product page's fault")
	}
	// The bundle throws on the marker before wiring the button.
	_, js := b.get("/static/app.js")
	throwAt := strings.Index(js, `throw new Error(`)
	markerAt := strings.Index(js, `"product_js_error"`)
	wireAt := strings.Index(js, "wireAddToCart();")
	if markerAt < 0 || throwAt < markerAt || wireAt < throwAt {
		t.Errorf("app.js must check the marker, then throw, before wiring the button")
	}
}

func TestHungThirdParty(t *testing.T) {
	_, ts := startShop(t, shop.Options{Faults: []shop.Fault{{Kind: shop.FaultHungThirdParty}}})
	b := newBrowser(t, ts)
	if !heldUntilDeadline(t, b, "/thirdparty/widget.js") {
		t.Fatalf("widget.js answered under hung_third_party")
	}
	// The page itself is served; it is the browser that blocks on the script.
	b.getOK("/")

	// The client gave up, so the hung handler has returned and the server
	// closes without waiting for it.
	closed := make(chan struct{})
	go func() {
		ts.Close()
		close(closed)
	}()
	testwait.Until(t, patience, func() bool {
		select {
		case <-closed:
			return true
		default:
			return false
		}
	}, "server close still waits for the hung widget.js handler")
}

func TestThirdPartyWidget(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)
	resp, body := b.get("/thirdparty/widget.js")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "window.vigilWidget") {
		t.Errorf("widget.js: %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/javascript") {
		t.Errorf("Content-Type %q", got)
	}
}

// Every fault scoped to a region affects requests from that region only.
func TestRegionScoping(t *testing.T) {
	tests := []struct {
		fault shop.Fault
		check func(t *testing.T, b *browser, affected bool)
	}{
		{shop.Fault{Kind: shop.FaultOutage}, func(t *testing.T, b *browser, affected bool) {
			code, _ := answered(t, b, http.MethodGet, "/")
			if (code == http.StatusServiceUnavailable) != affected {
				t.Errorf("GET /: %d", code)
			}
		}},
		{shop.Fault{Kind: shop.FaultOutage, Mode: "refuse"}, func(t *testing.T, b *browser, affected bool) {
			ctx, cancel := context.WithTimeout(context.Background(), patience)
			defer cancel()
			_, _, err := b.do(ctx, http.MethodGet, "/", "", nil)
			if (err != nil) != affected {
				t.Errorf("GET /: err %v", err)
			}
		}},
		{shop.Fault{Kind: shop.FaultSlow, Delay: held}, func(t *testing.T, b *browser, affected bool) {
			if affected {
				if !heldUntilDeadline(t, b, "/") {
					t.Errorf("GET / not held")
				}
			} else if code, _ := answered(t, b, http.MethodGet, "/"); code != http.StatusOK {
				t.Errorf("GET /: %d", code)
			}
		}},
		{shop.Fault{Kind: shop.FaultCheckout500}, func(t *testing.T, b *browser, affected bool) {
			code, _ := answered(t, b, http.MethodPost, "/checkout")
			if (code == http.StatusInternalServerError) != affected {
				t.Errorf("POST /checkout: %d", code)
			}
		}},
		{shop.Fault{Kind: shop.FaultMissingAddToCart}, func(t *testing.T, b *browser, affected bool) {
			if (byID(b.getOK("/product/tea"), "add-to-cart") == nil) != affected {
				t.Errorf("#add-to-cart presence wrong")
			}
		}},
		{shop.Fault{Kind: shop.FaultProductJSError}, func(t *testing.T, b *browser, affected bool) {
			if hasAttr(tagged(b.getOK("/product/tea"), "body", "")[0], "data-fault") != affected {
				t.Errorf("data-fault marker presence wrong")
			}
		}},
		{shop.Fault{Kind: shop.FaultHungThirdParty}, func(t *testing.T, b *browser, affected bool) {
			if affected {
				if !heldUntilDeadline(t, b, "/thirdparty/widget.js") {
					t.Errorf("widget.js not held")
				}
			} else if code, _ := answered(t, b, http.MethodGet, "/thirdparty/widget.js"); code != http.StatusOK {
				t.Errorf("widget.js: %d", code)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault.Kind)+tt.fault.Mode, func(t *testing.T) {
			tt.fault.Region = "eu-west"
			_, ts := startShop(t, shop.Options{Faults: []shop.Fault{tt.fault}})
			for _, region := range []string{"eu-west", "us-east", ""} {
				t.Run("from="+region, func(t *testing.T) {
					b := newBrowser(t, ts)
					b.region = region
					tt.check(t, b, region == "eu-west")
				})
			}
		})
	}
}

func TestSetFaults(t *testing.T) {
	s, _ := startShop(t, shop.Options{})
	if f := s.Faults(); f == nil || len(f) != 0 {
		t.Errorf("Faults() of a new shop = %#v, want empty and non-nil", f)
	}
	in := []shop.Fault{
		{Kind: shop.FaultOutage, Region: "eu-west"},
		{Kind: "meltdown"},
		{Kind: shop.FaultSlow, Delay: shop.Duration(-time.Second)},
		{Kind: shop.FaultSlow},
	}
	s.SetFaults(in)
	got := s.Faults()
	want := []shop.Fault{
		{Kind: shop.FaultOutage, Region: "eu-west", Mode: "503"},
		{Kind: shop.FaultSlow, Delay: shop.Duration(3 * time.Second)},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Faults() = %+v, want %+v (invalid dropped, defaults filled)", got, want)
	}
	got[0].Kind = shop.FaultCheckout500
	in[0].Kind = shop.FaultCheckout500
	if s.Faults()[0].Kind != shop.FaultOutage {
		t.Errorf("Faults() shares memory with its caller")
	}
	s.SetFaults(nil)
	if len(s.Faults()) != 0 {
		t.Errorf("SetFaults(nil) left %v", s.Faults())
	}
}
