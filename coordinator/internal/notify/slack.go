package notify

import (
	"context"
	"fmt"
	"strings"
)

// Slack posts each message to a Slack incoming webhook as Block Kit: a
// header with the title, the check's facts, the summary, the failing regions
// and a context line.
type Slack struct {
	name string
	ep   endpoint
}

var _ Notifier = (*Slack)(nil)

func newSlack(ch Channel, o options) (Notifier, error) {
	ep, err := newEndpoint("slack", ch.URL, ch.Timeout, o)
	if err != nil {
		return nil, err
	}
	return &Slack{name: ch.Name, ep: ep}, nil
}

// Name returns the channel's name.
func (s *Slack) Name() string { return s.name }

// Send makes one POST of m's Slack rendering. Slack answers 200 "ok"; its
// refusals (400 invalid_payload, 404 channel_not_found, ...) are permanent.
func (s *Slack) Send(ctx context.Context, m Message) error {
	body, err := marshalJSON(newSlackPayload(m))
	if err != nil {
		return permanentf("slack: encode message: %w", err)
	}
	if err := s.ep.postJSON(ctx, body, nil, 0); err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	return nil
}

// Slack's limits; a longer text makes Slack refuse the whole message.
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackFieldMax   = 2000
)

type slackPayload struct {
	Text   string       `json:"text"` // the notification's text, and the fallback
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"` // header, section or context
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type  string `json:"type"` // plain_text or mrkdwn
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

func mrkdwn(s string) slackText { return slackText{Type: "mrkdwn", Text: s} }

// slackHeadline is the first line: an emoji and a word that tell a new
// incident from a reminder, an acknowledgement or a resolution at a glance.
func slackHeadline(m Message) string {
	var prefix string
	switch m.Event {
	case EventResolve:
		prefix = ":white_check_mark: resolved"
	case EventAcknowledge:
		prefix = ":eyes: acknowledged"
	case EventReminder:
		prefix = ":alarm_clock: still open"
	case EventEscalation:
		prefix = ":arrow_double_up: escalated"
	default: // a new incident
		switch m.Severity {
		case "warning":
			prefix = ":warning: WARNING"
		case "info":
			prefix = ":information_source: INFO"
		default:
			prefix = ":rotating_light: CRITICAL"
		}
	}
	return prefix + ": " + m.Title
}

func newSlackPayload(m Message) slackPayload {
	headline := slackHeadline(m)
	blocks := []slackBlock{
		{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(headline, slackHeaderMax), Emoji: true}},
		{Type: "section", Fields: []slackText{
			mrkdwn("*Check*\n" + truncate(slackEscape(checkDisplayName(m)), slackFieldMax)),
			mrkdwn("*State*\n" + truncate(slackEscape(m.State), slackFieldMax)),
			mrkdwn("*Severity*\n" + truncate(slackEscape(m.Severity), slackFieldMax)),
			mrkdwn("*Incident*\n" + truncate(slackEscape(m.IncidentID), slackFieldMax)),
		}},
	}
	if m.Summary != "" {
		blocks = append(blocks, slackBlock{Type: "section", Text: ptr(mrkdwn(truncate(slackEscape(m.Summary), slackSectionMax)))})
	}
	if len(m.Regions) > 0 {
		var b strings.Builder
		b.WriteString("*Failing regions*")
		for _, r := range m.Regions {
			b.WriteString("\n• *" + slackEscape(r.Region) + "*")
			if r.FailedStep != "" {
				b.WriteString(" at step _" + slackEscape(r.FailedStep) + "_")
			}
			if r.ErrorClass != "" {
				b.WriteString(": `" + slackEscape(r.ErrorClass) + "`")
			}
			if r.Error != "" {
				b.WriteString(" — " + slackEscape(r.Error))
			}
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: ptr(mrkdwn(truncate(b.String(), slackSectionMax)))})
	}
	notes := []string{"Vigil", string(m.Event)}
	if m.Kind != "" {
		notes = append(notes, m.Kind)
	}
	if m.Disagree {
		notes = append(notes, "regions disagree on the error class")
	}
	if m.Flapping {
		notes = append(notes, "flapping")
	}
	if at := formatTime(m.At); at != "" {
		notes = append(notes, at)
	}
	blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{mrkdwn(slackEscape(strings.Join(notes, " · ")))}})
	return slackPayload{Text: slackEscape(headline), Blocks: blocks}
}

// slackEscape escapes the three characters that mrkdwn treats as markup.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

func ptr[T any](v T) *T { return &v }
