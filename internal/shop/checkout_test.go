package shop_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/shop"
)

func validForm() url.Values {
	return url.Values{"email": {"synthetic@example.com"}, "name": {"Synthetic Buyer"}, "shipping": {"express"}}
}

// The flow a browser check drives, by HTTP: product, add to cart, cart,
// checkout, confirmation.
func TestCheckoutFlow(t *testing.T) {
	s, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)

	b.getOK("/")
	b.getOK("/product/coffee")
	if n := b.addToCart("coffee"); n != 1 {
		t.Fatalf("count after first add %d, want 1", n)
	}
	if n := b.addToCart("grinder"); n != 2 {
		t.Fatalf("count after second add %d, want 2", n)
	}
	cart := b.getOK("/cart")
	if got := text(mustID(t, cart, "cart-count")); got != "2" {
		t.Errorf("#cart-count %q, want 2", got)
	}
	href := attr(mustID(t, cart, "checkout"), "href")
	b.getOK(href)

	resp, body := b.postForm("/checkout", validForm())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /checkout: status %d, want 303; body:\n%s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if !regexp.MustCompile(`^/order/VC-\d{6}$`).MatchString(loc) {
		t.Fatalf("Location %q, want /order/VC-NNNNNN", loc)
	}

	doc := b.getOK(loc)
	if h1 := tagged(doc, "h1", ""); len(h1) != 1 || text(h1[0]) != "Order confirmed" {
		t.Errorf("want <h1>Order confirmed</h1>")
	}
	if got, want := text(mustID(t, doc, "order-number")), strings.TrimPrefix(loc, "/order/"); got != want {
		t.Errorf("#order-number %q, want %q", got, want)
	}
	// $14.00 + $65.00 + $9.00 express shipping.
	if got := text(mustID(t, doc, "order-total")); got != "$88.00" {
		t.Errorf("#order-total %q, want $88.00", got)
	}
	if got := text(mustID(t, doc, "cart-count")); got != "0" {
		t.Errorf("#cart-count after the order %q, want 0", got)
	}
	if !strings.Contains(text(b.getOK("/cart")), "Your cart is empty") {
		t.Errorf("cart not emptied by the order")
	}
	if got := s.Orders(); got != 1 {
		t.Errorf("Orders() = %d, want 1", got)
	}

	// Placing the same (now empty) cart again does nothing.
	resp, _ = b.postForm("/checkout", validForm())
	if resp.StatusCode != http.StatusConflict || s.Orders() != 1 {
		t.Errorf("second POST /checkout: status %d, Orders %d; want 409 and 1", resp.StatusCode, s.Orders())
	}
}

func TestCheckoutValidation(t *testing.T) {
	s, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)
	b.addToCart("tea")

	tests := []struct {
		name   string
		change func(url.Values)
		want   string
	}{
		{"bad email", func(f url.Values) { f.Set("email", "not-an-email") }, "valid email"},
		{"email with display name", func(f url.Values) { f.Set("email", "Bob <bob@example.com>") }, "valid email"},
		{"no email", func(f url.Values) { f.Del("email") }, "valid email"},
		{"empty name", func(f url.Values) { f.Set("name", "   ") }, "your name"},
		{"long name", func(f url.Values) { f.Set("name", strings.Repeat("x", 101)) }, "at most 100"},
		{"bad shipping", func(f url.Values) { f.Set("shipping", "drone") }, "shipping option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := validForm()
			tt.change(form)
			resp, body := b.postForm("/checkout", form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			doc := parseHTML(t, body)
			errs := tagged(doc, "p", "error")
			if len(errs) != 1 || !strings.Contains(text(errs[0]), tt.want) {
				t.Errorf("want one p.error containing %q, got %d: %q", tt.want, len(errs), text(doc))
			}
			f := mustID(t, doc, "checkout-form")
			if got := attr(mustID(t, f, "name"), "value"); got != strings.TrimSpace(form.Get("name")) {
				t.Errorf("name not kept: %q", got)
			}
		})
	}
	if s.Orders() != 0 {
		t.Errorf("Orders() = %d after invalid forms, want 0", s.Orders())
	}
	if got := text(mustID(t, b.getOK("/cart"), "cart-count")); got != "1" {
		t.Errorf("cart changed by invalid forms: count %q", got)
	}
}

func TestCheckoutEmptyCart(t *testing.T) {
	s, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)
	resp, body := b.postForm("/checkout", validForm())
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Your cart is empty") {
		t.Errorf("status %d, want 409 with an empty-cart message", resp.StatusCode)
	}
	if s.Orders() != 0 {
		t.Errorf("Orders() = %d, want 0", s.Orders())
	}
}

func TestAddToCartAPI(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)

	post := func(body string) (*http.Response, string) {
		t.Helper()
		resp, out, err := b.do(context.Background(), http.MethodPost, "/api/cart", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return resp, out
	}

	resp, body := post(`{"sku":"mug","quantity":2}`)
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != `{"count":2}` {
		t.Fatalf("add: %d %s", resp.StatusCode, body)
	}
	if len(resp.Cookies()) != 1 {
		t.Errorf("first add sets %d cookies, want 1", len(resp.Cookies()))
	}
	resp, _ = post(`{"sku":"mug"}`)
	if len(resp.Cookies()) != 0 {
		t.Errorf("second add sets a cookie again: the session was not kept")
	}
	post(`{"sku":"mug","quantity":99}`)
	var out struct{ Count int }
	_, body = post(`{"sku":"tea"}`)
	if err := json.Unmarshal([]byte(body), &out); err != nil || out.Count != 100 {
		t.Errorf("line capped at 99 plus one tea: count %d (%v), want 100", out.Count, err)
	}

	for _, tt := range []struct{ body, want string }{
		{`{"sku":"unicorn"}`, "unknown sku"},
		{`{"sku":"mug","quantity":-1}`, "quantity must be"},
		{`{"sku":"mug","quantity":100}`, "quantity must be"},
		{`{"sku":"mug","color":"red"}`, "unknown field"},
		{`{"sku":`, "bad JSON"},
		{``, "empty body"},
		{`{"sku":"mug"} {}`, "data after"},
	} {
		resp, body := post(tt.body)
		if resp.StatusCode < 400 || !strings.Contains(body, tt.want) {
			t.Errorf("POST %q: %d %s, want an error containing %q", tt.body, resp.StatusCode, body, tt.want)
		}
	}
}
