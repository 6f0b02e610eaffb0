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

func TestSlackPayload(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		edit   func(*Message)
	}{
		{"trigger", "slack-trigger.json", func(*Message) {}},
		{"acknowledge", "slack-acknowledge.json", func(m *Message) { m.Event = EventAcknowledge }},
		{"resolve", "slack-resolve.json", func(m *Message) {
			m.Event, m.State, m.Title, m.Summary, m.Regions, m.Disagree = EventResolve, "up", "checkout recovered", "", nil, false
		}},
		{"warning with markup", "slack-escaped.json", func(m *Message) {
			m.Severity, m.Event = "warning", EventReminder
			m.Title = "cart <slow> & flapping"
			m.Summary = "p75 <b>2.1s</b> > budget & rising"
			m.Flapping = true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, always(http.StatusOK))
			n := mustNew(t, Channel{Name: "team", Type: "slack", URL: rc.URL + "/services/T000/B000/XXXX"})
			m := testMessage()
			tt.edit(&m)
			if err := n.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			req := recv(t, rc.got, "slack request")
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			assertGoldenJSON(t, tt.golden, req.Body)
		})
	}
}

// The golden files pin the text; this pins what Slack itself requires of
// the shape, so a reviewer updating a golden file cannot break it unseen.
func TestSlackPayloadShape(t *testing.T) {
	m := testMessage()
	m.Title = strings.Repeat("é", 400) // Slack refuses a header over 150 characters
	body, err := json.Marshal(newSlackPayload(m))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"text"`
			Fields   []map[string]any `json:"fields"`
			Elements []map[string]any `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Text == "" {
		t.Error("text is empty; Slack uses it for notifications")
	}
	if len(doc.Blocks) == 0 || doc.Blocks[0].Type != "header" || doc.Blocks[0].Text == nil || doc.Blocks[0].Text.Type != "plain_text" {
		t.Fatalf("first block is not a plain_text header: %s", body)
	}
	if n := utf8.RuneCountInString(doc.Blocks[0].Text.Text); n > slackHeaderMax {
		t.Errorf("header has %d characters, Slack allows %d", n, slackHeaderMax)
	}
	for i, b := range doc.Blocks {
		switch b.Type {
		case "header", "context":
		case "section":
			if (b.Text == nil || b.Text.Text == "") && len(b.Fields) == 0 {
				t.Errorf("block %d: section without text or fields, which Slack refuses", i)
			}
		default:
			t.Errorf("block %d: type %q", i, b.Type)
		}
	}
}

func TestSlackRefusalIsPermanentAndHidesTheURL(t *testing.T) {
	rc := newReceiver(t, always(http.StatusNotFound))
	n := mustNew(t, Channel{Name: "team", Type: "slack", URL: rc.URL + "/services/T000/B000/s3cr3t-token"})
	err := n.Send(context.Background(), testMessage())
	if !errors.Is(err, ErrPermanent) {
		t.Fatalf("Send error = %v, want one wrapping ErrPermanent", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q shows the webhook URL's secret path", err)
	}
}
