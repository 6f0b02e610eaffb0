package shop

import (
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// maxFormBytes caps the checkout form body; the real form is under 200 bytes.
const maxFormBytes = 16 << 10

// shippingOption is one choice of the #shipping select.
type shippingOption struct {
	Value string
	Label string
	Price int // cents
}

// PriceText formats the price for display.
func (o shippingOption) PriceText() string { return money(o.Price) }

var shippingOptions = []shippingOption{
	{Value: "standard", Label: "Standard (3 to 5 days, free)", Price: 0},
	{Value: "express", Label: "Express (next day, $9.00)", Price: 900},
}

func shippingByValue(v string) (shippingOption, bool) {
	for _, o := range shippingOptions {
		if o.Value == v {
			return o, true
		}
	}
	return shippingOption{}, false
}

// checkoutForm is what the buyer typed.
type checkoutForm struct {
	Email    string
	Name     string
	Shipping string
}

// validate returns the messages to show, none when the form is good. The
// browser enforces the same rules with the inputs' attributes; these are
// for clients that skip it.
func (f checkoutForm) validate() []string {
	var errs []string
	if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email || !strings.Contains(a.Address, "@") || len(f.Email) > 254 {
		errs = append(errs, "Please enter a valid email address.")
	}
	if f.Name == "" {
		errs = append(errs, "Please enter your name.")
	} else if utf8.RuneCountInString(f.Name) > 100 {
		errs = append(errs, "Please enter a name of at most 100 characters.")
	}
	if _, ok := shippingByValue(f.Shipping); !ok {
		errs = append(errs, "Please choose a shipping option.")
	}
	return errs
}

// checkoutBody is the data of the checkout page.
type checkoutBody struct {
	Cart    cartView
	Form    checkoutForm
	Errors  []string
	Options []shippingOption
}

func (s *Shop) checkoutForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "checkout", pageData{Body: checkoutBody{
		Cart:    viewCart(s.carts.items(sessionID(r))),
		Form:    checkoutForm{Shipping: shippingOptions[0].Value},
		Options: shippingOptions,
	}})
}

func (s *Shop) placeOrder(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.fault(r, FaultCheckout500); ok {
		s.renderError(w, r, http.StatusInternalServerError, "Something went wrong",
			"We could not place your order. Please try again in a few minutes.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Bad request", "The checkout form could not be read.")
		return
	}
	form := checkoutForm{
		Email:    strings.TrimSpace(r.PostForm.Get("email")),
		Name:     strings.TrimSpace(r.PostForm.Get("name")),
		Shipping: r.PostForm.Get("shipping"),
	}
	if form.Shipping == "" {
		form.Shipping = shippingOptions[0].Value
	}
	id := sessionID(r)
	body := checkoutBody{Cart: viewCart(s.carts.items(id)), Form: form, Options: shippingOptions}
	if len(body.Cart.Lines) == 0 {
		s.render(w, r, http.StatusConflict, "checkout", pageData{Body: body})
		return
	}
	if body.Errors = form.validate(); len(body.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "checkout", pageData{Body: body})
		return
	}
	// take, not the items read above: a concurrent checkout of the same
	// cart must not place it twice.
	cart := viewCart(s.carts.take(id))
	if len(cart.Lines) == 0 {
		s.render(w, r, http.StatusConflict, "checkout", pageData{Body: checkoutBody{Form: form, Options: shippingOptions}})
		return
	}
	ship, _ := shippingByValue(form.Shipping)
	num := s.orders.place(order{Lines: cart.Lines, Shipping: ship, Total: cart.Total() + ship.Price})
	s.log.Debug("order placed", "order", num, "items", cart.Count(), "region", r.Header.Get(RegionHeader))
	http.Redirect(w, r, "/order/"+num, http.StatusSeeOther)
}
