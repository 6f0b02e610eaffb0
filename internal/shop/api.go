package shop

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxAPIBytes caps the body of an API call; the real ones are under 50 bytes.
const maxAPIBytes = 4 << 10

// addToCartRequest is the body of POST /api/cart.
type addToCartRequest struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity,omitempty"` // 0 means 1
}

// addToCartResponse is its answer: the cart's new item count.
type addToCartResponse struct {
	Count int `json:"count"`
}

// addToCart adds a product to the visitor's cart, starting a session (and
// setting its cookie) when there is none. app.js calls it when
// #add-to-cart is clicked.
func (s *Shop) addToCart(w http.ResponseWriter, r *http.Request) {
	var req addToCartRequest
	if err := decodeJSON(w, r, maxAPIBytes, &req); err != nil {
		writeJSONError(w, statusOf(err), err.Error())
		return
	}
	if req.Quantity == 0 {
		req.Quantity = 1
	}
	if req.Quantity < 0 || req.Quantity > maxLineQuantity {
		writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("quantity must be between 1 and %d", maxLineQuantity))
		return
	}
	if _, ok := productBySlug(req.SKU); !ok {
		writeJSONError(w, http.StatusNotFound, fmt.Sprintf("unknown sku %q", req.SKU))
		return
	}
	old := sessionID(r)
	id, count := s.carts.add(old, req.SKU, req.Quantity)
	if id != old {
		setSessionCookie(w, id)
	}
	writeJSON(w, http.StatusOK, addToCartResponse{Count: count})
}

// decodeJSON reads exactly one JSON value of at most limit bytes into v,
// rejecting unknown fields. Its errors are fit to show the client.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body, want JSON")
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("bad JSON: %w", err)
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		return errors.New("bad JSON: data after the value")
	}
	return nil
}

// statusOf maps a decodeJSON error to its HTTP status.
func statusOf(err error) int {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
