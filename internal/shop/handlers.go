package shop

import "net/http"

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", pageData{Body: struct{ Products []product }{catalog}})
}

// productBody is the data of a product page.
type productBody struct {
	Product   product
	AddToCart bool // false under FaultMissingAddToCart
}

func (s *Shop) product(w http.ResponseWriter, r *http.Request) {
	p, ok := productBySlug(r.PathValue("slug"))
	if !ok {
		s.notFound(w, r)
		return
	}
	data := pageData{Body: productBody{Product: p, AddToCart: true}}
	if _, ok := s.fault(r, FaultMissingAddToCart); ok {
		data.Body = productBody{Product: p}
	}
	if _, ok := s.fault(r, FaultProductJSError); ok {
		data.Fault = FaultProductJSError
	}
	s.render(w, r, http.StatusOK, "product", data)
}

// cartLine is one product of a cart or order.
type cartLine struct {
	Product  product
	Quantity int
}

// TotalText formats the line's price for display.
func (l cartLine) TotalText() string { return money(l.Product.Price * l.Quantity) }

// cartView is a cart as the pages show it.
type cartView struct {
	Lines []cartLine // in catalog order
}

// Count returns the number of items.
func (c cartView) Count() int {
	n := 0
	for _, l := range c.Lines {
		n += l.Quantity
	}
	return n
}

// Total returns the price of the items, in cents.
func (c cartView) Total() int {
	t := 0
	for _, l := range c.Lines {
		t += l.Product.Price * l.Quantity
	}
	return t
}

// TotalText formats Total for display.
func (c cartView) TotalText() string { return money(c.Total()) }

// viewCart turns a cart's quantities by slug into lines in catalog order.
// Unknown slugs cannot occur (the API checks them) and are skipped.
func viewCart(items map[string]int) cartView {
	var v cartView
	for _, p := range catalog {
		if q := items[p.Slug]; q > 0 {
			v.Lines = append(v.Lines, cartLine{Product: p, Quantity: q})
		}
	}
	return v
}

func (s *Shop) cart(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "cart", pageData{Body: viewCart(s.carts.items(sessionID(r)))})
}

func (s *Shop) order(w http.ResponseWriter, r *http.Request) {
	o, ok := s.orders.get(r.PathValue("number"))
	if !ok {
		s.notFound(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "order", pageData{Body: o})
}
