package shop_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/shop"
)

func TestHomePage(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)
	resp, body := b.get("/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	doc := parseHTML(t, body)

	if titles := tagged(doc, "title", ""); len(titles) != 1 || text(titles[0]) != "Vigil Coffee Shop" {
		t.Errorf("want <title>Vigil Coffee Shop</title>")
	}
	if h1 := tagged(doc, "h1", ""); len(h1) != 1 || text(h1[0]) == "" {
		t.Errorf("want one non-empty <h1>, got %d", len(h1))
	}

	products := tagged(doc, "a", "product")
	if len(products) != 6 {
		t.Fatalf("%d a.product, want 6", len(products))
	}
	var coffee []string
	for _, p := range products {
		href := attr(p, "href")
		if !strings.HasPrefix(href, "/product/") {
			t.Errorf("a.product href %q", href)
		}
		if len(tagged(p, "img", "")) != 1 {
			t.Errorf("a.product %s: want one <img>", href)
		}
		if !strings.Contains(text(p), "$") {
			t.Errorf("a.product %s: no price in %q", href, text(p))
		}
		if strings.Contains(text(p), "Coffee") {
			coffee = append(coffee, href)
		}
		for _, name := range tagged(p, "span", "product-name") {
			if text(name) == "Coffee" && href != "/product/coffee" {
				t.Errorf("product named Coffee links to %s", href)
			}
		}
	}
	// Browser checks click {selector: "a.product", text: "Coffee"}.
	if len(coffee) != 1 || coffee[0] != "/product/coffee" {
		t.Errorf("a.product containing \"Coffee\": %v, want just /product/coffee", coffee)
	}
	for _, name := range []string{"Tea", "Mug", "Grinder"} {
		if !strings.Contains(body, ">"+name+"<") {
			t.Errorf("no product named %s", name)
		}
	}
}

// Every page, error pages included, has the header with the cart link and
// loads the third-party widget synchronously from <head>.
func TestEveryPageHasHeaderAndScripts(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)
	b.addToCart("coffee") // so /checkout shows its form
	for _, path := range []string{"/", "/product/tea", "/cart", "/checkout", "/no-such-page", "/product/nope"} {
		t.Run(path, func(t *testing.T) {
			_, body := b.get(path)
			doc := parseHTML(t, body)
			links := findAll(doc, func(e *htmlNode) bool { return e.Data == "a" && attr(e, "href") == "/cart" })
			if len(links) != 1 {
				t.Fatalf("%d a[href='/cart'], want 1", len(links))
			}
			badge := byID(links[0], "cart-count")
			if badge == nil || badge.Data != "span" {
				t.Fatalf("cart link has no span#cart-count")
			}
			if got := text(links[0]); got != "Cart 1" {
				t.Errorf("cart link text %q, want %q", got, "Cart 1")
			}
			head := tagged(doc, "head", "")[0]
			var widget, app bool
			for _, s := range tagged(head, "script", "") {
				switch attr(s, "src") {
				case "/thirdparty/widget.js":
					widget = !hasAttr(s, "async") && !hasAttr(s, "defer")
				case "/static/app.js":
					app = true
				}
			}
			if !widget || !app {
				t.Errorf("head: synchronous widget.js %v, app.js %v; want both", widget, app)
			}
			if len(findAll(head, func(e *htmlNode) bool { return e.Data == "link" && attr(e, "href") == "/static/style.css" })) != 1 {
				t.Errorf("no stylesheet link")
			}
		})
	}
}

