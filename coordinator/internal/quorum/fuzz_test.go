package quorum_test

import (
	"testing"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// FuzzEngine feeds random sequences of results, gossip changes and ticks, and
// checks the invariants of DESIGN section 3 after every step.
func FuzzEngine(f *testing.F) {
	f.Add(uint8(0), uint8(0), []byte{0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1})
	f.Add(uint8(1), uint8(2), []byte{1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 3, 0, 0, 3, 1, 0})
	f.Add(uint8(3), uint8(3), []byte{2, 0, 0, 2, 1, 0, 4, 2, 200, 5, 0, 0})
	f.Fuzz(func(t *testing.T, q, minRegions uint8, ops []byte) {
		regions := []string{"eu", "us", "ap", "sa"}
		c := newCheck(withQuorum(uint32(q%5)), withMinRegions(uint32(minRegions%5)),
			withRegions(regions...), withLoadBudget(2*time.Second))
		e := quorum.New([]*vigilv1.Check{c})
		state := quorum.StateUnknown
		now := t0
		slot := int64(0)
		for i := 0; i+2 < len(ops); i += 3 {
			op, region, arg := ops[i]%7, regions[int(ops[i+1])%len(regions)], ops[i+2]
			probe, attempt := int(arg%3), uint32(arg%4)
			s := slot - int64(arg%3) // sometimes a late, older slot
			var ds []quorum.Decision
			switch op {
			case 0:
				r := pass(region, probe, s, attempt)
				r.LoadUs = int64(arg) * 20_000
				ds = e.Observe(r, now)
			case 1:
				ds = e.Observe(failClass(vigilv1.ErrorClass(1+arg%7), region, probe, s, attempt), now)
			case 2:
				ds = e.Observe(probeErr(region, probe, s, attempt), now)
			case 3:
				ds = e.SetRegionLive(region, int(arg%3), now)
			case 4:
				now = now.Add(time.Duration(arg) * time.Second)
				slot = int64(now.Sub(t0) / interval)
				ds = e.Tick(now)
			case 5:
				slot++
			case 6:
				c2 := newCheck(withQuorum(uint32(arg%5)), withMinRegions(uint32(arg/5%5)),
					withRegions(regions[:2+int(arg)%3]...))
				ds = e.SetChecks([]*vigilv1.Check{c2}, now)
			}
			st, ok := e.Status("c1", now)
			if !ok {
				t.Fatalf("op %d: check c1 vanished", i/3)
			}
			for _, d := range ds {
				switch d.Kind {
				case quorum.KindStateChanged:
					if d.From != state || d.From == d.To {
						t.Fatalf("op %d: transition %s->%s after state %s", i/3, d.From, d.To, state)
					}
					state = d.To
				case quorum.KindConfirmRequested:
					if rd := d.Regions[d.Region]; rd.Verdict != quorum.VerdictUp || !rd.Suspect ||
						rd.Status != vigilv1.ResultStatus_RESULT_STATUS_FAIL {
						t.Fatalf("op %d: confirmation for %s in %+v", i/3, d.Region, rd)
					}
				default:
					t.Fatalf("op %d: unknown kind %q", i/3, d.Kind)
				}
			}
			if st.State != state {
				t.Fatalf("op %d: status %s, last decided %s", i/3, st.State, state)
			}
			checkInvariants(t, st)
		}
	})
}

func checkInvariants(t *testing.T, st quorum.CheckStatus) {
	t.Helper()
	eligible, failing := 0, 0
	for name, d := range st.Regions {
		if d.Verdict == quorum.VerdictUp || d.Verdict == quorum.VerdictFailing {
			eligible++
		}
		if d.Verdict == quorum.VerdictFailing {
			failing++
			if d.Status != vigilv1.ResultStatus_RESULT_STATUS_FAIL {
				t.Fatalf("region %s failing on a %s result", name, d.Status)
			}
		}
		if d.Status == vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR && d.Verdict != quorum.VerdictExcluded &&
			d.Verdict != quorum.VerdictStale {
			t.Fatalf("region %s is %s on probe_error", name, d.Verdict)
		}
	}
	if eligible != len(st.Eligible) || failing != len(st.Failing) {
		t.Fatalf("counts %d/%d, lists %v/%v", eligible, failing, st.Eligible, st.Failing)
	}
	switch st.State {
	case quorum.StateDown:
		if failing < st.Quorum {
			t.Fatalf("down with %d failing < quorum %d", failing, st.Quorum)
		}
		if eligible < st.MinRegions {
			t.Fatalf("down with %d eligible < min_regions %d", eligible, st.MinRegions)
		}
	case quorum.StateUnknown:
		if eligible >= st.MinRegions {
			t.Fatalf("unknown with %d eligible >= min_regions %d", eligible, st.MinRegions)
		}
	case quorum.StateUp:
		if failing > 0 {
			t.Fatalf("up with %d failing", failing)
		}
	case quorum.StateDegraded:
		if failing >= st.Quorum || (failing == 0 && len(st.BudgetBreached) < st.Quorum) {
			t.Fatalf("degraded with %d failing, %d breached, quorum %d", failing, len(st.BudgetBreached), st.Quorum)
		}
	default:
		t.Fatalf("state %q", st.State)
	}
}
