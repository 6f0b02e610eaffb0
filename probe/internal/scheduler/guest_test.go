package scheduler

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// farPhase fails the test unless c's scheduled phase lies beyond d into
// each slot, so that no scheduled run falls in a test's window.
func farPhase(t *testing.T, c *vigilv1.Check, d time.Duration) {
	t.Helper()
	if p := Phase(c, ""); p < d {
		t.Fatalf("phase of %q is %s, within the test's window; pick another id", c.GetId(), p)
	}
}

// released returns a run body that returns when release delivers or the
// run's context ends.
func released(release <-chan struct{}) func(context.Context, Job) {
	return func(ctx context.Context, _ Job) {
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
}

func TestGuestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Minute
		t0 := time.Now()
		c := newCheck("checkout", interval, 7*time.Second)
		farPhase(t, c, 10*time.Second)
		log := newRunLog()
		s := New(Config{Run: log.fn(nil), Logger: testLogger(t)})
		s.Set([]*vigilv1.Check{newCheck("other", interval, 0)})

		if err := s.RunGuest(c); err != nil { // before Run: waits for it
			t.Fatal(err)
		}
		defer start(t, s)()
		synctest.Wait()
		sleepUntil(t0.Add(5 * interval)) // a guest is never scheduled

		runs := log.of("checkout")
		if len(runs) != 1 {
			t.Fatalf("guest check ran %d times in 5 intervals, want once", len(runs))
		}
		r := runs[0]
		if r.Slot != SlotOf(t0, interval) || r.Attempt != 1 || !r.RunNow || !r.Guest {
			t.Errorf("guest run: slot %d attempt %d run_now %v guest %v, want slot %d attempt 1 run_now guest",
				r.Slot, r.Attempt, r.RunNow, r.Guest, SlotOf(t0, interval))
		}
		if !r.start.Equal(t0) || !r.ScheduledAt.Equal(t0) {
			t.Errorf("guest run scheduled %s, started %s, want both at once (%s)", r.ScheduledAt, r.start, t0)
		}
		if got := r.deadline.Sub(r.start); got != 7*time.Second {
			t.Errorf("guest run deadline %s after start, want the check's timeout 7s", got)
		}
		if err := s.RunNow("checkout"); err == nil {
			t.Error("RunNow of a check run only as a guest succeeded: RunNow is for scheduled checks")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.guests) != 0 {
			t.Errorf("%d guest entries kept after the guest run, want 0", len(s.guests))
		}
	})
}

