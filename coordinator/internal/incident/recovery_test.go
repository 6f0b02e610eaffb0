package incident_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/vigilhq/vigil/coordinator/internal/notify"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// routes pages pager and chat first, and boss an hour later.
func routes() *vigilv1.Alerting {
	return &vigilv1.Alerting{Routes: []*vigilv1.Route{
		{Channels: []string{"pager", "chat"}, EscalateAfter: durationpb.New(time.Hour)},
		{Channels: []string{"boss"}},
	}}
}

const downTitle = "checkout is down: failing in 2 of 3 regions"

// TestRecovery takes c1 down in us and eu at slot 2, then plays passing
// rounds from slot 3: the incident resolves after recover_after rounds
// that passed in a quorum of regions, and not before.
func TestRecovery(t *testing.T) {
	all := []string{"us", "eu", "ap"}
	tests := []struct {
		name         string
		recoverAfter uint32
		// rounds are the regions passing in slots 3, 4, ...; the others
		// send nothing.
		rounds [][]string
		// resolvedAfter is the 1-based round after which it is resolved.
		resolvedAfter int
	}{
		{name: "default recover_after is two rounds", rounds: [][]string{all, all, all}, resolvedAfter: 2},
		{name: "recover_after 3", recoverAfter: 3, rounds: [][]string{all, all, all, all}, resolvedAfter: 3},
		{name: "two of three regions passing is a quorum", rounds: [][]string{{"us", "ap"}, {"eu", "ap"}, all}, resolvedAfter: 2},
		{name: "a round with one region passing does not count", rounds: [][]string{all, {"us"}, all, all}, resolvedAfter: 3},
		{name: "recover_after 3 with a lone region's round", recoverAfter: 3, rounds: [][]string{all, {"eu"}, all, all, all}, resolvedAfter: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := routes()
			a.RecoverAfter = tt.recoverAfter
			h := start(t, []*vigilv1.Check{checkout(a)})
			h.warm()
			h.down(2)
			wantSent(t, "at the outage", h.out.take(), []string{"pager trigger: " + downTitle, "chat trigger: " + downTitle})

			for i, regs := range tt.rounds {
				slot := int64(3 + i)
				h.round = onlyPassing(regs...)
				h.advance(slotStart(slot).Add(50 * time.Second))
				inc := h.single()
				resolved := inc.GetStatus() == vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED
				switch n := i + 1; {
				case n < tt.resolvedAfter:
					if resolved {
						t.Fatalf("resolved after round %d (%v), want after round %d:%s", n, regs, tt.resolvedAfter, timeline(inc))
					}
					wantSent(t, "before recovery", h.out.take(), nil)
				case n == tt.resolvedAfter:
					if !resolved {
						t.Fatalf("still %s after round %d, want resolved:%s", inc.GetStatus().Short(), n, timeline(inc))
					}
					if at := inc.GetResolvedAt().AsTime(); inc.GetResolvedBy() != "vigil" || at.Before(slotStart(slot)) || at.After(h.now) {
						t.Errorf("resolved by %q at %v, want vigil during slot %d", inc.GetResolvedBy(), at, slot)
					}
					if got := kinds(inc); !slices.Equal(got[len(got)-2:], []string{"recovered", "resolved"}) {
						t.Errorf("timeline ends %q, want recovered, resolved", got[len(got)-2:])
					}
					// The resolve goes to the channels that were paged, not
					// to route 2.
					wantSent(t, "at recovery", h.out.take(), []string{"pager resolve: resolved: " + downTitle, "chat resolve: resolved: " + downTitle})
				default:
					if !resolved {
						t.Fatalf("reopened after round %d", n)
					}
					wantSent(t, "after recovery", h.out.take(), nil)
				}
			}
		})
	}
}

// TestRestart boots a new engine and manager on the store of an open,
// paged incident: it is not paged again, its reminders go on, and it still
// resolves on recovery.
func TestRestart(t *testing.T) {
	a := alerting("pager")
	a.RemindEvery = durationpb.New(10 * time.Minute)

	t.Run("the outage goes on, then recovers", func(t *testing.T) {
		h := start(t, []*vigilv1.Check{checkout(a)})
		h.warm()
		h.down(2)
		opened := h.single()
		h.delivered(h.out.take())
		h.advance(slotStart(4))

		h.restart()
		restarted := h.now
		h.advance(slotStart(9))
		if inc := h.single(); inc.GetId() != opened.GetId() || inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_OPEN || inc.GetPages() != 1 {
			t.Errorf("after the restart: %q with %d pages, want %s still open with 1 page", describe([]*vigilv1.Incident{inc}), inc.GetPages(), opened.GetId())
		}
		wantSent(t, "after the restart, still down", h.out.take(), nil)

		// Reminders count from the restart: nothing before remind_every.
		h.advance(restarted.Add(10*time.Minute - time.Second))
		wantSent(t, "before the first reminder", h.out.take(), nil)
		h.advance(restarted.Add(10 * time.Minute))
		wantSent(t, "remind_every after the restart", h.out.take(), []string{"pager reminder: still open: " + downTitle})

		h.round = h.roundOf()
		slot := h.fed + 1
		h.advance(slotStart(slot + 1).Add(50 * time.Second))
		if inc := h.single(); inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED {
			t.Errorf("after two passing rounds: %s, want resolved:%s", inc.GetStatus().Short(), timeline(inc))
		}
		wantSent(t, "at recovery", h.out.take(), []string{"pager resolve: resolved: " + downTitle})
	})

	t.Run("a lone region's pass right after the restart does not count", func(t *testing.T) {
		h := start(t, []*vigilv1.Check{checkout(a)})
		h.warm()
		h.down(2)
		h.delivered(h.out.take())
		h.advance(slotStart(3).Add(-time.Second))

		h.restart()
		h.round = onlyPassing("us")
		h.advance(slotStart(3).Add(50 * time.Second))
		h.round = h.roundOf()
		h.advance(slotStart(4).Add(50 * time.Second))
		if inc := h.single(); inc.GetStatus() == vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED {
			t.Fatalf("resolved after one full round and one of us alone:%s", timeline(inc))
		}
		h.advance(slotStart(5).Add(50 * time.Second))
		if inc := h.single(); inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED {
			t.Errorf("after two full rounds: %s, want resolved:%s", inc.GetStatus().Short(), timeline(inc))
		}
		ms := h.out.take()
		wantSent(t, "after the restart", ms, []string{"pager resolve: resolved: " + downTitle})
		if n := countEvent(ms, notify.EventTrigger); n != 0 {
			t.Errorf("%d triggers after the restart, want none", n)
		}
	})
}
