package notify

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Webhook posts each message as JSON to a URL, signed when the channel has
// a secret. The body's shape is webhookPayload; doc.go describes it.
type Webhook struct {
	name   string
	secret string
	ep     endpoint
}

var _ Notifier = (*Webhook)(nil)

func newWebhook(ch Channel, o options) (Notifier, error) {
	ep, err := newEndpoint("webhook", ch.URL, ch.Timeout, o)
	if err != nil {
		return nil, err
	}
	return &Webhook{name: ch.Name, secret: ch.Secret, ep: ep}, nil
}

// Name returns the channel's name.
func (w *Webhook) Name() string { return w.name }

// Send makes one POST of m. Any 2xx is success. Each attempt carries a fresh
// X-Vigil-Timestamp and signature, and the delivery id of ctx
// (WithDeliveryID), which stays the same across retries.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := marshalJSON(newWebhookPayload(m))
	if err != nil {
		return permanentf("webhook: encode message: %w", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set("X-Vigil-Event", string(m.Event))
	h.Set("X-Vigil-Delivery", deliveryID(ctx))
	h.Set("X-Vigil-Timestamp", ts)
	if w.secret != "" {
		h.Set("X-Vigil-Signature", Sign(w.secret, ts, body))
	}
	if err := w.ep.postJSON(ctx, body, h, 0); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// webhookPayload is the webhook body. Its field names are a public contract:
// add fields, never rename or remove them.
type webhookPayload struct {
	Event      Event        `json:"event"`
	IncidentID string       `json:"incident_id"`
	DedupKey   string       `json:"dedup_key"`
	Kind       string       `json:"kind"`
	CheckID    string       `json:"check_id"`
	CheckName  string       `json:"check_name"`
	Severity   string       `json:"severity"`
	State      string       `json:"state"`
	Title      string       `json:"title"`
	Summary    string       `json:"summary"`
	Regions    []regionJSON `json:"regions"`
	Disagree   bool         `json:"disagree"`
	Flapping   bool         `json:"flapping"`
	At         string       `json:"at"`
}

// regionJSON is a RegionFailure in the webhook body and in PagerDuty's
// custom_details.
type regionJSON struct {
	Region     string `json:"region"`
	ProbeID    string `json:"probe_id"`
	ErrorClass string `json:"error_class"`
	FailedStep string `json:"failed_step"`
	Error      string `json:"error"`
}

// regionsJSON converts rs; it is [] rather than null when none fail.
func regionsJSON(rs []RegionFailure) []regionJSON {
	out := make([]regionJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, regionJSON(r))
	}
	return out
}

func newWebhookPayload(m Message) webhookPayload {
	return webhookPayload{
		Event:      m.Event,
		IncidentID: m.IncidentID,
		DedupKey:   m.DedupKey,
		Kind:       m.Kind,
		CheckID:    m.CheckID,
		CheckName:  m.CheckName,
		Severity:   m.Severity,
		State:      m.State,
		Title:      m.Title,
		Summary:    m.Summary,
		Regions:    regionsJSON(m.Regions),
		Disagree:   m.Disagree,
		Flapping:   m.Flapping,
		At:         formatTime(m.At),
	}
}

// formatTime renders t as RFC 3339 in UTC, or "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
