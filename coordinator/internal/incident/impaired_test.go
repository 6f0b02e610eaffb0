package incident_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestImpaired loses the probes of eu and ap (gossip reports none live):
// with one eligible region of the two needed the check is unknown, which
// raises a monitoring-impaired incident after 2 x interval + timeout and
// never a down one, even while us fails.
func TestImpaired(t *testing.T) {
	h := start(t, []*vigilv1.Check{checkout(alerting("pager"))})
	h.warm()
	h.advance(slotStart(2))
	h.setLive("eu", 0)
	if n := len(h.changes); n != 1 {
		t.Fatalf("state changed to %s when eu's probes left, want no change (two regions are enough)", h.changes[n-1].To)
	}
	h.setLive("ap", 0)
	since := h.lastChange()
	// us alone runs the check, and fails.
	h.round = func(slot int64) []*vigilv1.Result {
		return []*vigilv1.Result{fail("c1", "us", slot, 0, httpStatus), fail("c1", "us", slot, 1, httpStatus)}
	}

	h.advance(since.Add(impairedAfter - time.Second))
	h.noIncidents()
	wantSent(t, "before 2 x interval + timeout", h.out.take(), nil)

	h.advance(since.Add(impairedAfter))
	title := "monitoring of checkout is impaired: 1 of 3 regions eligible, 2 needed"
	inc := h.single()
	if got, want := describe([]*vigilv1.Incident{inc}), "inc-1 monitoring_impaired open: "+title; got[0] != want {
		t.Errorf("incident %q, want %q", got[0], want)
	}
	if tl := inc.GetTimeline(); len(tl) != 1 || !strings.Contains(tl[0].GetMessage(), "ap excluded, eu excluded") {
		t.Errorf("timeline does not name the regions lost:%s", timeline(inc))
	}
	wantSent(t, "when impaired", h.out.take(), []string{"pager trigger: " + title})

	h.advance(since.Add(20 * time.Minute))
	if got := describe(h.list()); !slices.Equal(got, []string{"inc-1 monitoring_impaired open: " + title}) {
		t.Errorf("incidents %q, want only the impaired one: unknown is never down", got)
	}
	wantSent(t, "while impaired", h.out.take(), nil)

	// The probes come back and every region passes.
	h.setLive("eu", 1)
	h.setLive("ap", 1)
	h.round = h.roundOf()
	h.advance(h.now.Add(2 * interval))
	inc = h.single()
	if inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED || inc.GetResolvedBy() != "vigil" {
		t.Errorf("after the probes came back: %s by %q, want resolved by vigil:%s", inc.GetStatus().Short(), inc.GetResolvedBy(), timeline(inc))
	}
	wantSent(t, "when monitoring is restored", h.out.take(), []string{"pager resolve: resolved: " + title})
}

// TestImpairedAtStart: every check starts unknown; a manager that just
// started raises nothing before 2 x interval + timeout, and then only when
// no region reported.
func TestImpairedAtStart(t *testing.T) {
	tests := []struct {
		name string
		// round gives each slot's results; nil means none ever arrive.
		round   func(h *harness) func(int64) []*vigilv1.Result
		wantNew []string // sent at 2 x interval + timeout
	}{
		{
			name:    "no results ever",
			wantNew: []string{"pager trigger: monitoring of checkout is impaired: 0 of 3 regions eligible, 2 needed"},
		},
		{
			name:  "results from every region",
			round: func(h *harness) func(int64) []*vigilv1.Result { return h.roundOf() },
		},
		{
			name:  "results from two regions",
			round: func(*harness) func(int64) []*vigilv1.Result { return onlyPassing("us", "eu") },
		},
		{
			name:    "results from one region",
			round:   func(*harness) func(int64) []*vigilv1.Result { return onlyPassing("eu") },
			wantNew: []string{"pager trigger: monitoring of checkout is impaired: 1 of 3 regions eligible, 2 needed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, []*vigilv1.Check{checkout(alerting("pager"))})
			if tt.round != nil {
				h.round = tt.round(h)
			}
			h.advance(t0)
			h.advance(t0.Add(impairedAfter - time.Second))
			h.noIncidents()
			wantSent(t, "before 2 x interval + timeout", h.out.take(), nil)
			h.advance(t0.Add(impairedAfter))
			wantSent(t, "at 2 x interval + timeout", h.out.take(), tt.wantNew)
			h.advance(t0.Add(30 * time.Minute))
			wantSent(t, "later", h.out.take(), nil)
			if n := len(h.list()); n != len(tt.wantNew) {
				t.Errorf("%d incidents, want %d", n, len(tt.wantNew))
			}
		})
	}
}
