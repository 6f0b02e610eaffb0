package shop_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/vigilhq/vigil/internal/regionproxy"
	"github.com/vigilhq/vigil/internal/shop"
)

// The shop behind region proxies, as in the demo: faults scoped to a region
// hit only the traffic that comes through that region's proxy, and a
// refused connection reaches the client as a connection error.
func TestBehindRegionProxies(t *testing.T) {
	_, ts := startShop(t, shop.Options{Faults: []shop.Fault{
		{Kind: shop.FaultOutage, Mode: "refuse", Region: "eu-west"},
		{Kind: shop.FaultMissingAddToCart, Region: "us-east"},
	}})
	via := func(region string) *browser {
		t.Helper()
		p, err := regionproxy.Listen("127.0.0.1:0", regionproxy.Config{Region: region, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		u, _ := url.Parse(p.URL())
		tr := &http.Transport{Proxy: http.ProxyURL(u)}
		t.Cleanup(tr.CloseIdleConnections)
		jar, _ := cookiejar.New(nil)
		return &browser{t: t, base: ts.URL, client: &http.Client{Transport: tr, Jar: jar}}
	}

	eu := via("eu-west")
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if resp, _, err := eu.do(ctx, http.MethodGet, "/", "", nil); err == nil {
		t.Errorf("eu-west: got status %d, want the connection dropped", resp.StatusCode)
	}

	us := via("us-east")
	if byID(us.getOK("/product/coffee"), "add-to-cart") != nil {
		t.Errorf("us-east: #add-to-cart present under its missing_add_to_cart fault")
	}

	ap := via("ap-south")
	if byID(ap.getOK("/product/coffee"), "add-to-cart") == nil {
		t.Errorf("ap-south: #add-to-cart missing without a fault")
	}
	if ap.addToCart("coffee") != 1 {
		t.Errorf("ap-south: add to cart through the proxy failed")
	}
}