func TestRunGuestInvalid(t *testing.T) {
	s := New(Config{Run: newRunLog().fn(nil), Logger: testLogger(t)})
	for _, tt := range []struct {
		name  string
		check *vigilv1.Check
		want  string
	}{
		{"nil", nil, "run guest: nil check"},
		{"no id", newCheck("", time.Minute, 0), "run guest: no id"},
		{"no interval", newCheck("x", 0, 0), "run guest: interval 0s is not positive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.RunGuest(tt.check); err == nil || err.Error() != tt.want {
				t.Errorf("RunGuest: err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestAttemptsUniqueAcrossOwnership runs sequences of run-now and guest
// requests while the check moves in and out of the scheduled set: the
// attempts of a slot keep counting, whoever asked, and restart at 1 in a
// new slot.
func TestAttemptsUniqueAcrossOwnership(t *testing.T) {
	type run struct {
		slot    int64 // from the first slot
		attempt uint32
		guest   bool
	}
	for _, tt := range []struct {
		name string
		ops  []string // guest: RunGuest; own: Set([c]); drop: Set(nil); now: RunNow; next: into the next slot
		want []run
	}{
		{"guest then owned", []string{"guest", "own", "now"}, []run{{0, 1, true}, {0, 2, false}}},
		{"owned, dropped, guest", []string{"own", "now", "drop", "guest"}, []run{{0, 1, false}, {0, 2, true}}},
		{"back and forth", []string{"guest", "own", "now", "drop", "guest", "own", "now", "drop", "guest"},
			[]run{{0, 1, true}, {0, 2, false}, {0, 3, true}, {0, 4, false}, {0, 5, true}}},
		{"guest of an owned check is a run-now", []string{"own", "guest", "now"}, []run{{0, 1, false}, {0, 2, false}}},
		{"a new slot starts at 1", []string{"guest", "guest", "next", "guest", "own", "now"},
			[]run{{0, 1, true}, {0, 2, true}, {1, 1, true}, {1, 2, false}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const interval = time.Hour
				t0 := time.Now()
				c := newCheck("checkout", interval, time.Minute)
				farPhase(t, c, 2*time.Minute)
				log := newRunLog()
				s := New(Config{Run: log.fn(nil), Logger: testLogger(t), MaxConcurrent: 2})
				defer start(t, s)()
				for i, op := range tt.ops {
					var err error
					switch op {
					case "guest":
						err = s.RunGuest(c)
					case "own":
						s.Set([]*vigilv1.Check{c})
					case "drop":
						s.Set(nil)
					case "now":
						err = s.RunNow("checkout")
					case "next":
						time.Sleep(time.Until(t0.Add(interval)))
					default:
						t.Fatalf("unknown op %q", op)
					}
					if err != nil {
						t.Fatalf("op %d (%s): %v", i, op, err)
					}
					synctest.Wait()
				}

				s0 := SlotOf(t0, interval)
				var got []run
				seen := map[[2]int64]bool{}
				for _, r := range log.of("checkout") {
					k := [2]int64{r.Slot, int64(r.Attempt)}
					if seen[k] {
						t.Errorf("slot %d attempt %d run twice", r.Slot, r.Attempt)
					}
					seen[k] = true
					if r.RunNow {
						got = append(got, run{r.Slot - s0, r.Attempt, r.Guest})
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("run-now runs {slot attempt guest} = %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// TestSetKeepsGuestRun pins that ownership changes do not cancel a guest
// run: Set calls without the check leave it running, a Set that adds the
// check takes it over (its scheduled slot then finds it running and is
// skipped), and only removing the check once scheduled cancels, as for any
// scheduled check.
func TestSetKeepsGuestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Minute
		t0 := time.Now()
		c := newCheck("checkout", interval, 90*time.Second)
		other := newCheck("other", time.Hour, time.Minute)
		farPhase(t, other, 2*interval)
		phase := Phase(c, "")
		if phase < time.Second || phase > interval-time.Second {
			t.Fatalf("phase of %q is %s; the test needs it inside the first slot", c.GetId(), phase)
		}
		release := make(chan struct{})
		log := newRunLog()
		s := New(Config{MaxConcurrent: 4, Logger: testLogger(t), Run: log.fn(released(release))})
		s.Set([]*vigilv1.Check{other})
		defer start(t, s)()

		if err := s.RunGuest(c); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		s.Set([]*vigilv1.Check{other})
		s.Set(nil)
		synctest.Wait()
		if r := log.of("checkout"); len(r) != 1 || !r[0].end.IsZero() {
			t.Fatalf("after Set calls without the check: runs %+v, want the guest run still going", r)
		}

		s.Set([]*vigilv1.Check{c}) // the check becomes this probe's
		sleepUntil(slotTime(SlotOf(t0, interval), interval, phase).Add(time.Millisecond))
		if r := log.of("checkout"); len(r) != 1 || !r[0].end.IsZero() {
			t.Fatalf("after the check was added: runs %+v, want the guest run still going", r)
		}
		if got := s.Skipped(); got != 1 {
			t.Errorf("Skipped() = %d, want 1: the scheduled slot found the guest run in progress", got)
		}
		release <- struct{}{}
		synctest.Wait()
		if r := log.of("checkout"); len(r) != 1 || r[0].err != nil {
			t.Fatalf("guest run: %+v, want it to end on its own, not cancelled", r)
		}

		// Scheduled now: RunGuest is a run-now, and removing the check
		// cancels its run, as for any scheduled check.
		if err := s.RunGuest(c); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		s.Set(nil)
		synctest.Wait()
		runs := log.of("checkout")
		if len(runs) != 2 {
			t.Fatalf("%d runs, want 2", len(runs))
		}
		if r := runs[1]; r.Guest || r.Attempt != 2 || !errors.Is(r.err, context.Canceled) {
			t.Errorf("run after the check was scheduled: guest %v attempt %d err %v, want a run-now, attempt 2, cancelled by Set",
				r.Guest, r.Attempt, r.err)
		}
		if _, byID := log.peaks(); byID["checkout"] != 1 {
			t.Errorf("%d runs of one check at once, want 1", byID["checkout"])
		}
	})
}

// TestGuestWaitsForRemovedChecksRun: a check removed from the scheduled set
// while its run winds down, then asked for as a guest, runs only once the
// old run has returned, and continues its attempts.
func TestGuestWaitsForRemovedChecksRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		c := newCheck("checkout", time.Hour, time.Hour)
		farPhase(t, c, time.Minute)
		log := newRunLog()
		s := New(Config{MaxConcurrent: 4, Logger: testLogger(t), Run: log.fn(func(ctx context.Context, j Job) {
			if j.Guest {
				return
			}
			<-ctx.Done()
			time.Sleep(2 * time.Second) // cleaning up
		})})
		s.Set([]*vigilv1.Check{c})
		defer start(t, s)()
		if err := s.RunNow("checkout"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		s.Set(nil) // cancels the run, which takes 2 s to return
		if err := s.RunGuest(c); err != nil {
			t.Fatal(err)
		}
		sleepUntil(t0.Add(3 * time.Second))

		runs := log.of("checkout")
		if len(runs) != 2 {
			t.Fatalf("%d runs, want 2", len(runs))
		}
		if want := t0.Add(2 * time.Second); !runs[0].end.Equal(want) || !runs[1].start.Equal(want) {
			t.Errorf("old run ended %s, guest run started %s, want both at %s", runs[0].end, runs[1].start, want)
		}
		if r := runs[1]; !r.Guest || r.Attempt != 2 {
			t.Errorf("guest run: guest %v attempt %d, want guest attempt 2", r.Guest, r.Attempt)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.guests) != 0 {
			t.Errorf("%d guest entries kept once idle, want 0", len(s.guests))
		}
	})
}

func TestGuestRequestsMerge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCheck("checkout", time.Hour, time.Hour)
		release := make(chan struct{})
		log := newRunLog()
		s := New(Config{MaxConcurrent: 4, Logger: testLogger(t), Run: log.fn(released(release))})
		defer start(t, s)()

		if err := s.RunGuest(c); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for range 3 { // merged into one pending request
			if err := s.RunGuest(c); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if n := len(log.of("checkout")); n != 1 || s.Running() != 1 {
			t.Fatalf("while the first guest run is going: %d runs, Running() = %d, want 1 and 1", n, s.Running())
		}
		release <- struct{}{}
		synctest.Wait()
		runs := log.of("checkout")
		if len(runs) != 2 || runs[1].Attempt != 2 || !runs[1].Guest {
			t.Fatalf("after the first run: %d runs, want 2, the second a guest run with attempt 2", len(runs))
		}
		if !runs[1].start.Equal(runs[0].end) {
			t.Errorf("merged request started at %s, want right after the first ended at %s", runs[1].start, runs[0].end)
		}
		release <- struct{}{}
		synctest.Wait()
		if n := len(log.of("checkout")); n != 2 {
			t.Errorf("%d runs, want 2: pending requests merge into one", n)
		}
		if _, byID := log.peaks(); byID["checkout"] != 1 {
			t.Errorf("%d runs of one check at once, want 1", byID["checkout"])
		}
	})
}

// TestGuestMaxConcurrent: guest runs share MaxConcurrent with the
// scheduled checks' runs.
func TestGuestMaxConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var owned, guests []*vigilv1.Check
		for _, id := range []string{"a", "b"} {
			c := newCheck(id, time.Hour, time.Minute)
			farPhase(t, c, time.Minute)
			owned = append(owned, c)
		}
		for _, id := range []string{"g1", "g2", "g3"} {
			guests = append(guests, newCheck(id, time.Hour, time.Minute))
		}
		release := make(chan struct{})
		log := newRunLog()
		s := New(Config{MaxConcurrent: 2, Logger: testLogger(t), Run: log.fn(released(release))})
		s.Set(owned)
		defer start(t, s)()
		for _, c := range append(owned, guests...) {
			if err := s.RunGuest(c); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		const total = 5
		for done := 0; done < total; done++ {
			if want := min(2, total-done); s.Running() != want {
				t.Fatalf("after %d runs ended: Running() = %d, want %d", done, s.Running(), want)
			}
			release <- struct{}{}
			synctest.Wait()
		}
		guestRuns := 0
		for _, r := range log.all() {
			if r.Guest {
				guestRuns++
			}
		}
		if got := len(log.all()); got != total || guestRuns != 3 {
			t.Errorf("%d runs (%d guest), want %d (3 guest)", got, guestRuns, total)
		}
		if overall, _ := log.peaks(); overall != 2 {
			t.Errorf("at most %d runs at once, want 2", overall)
		}
	})
}

// TestWaitingGuestRequestMovesToScheduledCheck: a guest request waiting for
// a concurrency slot when its check is added runs once, as the check's
// run-now.
func TestWaitingGuestRequestMovesToScheduledCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		blocker := newCheck("blocker", time.Hour, time.Hour)
		c := newCheck("checkout", time.Hour, time.Hour)
		farPhase(t, blocker, time.Minute)
		farPhase(t, c, time.Minute)
		release := make(chan struct{})
		log := newRunLog()
		s := New(Config{Logger: testLogger(t), Run: log.fn(func(ctx context.Context, j Job) {
			if j.Check.GetId() == "blocker" {
				released(release)(ctx, j)
			}
		})})
		s.Set([]*vigilv1.Check{blocker})
		defer start(t, s)()
		if err := s.RunNow("blocker"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := s.RunGuest(c); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		s.Set([]*vigilv1.Check{blocker, c})
		synctest.Wait()
		if n := len(log.of("checkout")); n != 0 {
			t.Fatalf("checkout ran %d times while the blocker held the only slot", n)
		}
		close(release)
		synctest.Wait()
		runs := log.of("checkout")
		if len(runs) != 1 || runs[0].Attempt != 1 || !runs[0].Guest {
			t.Fatalf("checkout runs %+v, want one guest run, attempt 1", runs)
		}
	})
}

