package notify

import (
	"context"
	"crypto/rand"
)

type deliveryKey struct{}

// WithDeliveryID returns a context that carries id as the delivery id of
// the message sent under it. The Dispatcher sets one id per message, kept
// across its retries, so a receiver can drop the duplicates that a retry
// after a lost answer produces. The webhook sends it as X-Vigil-Delivery.
func WithDeliveryID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, deliveryKey{}, id)
}

// deliveryID returns ctx's delivery id, or a fresh one when it has none (a
// Send outside the Dispatcher is its own delivery).
func deliveryID(ctx context.Context) string {
	if id, ok := ctx.Value(deliveryKey{}).(string); ok && id != "" {
		return id
	}
	return newDeliveryID()
}

// newDeliveryID returns a random id: 26 base32 characters, 130 bits.
func newDeliveryID() string { return rand.Text() }
