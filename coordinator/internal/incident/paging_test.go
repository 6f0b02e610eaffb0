package incident_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/vigilhq/vigil/coordinator/internal/notify"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestEscalation plays the clock over an open outage whose route 1 (pager)
// escalates to route 2 (boss) after 5 minutes, with reminders every 2
// minutes while it is not acknowledged.
func TestEscalation(t *testing.T) {
	type step struct {
		at   time.Duration // after the incident opened
		ack  bool          // acknowledge at at
		want []string      // what is sent at at, as brief renders it
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "not acknowledged: reminders, then route 2 at escalate_after",
			steps: []step{
				{at: 2*time.Minute - time.Second},
				{at: 2 * time.Minute, want: []string{"pager reminder"}},
				{at: 4 * time.Minute, want: []string{"pager reminder"}},
				{at: 5*time.Minute - time.Second},
				{at: 5 * time.Minute, want: []string{"boss escalation"}},
				{at: 7*time.Minute - time.Second},
				{at: 7 * time.Minute, want: []string{"pager reminder", "boss reminder"}},
				{at: 9 * time.Minute, want: []string{"pager reminder", "boss reminder"}},
			},
		},
		{
			name: "acknowledged before escalate_after: no escalation, no more reminders",
			steps: []step{
				{at: 2 * time.Minute, want: []string{"pager reminder"}},
				{at: 3 * time.Minute, ack: true, want: []string{"pager acknowledge"}},
				{at: 5 * time.Minute},
				{at: 30 * time.Minute},
			},
		},
		{
			name: "acknowledged after escalation: both routes hear it",
			steps: []step{
				{at: 5 * time.Minute, want: []string{"pager reminder", "pager reminder", "boss escalation"}},
				{at: 6 * time.Minute, ack: true, want: []string{"pager acknowledge", "boss acknowledge"}},
				{at: 30 * time.Minute},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, []*vigilv1.Check{checkout(&vigilv1.Alerting{
				Routes: []*vigilv1.Route{
					{Channels: []string{"pager"}, EscalateAfter: durationpb.New(5 * time.Minute)},
					{Channels: []string{"boss"}},
				},
				RemindEvery: durationpb.New(2 * time.Minute),
			})})
			h.warm()
			h.down(2)
			inc := h.single()
			wantSent(t, "at the outage", h.out.take(), []string{"pager trigger: " + downTitle})
			opened := inc.GetOpenedAt().AsTime()
			for _, s := range tt.steps {
				h.advance(opened.Add(s.at))
				if s.ack {
					if _, err := h.m.Acknowledge(h.ctx, inc.GetId(), "alice", h.now); err != nil {
						t.Fatalf("acknowledge: %v", err)
					}
				}
				ms := h.out.take()
				if got := brief(ms); !slices.Equal(got, s.want) {
					t.Errorf("at +%v: sent %q, want %q", s.at, got, s.want)
				}
				for _, m := range ms {
					want := map[notify.Event]string{
						notify.EventReminder:    "still open: " + downTitle,
						notify.EventEscalation:  downTitle,
						notify.EventAcknowledge: "acknowledged by alice: " + downTitle,
					}[m.msg.Event]
					if m.msg.Title != want {
						t.Errorf("at +%v: %s title %q, want %q", s.at, m.msg.Event, m.msg.Title, want)
					}
				}
			}
			inc = h.get(inc.GetId())
			var reminders, escalations int
			for _, s := range tt.steps {
				for _, w := range s.want {
					reminders += strings.Count(w, "pager reminder")
					escalations += strings.Count(w, "escalation")
				}
			}
			if got := len(events(inc, "reminder")); got != reminders {
				t.Errorf("timeline has %d reminder events, want %d (one per reminder round)", got, reminders)
			}
			if got := len(events(inc, "escalation")); got != escalations {
				t.Errorf("timeline has %d escalation events, want %d", got, escalations)
			}
		})
	}
}

