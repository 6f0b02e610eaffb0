package scheduler

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Inside a synctest bubble the clock starts at 2000-01-01T00:00:00Z, which
// is a slot boundary for every interval used here.

func TestScheduledRunsAtStaggeredPhases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Minute
		t0 := time.Now()
		c := newCheck("checkout", interval, 10*time.Second, "us-east", "eu-west", "ap-south")
		logs := map[string]*runLog{}
		for _, region := range c.GetRegions() {
			logs[region] = newRunLog()
			s := New(Config{Region: region, Run: logs[region].fn(nil), Logger: testLogger(t)})
			s.Set([]*vigilv1.Check{c})
			defer start(t, s)()
		}
		sleepUntil(t0.Add(3*interval - time.Millisecond))

		s0 := SlotOf(t0, interval)
		base := Phase(c, "us-east")
		for i, region := range c.GetRegions() {
			runs := logs[region].of("checkout")
			if len(runs) != 3 {
				t.Fatalf("%s ran %d times in 3 intervals, want 3", region, len(runs))
			}
			wantPhase := (base + time.Duration(i)*interval/3) % interval
			for k, r := range runs {
				slot := s0 + int64(k)
				if r.Slot != slot || r.Attempt != 0 || r.RunNow {
					t.Errorf("%s run %d: slot %d attempt %d run_now %v, want slot %d attempt 0 scheduled", region, k, r.Slot, r.Attempt, r.RunNow, slot)
				}
				want := time.Unix(0, slot*int64(interval)).Add(wantPhase)
				if !r.ScheduledAt.Equal(want) || !r.start.Equal(want) {
					t.Errorf("%s run %d: scheduled %s, started %s, want both %s", region, k, r.ScheduledAt, r.start, want)
				}
				if SlotOf(r.ScheduledAt, interval) != r.Slot {
					t.Errorf("%s run %d: slot %d is not floor(scheduled_at / interval) = %d", region, k, r.Slot, SlotOf(r.ScheduledAt, interval))
				}
			}
		}
	})
}

func TestDeadlineIsTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := newRunLog()
		s := New(Config{Run: log.fn(nil), Logger: testLogger(t), MaxConcurrent: 2})
		s.Set([]*vigilv1.Check{
			newCheck("with-timeout", time.Minute, 7*time.Second),
			newCheck("no-timeout", 30*time.Second, 0),
		})
		defer start(t, s)()
		sleepUntil(time.Now().Add(time.Minute))

		for id, want := range map[string]time.Duration{"with-timeout": 7 * time.Second, "no-timeout": 30 * time.Second} {
			runs := log.of(id)
			if len(runs) == 0 {
				t.Fatalf("%s never ran", id)
			}
			for _, r := range runs {
				if got := r.deadline.Sub(r.start); got != want {
					t.Errorf("%s: deadline %s after start, want %s", id, got, want)
				}
			}
		}
	})
}

func TestNoOverlapSkipsSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 10 * time.Second
		t0 := time.Now()
		c := newCheck("slow", interval, 30*time.Second)
		log := newRunLog()
		// Each run takes 25 s: slots k+1 and k+2 find it still running.
		s := New(Config{Run: log.fn(func(context.Context, Job) { time.Sleep(25 * time.Second) }), Logger: testLogger(t), MaxConcurrent: 4})
		s.Set([]*vigilv1.Check{c})
		defer start(t, s)()

		s0 := SlotOf(t0, interval)
		sleepUntil(slotTime(s0+5, interval, Phase(c, "")).Add(time.Millisecond))

		runs := log.of("slow")
		if len(runs) != 2 || runs[0].Slot != s0 || runs[1].Slot != s0+3 {
			t.Fatalf("runs = %v, want slots %d and %d", slots(runs), s0, s0+3)
		}
		if got := s.Skipped(); got != 4 {
			t.Errorf("Skipped() = %d, want 4 (slots k+1, k+2, k+4, k+5)", got)
		}
		if _, byID := log.peaks(); byID["slow"] != 1 {
			t.Errorf("%d runs of one check at once, want 1", byID["slow"])
		}
	})
}

func slots(runs []record) []int64 {
	var out []int64
	for _, r := range runs {
		out = append(out, r.Slot)
	}
	return out
}

