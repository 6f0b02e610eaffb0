// Package checkfile loads check files (monitoring as code, DESIGN §5) into
// the wire form of checks, []*vigilv1.Check.
//
// Parse decodes the YAML strictly, applies defaults, then validates, in one
// pass that reports every problem with its file, line and field:
//
//	checks.yaml:12: checks[1].interval: must be at least 1s, got 500ms
//
// # File format
//
// The top level has checks: (required, at least one) and defaults:, whose
// interval, timeout, regions, quorum and min_regions apply to every check
// that does not set them. Unknown and duplicate keys are errors everywhere.
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
// probe can tell when a check changed.
package checkfile
