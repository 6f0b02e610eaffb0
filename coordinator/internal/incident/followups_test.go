package incident_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestWindowAfterPage: an incident paged before a maintenance window began
// gets no reminders during the window; they resume after it.
func TestWindowAfterPage(t *testing.T) {
	a := alerting("pager")
	a.RemindEvery = durationpb.New(2 * time.Minute)
	h := start(t, []*vigilv1.Check{checkout(a)})
	h.warm()
	h.down(2)
	h.delivered(h.out.take())
	from := h.now
	if _, err := h.m.CreateWindow(h.ctx, window("", "hotfix", from.Add(10*time.Minute), "c1"), "ops"); err != nil {
		t.Fatalf("create window: %v", err)
	}
	h.advance(from.Add(10*time.Minute - time.Second))
	wantSent(t, "during the window", h.out.take(), nil)
	h.advance(from.Add(12*time.Minute + time.Second))
	if got := h.out.take(); len(got) != 1 {
		t.Errorf("after the window: sent %v, want one reminder", strs(got))
	}
}

// TestRestartBeforeDelivery: an incident whose page was still queued when
// the coordinator stopped is paged after the restart, not lost.
func TestRestartBeforeDelivery(t *testing.T) {
	h := start(t, []*vigilv1.Check{checkout(alerting("pager"))})
	h.warm()
	h.down(2)
	inc := h.single()
	h.out.take() // queued, never delivered: pages stays 0
	h.restart()
	wantSent(t, "after the restart", h.out.take(), []string{"pager trigger: " + downTitle})
	if got := len(events(h.get(inc.GetId()), "maintenance")); got != 1 {
		t.Errorf("the timeline does not say why it pages late:%s", timeline(h.get(inc.GetId())))
	}
}

// TestLongOutageTimeline: a long outage adds a region's first failure and
// its confirmation to the timeline, not a line every round.
func TestLongOutageTimeline(t *testing.T) {
	h := start(t, []*vigilv1.Check{checkout(alerting("pager"))})
	h.warm()
	h.down(2)
	inc := h.single()
	before := len(h.get(inc.GetId()).GetTimeline())
	h.advance(slotStart(40))
	if after := len(h.get(inc.GetId()).GetTimeline()); after > before+6 {
		t.Errorf("38 more failing rounds grew the timeline from %d to %d events:%s", before, after, timeline(h.get(inc.GetId())))
	}
}
