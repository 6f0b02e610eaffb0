package notify

import (
	"context"
	"fmt"
	"net/http"
)

// PagerDuty sends each message to PagerDuty's Events API v2, with the
// incident's dedup key, so a trigger, its reminders, the acknowledgement
// and the resolution all act on one PagerDuty alert.
type PagerDuty struct {
	name       string
	routingKey string
	ep         endpoint
}

var _ Notifier = (*PagerDuty)(nil)

func newPagerDuty(ch Channel, o options) (Notifier, error) {
	if ch.RoutingKey == "" {
		return nil, errNeeds("pagerduty", "routing_key")
	}
	u := ch.URL
	if u == "" {
		u = DefaultPagerDutyURL
	}
	ep, err := newEndpoint("pagerduty", u, ch.Timeout, o)
	if err != nil {
		return nil, err
	}
	return &PagerDuty{name: ch.Name, routingKey: ch.RoutingKey, ep: ep}, nil
}

// Name returns the channel's name.
func (p *PagerDuty) Name() string { return p.name }

// Send makes one POST of m as a PagerDuty event. PagerDuty answers 202; 429
// and 5xx are retried, any other answer is permanent. A message without a
// dedup key is refused as permanent: an acknowledge or resolve could not
// find its alert, and a trigger would open a new alert on every reminder.
func (p *PagerDuty) Send(ctx context.Context, m Message) error {
	ev, err := newPagerDutyEvent(p.routingKey, m)
	if err != nil {
		return permanent(fmt.Errorf("pagerduty: %w", err))
	}
	body, err := marshalJSON(ev)
	if err != nil {
		return permanentf("pagerduty: encode event: %w", err)
	}
	if err := p.ep.postJSON(ctx, body, nil, http.StatusAccepted); err != nil {
		return fmt.Errorf("pagerduty: %w", err)
	}
	return nil
}

// pagerDutySummaryMax is the Events API's limit on payload.summary.
const pagerDutySummaryMax = 1024

type pagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"` // trigger, acknowledge or resolve
	DedupKey    string            `json:"dedup_key"`
	Client      string            `json:"client,omitempty"`
	Payload     *pagerDutyPayload `json:"payload,omitempty"` // trigger only
}

type pagerDutyPayload struct {
	Summary       string                 `json:"summary"`
	Source        string                 `json:"source"`
	Severity      string                 `json:"severity"` // critical, error, warning or info
	Timestamp     string                 `json:"timestamp,omitempty"`
	Component     string                 `json:"component,omitempty"`
	Group         string                 `json:"group,omitempty"`
	CustomDetails pagerDutyCustomDetails `json:"custom_details"`
}

type pagerDutyCustomDetails struct {
	IncidentID string       `json:"incident_id"`
	Event      Event        `json:"event"`
	CheckName  string       `json:"check_name,omitempty"`
	State      string       `json:"state,omitempty"`
	Summary    string       `json:"summary,omitempty"`
	Regions    []regionJSON `json:"regions"`
	Disagree   bool         `json:"disagree"`
	Flapping   bool         `json:"flapping"`
}

// pagerDutyAction maps an Event to the Events API's event_action. Reminders
// and escalations are triggers again: PagerDuty folds them into the open
// alert by dedup key.
func pagerDutyAction(e Event) (string, error) {
	switch e {
	case EventTrigger, EventReminder, EventEscalation:
		return "trigger", nil
	case EventAcknowledge:
		return "acknowledge", nil
	case EventResolve:
		return "resolve", nil
	default:
		return "", fmt.Errorf("unknown event %q", e)
	}
}

// pagerDutySeverity maps Message.Severity to the Events API's severity.
// PagerDuty refuses a trigger with any other value, so an unknown or empty
// severity pages as critical: a lost page costs more than a loud one.
func pagerDutySeverity(s string) string {
	switch s {
	case "critical", "error", "warning", "info":
		return s
	default:
		return "critical"
	}
}

func newPagerDutyEvent(routingKey string, m Message) (pagerDutyEvent, error) {
	action, err := pagerDutyAction(m.Event)
	if err != nil {
		return pagerDutyEvent{}, err
	}
	if m.DedupKey == "" {
		return pagerDutyEvent{}, fmt.Errorf("%s of incident %q has no dedup key", m.Event, m.IncidentID)
	}
	ev := pagerDutyEvent{RoutingKey: routingKey, EventAction: action, DedupKey: m.DedupKey, Client: "Vigil"}
	if action != "trigger" {
		return ev, nil
	}
	summary := m.Title
	if summary == "" {
		summary = checkLabel(m) + " " + m.Kind
	}
	ev.Payload = &pagerDutyPayload{
		Summary:   truncate(summary, pagerDutySummaryMax),
		Source:    "vigil/" + checkLabel(m),
		Severity:  pagerDutySeverity(m.Severity),
		Timestamp: formatTime(m.At),
		Component: checkLabel(m),
		Group:     m.Kind,
		CustomDetails: pagerDutyCustomDetails{
			IncidentID: m.IncidentID,
			Event:      m.Event,
			CheckName:  m.CheckName,
			State:      m.State,
			Summary:    m.Summary,
			Regions:    regionsJSON(m.Regions),
			Disagree:   m.Disagree,
			Flapping:   m.Flapping,
		},
	}
	return ev, nil
}
