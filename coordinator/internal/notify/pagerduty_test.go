package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// One incident's life through a real receiver: trigger, reminder,
// acknowledge, resolve, all with one dedup key.
func TestPagerDutyLifecycle(t *testing.T) {
	rc := newReceiver(t, always(http.StatusAccepted))
	n := mustNew(t, Channel{Name: "pd", Type: "pagerduty", URL: rc.URL + "/v2/enqueue", RoutingKey: "R0UT1NGKEY"})

	steps := []struct {
		event  Event
		action string
		golden string // "" for no golden file
	}{
		{EventTrigger, "trigger", "pagerduty-trigger.json"},
		{EventReminder, "trigger", ""},
		{EventEscalation, "trigger", ""},
		{EventAcknowledge, "acknowledge", "pagerduty-acknowledge.json"},
		{EventResolve, "resolve", "pagerduty-resolve.json"},
	}
	for _, s := range steps {
		m := testMessage()
		m.Event = s.event
		if err := n.Send(context.Background(), m); err != nil {
			t.Fatalf("Send %s: %v", s.event, err)
		}
		req := recv(t, rc.got, "pagerduty request")
		var ev struct {
			RoutingKey  string          `json:"routing_key"`
			EventAction string          `json:"event_action"`
			DedupKey    string          `json:"dedup_key"`
			Payload     json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(req.Body, &ev); err != nil {
			t.Fatalf("%s: %v", s.event, err)
		}
		if ev.RoutingKey != "R0UT1NGKEY" || ev.EventAction != s.action || ev.DedupKey != "checkout/down/42" {
			t.Errorf("%s: routing_key %q, event_action %q, dedup_key %q; want R0UT1NGKEY, %s, checkout/down/42",
				s.event, ev.RoutingKey, ev.EventAction, ev.DedupKey, s.action)
		}
		if hasPayload := ev.Payload != nil; hasPayload != (s.action == "trigger") {
			t.Errorf("%s: payload present = %v, want it only for triggers", s.event, hasPayload)
		}
		if s.golden != "" {
			assertGoldenJSON(t, s.golden, req.Body)
		}
	}
}

func TestPagerDutySeverityAndSummary(t *testing.T) {
	tests := []struct{ in, want string }{
		{"critical", "critical"},
		{"warning", "warning"},
		{"info", "info"},
		{"error", "error"},
		{"", "critical"},
		{"sev1", "critical"},
	}
	for _, tt := range tests {
		m := testMessage()
		m.Severity = tt.in
		ev, err := newPagerDutyEvent("k", m)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Payload.Severity != tt.want {
			t.Errorf("severity %q maps to %q, want %q", tt.in, ev.Payload.Severity, tt.want)
		}
	}

	m := testMessage()
	m.Title = strings.Repeat("ü", 2000)
	ev, err := newPagerDutyEvent("k", m)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(ev.Payload.Summary); n != pagerDutySummaryMax || !utf8.ValidString(ev.Payload.Summary) || !strings.HasSuffix(ev.Payload.Summary, "…") {
		t.Errorf("summary of a 2000-character title: %d characters, valid UTF-8 %v; want %d ending in …",
			n, utf8.ValidString(ev.Payload.Summary), pagerDutySummaryMax)
	}
}

func TestPagerDutyAnswers(t *testing.T) {
	tests := []struct {
		status    int
		permanent bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusForbidden, true},
		{http.StatusOK, true}, // not the Events API's answer
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusServiceUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			rc := newReceiver(t, always(tt.status))
			n := mustNew(t, Channel{Name: "pd", Type: "pagerduty", URL: rc.URL, RoutingKey: "k"})
			err := n.Send(context.Background(), testMessage())
			if err == nil {
				t.Fatalf("Send succeeded on HTTP %d", tt.status)
			}
			if got := errors.Is(err, ErrPermanent); got != tt.permanent {
				t.Errorf("HTTP %d: permanent = %v, want %v (%v)", tt.status, got, tt.permanent, err)
			}
		})
	}
}

func TestPagerDutyRefusesMessagesItCannotRoute(t *testing.T) {
	rc := newReceiver(t, always(http.StatusAccepted))
	n := mustNew(t, Channel{Name: "pd", Type: "pagerduty", URL: rc.URL, RoutingKey: "k"})
	noKey := testMessage()
	noKey.Event, noKey.DedupKey = EventAcknowledge, ""
	unknown := testMessage()
	unknown.Event = "snooze"
	for _, m := range []Message{noKey, unknown} {
		err := n.Send(context.Background(), m)
		if !errors.Is(err, ErrPermanent) {
			t.Errorf("Send(%s, dedup key %q) = %v, want a permanent error", m.Event, m.DedupKey, err)
		}
	}
	if got := len(rc.requests()); got != 0 {
		t.Errorf("receiver got %d requests, want none", got)
	}
}
