package ingest

import (
	"errors"
	"sync"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Reasons a subscription ends.
var (
	// ErrTooSlow ends a subscription whose buffer overflowed.
	ErrTooSlow = errors.New("watcher too slow")
	// ErrShutdown ends every subscription when the broadcaster closes.
	ErrShutdown = errors.New("coordinator shutting down")
)

// Broadcaster fans newly stored results out to subscribers. Publish never
// blocks: a subscriber whose buffer is full is dropped with ErrTooSlow. It is
// safe for concurrent use.
type Broadcaster struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

// NewBroadcaster returns an open broadcaster.
func NewBroadcaster() *Broadcaster {
	return &Broadcaster{subs: make(map[*Subscription]struct{})}
}

// Subscription receives the results that match its filter. Results are
// shared and must not be modified.
type Subscription struct {
	checkID, region string
	c               chan *vigilv1.Result
	done            chan struct{}
	err             error // set before done is closed
}

// C delivers results in commit order.
func (s *Subscription) C() <-chan *vigilv1.Result { return s.c }

// Done is closed when the subscription ends; Err then says why.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err is ErrTooSlow or ErrShutdown once Done is closed, else nil.
func (s *Subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Subscribe starts a subscription for results of checkID and region (empty
// matches all) with a buffer of buf results. On a closed broadcaster the
// subscription is already done with ErrShutdown. Call Unsubscribe when done.
func (b *Broadcaster) Subscribe(checkID, region string, buf int) *Subscription {
	s := &Subscription{checkID: checkID, region: region,
		c: make(chan *vigilv1.Result, buf), done: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.end(ErrShutdown)
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// Unsubscribe removes s; it is safe to call more than once.
func (b *Broadcaster) Unsubscribe(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, s)
}

// Publish offers results to every matching subscriber without blocking.
func (b *Broadcaster) Publish(results []*vigilv1.Result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		for _, r := range results {
			if (s.checkID != "" && r.GetCheckId() != s.checkID) || (s.region != "" && r.GetRegion() != s.region) {
				continue
			}
			select {
			case s.c <- r:
			default:
				delete(b.subs, s)
				s.end(ErrTooSlow)
			}
			if s.err != nil {
				break
			}
		}
	}
}

// Close ends every subscription with ErrShutdown; later subscriptions start
// ended. It is idempotent.
func (b *Broadcaster) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		s.end(ErrShutdown)
	}
}

// end is called with b.mu held, once per subscription.
func (s *Subscription) end(err error) {
	s.err = err
	close(s.done)
}
