package quorum_test

import (
	"testing"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

type (
	V = quorum.RegionVerdict
	M = map[string]quorum.RegionVerdict
)

const (
	up       = quorum.VerdictUp
	failing  = quorum.VerdictFailing
	stale    = quorum.VerdictStale
	excluded = quorum.VerdictExcluded
)

// TestTransitions walks every transition of DESIGN section 3.
func TestTransitions(t *testing.T) {
	dns := vigilv1.ErrorClass_ERROR_CLASS_DNS
	tests := []struct {
		name  string
		check *vigilv1.Check
		steps []step
	}{
		{
			name:  "fresh check is unknown until min_regions report",
			check: newCheck(),
			steps: []step{
				{tick: true, state: quorum.StateUnknown, check: verdicts(M{"eu": stale, "us": stale, "ap": stale})},
				{obs: pass("eu", 1, 1, 0), state: quorum.StateUnknown},
				{obs: pass("us", 1, 1, 0), want: []string{"c1 unknown->up"}, state: quorum.StateUp},
			},
		},
		{
			name:  "single unconfirmed failure stays up and requests confirmation once",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: fail("eu", 1, 2, 0), want: []string{"confirm c1 eu others=ap,us"}, state: quorum.StateUp,
					check: func(t *testing.T, st quorum.CheckStatus) {
						if d := st.Regions["eu"]; d.Verdict != up || !d.Suspect || d.FailedStepName != "checkout" {
							t.Errorf("eu detail %+v, want up, suspect, step checkout", d)
						}
					}},
				// Redelivery: counted once, so neither confirmed nor asked again.
				{obs: fail("eu", 1, 2, 0), state: quorum.StateUp},
				// A run-now in another region fails too: it asks for its own
				// retry only, the others are already asked.
				{obs: fail("ap", 1, 2, 1), want: []string{"confirm c1 ap others="}, state: quorum.StateUp},
				// Recovery of the suspect region ends the streak; a new first
				// failure asks again.
				{obs: pass("eu", 2, 2, 1), state: quorum.StateUp},
				{obs: fail("eu", 1, 3, 0), want: []string{"confirm c1 eu others="}},
				// ap is still suspect, so eu was only asked to retry; once
				// ap passes, a new first failure asks every up region.
				{obs: pass("ap", 2, 3, 2)},
				{obs: pass("eu", 1, 4, 0)},
				{obs: fail("us", 1, 5, 0), want: []string{"confirm c1 us others=ap,eu"}},
			}),
		},
		{
			name:  "up to degraded to down to degraded to up",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: fail("eu", 1, 2, 0), want: []string{"confirm c1 eu others=ap,us"}},
				// Retry by another probe of eu confirms: one region failing.
				{obs: fail("eu", 2, 2, 1), want: []string{"c1 up->degraded"}, state: quorum.StateDegraded,
					check: verdicts(M{"eu": failing, "us": up, "ap": up})},
				{obs: fail("us", 1, 2, 1), want: []string{"confirm c1 us others="}, state: quorum.StateDegraded},
				// Majority of 3 eligible is 2.
				{obs: fail("us", 2, 2, 2), want: []string{"c1 degraded->down"}, state: quorum.StateDown,
					check: func(t *testing.T, st quorum.CheckStatus) {
						if st.Quorum != 2 || len(st.Failing) != 2 || len(st.Eligible) != 3 || st.Disagree {
							t.Errorf("status %+v, want quorum 2, 2 failing of 3, agreeing", st)
						}
					}},
				{obs: pass("eu", 1, 3, 0), want: []string{"c1 down->degraded"}, state: quorum.StateDegraded},
				{obs: pass("us", 1, 3, 0), want: []string{"c1 degraded->up"}, state: quorum.StateUp},
			}),
		},
		{
			name:  "down to up on recovery with explicit quorum 1",
			check: newCheck(withQuorum(1)),
			steps: seq(warm(), []step{
				{obs: fail("ap", 1, 2, 0), want: []string{"confirm c1 ap others=eu,us"}},
				{obs: fail("ap", 1, 3, 0), want: []string{"c1 up->down"}, state: quorum.StateDown},
				{obs: pass("ap", 1, 4, 0), want: []string{"c1 down->up"}, state: quorum.StateUp},
			}),
		},
		{
			name:  "two probes of a region in the same slot confirm each other",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: fail("eu", 1, 2, 0), want: []string{"confirm c1 eu others=ap,us"}},
				{obs: fail("eu", 2, 2, 0), want: []string{"c1 up->degraded"}},
			}),
		},
		{
			name:  "probe_error excludes the region and never counts as failing",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: probeErr("eu", 1, 2, 0), state: quorum.StateUp, check: verdicts(M{"eu": excluded})},
				{obs: probeErr("eu", 2, 2, 1), state: quorum.StateUp},
				{obs: probeErr("us", 1, 2, 0), want: []string{"c1 up->unknown"}, state: quorum.StateUnknown},
				{obs: probeErr("ap", 1, 2, 0), state: quorum.StateUnknown},
				{obs: pass("eu", 1, 3, 0)},
				{obs: pass("us", 1, 3, 0), want: []string{"c1 unknown->up"}},
			}),
		},
		{
			name:  "probe_error between two failures neither breaks nor confirms the streak",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: fail("eu", 1, 2, 0), want: []string{"confirm c1 eu others=ap,us"}},
				{obs: probeErr("eu", 2, 2, 1), check: verdicts(M{"eu": excluded})},
				{obs: fail("eu", 1, 3, 0), want: []string{"c1 up->degraded"}, check: verdicts(M{"eu": failing})},
			}),
		},
		{
			name:  "two of three regions without live probes: unknown, not down",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: fail("ap", 1, 2, 0), want: []string{"confirm c1 ap others=eu,us"}},
				{obs: fail("ap", 2, 2, 1), want: []string{"c1 up->degraded"}},
				// eu gone: majority of {us, ap} is 2, one failing.
				{live: &liveEvent{"eu", 0}, state: quorum.StateDegraded, check: verdicts(M{"eu": excluded})},
				// us gone too: ap alone would be a majority of 1, but one
				// region is below min_regions.
				{live: &liveEvent{"us", 0}, want: []string{"c1 degraded->unknown"}, state: quorum.StateUnknown},
				{obs: fail("ap", 1, 3, 0), state: quorum.StateUnknown},
				{live: &liveEvent{"us", 2}, want: []string{"c1 unknown->degraded"}, state: quorum.StateDegraded},
				{live: &liveEvent{"other", 0}},
			}),
		},
		{
			name:  "stale after 2 x interval + timeout of silence",
			check: newCheck(),
			steps: []step{
				{at: 10 * time.Second, obs: pass("eu", 1, 0, 0)},
				{at: 10 * time.Second, obs: pass("us", 1, 0, 0), want: []string{"c1 unknown->up"}},
				{at: 10 * time.Second, obs: pass("ap", 1, 0, 0)},
				{at: 70 * time.Second, obs: pass("eu", 1, 1, 0)},
				{at: 130 * time.Second, obs: pass("eu", 1, 2, 0)},
				// Exactly the window: not yet stale.
				{at: 10*time.Second + window, tick: true, state: quorum.StateUp, check: verdicts(M{"us": up, "ap": up})},
				{at: 10*time.Second + window + time.Millisecond, tick: true, want: []string{"c1 up->unknown"},
					state: quorum.StateUnknown, check: verdicts(M{"eu": up, "us": stale, "ap": stale})},
				{at: 200 * time.Second, obs: pass("ap", 1, 3, 0), want: []string{"c1 unknown->up"}},
			},
		},
		{
			name:  "a stale failing region stops counting toward the quorum",
			check: newCheck(),
			steps: []step{
				{obs: pass("eu", 1, 0, 0)},
				{obs: pass("us", 1, 0, 0), want: []string{"c1 unknown->up"}},
				{obs: pass("ap", 1, 0, 0)},
				{at: time.Second, obs: fail("eu", 1, 1, 0), want: []string{"confirm c1 eu others=ap,us"}},
				{at: time.Second, obs: fail("eu", 2, 1, 1), want: []string{"c1 up->degraded"}},
				{at: time.Second, obs: fail("us", 1, 1, 1), want: []string{"confirm c1 us others="}},
				{at: time.Second, obs: fail("us", 2, 1, 2), want: []string{"c1 degraded->down"}},
				{at: 100 * time.Second, obs: pass("ap", 1, 1, 0)},
				{at: 100 * time.Second, obs: pass("us", 1, 2, 0), want: []string{"c1 down->degraded"}},
				// eu falls silent: stale, not eligible, not failing.
				{at: time.Second + window + time.Second, tick: true, want: []string{"c1 degraded->up"},
					check: verdicts(M{"eu": stale})},
			},
		},
		{
			name:  "explicit quorum 3 of 3: two failing is degraded",
			check: newCheck(withQuorum(3)),
			steps: seq(warm(), []step{
				{obs: fail("eu", 1, 2, 0), want: []string{"confirm c1 eu others=ap,us"}},
				{obs: fail("eu", 2, 2, 1), want: []string{"c1 up->degraded"}},
				{obs: fail("us", 1, 2, 1), want: []string{"confirm c1 us others="}},
				{obs: fail("us", 2, 2, 2), state: quorum.StateDegraded},
				{obs: fail("ap", 1, 2, 1), want: []string{"confirm c1 ap others="}},
				{obs: fail("ap", 2, 2, 2), want: []string{"c1 degraded->down"}},
			}),
		},
		{
			name:  "explicit quorum larger than the eligible regions never goes down",
			check: newCheck(withQuorum(3)),
			steps: seq(warm(), []step{
				{live: &liveEvent{"ap", 0}},
				{obs: fail("eu", 1, 2, 0), want: []string{"confirm c1 eu others=us"}},
				{obs: fail("eu", 2, 2, 1), want: []string{"c1 up->degraded"}},
				{obs: fail("us", 1, 2, 1), want: []string{"confirm c1 us others="}},
				{obs: fail("us", 2, 2, 2), state: quorum.StateDegraded},
			}),
		},
		{
			name:  "majority is of the eligible regions: 1 of 2 is not down",
			check: newCheck(withRegions("eu", "us", "ap", "sa", "af")),
			steps: []step{
				{obs: pass("eu", 1, 1, 0)},
				{obs: pass("us", 1, 1, 0), want: []string{"c1 unknown->up"}},
				{obs: pass("ap", 1, 1, 0)},
				{obs: pass("sa", 1, 1, 0)},
				{obs: pass("af", 1, 1, 0)},
				{obs: fail("eu", 1, 2, 0), want: []string{"confirm c1 eu others=af,ap,sa,us"}},
				{obs: fail("eu", 2, 2, 1), want: []string{"c1 up->degraded"}},
				{obs: fail("us", 1, 2, 1), want: []string{"confirm c1 us others="}},
				// 2 of 5: majority is 3.
				{obs: fail("us", 2, 2, 2), state: quorum.StateDegraded},
				// 2 of 3 eligible: majority is 2.
				{live: &liveEvent{"ap", 0}},
				{live: &liveEvent{"sa", 0}, want: []string{"c1 degraded->down"},
					check: func(t *testing.T, st quorum.CheckStatus) {
						if st.Quorum != 2 {
							t.Errorf("quorum %d, want 2", st.Quorum)
						}
					}},
			},
		},
		{
			name:  "min_regions 3: losing one region is unknown",
			check: newCheck(withMinRegions(3)),
			steps: []step{
				{obs: pass("eu", 1, 1, 0)},
				{obs: pass("us", 1, 1, 0), state: quorum.StateUnknown},
				{obs: pass("ap", 1, 1, 0), want: []string{"c1 unknown->up"}},
				{obs: probeErr("ap", 1, 2, 0), want: []string{"c1 up->unknown"}},
			},
		},
		{
			name:  "min_regions 1 on a one-region check",
			check: newCheck(withRegions("eu"), withMinRegions(1)),
			steps: []step{
				{obs: pass("eu", 1, 1, 0), want: []string{"c1 unknown->up"}},
				{obs: fail("eu", 1, 2, 0), want: []string{"confirm c1 eu others="}},
				{obs: fail("eu", 1, 2, 1), want: []string{"c1 up->down"}},
			},
		},
		{
			name:  "budget breached in a quorum of regions: degraded, not down",
			check: newCheck(withLoadBudget(2500 * time.Millisecond)),
			steps: seq(warm(), []step{
				{obs: passLoad("eu", 2, 3*time.Second), state: quorum.StateUp,
					check: func(t *testing.T, st quorum.CheckStatus) {
						if !st.Regions["eu"].BudgetBreach || len(st.BudgetBreached) != 1 {
							t.Errorf("status %+v, want eu breaching", st)
						}
					}},
				{obs: passLoad("us", 2, 3*time.Second), want: []string{"c1 up->degraded"}, state: quorum.StateDegraded,
					check: func(t *testing.T, st quorum.CheckStatus) {
						if len(st.Failing) != 0 {
							t.Errorf("failing %v, want none", st.Failing)
						}
					}},
				// Fast runs in eu push its p75 under the budget. The warm-up
				// run measured no load and is skipped: p75 of [1 3] and of
				// [1 1 3] is 3 s, of [1 1 1 3] is 1 s.
				{obs: passLoad("eu", 3, time.Second)},
				{obs: passLoad("eu", 4, time.Second), state: quorum.StateDegraded},
				{obs: passLoad("eu", 5, time.Second), want: []string{"c1 degraded->up"}},
			}),
		},
		{
			name:  "budget: a failing region does not count as breaching",
			check: newCheck(withLoadBudget(2500 * time.Millisecond)),
			steps: seq(warm(), []step{
				{obs: passLoad("eu", 2, 3*time.Second)},
				{obs: fail("eu", 1, 3, 0), want: []string{"confirm c1 eu others=ap,us"}},
				{obs: passLoad("us", 2, 3*time.Second), state: quorum.StateUp},
				{obs: fail("eu", 2, 3, 1), want: []string{"c1 up->degraded"},
					check: func(t *testing.T, st quorum.CheckStatus) {
						if len(st.BudgetBreached) != 1 || st.BudgetBreached[0] != "us" {
							t.Errorf("breached %v, want [us]", st.BudgetBreached)
						}
					}},
			}),
		},
		{
			name:  "disagreeing error classes are flagged",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: failClass(dns, "eu", 1, 2, 0), want: []string{"confirm c1 eu others=ap,us"}},
				{obs: failClass(dns, "eu", 2, 2, 1), want: []string{"c1 up->degraded"}},
				{obs: fail("us", 1, 2, 1), want: []string{"confirm c1 us others="}},
				{obs: fail("us", 2, 2, 2), want: []string{"c1 degraded->down disagree"},
					check: func(t *testing.T, st quorum.CheckStatus) {
						if !st.Disagree || st.Regions["eu"].ErrorClass != dns ||
							st.Regions["us"].ErrorClass != vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS {
							t.Errorf("status %+v, want disagreeing dns and http_status", st)
						}
					}},
			}),
		},
		{
			name:  "late older results do not override newer ones",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: fail("eu", 1, 3, 0), want: []string{"confirm c1 eu others=ap,us"}},
				{obs: fail("eu", 2, 3, 1), want: []string{"c1 up->degraded"}},
				// Outbox redelivery of an older pass: still failing.
				{obs: pass("eu", 1, 2, 0), state: quorum.StateDegraded, check: verdicts(M{"eu": failing})},
				{obs: pass("eu", 1, 4, 0), want: []string{"c1 degraded->up"}},
				// An older failure arriving after a newer pass: no suspect,
				// no confirmation.
				{obs: fail("eu", 2, 3, 2), state: quorum.StateUp,
					check: func(t *testing.T, st quorum.CheckStatus) {
						if d := st.Regions["eu"]; d.Suspect || d.Slot != 4 {
							t.Errorf("eu %+v, want slot 4 pass, not suspect", d)
						}
					}},
			}),
		},
		{
			name:  "results for unknown checks, regions or statuses change nothing",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: func() *vigilv1.Result { r := fail("eu", 1, 2, 0); r.CheckId = "nope"; return r }()},
				{obs: fail("mars", 1, 2, 0)},
				{obs: res(vigilv1.ResultStatus_RESULT_STATUS_UNSPECIFIED, "eu", 1, 2, 0), state: quorum.StateUp},
			}),
		},
		{
			name:  "SetChecks: a new quorum re-evaluates, removal forgets, re-adding starts unknown",
			check: newCheck(),
			steps: seq(warm(), []step{
				{obs: fail("eu", 1, 2, 0), want: []string{"confirm c1 eu others=ap,us"}},
				{obs: fail("eu", 2, 2, 1), want: []string{"c1 up->degraded"}},
				{checks: []*vigilv1.Check{newCheck(withQuorum(1))}, want: []string{"c1 degraded->down"}},
				// Dropping eu from the check drops its history.
				{checks: []*vigilv1.Check{newCheck(withQuorum(1), withRegions("us", "ap"))}, want: []string{"c1 down->up"}},
				{checks: []*vigilv1.Check{}},
				{obs: fail("us", 1, 3, 0), check: func(t *testing.T, st quorum.CheckStatus) {
					if st.CheckID != "" {
						t.Errorf("removed check still has status %+v", st)
					}
				}},
				{checks: []*vigilv1.Check{newCheck()}, state: quorum.StateUnknown},
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.check, tt.steps) })
	}
}

