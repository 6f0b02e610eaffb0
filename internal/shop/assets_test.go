package shop_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/shop"
)

func TestStaticAssets(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)
	tests := []struct {
		path, contentType, cacheControl, contains string
	}{
		{"/static/style.css", "text/css; charset=utf-8", "public, max-age=300", "#cart-count"},
		{"/static/app.js", "text/javascript; charset=utf-8", "public, max-age=300", `fetch("/api/cart"`},
		{"/static/img/coffee.jpg", "image/jpeg", "public, max-age=86400", ""},
		{"/favicon.ico", "image/x-icon", "public, max-age=86400", ""},
		{"/thirdparty/widget.js", "text/javascript; charset=utf-8", "no-store", "vigilWidget"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := b.get(tt.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.cacheControl {
				t.Errorf("Cache-Control %q, want %q", got, tt.cacheControl)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
			etag := resp.Header.Get("ETag")
			if etag == "" {
				t.Fatalf("no ETag")
			}
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, ts.URL+tt.path, nil)
			req.Header.Set("If-None-Match", etag)
			again, err := b.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			again.Body.Close()
			if again.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation: %d, want 304", again.StatusCode)
			}
		})
	}
}

func TestAppJSWiresAddToCart(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	_, js := newBrowser(t, ts).get("/static/app.js")
	for _, want := range []string{`getElementById("add-to-cart")`, `getElementById("cart-count")`, `"/api/cart"`, `method: "POST"`, "data-sku", "a[href='/cart']"} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %q", want)
		}
	}
	if len(js) < 2000 {
		t.Errorf("app.js is %d bytes; the bundle should weigh a few KB", len(js))
	}
}

func TestProductImages(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	b := newBrowser(t, ts)
	doc := b.getOK("/")
	imgs := tagged(doc, "img", "")
	if len(imgs) != 6 {
		t.Fatalf("%d images on the home page, want 6", len(imgs))
	}
	seen := map[string]bool{}
	for _, img := range imgs {
		src := attr(img, "src")
		resp, body := b.get(src)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", src, resp.StatusCode)
			continue
		}
		cfg, err := jpeg.DecodeConfig(strings.NewReader(body))
		if err != nil || cfg.Width != 800 || cfg.Height != 600 {
			t.Errorf("%s: %dx%d, %v; want an 800x600 JPEG", src, cfg.Width, cfg.Height, err)
		}
		if n := len(body); n < 30<<10 || n > 80<<10 {
			t.Errorf("%s weighs %d KB, want 30 to 80", src, n>>10)
		}
		if seen[body] {
			t.Errorf("%s is the same image as another product's", src)
		}
		seen[body] = true
	}
}

func TestImagesAreDeterministic(t *testing.T) {
	_, ts1 := startShop(t, shop.Options{})
	_, ts2 := startShop(t, shop.Options{})
	r1, e1 := newBrowser(t, ts1).get("/static/img/mug.jpg")
	r2, e2 := newBrowser(t, ts2).get("/static/img/mug.jpg")
	if e1 != e2 || r1.Header.Get("ETag") != r2.Header.Get("ETag") {
		t.Errorf("two shops serve different mug images")
	}
}

func TestFavicon(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	_, body := newBrowser(t, ts).get("/favicon.ico")
	header := []byte{0, 0, 1, 0, 1, 0}
	if !bytes.HasPrefix([]byte(body), header) || len(body) < 22 {
		t.Fatalf("not an ICO file: % x", []byte(body)[:min(len(body), 8)])
	}
	cfg, err := png.DecodeConfig(strings.NewReader(body[22:]))
	if err != nil || cfg.Width != 16 || cfg.Height != 16 {
		t.Errorf("icon image: %+v, %v; want a 16x16 PNG", cfg, err)
	}
}

func TestHealthz(t *testing.T) {
	_, ts := startShop(t, shop.Options{})
	resp, body := newBrowser(t, ts).get("/healthz")
	if resp.StatusCode != http.StatusOK || body != "ok" {
		t.Errorf("/healthz: %d %q", resp.StatusCode, body)
	}
}