// TestFlapping flips c1 between down and up, each outage lasting a round
// and each recovery two (so each incident resolves), with flapping at more
// than 3 changes in 10 minutes.
func TestFlapping(t *testing.T) {
	newFlapper := func(t *testing.T) *harness {
		a := alerting("pager")
		a.Flapping = &vigilv1.Flapping{Changes: 3, Window: durationpb.New(10 * time.Minute)}
		h := start(t, []*vigilv1.Check{checkout(a)})
		h.warm()
		return h
	}
	// cycle takes c1 down at slot and lets it recover over the next two.
	cycle := func(h *harness, slot int64) {
		h.down(slot)
		h.round = h.roundOf()
		h.advance(slotStart(slot + 2).Add(50 * time.Second))
	}

	t.Run("an episode notifies once", func(t *testing.T) {
		h := newFlapper(t)
		for k := range int64(4) {
			cycle(h, 2+3*k)
		}
		// The first outage's page is the episode's one notification; the
		// three outages after it send nothing. Without flapping each of
		// the four would have paged.
		ms := h.out.take()
		wantSent(t, "over four flips", ms, []string{
			"pager trigger: " + downTitle,
			"pager resolve: resolved: " + downTitle,
		})
		incs := h.list()
		if len(incs) != 4 {
			t.Fatalf("incidents %q, want one per outage", describe(incs))
		}
		for _, inc := range incs {
			if !inc.GetFlapping() || inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED {
				t.Errorf("incident %s: flapping %v, status %s; want flapping and resolved", inc.GetId(), inc.GetFlapping(), inc.GetStatus().Short())
			}
		}
		first := h.get(incs[len(incs)-1].GetId())
		if len(events(first, "flapping")) != 1 {
			t.Errorf("first incident's timeline does not say it started flapping:%s", timeline(first))
		}

		// Quiet for a window: the episode ends, and the next outage
		// pages as usual.
		h.advance(slotStart(30))
		wantSent(t, "while it settles", h.out.take(), nil)
		h.down(31)
		wantSent(t, "an outage after the episode", h.out.take(), []string{"pager trigger: " + downTitle})
		if inc := h.list()[0]; inc.GetFlapping() {
			t.Errorf("incident %s after the episode is marked flapping", inc.GetId())
		}
	})

	t.Run("an outage that outlasts the episode is paged when it settles", func(t *testing.T) {
		h := newFlapper(t)
		cycle(h, 2)
		cycle(h, 5)
		h.down(8) // and it stays down
		ms := h.out.take()
		if n := countEvent(ms, notify.EventTrigger); n != 1 {
			t.Errorf("%d triggers during the episode, want one: %q", n, strs(ms))
		}
		last := h.list()[0]
		h.advance(slotStart(12))
		wantSent(t, "still flapping", h.out.take(), nil)
		h.advance(slotStart(30))
		wantSent(t, "once it settled, still down", h.out.take(), []string{"pager trigger: " + downTitle})
		inc := h.get(last.GetId())
		if got := len(events(inc, "flapping")); got != 1 || inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_OPEN {
			t.Errorf("incident %s: %d flapping events, status %s; want the end of the episode noted, still open:%s", inc.GetId(), got, inc.GetStatus().Short(), timeline(inc))
		}
	})
}

// TestRecordAttempt feeds delivery outcomes back as the dispatcher does:
// each attempt is a notification event in the timeline, and delivered
// triggers and escalations count as pages (a reminder repeats one).
func TestRecordAttempt(t *testing.T) {
	h := start(t, []*vigilv1.Check{checkout(alerting("pager", "chat"))})
	h.warm()
	h.down(2)
	id := h.single().GetId()
	h.out.take()

	attempt := func(ch string, ev notify.Event, try int, err error, final bool) notify.Attempt {
		return notify.Attempt{Channel: ch, IncidentID: id, Event: ev, Try: try, At: h.now, Err: err, Final: final}
	}
	unavailable := errors.New("HTTP 503")
	steps := []struct {
		a         notify.Attempt
		resolve   bool // resolve by hand before the attempt
		wantOK    bool
		wantMsg   string
		wantPages uint32
	}{
		{a: attempt("pager", notify.EventTrigger, 1, unavailable, false), wantMsg: "trigger to pager: try 1 failed: HTTP 503"},
		{a: attempt("pager", notify.EventTrigger, 2, unavailable, false), wantMsg: "trigger to pager: try 2 failed: HTTP 503"},
		{a: attempt("pager", notify.EventTrigger, 3, nil, true), wantOK: true, wantMsg: "trigger to pager: delivered (try 3)", wantPages: 1},
		{a: attempt("chat", notify.EventTrigger, 5, unavailable, true), wantMsg: "trigger to chat: try 5 failed: HTTP 503; gave up (dead letter)", wantPages: 1},
		{a: attempt("pager", notify.EventReminder, 1, nil, true), wantOK: true, wantMsg: "reminder to pager: delivered (try 1)", wantPages: 1},
		{a: attempt("pager", notify.EventEscalation, 1, nil, true), wantOK: true, wantMsg: "escalation to pager: delivered (try 1)", wantPages: 2},
		{a: attempt("pager", notify.EventAcknowledge, 1, nil, true), wantOK: true, wantMsg: "acknowledge to pager: delivered (try 1)", wantPages: 2},
		{a: attempt("pager", notify.EventResolve, 1, nil, true), resolve: true, wantOK: true, wantMsg: "resolve to pager: delivered (try 1)", wantPages: 2},
	}
	for i, s := range steps {
		if s.resolve {
			if _, err := h.m.Resolve(h.ctx, id, "alice", "", h.now); err != nil {
				t.Fatalf("resolve: %v", err)
			}
		}
		h.m.RecordAttempt(s.a)
		inc := h.get(id)
		ev := inc.GetTimeline()[len(inc.GetTimeline())-1]
		if ev.GetKind() != "notification" || ev.GetChannel() != s.a.Channel || ev.GetOk() != s.wantOK || ev.GetMessage() != s.wantMsg {
			t.Errorf("step %d: last event %s channel %q ok %v %q; want notification channel %q ok %v %q",
				i, ev.GetKind(), ev.GetChannel(), ev.GetOk(), ev.GetMessage(), s.a.Channel, s.wantOK, s.wantMsg)
		}
		if inc.GetPages() != s.wantPages {
			t.Errorf("step %d: pages %d, want %d", i, inc.GetPages(), s.wantPages)
		}
	}
	if got := len(events(h.get(id), "notification")); got != len(steps) {
		t.Errorf("%d notification events, want %d", got, len(steps))
	}
}
