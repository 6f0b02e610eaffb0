package scheduler

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// tWriter routes log output to t.Log.
type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newCheck(id string, interval, timeout time.Duration, regions ...string) *vigilv1.Check {
	c := &vigilv1.Check{Id: id, Version: "v1", Interval: durationpb.New(interval), Regions: regions}
	if timeout > 0 {
		c.Timeout = durationpb.New(timeout)
	}
	return c
}

// record is one observed run.
type record struct {
	Job
	start    time.Time
	deadline time.Time // zero when ctx had none
	end      time.Time // zero while running
	err      error     // ctx.Err() when the run returned
}

// runLog records runs and the most that ran at once, overall and per check.
type runLog struct {
	mu      sync.Mutex
	runs    []record
	cur     int
	peak    int
	curByID map[string]int
	peakID  map[string]int
}

func newRunLog() *runLog {
	return &runLog{curByID: map[string]int{}, peakID: map[string]int{}}
}

// fn returns a RunFunc that records each run and runs body (nil: return at
// once) in between.
func (l *runLog) fn(body func(ctx context.Context, j Job)) RunFunc {
	return func(ctx context.Context, j Job) {
		id := j.Check.GetId()
		l.mu.Lock()
		l.cur++
		l.peak = max(l.peak, l.cur)
		l.curByID[id]++
		l.peakID[id] = max(l.peakID[id], l.curByID[id])
		dl, _ := ctx.Deadline()
		i := len(l.runs)
		l.runs = append(l.runs, record{Job: j, start: time.Now(), deadline: dl})
		l.mu.Unlock()

		if body != nil {
			body(ctx, j)
		}

		l.mu.Lock()
		defer l.mu.Unlock()
		l.cur--
		l.curByID[id]--
		l.runs[i].end = time.Now()
		l.runs[i].err = ctx.Err()
	}
}

// of returns the runs of check id, in start order.
func (l *runLog) of(id string) []record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []record
	for _, r := range l.runs {
		if r.Check.GetId() == id {
			out = append(out, r)
		}
	}
	return out
}

func (l *runLog) all() []record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]record(nil), l.runs...)
}

func (l *runLog) peaks() (overall int, byID map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	byID = make(map[string]int, len(l.peakID))
	for k, v := range l.peakID {
		byID[k] = v
	}
	return l.peak, byID
}

// start runs s until the returned stop is called; stop checks that Run
// returned nil. Call it inside a synctest bubble.
func start(t *testing.T, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	}
}

// sleepUntil advances the bubble's clock to t and waits until every other
// goroutine of the bubble is blocked again.
func sleepUntil(t time.Time) {
	time.Sleep(time.Until(t))
	synctest.Wait()
}

// waitForever blocks until ctx ends; a run that only a cancel or its
// deadline ends.
func waitForever(ctx context.Context, _ Job) { <-ctx.Done() }
