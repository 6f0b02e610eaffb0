package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	"github.com/vigilhq/vigil/coordinator/internal/store"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// ErrClosed is returned for batches submitted after Close.
var ErrClosed = errors.New("ingest closed")

// Writer is the store the ingester commits to; *store.Store implements it.
type Writer interface {
	// Insert durably stores recs in one transaction and reports which were new.
	Insert(ctx context.Context, recs []store.Record) ([]bool, error)
}

var _ Writer = (*store.Store)(nil)

// Group-commit sizing. A transaction costs one fsync whatever its size, so
// merging batches is what makes ingest fast; maxCommit bounds how long one
// transaction holds the writer (and how late the first batch's ack is).
const (
	maxCommit = 2000 // results per transaction, soft: a batch is never split
	queueLen  = 64   // submitted batches waiting for the writer
)

// Publisher receives each commit's newly stored results, in commit order,
// on the writer goroutine and before the batches' waiters are released. It
// must not block for long and must not modify the results, which are shared;
// *Broadcaster implements it.
type Publisher interface {
	Publish(results []*vigilv1.Result)
}

var _ Publisher = (*Broadcaster)(nil)

// Ingester owns the writer goroutine. It is safe for concurrent use.
type Ingester struct {
	w     Writer
	pub   Publisher
	log   *slog.Logger
	queue chan *Ticket

	stopping chan struct{} // closed by Close: no new batches
	finished chan struct{} // closed when the writer goroutine has exited
	stopOnce sync.Once

	inserted, duplicates, commits atomic.Uint64
}

// New starts the writer goroutine; Close stops it. pub may be nil.
func New(w Writer, pub Publisher, log *slog.Logger) *Ingester {
	in := &Ingester{
		w: w, pub: pub, log: log,
		queue:    make(chan *Ticket, queueLen),
		stopping: make(chan struct{}),
		finished: make(chan struct{}),
	}
	go in.run()
	return in
}

// Outcome is what happened to a committed batch.
type Outcome struct {
	Inserted   int // newly stored
	Duplicates int // already stored (redelivered), or repeated in the batch
}

// Ticket is one submitted batch. Wait for it to learn its outcome.
type Ticket struct {
	recs    []store.Record
	done    chan struct{} // closed once the batch is committed or failed
	outcome Outcome
	err     error
}

// Enqueue hands results to the writer and returns at once, unless the queue
// is full, in which case it blocks until there is room, ctx is done or the
// ingester closes. The ingester takes ownership of results: it removes their
// screenshots (stored separately) and the caller must not modify them again.
// Results must have passed ValidateBatch.
func (in *Ingester) Enqueue(ctx context.Context, results []*vigilv1.Result) (*Ticket, error) {
	t := &Ticket{recs: make([]store.Record, len(results)), done: make(chan struct{})}
	// Marshal here, on the caller's goroutine, so streams encode in parallel
	// and the single writer only runs SQL.
	for i, r := range results {
		shot := r.Screenshot
		r.Screenshot = nil
		b, err := proto.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode result %q: %w", r.GetId(), err)
		}
		t.recs[i] = store.Record{Result: r, Payload: b, Screenshot: shot}
	}
	select {
	case <-in.stopping:
		return nil, ErrClosed
	default:
	}
	select {
	case in.queue <- t:
		return t, nil
	case <-in.stopping:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Wait blocks until the batch is committed (nil error: every result of it is
// durably stored, new or not), the commit failed, ctx is done or the ingester
// closed without committing it.
func (in *Ingester) Wait(ctx context.Context, t *Ticket) (Outcome, error) {
	select {
	case <-t.done:
		return t.outcome, t.err
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	case <-in.finished:
		select {
		case <-t.done:
			return t.outcome, t.err
		default:
			return Outcome{}, ErrClosed
		}
	}
}

// Submit is Enqueue then Wait.
func (in *Ingester) Submit(ctx context.Context, results []*vigilv1.Result) (Outcome, error) {
	t, err := in.Enqueue(ctx, results)
	if err != nil {
		return Outcome{}, err
	}
	return in.Wait(ctx, t)
}

// Close stops accepting batches, commits those already queued, and waits for
// the writer goroutine to exit. It is idempotent.
func (in *Ingester) Close() {
	in.stopOnce.Do(func() { close(in.stopping) })
	<-in.finished
}

// Stats are counters since New.
type Stats struct {
	Inserted, Duplicates, Commits uint64
}

// Stats returns the counters.
func (in *Ingester) Stats() Stats {
	return Stats{in.inserted.Load(), in.duplicates.Load(), in.commits.Load()}
}

// run is the writer loop: it takes the first waiting batch, merges every
// batch already queued behind it up to maxCommit results, and commits them
// in one transaction.
func (in *Ingester) run() {
	defer close(in.finished)
	for {
		select {
		case t := <-in.queue:
			in.commit(in.gather(t))
		case <-in.stopping:
			// Flush: commit what was queued before Close.
			for {
				select {
				case t := <-in.queue:
					in.commit(in.gather(t))
				default:
					return
				}
			}
		}
	}
}

func (in *Ingester) gather(first *Ticket) []*Ticket {
	group := []*Ticket{first}
	n := len(first.recs)
	for n < maxCommit {
		select {
		case t := <-in.queue:
			group = append(group, t)
			n += len(t.recs)
		default:
			return group
		}
	}
	return group
}

func (in *Ingester) commit(group []*Ticket) {
	var recs []store.Record
	if len(group) == 1 {
		recs = group[0].recs
	} else {
		for _, t := range group {
			recs = append(recs, t.recs...)
		}
	}
	// The commit is not cancellable: a batch either lands whole or fails.
	inserted, err := in.w.Insert(context.Background(), recs)
	if err != nil {
		in.log.Error("store results", "results", len(recs), "batches", len(group), "err", err)
		for _, t := range group {
			t.err = err
			close(t.done)
		}
		return
	}
	in.commits.Add(1)
	var fresh []*vigilv1.Result
	i := 0
	for _, t := range group {
		for _, rec := range t.recs {
			if inserted[i] {
				t.outcome.Inserted++
				fresh = append(fresh, rec.Result)
			} else {
				t.outcome.Duplicates++
			}
			i++
		}
		in.inserted.Add(uint64(t.outcome.Inserted))
		in.duplicates.Add(uint64(t.outcome.Duplicates))
	}
	// Publish before releasing the waiters, so a watcher has a result queued
	// by the time its probe hears the ack.
	if in.pub != nil && len(fresh) > 0 {
		in.pub.Publish(fresh)
	}
	for _, t := range group {
		close(t.done)
	}
}
