package shop

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCartStoreEvictsLeastRecentlyUsed(t *testing.T) {
	s := newCartStore(2)
	a, _ := s.add("", "coffee", 1)
	b, _ := s.add("", "tea", 1)
	s.add(a, "mug", 1) // a is now the most recently used
	c, _ := s.add("", "kettle", 1)
	if s.len() != 2 {
		t.Fatalf("%d sessions, want the cap 2", s.len())
	}
	if s.items(b) != nil {
		t.Errorf("least recently used session %s kept", b)
	}
	if got := s.items(a); got["coffee"] != 1 || got["mug"] != 1 {
		t.Errorf("session a: %v", got)
	}
	if got := s.items(c); got["kettle"] != 1 {
		t.Errorf("session c: %v", got)
	}
	// An evicted session's id starts a new cart under a new id.
	b2, n := s.add(b, "tea", 1)
	if b2 == b || n != 1 {
		t.Errorf("add to evicted session: id %s count %d, want a new id and 1", b2, n)
	}
}

func TestCartStoreCapsLines(t *testing.T) {
	s := newCartStore(1)
	id, _ := s.add("", "coffee", maxLineQuantity)
	if _, n := s.add(id, "coffee", 5); n != maxLineQuantity {
		t.Errorf("count %d, want the line cap %d", n, maxLineQuantity)
	}
	if got := s.take(id); got["coffee"] != maxLineQuantity {
		t.Errorf("take: %v", got)
	}
	if s.items(id) != nil || s.take(id) != nil {
		t.Errorf("cart not empty after take")
	}
}

// Over HTTP, with the session cap lowered: the oldest visitor's cart is
// forgotten, the others are kept, and memory stays bounded.
func TestSessionCap(t *testing.T) {
	s := New(Options{})
	s.carts = newCartStore(3)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)

	visitor := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar}
	}
	add := func(c *http.Client) {
		t.Helper()
		resp, err := c.Post(ts.URL+"/api/cart", "application/json", strings.NewReader(`{"sku":"coffee"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("add: %d", resp.StatusCode)
		}
	}
	cartPage := func(c *http.Client) string {
		t.Helper()
		resp, err := c.Get(ts.URL + "/cart")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}

	visitors := make([]*http.Client, 10)
	for i := range visitors {
		visitors[i] = visitor()
		add(visitors[i])
	}
	if n := s.carts.len(); n != 3 {
		t.Errorf("%d sessions held, want the cap 3", n)
	}
	if !strings.Contains(cartPage(visitors[0]), "Your cart is empty") {
		t.Errorf("first visitor's cart survived eviction")
	}
	if strings.Contains(cartPage(visitors[9]), "Your cart is empty") {
		t.Errorf("last visitor's cart was evicted")
	}
	// Browsing without adding creates no session.
	for range 5 {
		cartPage(visitor())
	}
	if n := s.carts.len(); n != 3 {
		t.Errorf("%d sessions after anonymous browsing, want 3", n)
	}
}

func TestOrderBookKeepsRecentOrders(t *testing.T) {
	b := newOrderBook(2)
	first := b.place(order{})
	b.place(order{})
	last := b.place(order{})
	if first != "VC-000001" || last != "VC-000003" {
		t.Errorf("numbers %s..%s", first, last)
	}
	if _, ok := b.get(first); ok {
		t.Errorf("oldest order kept beyond the cap")
	}
	if o, ok := b.get(last); !ok || o.Number != last {
		t.Errorf("latest order: %+v %v", o, ok)
	}
	if b.count() != 3 {
		t.Errorf("count %d, want 3 placed", b.count())
	}
}
