package notify

import (
	"context"
	"time"
)

// Event says why a Message is sent.
type Event string

const (
	// EventTrigger: an incident opened (PagerDuty: trigger).
	EventTrigger Event = "trigger"
	// EventReminder: an incident is still open and not acknowledged
	// (PagerDuty: trigger again with the same dedup key, which it folds in).
	EventReminder Event = "reminder"
	// EventEscalation: an incident was not acknowledged in time and reaches
	// the next route (PagerDuty: trigger).
	EventEscalation Event = "escalation"
	// EventAcknowledge: someone acknowledged the incident (PagerDuty:
	// acknowledge).
	EventAcknowledge Event = "acknowledge"
	// EventResolve: the incident is over (PagerDuty: resolve).
	EventResolve Event = "resolve"
)

// Message is one notification about one incident. Every channel type renders
// it its own way.
type Message struct {
	Event Event
	// IncidentID names the incident; DedupKey is stable for the incident's
	// whole life (PagerDuty's dedup_key, the webhook's dedup_key field).
	IncidentID string
	DedupKey   string
	// Kind is the incident's kind: "down", "degraded" or
	// "monitoring_impaired".
	Kind      string
	CheckID   string
	CheckName string
	// Severity is "critical", "warning" or "info".
	Severity string
	// State is the check's state when the message was made.
	State string
	// Title is one line, e.g. "checkout is down: failing in 2 of 3 regions".
	Title string
	// Summary is a few lines for people: what fails where, and how.
	Summary string
	// Regions holds the failing regions' evidence.
	Regions []RegionFailure
	// Disagree is true when the failing regions fail with different error
	// classes.
	Disagree bool
	// Flapping is true when the check is flapping.
	Flapping bool
	// At is when the event happened.
	At time.Time
}

// RegionFailure is one failing region's evidence in a Message.
type RegionFailure struct {
	Region     string
	ProbeID    string
	ErrorClass string // e.g. "http_status", "timeout"
	FailedStep string // the failing step's name, empty for http checks
	Error      string
}

// Notifier delivers messages to one channel. Send makes one attempt; the
// Dispatcher retries. Implementations are safe for concurrent use.
type Notifier interface {
	// Name is the channel's name.
	Name() string
	// Send makes one delivery attempt, bounded by ctx. An error wrapping
	// ErrPermanent is not retried (for example HTTP 400 or 401).
	Send(ctx context.Context, m Message) error
}
