package uplink

import (
	"container/list"
	"math"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// entry is one unacknowledged result.
type entry struct {
	id    string
	res   *vigilv1.Result
	size  int    // encoded size of res inside a ResultBatch, tag and length included
	batch uint64 // number of the batch that last carried it
	sent  bool   // carried by some batch, in this session or an earlier one
}

// pending is the ordered set of unacknowledged results. Results leave it only
// when acknowledged, when dropped to make room (oldest first), or when
// dropped as a poison pill; a new session resends what remains, in order.
//
// The results sent in the current session are always a prefix of the list:
// cursor is the first one not sent yet (nil when all are). A session after a
// rejected batch starts in probe mode: it sends the suspect batch alone and
// sends nothing else until that batch is acknowledged, so that a second
// rejection can be pinned on it.
//
// All methods are safe for concurrent use.
type pending struct {
	mu       sync.Mutex
	max      int
	list     list.List // of *entry, oldest first
	byID     map[string]*list.Element
	cursor   *list.Element
	batchSeq uint64

	probe     map[string]bool // ids of the suspect batch still unacknowledged; nil outside probe mode
	probeSent bool
}

func newPending(max int) *pending {
	p := &pending{max: max, byID: make(map[string]*list.Element)}
	p.list.Init()
	return p
}

// push appends r, whose encoded size is size. It drops and returns the oldest
// result when the set is full. ok is false, and nothing changes, when a result
// with the same id is pending already.
func (p *pending) push(r *vigilv1.Result, size int) (dropped *entry, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, dup := p.byID[r.GetId()]; dup {
		return nil, false
	}
	if p.list.Len() >= p.max {
		front := p.list.Front()
		dropped = front.Value.(*entry)
		p.remove(front)
	}
	e := p.list.PushBack(&entry{id: r.GetId(), res: r, size: batchFieldSize(size)})
	p.byID[r.GetId()] = e
	if p.cursor == nil {
		p.cursor = e
	}
	return dropped, true
}

// len is the number of unacknowledged results.
func (p *pending) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.list.Len()
}

// ack removes the acknowledged results and returns how many were pending.
// released is true when the ack completes the suspect batch of probe mode, so
// the sender may go on.
func (p *pending) ack(ids []string) (removed int, released bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	wasProbing := p.probe != nil
	for _, id := range ids {
		if e, ok := p.byID[id]; ok {
			p.remove(e)
			removed++
		}
	}
	return removed, wasProbing && p.probe == nil
}

// remove takes e out of the set, keeping the cursor and the probe in step.
// p.mu must be held.
func (p *pending) remove(e *list.Element) {
	if e == p.cursor {
		p.cursor = e.Next()
	}
	id := e.Value.(*entry).id
	delete(p.byID, id)
	if p.probe != nil {
		delete(p.probe, id)
		if len(p.probe) == 0 {
			p.probe = nil
		}
	}
	p.list.Remove(e)
}

// startSession marks every pending result unsent, so the new session resends
// them in order. When suspect names results of a batch the coordinator
// rejected, and they are still the oldest pending, the session starts in
// probe mode with them.
func (p *pending) startSession(suspect []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cursor = p.list.Front()
	p.probe, p.probeSent = nil, false
	if len(suspect) == 0 {
		return
	}
	want := make(map[string]bool, len(suspect))
	for _, id := range suspect {
		want[id] = true
	}
	for e := p.list.Front(); e != nil && want[e.Value.(*entry).id]; e = e.Next() {
		if p.probe == nil {
			p.probe = make(map[string]bool)
		}
		p.probe[e.Value.(*entry).id] = true
	}
}

// next takes the next batch to send: the oldest unsent results, at most maxN
// of them and, unless a single result is larger, at most maxBytes encoded. It
// returns nil when there is nothing to send, or in probe mode once the suspect
// batch is out. resent counts the results that an earlier batch carried too.
func (p *pending) next(maxN, maxBytes int) (batch []*vigilv1.Result, resent int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.probe != nil {
		if p.probeSent {
			return nil, 0
		}
		// The suspect batch went out whole before, under the same
		// limits, so it fits again.
		p.probeSent = true
		maxN, maxBytes = len(p.probe), math.MaxInt
	}
	if p.cursor == nil {
		return nil, 0
	}
	p.batchSeq++
	bytes := 0
	for e := p.cursor; e != nil && len(batch) < maxN; e = e.Next() {
		en := e.Value.(*entry)
		if len(batch) > 0 && bytes+en.size > maxBytes {
			break
		}
		bytes += en.size
		batch = append(batch, en.res)
		if en.sent {
			resent++
		}
		en.sent = true
		en.batch = p.batchSeq
		p.cursor = e.Next()
	}
	return batch, resent
}

// endSession closes the session's books. rejected says the coordinator ended
// it with InvalidArgument. It returns the suspect batch for the next session
// and, when the suspect batch sent alone was rejected again, the results it
// drops as a poison pill.
func (p *pending) endSession(rejected bool) (suspect []string, dropped []*entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() { p.probe, p.probeSent = nil, false }()

	// The oldest batch of this session with unacknowledged results: the
	// one the coordinator was working on.
	var inFlight []*list.Element
	if front := p.list.Front(); front != nil && front != p.cursor {
		b := front.Value.(*entry).batch
		for e := front; e != p.cursor && e.Value.(*entry).batch == b; e = e.Next() {
			inFlight = append(inFlight, e)
		}
	}
	switch {
	case rejected && p.probe != nil && p.probeSent && len(inFlight) > 0:
		// The suspect batch went alone and was rejected a second time.
		for _, e := range inFlight {
			dropped = append(dropped, e.Value.(*entry))
			p.remove(e)
		}
		return nil, dropped
	case rejected && len(inFlight) > 0:
		return ids(inFlight), nil
	case p.probe != nil:
		// The suspect batch was not judged; try it again next time.
		var left []*list.Element
		for e := p.list.Front(); e != nil && p.probe[e.Value.(*entry).id]; e = e.Next() {
			left = append(left, e)
		}
		return ids(left), nil
	}
	return nil, nil
}

func ids(es []*list.Element) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Value.(*entry).id
	}
	return out
}

// batchFieldSize is the encoded size of a result of size n as an element of
// ResultBatch.results: tag, length and body.
func batchFieldSize(n int) int {
	return protowire.SizeTag(1) + protowire.SizeBytes(n)
}
