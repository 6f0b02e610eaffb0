package notify

import "time"

// Channel configures one notification channel, as named in a check file's
// channels: list. Secrets are already resolved (the check file names the
// environment variables that hold them).
type Channel struct {
	// Name is how routes refer to the channel.
	Name string
	// Type is "webhook", "slack", "pagerduty" or "email".
	Type string
	// URL is the endpoint of a webhook or Slack channel, or PagerDuty's
	// Events API v2 endpoint (empty means DefaultPagerDutyURL).
	URL string
	// Secret is the webhook's HMAC-SHA256 key; empty sends no signature.
	Secret string
	// RoutingKey is the PagerDuty integration (routing) key.
	RoutingKey string
	// SMTP configures an email channel.
	SMTP SMTP
	// Timeout bounds one delivery attempt; 0 means 10 seconds.
	Timeout time.Duration
}

// SMTP configures email delivery.
type SMTP struct {
	// Addr is the server's host:port.
	Addr string
	// From is the envelope and header sender.
	From string
	// To are the recipients.
	To []string
	// Username and Password authenticate with PLAIN auth when Username is
	// set; PLAIN is only used over TLS or to localhost.
	Username, Password string
}

// DefaultPagerDutyURL is PagerDuty's Events API v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"
