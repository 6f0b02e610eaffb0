// Package notify delivers incident notifications to channels: webhooks,
// Slack, PagerDuty and email.
//
// New builds a channel's Notifier from its Channel config; the registry in
// registry.go is the one list of channel types (Types). A Notifier makes one
// delivery attempt per Send. The Dispatcher queues messages per channel and
// retries them.
//
// # What each channel sends
//
// webhook: a POST of the whole Message as JSON. The field names are a
// stable contract (fields may be added, never renamed):
//
//	{
//	  "event": "trigger",             // trigger, reminder, escalation, acknowledge, resolve
//	  "incident_id": "inc-42",
//	  "dedup_key": "checkout/down",   // the same for the incident's whole life
//	  "kind": "down",                 // down, degraded, monitoring_impaired
//	  "check_id": "checkout",
//	  "check_name": "Checkout",
//	  "severity": "critical",         // critical, warning, info
//	  "state": "down",
//	  "title": "checkout is down: failing in 2 of 3 regions",
//	  "summary": "...",
//	  "regions": [{"region": "eu-west", "probe_id": "eu-1", "error_class": "http_status",
//	               "failed_step": "click #place-order", "error": "..."}],   // [] when none
//	  "disagree": false,
//	  "flapping": false,
//	  "at": "2026-01-02T15:04:05Z"    // RFC 3339, UTC; "" when unknown
//	}
//
// with the headers Content-Type: application/json, X-Vigil-Event (the
// event), X-Vigil-Delivery (an id that is the same on every retry of one
// message, so a receiver can drop duplicates), X-Vigil-Timestamp (unix
// seconds of this attempt) and, when the channel has a secret,
// X-Vigil-Signature. Any 2xx answer is success.
//
// slack: a Slack incoming-webhook payload, {"text": ..., "blocks": [...]}:
// a header whose emoji and word tell the event apart (":rotating_light:
// CRITICAL", ":alarm_clock: still open", ":arrow_double_up: escalated",
// ":eyes: acknowledged", ":white_check_mark: resolved") followed by the
// title; a section with the check, state, severity and incident; the
// summary; the failing regions with step, error class and error; and a
// context line. Text is cut to Slack's limits.
//
// pagerduty: an Events API v2 event with the channel's routing_key, the
// incident's dedup_key and event_action trigger (for trigger, reminder and
// escalation), acknowledge or resolve. A trigger carries a payload: summary
// (the title, cut to 1024 characters), source "vigil/<check id>", severity
// (critical, error, warning or info; anything else pages as critical),
// timestamp, component (the check), group (the incident kind) and
// custom_details with the regions. PagerDuty answers 202.
//
// email: a text/plain UTF-8 mail (quoted-printable) through the channel's
// SMTP server, with Subject = title and a body of the summary, the failing
// regions and the check, state and incident id. The notifier uses STARTTLS
// whenever the server offers it, verifying the certificate against the
// server's host name, and authenticates with PLAIN when the channel has a
// username, which it refuses to do over plain text except to localhost.
// CR and LF never reach a header from a message's fields.
//
// # Retries and dead letters
//
// Dispatcher.Send queues a message for a channel and never blocks (each
// channel's queue holds 1024). Each channel has one goroutine that delivers
// its messages one at a time, in order, so an acknowledge never overtakes
// its trigger and a channel that is down delays no other channel. A
// message gets up to Tries attempts (default 5), Backoff apart (default 1s,
// doubling up to MaxBackoff, default 1m, each wait up to 20% shorter for
// jitter). These errors are retried: transport errors and timeouts, HTTP
// 408, 429 and 5xx, SMTP 4xx; a 429 or 503 with Retry-After waits at least
// that long (at most 5 minutes) before the next try. These are permanent (ErrPermanent) and
// dead-letter the message after that one attempt: any other HTTP status,
// SMTP 5xx, a certificate that does not verify, and a message or config the
// channel cannot use. OnAttempt sees every attempt; OnDeadLetter sees every
// message that was not delivered, including those still queued or waiting
// for a retry when Run's context ends. Each attempt is bounded by the
// channel's Timeout (default 10s).
//
// # Webhook signatures
//
// With a secret set, every webhook request carries
//
//	X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// where timestamp is the X-Vigil-Timestamp header's value exactly as sent
// and body is the raw request body, byte for byte. A receiver recomputes it
// and compares in constant time (Verify does both), and should refuse a
// timestamp more than a few minutes from its own clock, so that a recorded
// request cannot be replayed. The timestamp and signature are fresh on each
// retry; X-Vigil-Delivery is not.
package notify
