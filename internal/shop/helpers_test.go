package shop_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/vigilhq/vigil/internal/shop"
)

// htmlNode is short for the parsed-document node type.
type htmlNode = html.Node

// testLogger routes the shop's logs to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// startShop serves a new shop on an httptest server closed at cleanup.
func startShop(t *testing.T, opts shop.Options) (*shop.Shop, *httptest.Server) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	s := shop.New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, standing in for one visitor.
type browser struct {
	t      *testing.T
	base   string
	region string // sent as shop.RegionHeader when set
	client *http.Client
}

func newBrowser(t *testing.T, ts *httptest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := ts.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, base: ts.URL, client: c}
}

// do sends a request and returns the response with its body read.
func (b *browser) do(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if b.region != "" {
		req.Header.Set(shop.RegionHeader, b.region)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, string(data), err
}

// get fetches path and fails the test on a transport error.
func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, body, err := b.do(context.Background(), http.MethodGet, path, "", nil)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	return resp, body
}

// getOK fetches path, requires a 200 and returns the parsed document.
func (b *browser) getOK(path string) *html.Node {
	b.t.Helper()
	resp, body := b.get(path)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: status %d, want 200; body:\n%s", path, resp.StatusCode, body)
	}
	return parseHTML(b.t, body)
}

// addToCart calls the cart API and returns the new count.
func (b *browser) addToCart(sku string) int {
	b.t.Helper()
	resp, body, err := b.do(context.Background(), http.MethodPost, "/api/cart", "application/json",
		strings.NewReader(`{"sku":"`+sku+`"}`))
	if err != nil {
		b.t.Fatalf("POST /api/cart: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("POST /api/cart %s: status %d: %s", sku, resp.StatusCode, body)
	}
	var out struct{ Count int }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		b.t.Fatalf("POST /api/cart: %v in %q", err, body)
	}
	return out.Count
}

// postForm posts a form to path.
func (b *browser) postForm(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, body, err := b.do(context.Background(), http.MethodPost, path,
		"application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	return resp, body
}

func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc
}

// findAll returns the elements under n, in document order, that match.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

// byID returns the element with id, or nil.
func byID(n *html.Node, id string) *html.Node {
	if all := findAll(n, func(e *html.Node) bool { return attr(e, "id") == id }); len(all) > 0 {
		return all[0]
	}
	return nil
}

// mustID returns the element with id or fails the test.
func mustID(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	e := byID(n, id)
	if e == nil {
		t.Fatalf("no element #%s", id)
	}
	return e
}

// tagged returns the elements with tag name, optionally with a class.
func tagged(n *html.Node, tag, class string) []*html.Node {
	return findAll(n, func(e *html.Node) bool {
		return e.Data == tag && (class == "" || hasClass(e, class))
	})
}

func hasClass(n *html.Node, class string) bool {
	for c := range strings.FieldsSeq(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// text returns the text content of n, with runs of space collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// cells returns the texts of a table row's cells, joined by "|".
func cells(tr *html.Node) string {
	var out []string
	for c := range tr.ChildNodes() {
		if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
			out = append(out, text(c))
		}
	}
	return strings.Join(out, "|")
}
