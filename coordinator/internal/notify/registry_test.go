package notify

import (
	"slices"
	"testing"
	"time"
)

func TestTypes(t *testing.T) {
	want := []string{"email", "pagerduty", "slack", "webhook"}
	if got := Types(); !slices.Equal(got, want) {
		t.Errorf("Types() = %v, want %v", got, want)
	}
}

func TestNewValidates(t *testing.T) {
	smtp := SMTP{Addr: "mail.example.com:587", From: "vigil@example.com", To: []string{"ops@example.com"}}
	tests := []struct {
		name string
		ch   Channel
		want string // "" means valid
	}{
		{"no name", Channel{Type: "webhook", URL: "https://example.com"}, `channel of type "webhook" needs a name`},
		{"no type", Channel{Name: "ops"}, "channel ops: needs a type (one of email, pagerduty, slack, webhook)"},
		{"unknown type", Channel{Name: "ops", Type: "sms"}, `channel ops: unknown type "sms" (want one of email, pagerduty, slack, webhook)`},
		{"negative timeout", Channel{Name: "ops", Type: "webhook", URL: "https://example.com", Timeout: -time.Second}, "channel ops: timeout must not be negative, got -1s"},

		{"webhook", Channel{Name: "ops", Type: "webhook", URL: "https://example.com/hook"}, ""},
		{"webhook no url", Channel{Name: "ops", Type: "webhook"}, "channel ops: webhook needs url"},
		{"webhook bad scheme", Channel{Name: "ops", Type: "webhook", URL: "ftp://example.com"}, `channel ops: webhook url: want http or https, got scheme "ftp"`},
		{"webhook no host", Channel{Name: "ops", Type: "webhook", URL: "https:///hook"}, "channel ops: webhook url: has no host"},
		{"webhook unparsable url hides it", Channel{Name: "ops", Type: "webhook", URL: "https://example.com/%zz-secret"}, `channel ops: webhook url: invalid URL escape "%zz"`},

		{"slack", Channel{Name: "team", Type: "slack", URL: "https://hooks.slack.com/services/T/B/X"}, ""},
		{"slack no url", Channel{Name: "team", Type: "slack"}, "channel team: slack needs url"},

		{"pagerduty default url", Channel{Name: "pd", Type: "pagerduty", RoutingKey: "R0UT1NG"}, ""},
		{"pagerduty no key", Channel{Name: "pd", Type: "pagerduty"}, "channel pd: pagerduty needs routing_key"},
		{"pagerduty bad url", Channel{Name: "pd", Type: "pagerduty", RoutingKey: "k", URL: "events.pagerduty.com"}, `channel pd: pagerduty url: want http or https, got scheme ""`},

		{"email", Channel{Name: "mail", Type: "email", SMTP: smtp}, ""},
		{"email no addr", Channel{Name: "mail", Type: "email", SMTP: SMTP{From: "a@b.c", To: []string{"d@e.f"}}}, "channel mail: email needs smtp addr"},
		{"email addr without port", Channel{Name: "mail", Type: "email", SMTP: SMTP{Addr: "mail.example.com", From: "a@b.c", To: []string{"d@e.f"}}}, `channel mail: email smtp addr "mail.example.com": want host:port`},
		{"email no from", Channel{Name: "mail", Type: "email", SMTP: SMTP{Addr: "m:25", To: []string{"d@e.f"}}}, "channel mail: email needs from"},
		{"email bad from", Channel{Name: "mail", Type: "email", SMTP: SMTP{Addr: "m:25", From: "vigil", To: []string{"d@e.f"}}}, `channel mail: email from "vigil": mail: missing '@' or angle-addr`},
		{"email no to", Channel{Name: "mail", Type: "email", SMTP: SMTP{Addr: "m:25", From: "a@b.c"}}, "channel mail: email needs at least one to address"},
		{"email bad to", Channel{Name: "mail", Type: "email", SMTP: SMTP{Addr: "m:25", From: "a@b.c", To: []string{"ops@example.com\r\nBcc: x@y.z"}}}, `channel mail: email to "ops@example.com\r\nBcc: x@y.z": mail: expected single address, got "\r\nBcc: x@y.z"`},
		{"email password without user", Channel{Name: "mail", Type: "email", SMTP: SMTP{Addr: "m:25", From: "a@b.c", To: []string{"d@e.f"}, Password: "p"}}, "channel mail: email has a password but no username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := New(tt.ch)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if n.Name() != tt.ch.Name {
					t.Errorf("Name() = %q, want %q", n.Name(), tt.ch.Name)
				}
				return
			}
			if err == nil {
				t.Fatalf("New succeeded, want error %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("New error\n got: %s\nwant: %s", err, tt.want)
			}
		})
	}
}
