package shop

import (
	"fmt"
	"sync"
)

// maxKeptOrders bounds the orders kept for their confirmation pages; older
// ones are forgotten (their pages 404), for the same reason as the session
// cap: days of synthetic checkouts must not grow the heap.
const maxKeptOrders = 10_000

// order is a placed order, as its confirmation page shows it.
type order struct {
	Number   string
	Lines    []cartLine
	Shipping shippingOption
	Total    int // cents, shipping included
}

// TotalText formats the total for display.
func (o order) TotalText() string { return money(o.Total) }

// orderBook numbers orders and keeps the most recent ones. Safe for
// concurrent use.
type orderBook struct {
	mu     sync.Mutex
	placed int               // orders placed so far
	byNum  map[string]*order // the kept ones
	ring   []string          // numbers of the kept ones, oldest at ring[next] once full
	next   int
	max    int
}

func newOrderBook(max int) *orderBook {
	return &orderBook{byNum: map[string]*order{}, max: max}
}

// place numbers o, keeps it, and returns its number.
func (b *orderBook) place(o order) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.placed++
	o.Number = fmt.Sprintf("VC-%06d", b.placed)
	if len(b.ring) < b.max {
		b.ring = append(b.ring, o.Number)
	} else {
		delete(b.byNum, b.ring[b.next])
		b.ring[b.next] = o.Number
		b.next = (b.next + 1) % b.max
	}
	b.byNum[o.Number] = &o
	return o.Number
}

// get returns the kept order numbered num.
func (b *orderBook) get(num string) (order, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.byNum[num]
	if !ok {
		return order{}, false
	}
	return *o, true
}

// count returns the number of orders placed so far.
func (b *orderBook) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.placed
}
