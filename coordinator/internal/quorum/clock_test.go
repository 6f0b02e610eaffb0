package quorum_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestTickerStaleness drives the engine the way the coordinator will, with a
// ticker on the (fake) clock: two silent regions turn the check unknown once
// 2 x interval + timeout has passed, not a tick earlier.
func TestTickerStaleness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := quorum.New([]*vigilv1.Check{newCheck()})
		start := time.Now()
		for _, r := range []string{"eu", "us", "ap"} {
			e.Observe(pass(r, 1, 1, 0), start)
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			now := <-tick.C
			if ds := e.Tick(now); len(ds) > 0 {
				if got := render(ds); len(got) != 1 || got[0] != "c1 up->unknown" {
					t.Fatalf("decisions %q", got)
				}
				if waited := now.Sub(start); waited <= window || waited > window+time.Second {
					t.Fatalf("unknown after %v, want just past %v", waited, window)
				}
				return
			}
		}
	})
}

// TestConcurrentUse feeds results, gossip and ticks from several goroutines;
// run with -race.
func TestConcurrentUse(t *testing.T) {
	e := quorum.New([]*vigilv1.Check{newCheck()})
	var wg sync.WaitGroup
	for i, r := range []string{"eu", "us", "ap"} {
		wg.Go(func() {
			for s := range int64(50) {
				now := t0.Add(time.Duration(s) * time.Second)
				if s%3 == int64(i) {
					e.Observe(fail(r, 1, s, 0), now)
				} else {
					e.Observe(pass(r, 1, s, 0), now)
				}
				e.SetRegionLive(r, int(s%2)+1, now)
				e.Tick(now)
				e.Status("c1", now)
			}
		})
	}
	wg.Wait()
	if st, _ := e.Status("c1", t0.Add(time.Minute)); st.State != quorum.StateUp {
		t.Errorf("final state %q, want up", st.State)
	}
}