func TestProductPage(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)
	doc := b.getOK("/product/coffee")

	if h1 := tagged(doc, "h1", ""); len(h1) != 1 || text(h1[0]) != "Coffee" {
		t.Errorf("want <h1>Coffee</h1>")
	}
	hero := mustID(t, doc, "hero")
	if hero.Data != "img" || attr(hero, "src") != "/static/img/coffee.jpg" || attr(hero, "width") != "800" || attr(hero, "height") != "600" {
		t.Errorf("hero image: %v", hero.Attr)
	}
	button := mustID(t, doc, "add-to-cart")
	if button.Data != "button" || attr(button, "data-sku") != "coffee" || text(button) != "Add to cart" {
		t.Errorf("add-to-cart button: <%s %v> %q", button.Data, button.Attr, text(button))
	}
	if len(tagged(button.Parent, "form", "")) != 0 || len(findAll(doc, func(e *htmlNode) bool { return e.Data == "form" })) != 0 {
		t.Errorf("add to cart must be driven by JavaScript, not a form")
	}
	if p := tagged(doc, "p", "description"); len(p) != 1 || !strings.Contains(text(p[0]), "Huila") {
		t.Errorf("no description")
	}
	if p := tagged(doc, "p", "price"); len(p) != 1 || text(p[0]) != "$14.00" {
		t.Errorf("no price $14.00")
	}
	if body := tagged(doc, "body", "")[0]; hasAttr(body, "data-fault") {
		t.Errorf("body has data-fault without a fault")
	}
}

func TestNotFound(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)
	for _, path := range []string{"/product/nope", "/nope", "/order/VC-999999", "/static/img/nope.jpg"} {
		resp, body := b.get(path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
		}
		if doc := parseHTML(t, body); byID(doc, "cart-count") == nil {
			t.Errorf("GET %s: 404 page without the shop's header", path)
		}
	}
}

func TestCartPage(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)

	doc := b.getOK("/cart")
	if !strings.Contains(text(doc), "Your cart is empty") {
		t.Errorf("empty cart page does not say so")
	}
	if byID(doc, "checkout") != nil {
		t.Errorf("empty cart has a #checkout link")
	}

	b.addToCart("coffee")
	b.addToCart("coffee")
	b.addToCart("mug")
	doc = b.getOK("/cart")
	lines := tagged(doc, "tr", "line")
	if len(lines) != 2 {
		t.Fatalf("%d cart lines, want 2", len(lines))
	}
	if got := cells(lines[0]); got != "Coffee|2|$28.00" {
		t.Errorf("line 1 %q", got)
	}
	if got := cells(lines[1]); got != "Mug|1|$12.00" {
		t.Errorf("line 2 %q", got)
	}
	if got := text(mustID(t, doc, "cart-total")); got != "$40.00" {
		t.Errorf("total %q, want $40.00", got)
	}
	if got := text(mustID(t, doc, "cart-count")); got != "3" {
		t.Errorf("#cart-count %q, want 3", got)
	}
	checkout := mustID(t, doc, "checkout")
	if checkout.Data != "a" || attr(checkout, "href") != "/checkout" || text(checkout) != "Checkout" {
		t.Errorf("checkout link: <%s %v> %q", checkout.Data, checkout.Attr, text(checkout))
	}
}

func TestCheckoutPage(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)

	doc := b.getOK("/checkout")
	if byID(doc, "checkout-form") != nil || !strings.Contains(text(doc), "Your cart is empty") {
		t.Errorf("checkout with an empty cart: want no form and an empty-cart message")
	}

	b.addToCart("tea")
	doc = b.getOK("/checkout")
	form := mustID(t, doc, "checkout-form")
	if form.Data != "form" || attr(form, "method") != "post" || attr(form, "action") != "/checkout" {
		t.Errorf("form: %v", form.Attr)
	}
	email := mustID(t, form, "email")
	if email.Data != "input" || attr(email, "name") != "email" || attr(email, "type") != "email" || !hasAttr(email, "required") {
		t.Errorf("#email: %v", email.Attr)
	}
	name := mustID(t, form, "name")
	if name.Data != "input" || attr(name, "name") != "name" || !hasAttr(name, "required") {
		t.Errorf("#name: %v", name.Attr)
	}
	shipping := mustID(t, form, "shipping")
	var options []string
	for _, o := range tagged(shipping, "option", "") {
		options = append(options, attr(o, "value"))
	}
	if shipping.Data != "select" || attr(shipping, "name") != "shipping" || strings.Join(options, ",") != "standard,express" {
		t.Errorf("#shipping: %v options %v", shipping.Attr, options)
	}
	place := mustID(t, form, "place-order")
	if place.Data != "button" || attr(place, "type") != "submit" || text(place) != "Place order" {
		t.Errorf("#place-order: %v %q", place.Attr, text(place))
	}
}
