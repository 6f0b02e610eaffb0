package shop

import (
	"container/list"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
)

const (
	// sessionCookie names the cookie that holds a cart's session id.
	sessionCookie = "vigil_cart"
	// defaultMaxSessions bounds the carts kept in memory: synthetic checks
	// create a session per run, and days of them must not grow the heap.
	// 10,000 carts of at most a few lines each is a few MB.
	defaultMaxSessions = 10_000
	// maxLineQuantity caps one cart line, so counts stay small numbers.
	maxLineQuantity = 99
)

// cartStore maps session ids to carts. It keeps at most max sessions and
// evicts the least recently used one to make room. Safe for concurrent use.
type cartStore struct {
	mu       sync.Mutex
	max      int
	sessions map[string]*list.Element // of *cart
	lru      *list.List               // front: most recently used
}

// cart is one session's cart: quantity by product slug.
type cart struct {
	id    string
	items map[string]int
}

func newCartStore(max int) *cartStore {
	return &cartStore{max: max, sessions: map[string]*list.Element{}, lru: list.New()}
}

// add adds qty of sku to the cart of session id, creating a new session
// when id is unknown (new visitor, or evicted). It returns the session id in
// use, which the caller must set as the cookie when it differs from id, and
// the cart's item count.
func (s *cartStore) add(id, sku string, qty int) (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookupLocked(id)
	if c == nil {
		c = s.createLocked()
	}
	c.items[sku] = min(c.items[sku]+qty, maxLineQuantity)
	return c.id, c.count()
}

// items returns a copy of the cart of session id, nil when there is none.
func (s *cartStore) items(id string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookupLocked(id)
	if c == nil || len(c.items) == 0 {
		return nil
	}
	out := make(map[string]int, len(c.items))
	for k, v := range c.items {
		out[k] = v
	}
	return out
}

// take empties the cart of session id and returns what it held.
func (s *cartStore) take(id string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookupLocked(id)
	if c == nil || len(c.items) == 0 {
		return nil
	}
	items := c.items
	c.items = map[string]int{}
	return items
}

// len returns the number of sessions held.
func (s *cartStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *cartStore) lookupLocked(id string) *cart {
	e, ok := s.sessions[id]
	if !ok {
		return nil
	}
	s.lru.MoveToFront(e)
	return e.Value.(*cart)
}

func (s *cartStore) createLocked() *cart {
	for len(s.sessions) >= s.max {
		oldest := s.lru.Back()
		s.lru.Remove(oldest)
		delete(s.sessions, oldest.Value.(*cart).id)
	}
	c := &cart{id: newSessionID(), items: map[string]int{}}
	s.sessions[c.id] = s.lru.PushFront(c)
	return c
}

func (c *cart) count() int {
	n := 0
	for _, q := range c.items {
		n += q
	}
	return n
}

// newSessionID returns 128 random bits in hex.
func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// sessionID returns the request's session id, "" when it has none.
func sessionID(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) != 32 {
		return ""
	}
	return c.Value
}

// setSessionCookie makes the client send id from now on. The cookie lives
// as long as the browser session, like most shops' carts.
func setSessionCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// cartCount returns the item count of the request's cart.
func (s *Shop) cartCount(r *http.Request) int {
	n := 0
	for _, q := range s.carts.items(sessionID(r)) {
		n += q
	}
	return n
}