func TestWaitingPastNextSlotIsSkipped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 10 * time.Second
		t0 := time.Now()
		// "blocker" holds the only concurrency slot (a run-now that waits
		// for release); its scheduled phase in the hour is far away.
		blocker := newCheck("blocker", time.Hour, time.Hour)
		fast := newCheck("fast", interval, interval)
		if p := Phase(blocker, ""); p < time.Minute {
			t.Fatalf("blocker's phase %s falls in the test's window; pick another id", p)
		}
		release := make(chan struct{})
		log := newRunLog()
		s := New(Config{Logger: testLogger(t), Run: log.fn(func(ctx context.Context, j Job) {
			if j.Check.GetId() == "blocker" {
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
		})})
		s.Set([]*vigilv1.Check{blocker, fast})
		if err := s.RunNow("blocker"); err != nil {
			t.Fatal(err)
		}
		defer start(t, s)()
		synctest.Wait()
		if s.Running() != 1 {
			t.Fatalf("Running() = %d, want 1 (the blocker)", s.Running())
		}

		// fast comes due every 10 s while the blocker runs: each waiting
		// run gives way to the next slot's.
		releaseAt := t0.Add(35 * time.Second)
		pf := Phase(fast, "")
		s0 := SlotOf(t0, interval)
		due := 0
		for slotTime(s0+int64(due), interval, pf).Before(releaseAt) {
			due++
		}
		sleepUntil(releaseAt)
		close(release)
		synctest.Wait()

		runs := log.of("fast")
		if len(runs) != 1 {
			t.Fatalf("fast ran %d times, want 1 (after the release)", len(runs))
		}
		last := s0 + int64(due) - 1
		if r := runs[0]; r.Slot != last || !r.start.Equal(releaseAt) {
			t.Errorf("fast ran slot %d at %s, want slot %d (the freshest) at %s", r.Slot, r.start, last, releaseAt)
		}
		if got := s.Skipped(); got != uint64(due-1) {
			t.Errorf("Skipped() = %d, want %d (fast's slots that gave way)", got, due-1)
		}
		if overall, _ := log.peaks(); overall != 1 {
			t.Errorf("%d runs at once, want at most MaxConcurrent=1", overall)
		}
	})
}

func TestMaxConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ids := []string{"a", "b", "c", "d", "e"}
		var checks []*vigilv1.Check
		for _, id := range ids {
			c := newCheck(id, time.Hour, time.Minute)
			if Phase(c, "") < time.Minute {
				t.Fatalf("phase of %q is within the test's window; pick another id", id)
			}
			checks = append(checks, c)
		}
		release := make(chan struct{})
		log := newRunLog()
		s := New(Config{MaxConcurrent: 2, Logger: testLogger(t), Run: log.fn(func(ctx context.Context, _ Job) {
			select {
			case <-release:
			case <-ctx.Done():
			}
		})})
		s.Set(checks)
		defer start(t, s)()
		for _, id := range ids {
			if err := s.RunNow(id); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		for done := 0; done < len(ids); done++ {
			if want := min(2, len(ids)-done); s.Running() != want {
				t.Fatalf("after %d runs ended: Running() = %d, want %d", done, s.Running(), want)
			}
			release <- struct{}{}
			synctest.Wait()
		}
		if got := len(log.all()); got != len(ids) {
			t.Errorf("%d runs, want %d", got, len(ids))
		}
		if overall, _ := log.peaks(); overall != 2 {
			t.Errorf("at most %d runs at once, want 2", overall)
		}
	})
}

func TestRunNowAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Minute
		t0 := time.Now()
		c := newCheck("checkout", interval, 10*time.Second)
		log := newRunLog()
		s := New(Config{Run: log.fn(nil), Logger: testLogger(t)})

		if err := s.RunNow("checkout"); err == nil || err.Error() != `run now: unknown check "checkout"` {
			t.Errorf("RunNow of an unknown check: err = %v", err)
		}
		s.Set([]*vigilv1.Check{c})
		if err := s.RunNow("checkout"); err != nil { // before Run: waits for it
			t.Fatal(err)
		}
		defer start(t, s)()
		synctest.Wait()
		if err := s.RunNow("checkout"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		sleepUntil(t0.Add(interval + time.Second)) // into the next slot
		if err := s.RunNow("checkout"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()

		s0 := SlotOf(t0, interval)
		type key struct {
			slot    int64
			attempt uint32
		}
		var got []key
		for _, r := range log.of("checkout") {
			if r.RunNow {
				if !r.ScheduledAt.Equal(r.start) {
					t.Errorf("run-now scheduled_at %s, want its start %s", r.ScheduledAt, r.start)
				}
				got = append(got, key{r.Slot, r.Attempt})
			}
		}
		want := []key{{s0, 1}, {s0, 2}, {s0 + 1, 1}}
		if len(got) != len(want) {
			t.Fatalf("run-now runs (slot, attempt) = %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("run-now runs (slot, attempt) = %v, want %v", got, want)
			}
		}
	})
}

func TestRunNowWhileRunningQueuesOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCheck("checkout", time.Hour, time.Hour)
		release := make(chan struct{})
		log := newRunLog()
		s := New(Config{MaxConcurrent: 4, Logger: testLogger(t), Run: log.fn(func(ctx context.Context, _ Job) {
			select {
			case <-release:
			case <-ctx.Done():
			}
		})})
		s.Set([]*vigilv1.Check{c})
		defer start(t, s)()

		if err := s.RunNow("checkout"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for range 3 { // merged into one pending request
			if err := s.RunNow("checkout"); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if n := len(log.of("checkout")); n != 1 || s.Running() != 1 {
			t.Fatalf("while the first run is going: %d runs, Running() = %d, want 1 and 1", n, s.Running())
		}
		release <- struct{}{}
		synctest.Wait()
		runs := log.of("checkout")
		if len(runs) != 2 || runs[1].Attempt != 2 {
			t.Fatalf("after the first run: %d runs, want 2, the second with attempt 2", len(runs))
		}
		if !runs[1].start.Equal(runs[0].end) {
			t.Errorf("queued run-now started at %s, want right after the first ended at %s", runs[1].start, runs[0].end)
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

func TestSetReconciles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Minute
		t0 := time.Now()
		keep := newCheck("keep", interval, interval)
		gone := newCheck("gone", interval, interval)
		changed := newCheck("changed", interval, interval)
		log := newRunLog()
		// Runs last 50 s unless cancelled.
		s := New(Config{MaxConcurrent: 8, Logger: testLogger(t), Run: log.fn(func(ctx context.Context, _ Job) {
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Second):
			}
		})})
		s.Set([]*vigilv1.Check{keep, gone, changed})
		defer start(t, s)()
		for _, id := range []string{"keep", "gone", "changed"} {
			if err := s.RunNow(id); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if got := s.Running(); got != 3 {
			t.Fatalf("Running() = %d, want 3", got)
		}

		tSet := t0.Add(time.Second)
		sleepUntil(tSet)
		added := newCheck("added", interval, interval)
		changedV2 := newCheck("changed", interval, interval)
		changedV2.Version = "v2"
		keepCopy := newCheck("keep", interval, interval) // same version: left alone
		s.Set([]*vigilv1.Check{keepCopy, changedV2, added})
		synctest.Wait()

		if r := log.of("gone"); len(r) != 1 || !errors.Is(r[0].err, context.Canceled) || !r[0].end.Equal(tSet) {
			t.Errorf("removed check's run: %+v, want it cancelled by Set", r)
		}
		if r := log.of("changed"); len(r) != 1 || !errors.Is(r[0].err, context.Canceled) || !r[0].end.Equal(tSet) {
			t.Errorf("changed check's old run: %+v, want it cancelled by Set", r)
		}
		if r := log.of("keep"); len(r) != 1 || !r[0].end.IsZero() {
			t.Errorf("unchanged check's run: %+v, want it still running", r)
		}
		if err := s.RunNow("gone"); err == nil {
			t.Error("RunNow of a removed check succeeded")
		}

		sleepUntil(t0.Add(4 * interval))
		if r := log.of("gone"); len(r) != 1 {
			t.Errorf("removed check ran %d times, want only the cancelled run", len(r))
		}
		v2 := log.of("changed")[1:]
		if len(v2) < 3 {
			t.Errorf("changed check ran %d times in the 3+ intervals after the change, want at least 3", len(v2))
		}
		for _, r := range v2 {
			if r.Check.GetVersion() != "v2" || r.start.Before(tSet) {
				t.Errorf("after the change: ran version %q at %s, want v2", r.Check.GetVersion(), r.start)
			}
		}
		ra := log.of("added")
		if len(ra) < 3 {
			t.Errorf("added check ran %d times in the 3+ intervals after it was added, want at least 3", len(ra))
		}
		for _, r := range ra {
			if want := slotTime(r.Slot, interval, Phase(added, "")); !r.start.Equal(want) || r.start.Before(tSet) {
				t.Errorf("added check ran at %s, want its phase time %s", r.start, want)
			}
		}
		if _, byID := log.peaks(); byID["changed"] != 1 || byID["keep"] != 1 {
			t.Errorf("runs of one check at once: %v, want 1", byID)
		}
	})
}