// TestRegionState: a region's own state, for its uptime history, follows
// its verdict: a single unconfirmed failure is still up; a confirmed one is
// down; a stale region is unknown.
func TestRegionState(t *testing.T) {
	e := quorum.New([]*vigilv1.Check{newCheck()})
	now := t0
	state := func(region string) quorum.State {
		t.Helper()
		st, ok := e.Status("c1", now)
		if !ok {
			t.Fatal("no check c1")
		}
		return st.Regions[region].State()
	}
	if s := state("eu"); s != quorum.StateUnknown {
		t.Errorf("before any result: %s, want unknown", s)
	}
	e.Observe(pass("eu", 1, 1, 0), now)
	if s := state("eu"); s != quorum.StateUp {
		t.Errorf("after a pass: %s, want up", s)
	}
	e.Observe(fail("eu", 1, 2, 0), now)
	if s := state("eu"); s != quorum.StateUp {
		t.Errorf("after one failure: %s, want up (unconfirmed)", s)
	}
	e.Observe(fail("eu", 2, 2, 1), now)
	if s := state("eu"); s != quorum.StateDown {
		t.Errorf("after a confirmed failure: %s, want down", s)
	}
	now = now.Add(time.Hour)
	if s := state("eu"); s != quorum.StateUnknown {
		t.Errorf("an hour later: %s, want unknown (stale)", s)
	}
	if ids := e.CheckIDs(); len(ids) != 1 || ids[0] != "c1" {
		t.Errorf("CheckIDs = %v", ids)
	}
}
