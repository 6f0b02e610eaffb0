package gossip

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// State is a member's state in the local view.
type State string

const (
	StateAlive State = "alive"
	// StateSuspect is declared for callers that treat it as "not dead
	// yet", but memberlist v0.7.0 gives no way to observe suspicion
	// (no delegate is told, and the State of the nodes it hands out is
	// never set), so Members never reports it: a suspect member stays
	// alive here until it is declared dead.
	StateSuspect State = "suspect"
	StateDead    State = "dead"
	// StateLeft is a member that left gracefully (Leave), as opposed to
	// one that stopped answering.
	StateLeft State = "left"
)

// Member is one member as the local node sees it.
type Member struct {
	Name string
	// Addr is host:port, the gossip address.
	Addr string
	// Meta is the member's last advertised metadata (zero when it could
	// not be decoded).
	Meta  Meta
	State State
	// Since is when the local node saw the member enter State.
	Since time.Time
}

// record is a member plus what the table needs to classify it.
type record struct {
	Member
	// leaving is set when the member announced a graceful leave (see
	// Gossip.Leave); its next departure is then "left", not "dead".
	leaving bool
	// deaths counts transitions to dead, for tests.
	deaths int
}

// table is the local membership view, kept from memberlist's events
// because memberlist forgets dead members (after GossipToTheDeadTime) and
// does not expose member states. It is safe for concurrent use; its
// methods never block (they run on memberlist's goroutines).
type table struct {
	self string

	mu      sync.Mutex
	members map[string]*record
	subs    map[int]chan struct{}
	nextSub int
	closed  bool
}

func newTable(self string) *table {
	return &table{self: self, members: map[string]*record{}, subs: map[int]chan struct{}{}}
}

// alive records that name is alive at addr (a join or a metadata update).
// meta is ignored when metaOK is false. It returns whether the state
// changed.
func (t *table) alive(now time.Time, name, addr string, meta Meta, metaOK bool) (changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.recordLocked(name)
	changed = !ok || r.State != StateAlive || r.Addr != addr
	if changed {
		// A new life: forget an announced leave of the previous one.
		r.State, r.Since, r.leaving = StateAlive, now, false
	}
	r.Addr = addr
	if metaOK {
		r.Meta = meta
	}
	t.signalLocked()
	return changed
}

// recordLocked returns name's record, creating it when new; ok says it
// existed. t.mu must be held.
func (t *table) recordLocked(name string) (r *record, ok bool) {
	if r, ok = t.members[name]; !ok {
		r = &record{Member: Member{Name: name}}
		t.members[name] = r
	}
	return r, ok
}

// gone records that name stopped being alive; left says the departure was
// graceful (it is us leaving, or the member announced it). It returns the
// new state.
func (t *table) gone(now time.Time, name, addr string, left bool) State {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, _ := t.recordLocked(name)
	st := StateDead
	if left || r.leaving {
		st = StateLeft
	}
	if st == StateDead {
		r.deaths++
	}
	r.State, r.Since, r.Addr, r.leaving = st, now, addr, false
	t.signalLocked()
	return st
}

// markLeaving records a member's announcement, from addr, that it is
// leaving: its coming departure is "left"; if we already saw it die, that
// is corrected to "left". It returns whether anything changed.
func (t *table) markLeaving(name, addr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.members[name]
	if !ok || r.Addr != addr {
		return false
	}
	switch r.State {
	case StateAlive, StateSuspect:
		r.leaving = true
		return true
	case StateDead:
		r.State = StateLeft
		t.signalLocked()
		return true
	}
	return false
}

// markLeft corrects a member we saw die into one that left, when a peer
// says it left from the same address. Nothing else is changed.
func (t *table) markLeft(name, addr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.members[name]
	if !ok || r.State != StateDead || r.Addr != addr {
		return false
	}
	r.State = StateLeft
	t.signalLocked()
	return true
}

// prune forgets members dead or left for longer than ttl.
func (t *table) prune(now time.Time, ttl time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, r := range t.members {
		if name != t.self && r.State != StateAlive && now.Sub(r.Since) > ttl {
			delete(t.members, name)
		}
	}
}

// snapshot returns every member, sorted by name. keep filters (nil: all).
func (t *table) snapshot(keep func(*Member) bool) []Member {
	t.mu.Lock()
	out := make([]Member, 0, len(t.members))
	for _, r := range t.members {
		if keep == nil || keep(&r.Member) {
			out = append(out, r.Member)
		}
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// deaths returns how many times name was seen to die.
func (t *table) deaths(name string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r, ok := t.members[name]; ok {
		return r.deaths
	}
	return 0
}

// subscribe returns a channel that receives a value after every change
// (coalesced: at most one pending) and is closed by the returned func or
// when the table is closed.
func (t *table) subscribe() (<-chan struct{}, func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := make(chan struct{}, 1)
	if t.closed {
		close(ch)
		return ch, func() {}
	}
	id := t.nextSub
	t.nextSub++
	t.subs[id] = ch
	return ch, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if c, ok := t.subs[id]; ok {
			delete(t.subs, id)
			close(c)
		}
	}
}

// close closes every subscription; later subscriptions start closed.
func (t *table) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for id, c := range t.subs {
		delete(t.subs, id)
		close(c)
	}
}

func (t *table) signalLocked() {
	for _, c := range t.subs {
		select {
		case c <- struct{}{}:
		default: // a notification is already pending
		}
	}
}
