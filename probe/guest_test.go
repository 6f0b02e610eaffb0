package probe_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/vigilhq/vigil/internal/rendezvous"
	"github.com/vigilhq/vigil/internal/testlog"
	"github.com/vigilhq/vigil/probe"
	"github.com/vigilhq/vigil/probe/internal/uplink/uplinktest"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// resultLog is a uplinktest coordinator that keeps the results it acks.
type resultLog struct {
	*uplinktest.Coordinator
	mu      sync.Mutex
	results []*vigilv1.Result
}

func newResultLog(t *testing.T, a *vigilv1.Assignment) (*resultLog, string) {
	l := &resultLog{}
	l.Coordinator = &uplinktest.Coordinator{Assignment: a, Decide: func(_ int, b *vigilv1.ResultBatch) uplinktest.Action {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.results = append(l.results, b.GetResults()...)
		return uplinktest.Ack
	}}
	return l, l.Start(t)
}

// of returns the results of checkID acked so far, each id once.
func (l *resultLog) of(checkID string) []*vigilv1.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*vigilv1.Result
	seen := map[string]bool{}
	for _, r := range l.results {
		if r.GetCheckId() == checkID && !seen[r.GetId()] {
			seen[r.GetId()] = true
			out = append(out, r)
		}
	}
	return out
}

// scheduledSlots returns the slots of rs's attempt-0 results, sorted.
func scheduledSlots(rs []*vigilv1.Result) []int64 {
	var out []int64
	for _, r := range rs {
		if r.GetAttempt() == 0 {
			out = append(out, r.GetSlot())
		}
	}
	slices.Sort(out)
	return out
}

// runNows returns rs's run-now results (attempt >= 1).
func runNows(rs []*vigilv1.Result) []*vigilv1.Result {
	var out []*vigilv1.Result
	for _, r := range rs {
		if r.GetAttempt() >= 1 {
			out = append(out, r)
		}
	}
	return out
}

// startStreamingProbe runs a gossip member probe that streams to coordAddr.
func (e *meshEnv) startStreamingProbe(id, region, coordAddr string, seeds ...string) string {
	t := e.t
	t.Helper()
	gc, addr := e.gossipConfig(seeds...)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- probe.Run(ctx, probe.Config{ID: id, Region: region, Coordinator: coordAddr, Gossip: gc, Concurrency: 2,
			Runners: probe.RunnerConfig{NoBrowser: true}, Logger: testlog.New(t).With("node", id)})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("probe %s: %v", id, err)
		}
	})
	return addr
}

// TestRunNowOfACheckNotOwnedRunsAsGuest: two probes of a region share one
// check by gossip; each streams to its own coordinator, so a run-now can
// reach the probe that does not own the check, as the coordinator's fast
// confirmation sends it to "another probe of the region". That probe runs
// the check once, as an extra attempt of the current slot, without taking
// it over, while the owner keeps running every slot.
func TestRunNowOfACheckNotOwnedRunsAsGuest(t *testing.T) {
	e := newMeshEnv(t)
	checks := e.checks(1, "1s", "eu")
	check := checks[0].GetId()
	assignment := &vigilv1.Assignment{Checks: checks, Version: "v1"}
	owner := rendezvous.Owner(check, []string{"eu-1", "eu-2"})
	other := "eu-1"
	if owner == other {
		other = "eu-2"
	}

	// The other probe starts first and runs the check alone until the
	// owner joins and settles: so it is known to hold the assignment.
	otherLog, otherAddr := newResultLog(t, assignment)
	ownerLog, ownerAddr := newResultLog(t, assignment)
	seed := e.startStreamingProbe(other, "eu", otherAddr)
	waitFor(t, func() bool { return len(otherLog.of(check)) > 0 }, "%s runs the check while alone", other)
	e.startStreamingProbe(owner, "eu", ownerAddr, seed)

	// Settled: the owner ran three slots in a row after the other's last.
	var settled int64
	waitFor(t, func() bool {
		mine := scheduledSlots(otherLog.of(check))
		if len(mine) == 0 {
			return false
		}
		last := mine[len(mine)-1]
		var after []int64
		for _, s := range scheduledSlots(ownerLog.of(check)) {
			if s > last {
				after = append(after, s)
			}
		}
		if len(after) < 3 {
			return false
		}
		settled = after[0]
		return true
	}, "%s owns the check and %s stopped running it", owner, other)

	// Two run-now requests, one after the other, to the non-owner only.
	var guests []*vigilv1.Result
	for i := range 2 {
		waitFor(t, func() bool { return otherLog.Push(runNowMsg(check)) == 1 }, "run-now %d sent to %s", i+1, other)
		waitFor(t, func() bool {
			guests = runNows(otherLog.of(check))
			return len(guests) > i
		}, "%s ran the check for run-now %d", other, i+1)
	}
	type attempt struct {
		slot int64
		n    uint32
	}
	seen := map[attempt]bool{}
	for _, r := range guests {
		if r.GetProbeId() != other || !r.GetRunNow() || r.GetAttempt() < 1 || r.GetSlot() < settled {
			t.Errorf("guest result: probe %s run_now %v slot %d attempt %d, want %s, run_now, attempt >= 1 in a slot >= %d",
				r.GetProbeId(), r.GetRunNow(), r.GetSlot(), r.GetAttempt(), other, settled)
		}
		if r.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Errorf("guest result: %s %s, want pass", r.GetStatus(), r.GetError())
		}
		k := attempt{r.GetSlot(), r.GetAttempt()}
		if seen[k] {
			t.Errorf("slot %d attempt %d used twice by %s", k.slot, k.n, other)
		}
		seen[k] = true
	}
	if id := probe.ResultID(other, check, checks[0].GetVersion(), guests[0].GetSlot(), guests[0].GetAttempt()); guests[0].GetId() != id {
		t.Errorf("guest result id %s, want ResultID(...) = %s", guests[0].GetId(), id)
	}

	// The owner keeps its slots; the other never took the check over.
	lastGuest := guests[len(guests)-1].GetSlot()
	waitFor(t, func() bool {
		n := 0
		for _, s := range scheduledSlots(ownerLog.of(check)) {
			if s > lastGuest {
				n++
			}
		}
		return n >= 2
	}, "%s keeps running the check's slots after the guest runs", owner)
	for _, s := range scheduledSlots(otherLog.of(check)) {
		if s >= settled {
			t.Errorf("%s ran scheduled slot %d after the owner settled: the guest run took the check over", other, s)
		}
	}
	if got := runNows(ownerLog.of(check)); len(got) != 0 {
		t.Errorf("the owner ran %d run-now attempts, want 0: the requests went to %s only", len(got), other)
	}
}

func runNowMsg(checkID string) *vigilv1.ConnectResponse {
	return &vigilv1.ConnectResponse{Msg: &vigilv1.ConnectResponse_RunNow{
		RunNow: &vigilv1.RunNow{CheckId: checkID, Reason: "test: confirm by another probe"}}}
}
