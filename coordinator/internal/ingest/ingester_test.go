package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/store"
	"github.com/vigilhq/vigil/internal/testlog"
	"github.com/vigilhq/vigil/internal/testwait"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// gateWriter is a Writer whose first Insert waits for release, so tests can
// queue batches behind it and see them merged.
type gateWriter struct {
	release chan struct{}
	entered chan struct{}
	once    sync.Once

	mu    sync.Mutex
	seen  map[string]bool
	calls [][]store.Record
	fail  error
}

func newGateWriter() *gateWriter {
	return &gateWriter{release: make(chan struct{}), entered: make(chan struct{}), seen: map[string]bool{}}
}

func (g *gateWriter) Insert(ctx context.Context, recs []store.Record) ([]bool, error) {
	g.once.Do(func() { close(g.entered); <-g.release })
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, recs)
	if g.fail != nil {
		return nil, g.fail
	}
	out := make([]bool, len(recs))
	for i, r := range recs {
		out[i] = !g.seen[r.Result.GetId()]
		g.seen[r.Result.GetId()] = true
	}
	return out, nil
}

func (g *gateWriter) numCalls() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.calls)
}

func results(prefix string, n int) []*vigilv1.Result {
	rs := make([]*vigilv1.Result, n)
	for i := range rs {
		rs[i] = goodResult()
		rs[i].Id = fmt.Sprintf("%s-%d", prefix, i)
		rs[i].Screenshot = []byte("shot")
	}
	return rs
}

func TestGroupCommitMergesQueuedBatches(t *testing.T) {
	g := newGateWriter()
	pub := NewBroadcaster()
	sub := pub.Subscribe("", "", 100)
	in := New(g, pub, testlog.New(t))
	defer in.Close()

	first, err := in.Enqueue(t.Context(), results("a", 1))
	if err != nil {
		t.Fatal(err)
	}
	<-g.entered // the writer is inside the first commit; the rest queue up
	var tickets []*Ticket
	for i := range 3 {
		tk, err := in.Enqueue(t.Context(), results(fmt.Sprint("b", i), 2))
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, tk)
	}
	dup, err := in.Enqueue(t.Context(), results("a", 1))
	if err != nil {
		t.Fatal(err)
	}
	close(g.release)
	if _, err := in.Wait(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	for _, tk := range tickets {
		out, err := in.Wait(t.Context(), tk)
		if err != nil || out.Inserted != 2 {
			t.Fatalf("Wait = %+v, %v; want 2 inserted", out, err)
		}
	}
	if out, err := in.Wait(t.Context(), dup); err != nil || out.Duplicates != 1 || out.Inserted != 0 {
		t.Fatalf("duplicate Wait = %+v, %v; want 1 duplicate", out, err)
	}
	if n := g.numCalls(); n != 2 {
		t.Fatalf("Insert called %d times, want 2 (one alone, then four merged)", n)
	}
	for _, rec := range g.calls[1] {
		if rec.Result.Screenshot != nil || string(rec.Screenshot) != "shot" {
			t.Fatal("screenshot not moved out of the result")
		}
	}
	if got := len(sub.C()); got != 7 {
		t.Fatalf("published %d results, want 7 (duplicates are not published)", got)
	}
	if s := in.Stats(); s.Inserted != 7 || s.Duplicates != 1 || s.Commits != 2 {
		t.Fatalf("Stats = %+v", s)
	}
}

func TestCommitErrorReachesEveryBatch(t *testing.T) {
	g := newGateWriter()
	g.fail = errors.New("disk full")
	close(g.release)
	in := New(g, nil, testlog.New(t))
	defer in.Close()
	_, err := in.Submit(t.Context(), results("a", 3))
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("Submit err = %v, want disk full", err)
	}
}

func TestCloseFlushesQueuedBatches(t *testing.T) {
	g := newGateWriter()
	in := New(g, nil, testlog.New(t))
	first, _ := in.Enqueue(t.Context(), results("a", 1))
	<-g.entered
	second, err := in.Enqueue(t.Context(), results("b", 1))
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { in.Close(); close(closed) }()
	testwait.Until(t, 5*time.Second, func() bool {
		_, err := in.Enqueue(t.Context(), results("c", 1))
		return errors.Is(err, ErrClosed)
	}, "Enqueue after Close never returned ErrClosed")
	close(g.release)
	<-closed
	for _, tk := range []*Ticket{first, second} {
		if _, err := in.Wait(t.Context(), tk); err != nil {
			t.Fatalf("queued batch not flushed: %v", err)
		}
	}
	in.Close() // idempotent
}

func TestWaitHonoursContext(t *testing.T) {
	g := newGateWriter()
	in := New(g, nil, testlog.New(t))
	defer func() { close(g.release); in.Close() }()
	ctx, cancel := context.WithCancel(t.Context())
	tk, err := in.Enqueue(ctx, results("a", 1))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := in.Wait(ctx, tk); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait err = %v, want context.Canceled", err)
	}
}

func TestIngestIntoStore(t *testing.T) {
	s, err := store.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := New(s, nil, testlog.New(t))
	defer in.Close()
	out, err := in.Submit(t.Context(), results("a", 10))
	if err != nil || out.Inserted != 10 {
		t.Fatalf("Submit = %+v, %v", out, err)
	}
	out, err = in.Submit(t.Context(), results("a", 10))
	if err != nil || out.Duplicates != 10 {
		t.Fatalf("resubmit = %+v, %v", out, err)
	}
}