// TestChangedCheckKeepsWaitingRunNow: a run-now request waiting for a
// concurrency slot when its check changes runs the new version.
func TestChangedCheckKeepsWaitingRunNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		blocker := newCheck("blocker", time.Hour, time.Hour)
		v1 := newCheck("checkout", time.Hour, time.Hour)
		v2 := newCheck("checkout", time.Hour, time.Hour)
		v2.Version = "v2"
		farPhase(t, blocker, time.Minute)
		farPhase(t, v1, time.Minute)
		release := make(chan struct{})
		log := newRunLog()
		s := New(Config{Logger: testLogger(t), Run: log.fn(func(ctx context.Context, j Job) {
			if j.Check.GetId() == "blocker" {
				released(release)(ctx, j)
			}
		})})
		s.Set([]*vigilv1.Check{blocker, v1})
		defer start(t, s)()
		for _, id := range []string{"blocker", "checkout"} {
			if err := s.RunNow(id); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		s.Set([]*vigilv1.Check{blocker, v2})
		close(release)
		synctest.Wait()
		runs := log.of("checkout")
		if len(runs) != 1 || runs[0].Check.GetVersion() != "v2" || !runs[0].RunNow {
			t.Fatalf("checkout runs %+v, want one run-now of v2", runs)
		}
	})
}

// TestGuestMemoryBound: guest entries go once idle; attempt counters go
// once their slot has passed.
func TestGuestMemoryBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Minute
		t0 := time.Now()
		log := newRunLog()
		s := New(Config{MaxConcurrent: 4, Logger: testLogger(t), Run: log.fn(nil)})
		defer start(t, s)()
		for i := range 20 {
			if err := s.RunGuest(newCheck(fmt.Sprintf("c%02d", i), interval, 0)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		sizes := func() (guests, attempts int) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return len(s.guests), len(s.attempts)
		}
		if g, a := sizes(); len(log.all()) != 20 || g != 0 || a != 20 {
			t.Fatalf("after 20 guest runs: %d runs, %d guest entries, %d attempt counters; want 20, 0, 20", len(log.all()), g, a)
		}
		sleepUntil(t0.Add(interval))
		if err := s.RunGuest(newCheck("c00", interval, 0)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if g, a := sizes(); g != 0 || a != 1 {
			t.Errorf("a slot later: %d guest entries, %d attempt counters; want 0 and 1", g, a)
		}
	})
}
