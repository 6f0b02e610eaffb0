// Package checkfile loads check files (monitoring as code, DESIGN §5) into
// the wire form of checks, []*vigilv1.Check, with the notification channels
// ([]notify.Channel) and maintenance windows ([]*vigilv1.MaintenanceWindow)
// the file also defines (File).
//
// ParseFile decodes the YAML strictly, applies defaults, then validates, in
// one pass that reports every problem with its file, line and field:
//
//	checks.yaml:12: checks[1].interval: must be at least 1s, got 500ms
//
// # File format
//
// The top level has checks: (required, at least one), defaults:, whose
// interval, timeout, regions, quorum, min_regions and alerting apply to
// every check that does not set them, channels: and maintenance:. Unknown
// and duplicate keys are errors everywhere.
//
// Every check has:
//
//	name         required, unique, ^[a-z0-9][a-z0-9_-]{0,62}$; also the id
//	type         required: http or browser
//	target       required: absolute http or https URL with a host
//	interval     Go duration, 1s to 24h; default 60s
//	timeout      > 0 and <= interval; default 10s (http) or 30s (browser),
//	             capped at the interval
//	regions      required (here or in defaults): unique names,
//	             ^[a-z0-9][a-z0-9-]{0,31}$
//	quorum       0 to len(regions); 0 (the default) means a majority
//	min_regions  1 to len(regions); default 2, or len(regions) when fewer
//	probes_per_region
//	             1 to 10: how many live probes of each region run the check
//	             in every slot (the top N by rendezvous hashing); default 1
//	alerting     when incidents open and resolve, and who hears of them
//	             (see Alerting)
//
// http checks may have method (a token; default GET), headers (name: value,
// sorted by name), body, expect: {status (100-599), body_contains,
// body_not_contains, tls_expiry_min_days (0-3650)} and follow_redirects
// (default true). browser checks have steps (1 to 100) and an optional
// budget: {load_p75, lcp_p75, flow_p75}, each a positive duration. Fields of
// one type are errors in the other.
//
// A step is a mapping with exactly one action, an optional name (default:
// the action and its arguments, like `click a.product "Coffee"`) and an
// optional timeout (<= the check's timeout):
//
//	goto: /path                      or an absolute http(s) URL
//	click: "#sel"                    or {selector: "a.product", text: "Coffee"}
//	fill: {"#email": "x", "#n": "y"} fields are filled in the file's order
//	select: {selector: "#shipping", value: "express"}
//	expect_text: "Order confirmed"   or {text: "1", selector: "#cart-count"}
//	expect_selector: "#order-number"
//	wait: 500ms                      at most 60s, shorter than the check's timeout
//
// Anchors may be set but aliases and merge keys (<<) are rejected: defaults:
// covers sharing, an error inside an aliased node would point at a line that
// several checks share, and expansion lets a small file grow without bound.
// Files are limited to 1 MiB and one YAML document.
//
// Each check's Version is a digest of its definition (see version), so a
// probe can tell when a check changed. Alerting is left out of it: it does
// not change how the check runs.
//
// # Alerting
//
// A check's alerting: block, and defaults.alerting with the same fields; a
// check inherits each field it does not set from defaults.alerting (routes
// as a whole), then from the built-in default. Check.Alerting always comes
// out filled in, so consumers never apply defaults of their own:
//
//	severity        critical, warning or info; default critical
//	degraded_after  > 0: how long the check may stay degraded before an
//	                incident opens; unset means degraded never opens one
//	recover_after   1 to 100 passing rounds that resolve an incident;
//	                default 2
//	remind_every    >= 1m: repeat an unacknowledged incident's
//	                notification; unset means no reminders
//	flapping        {changes: >= 1, default 5; window: > 0, <= 24h,
//	                default 30m}
//	routes          escalation steps, notified in order: each
//	                {channels: [names from channels:], escalate_after:
//	                >= 1m}; escalate_after is required on every route but
//	                the last. routes: [] means no notifications.
//
// # Channels
//
// channels: lists notification channels; each has a unique name (the
// syntax of check names), a type and an optional timeout (> 0, <= 1m; the
// notifier's default when unset). Secrets are never in the file: the *_env
// fields name environment variables, read at load (os.LookupEnv, or the
// function of WithLookupEnv); a variable that is unset or empty is an
// error, and no message shows a variable's value.
//
//	webhook    url or url_env (http or https); secret_env, optional,
//	           signs deliveries
//	slack      url or url_env (the URL is a secret: prefer url_env)
//	pagerduty  routing_key_env; url, optional (PagerDuty's Events API v2)
//	email      smtp: {addr: host:port, from: address, to: [addresses],
//	           username_env and password_env, both or neither}
//
// # Maintenance windows
//
// maintenance: lists windows during which Vigil still records everything
// but sends no notifications. Each has a unique name (the syntax of check
// names; its id is "file:<name>"), optional checks: [check names] (default
// every check), and is either one-off, from: and until: (RFC 3339 times
// with a zone; from inclusive, until exclusive), or recurring:
//
//	recurring:
//	  time_zone: Europe/Berlin    IANA zone; default UTC
//	  days: [tue, thu]            mon ... sun; default every day
//	  start_time: "02:00"         HH:MM, local time in time_zone
//	  duration: 1h                > 0, at most 7 days
//
// A recurring window may also have from:, before which it does not apply.
// The package maintenance validates windows (the file accepts exactly what
// the API does) and says when they are active, DST included.
package checkfile