// TestChangedCheckWaitsForOldRun pins that a changed check's new version
// does not start while the old version's cancelled run is still winding
// down, and that run-now attempts keep counting across the change.
func TestChangedCheckWaitsForOldRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		v1 := newCheck("checkout", time.Hour, time.Hour)
		v2 := newCheck("checkout", time.Hour, time.Hour)
		v2.Version = "v2"
		if Phase(v1, "") < time.Minute {
			t.Fatalf("phase %s is within the test's window; pick another id", Phase(v1, ""))
		}
		log := newRunLog()
		s := New(Config{MaxConcurrent: 4, Logger: testLogger(t), Run: log.fn(func(ctx context.Context, _ Job) {
			<-ctx.Done()
			time.Sleep(2 * time.Second) // cleaning up, e.g. closing a browser context
		})})
		s.Set([]*vigilv1.Check{v1})
		defer start(t, s)()
		if err := s.RunNow("checkout"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		s.Set([]*vigilv1.Check{v2})
		if err := s.RunNow("checkout"); err != nil {
			t.Fatal(err)
		}
		sleepUntil(t0.Add(3 * time.Second))

		runs := log.of("checkout")
		if len(runs) != 2 {
			t.Fatalf("%d runs, want 2", len(runs))
		}
		if want := t0.Add(2 * time.Second); !runs[0].end.Equal(want) || !runs[1].start.Equal(want) {
			t.Errorf("old run ended %s, new started %s, want both at %s", runs[0].end, runs[1].start, want)
		}
		if r := runs[1]; r.Check.GetVersion() != "v2" || r.Attempt != 2 {
			t.Errorf("new run: version %q attempt %d, want v2 attempt 2", r.Check.GetVersion(), r.Attempt)
		}
	})
}

func TestRunStopsAndCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := newRunLog()
		s := New(Config{MaxConcurrent: 2, Logger: testLogger(t), Run: log.fn(waitForever)})
		s.Set([]*vigilv1.Check{
			newCheck("a", time.Hour, time.Hour),
			newCheck("b", time.Hour, time.Hour),
			newCheck("c", time.Hour, time.Hour),
		})
		for _, id := range []string{"a", "b", "c"} {
			s.RunNow(id)
		}
		stop := start(t, s)
		synctest.Wait()
		if s.Running() != 2 {
			t.Fatalf("Running() = %d, want 2", s.Running())
		}
		stop() // returns only after the runs returned

		if s.Running() != 0 {
			t.Errorf("Running() = %d after Run returned, want 0", s.Running())
		}
		runs := log.all()
		if len(runs) != 2 {
			t.Fatalf("%d runs, want 2 (the third was waiting and is dropped)", len(runs))
		}
		for _, r := range runs {
			if !errors.Is(r.err, context.Canceled) || r.end.IsZero() {
				t.Errorf("run of %s: ended %v with %v, want cancelled", r.Check.GetId(), r.end, r.err)
			}
		}
	})
}

func TestRunTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Run: newRunLog().fn(nil), Logger: testLogger(t)})
		defer start(t, s)()
		synctest.Wait()
		if err := s.Run(context.Background()); err == nil {
			t.Error("a second concurrent Run succeeded")
		}
	})
}

func TestJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval, jitter = time.Minute, 5 * time.Second
		c := newCheck("checkout", interval, 10*time.Second)
		log := newRunLog()
		s := New(Config{Run: log.fn(nil), Jitter: jitter, Logger: testLogger(t)})
		s.Set([]*vigilv1.Check{c})
		defer start(t, s)()
		sleepUntil(time.Now().Add(10 * interval))

		runs := log.of("checkout")
		if len(runs) < 9 {
			t.Fatalf("%d runs in 10 intervals, want at least 9", len(runs))
		}
		for _, r := range runs {
			if want := slotTime(r.Slot, interval, Phase(c, "")); !r.ScheduledAt.Equal(want) {
				t.Errorf("slot %d: scheduled_at %s, want the phase time %s", r.Slot, r.ScheduledAt, want)
			}
			if d := r.start.Sub(r.ScheduledAt); d < 0 || d >= jitter {
				t.Errorf("slot %d started %s after its phase time, want within [0, %s)", r.Slot, d, jitter)
			}
		}
	})
}

func TestInvalidChecksAreLeftOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := newRunLog()
		s := New(Config{Run: log.fn(nil), Logger: testLogger(t)})
		s.Set([]*vigilv1.Check{nil, newCheck("", time.Minute, 0), newCheck("no-interval", 0, 0), newCheck("ok", time.Minute, 0)})
		if err := s.RunNow("no-interval"); err == nil {
			t.Error("RunNow of a check without interval succeeded")
		}
		if err := s.RunNow("ok"); err != nil {
			t.Errorf("RunNow(ok): %v", err)
		}
		defer start(t, s)()
		sleepUntil(time.Now().Add(2 * time.Minute))
		for _, r := range log.all() {
			if r.Check.GetId() != "ok" {
				t.Errorf("ran invalid check %q", r.Check.GetId())
			}
		}
	})
}
