// Package shop is Vigil's demo storefront: a small coffee shop with a
// product grid, product pages, a cart, a checkout form and order
// confirmations, plus fault injection (outages, slowness, broken deploys,
// a hung third-party script) that synthetic checks are meant to catch.
//
// The HTML is a contract with the browser checks of the demo and the tests
// (selectors such as a.product, #add-to-cart, #cart-count, #checkout, #email,
// #name, #shipping, #place-order, #order-number); change it only together
// with them.
package shop

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
)

// RegionHeader carries the region a request came through. The region proxy
// sets it; faults scoped to a region match on it.
const RegionHeader = "X-Vigil-Region"

// Options configures a Shop.
type Options struct {
	Logger     *slog.Logger // nil: discard; the caller tags it (component=shop)
	Faults     []Fault      // in effect from the start; see SetFaults
	AdminToken string       // when set, /admin/* needs "Authorization: Bearer <token>"
}

// Shop is the storefront, an http.Handler. Its methods are safe for
// concurrent use. Carts and orders live in memory, bounded.
type Shop struct {
	log        *slog.Logger
	adminToken string
	faults     atomic.Pointer[[]Fault]
	carts      *cartStore
	orders     *orderBook
	views      views
	assets     assets
	mux        *http.ServeMux
}

var _ http.Handler = (*Shop)(nil)

// New returns a shop ready to serve. It generates the product images on the
// first call in a process (a few hundred milliseconds), so that page loads
// and LCP measure real bytes.
func New(opts Options) *Shop {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Shop{
		log:        log,
		adminToken: opts.AdminToken,
		carts:      newCartStore(defaultMaxSessions),
		orders:     newOrderBook(maxKeptOrders),
		views:      parseViews(),
		assets:     loadAssets(),
	}
	s.faults.Store(&[]Fault{})
	if len(opts.Faults) > 0 {
		s.setFaults(opts.Faults, "options")
	}
	s.mux = s.routes()
	return s
}

func (s *Shop) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /product/{slug}", s.product)
	mux.HandleFunc("GET /cart", s.cart)
	mux.HandleFunc("GET /checkout", s.checkoutForm)
	mux.HandleFunc("POST /checkout", s.placeOrder)
	mux.HandleFunc("GET /order/{number}", s.order)
	mux.HandleFunc("POST /api/cart", s.addToCart)
	mux.HandleFunc("GET /static/", s.static)
	mux.HandleFunc("GET /favicon.ico", s.static)
	mux.HandleFunc("GET /thirdparty/widget.js", s.widget)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("/admin/faults", s.adminFaults)
	mux.HandleFunc("/", s.notFound)
	return mux
}

// ServeHTTP serves the shop, with the faults that apply to r.
func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !neverFaulted(r.URL.Path) && !s.injectBefore(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// neverFaulted reports whether path is exempt from faults: the demo's own
// health check and the admin API must work while the shop is "down".
func neverFaulted(path string) bool {
	return path == "/healthz" || strings.HasPrefix(path, "/admin/")
}

// Orders returns the number of orders placed so far.
func (s *Shop) Orders() int { return s.orders.count() }

func (s *Shop) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok"))
}
