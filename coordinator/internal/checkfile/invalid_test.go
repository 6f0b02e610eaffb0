package checkfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// invalidTests maps each testdata/invalid-<rule>.yaml to the exact error
// ParseFile must return for it, parsed under the name "checks.yaml" with
// testEnv as the environment.
var invalidTests = map[string]string{
	// File level.
	"empty-file":         `checks.yaml: file is empty; it needs a checks: list`,
	"comments-only":      `checks.yaml: file is empty; it needs a checks: list`,
	"syntax-error":       `checks.yaml:3: yaml: did not find expected ',' or ']'`,
	"multiple-documents": `checks.yaml:7: file has more than one YAML document; put all checks in one`,
	"top-level-list":     `checks.yaml:2: top level must be a mapping with a checks: list, got a list`,
	"missing-checks":     `checks.yaml:2: checks: is required`,
	"empty-checks":       `checks.yaml:2: checks: must list at least one check`,
	"checks-not-list":    `checks.yaml:3: checks: must be a list, got a mapping`,
	"alias":              `checks.yaml:10: aliases (*regions) are not supported; use defaults: to share settings between checks`,
	"merge-key":          `checks.yaml:7: checks[1]: merge keys (<<) are not supported; use defaults: to share settings between checks`,

	// Strict decoding.
	"unknown-key":          `checks.yaml:7: checks[0]: unknown field "intervall" (did you mean "interval"?)`,
	"unknown-top-key":      `checks.yaml:2: unknown field "default" (did you mean "defaults"?)`,
	"unknown-expect-key":   `checks.yaml:7: checks[0].expect: unknown field "body_contain" (did you mean "body_contains"?)`,
	"defaults-unknown-key": `checks.yaml:3: defaults: unknown field "regoins" (did you mean "regions"?)`,
	"duplicate-key":        `checks.yaml:7: checks[0]: duplicate key "name" (first at line 3)`,
	"wrong-type":           `checks.yaml:6: checks[0].regions: must be a list, got a string`,
	"null-target":          `checks.yaml:5: checks[0].target: must be a string, got nothing`,
	"quorum-string":        `checks.yaml:7: checks[0].quorum: must be an integer, got a string`,

	// name, type, target.
	"missing-name":        `checks.yaml:3: checks[0].name: is required`,
	"bad-name":            `checks.yaml:3: checks[0].name: invalid name "Home Page": use 1-63 lowercase letters, digits, - and _, starting with a letter or digit`,
	"duplicate-name":      `checks.yaml:7: checks[1].name: duplicate name "home" (first at line 3)`,
	"missing-type":        `checks.yaml:3: checks[0].type: is required (http or browser)`,
	"bad-type":            `checks.yaml:4: checks[0].type: must be http or browser, got "grpc"`,
	"missing-target":      `checks.yaml:3: checks[0].target: is required`,
	"relative-target":     `checks.yaml:5: checks[0].target: must be an absolute URL like https://shop.example.com, got "/shop"`,
	"ftp-target":          `checks.yaml:5: checks[0].target: scheme must be http or https, got "ftp"`,
	"target-without-host": `checks.yaml:5: checks[0].target: must have a host, got "https:///index.html"`,

	// Schedule: interval, timeout, regions, quorum, min_regions.
	"bad-interval":                  `checks.yaml:7: checks[0].interval: invalid duration "60" (want a number with a unit, like 500ms, 30s or 1m30s)`,
	"interval-too-short":            `checks.yaml:7: checks[0].interval: must be at least 1s, got 500ms`,
	"interval-too-long":             `checks.yaml:7: checks[0].interval: must be at most 24h, got 48h`,
	"defaults-bad-interval":         `checks.yaml:3: defaults.interval: must be at least 1s, got 0s`,
	"timeout-over-interval":         `checks.yaml:8: checks[0].timeout: 30s is longer than interval 10s`,
	"default-timeout-over-interval": `checks.yaml:9: checks[0].timeout: 30s (from defaults) is longer than interval 10s`,
	"zero-timeout":                  `checks.yaml:7: checks[0].timeout: must be more than 0, got 0s`,
	"missing-regions":               `checks.yaml:3: checks[0].regions: is required (set it here or in defaults.regions)`,
	"empty-regions":                 `checks.yaml:6: checks[0].regions: must list at least one region`,
	"duplicate-region":              `checks.yaml:6: checks[0].regions[2]: duplicate region "us-east" (first at line 6)`,
	"bad-region":                    `checks.yaml:6: checks[0].regions[1]: invalid region "EU West": use 1-32 lowercase letters, digits and -, starting with a letter or digit`,
	"quorum-over-regions":           `checks.yaml:7: checks[0].quorum: 3 is more than the 2 regions`,
	"negative-quorum":               `checks.yaml:7: checks[0].quorum: must be at least 0, got -1`,
	"min-regions-over-regions":      `checks.yaml:5: checks[0].min_regions: 3 (from defaults) is more than the 2 regions`,
	"zero-min-regions":              `checks.yaml:7: checks[0].min_regions: must be at least 1, got 0`,
	"zero-probes-per-region":        `checks.yaml:7: checks[0].probes_per_region: must be between 1 and 10, got 0`,
	"too-many-probes-per-region":    `checks.yaml:7: checks[0].probes_per_region: must be between 1 and 10, got 11`,
	"probes-per-region-string":      `checks.yaml:6: checks[0].probes_per_region: must be an integer, got a string`,

	// Fields of the other type.
	"http-with-steps":       `checks.yaml:7: checks[0].steps: not allowed in http checks`,
	"budget-on-http":        `checks.yaml:7: checks[0].budget: not allowed in http checks`,
	"browser-with-method":   `checks.yaml:7: checks[0].method: not allowed in browser checks`,
	"browser-without-steps": `checks.yaml:3: checks[0].steps: is required in browser checks`,

	// http fields.
	"bad-method":           `checks.yaml:7: checks[0].method: invalid method "GE T"`,
	"bad-header-name":      `checks.yaml:8: checks[0].headers: invalid header name "X Trace"`,
	"bad-header-value":     `checks.yaml:8: checks[0].headers.X-Trace: value must not contain CR, LF or NUL`,
	"duplicate-header":     `checks.yaml:9: checks[0].headers: duplicate header "accept" (first at line 8)`,
	"bad-status":           `checks.yaml:7: checks[0].expect.status: must be between 100 and 599, got 700`,
	"bad-tls-expiry":       `checks.yaml:7: checks[0].expect.tls_expiry_min_days: must be between 0 and 3650, got 5000`,
	"bad-follow-redirects": `checks.yaml:7: checks[0].follow_redirects: must be true or false, got a string`,

	// Steps.
	"empty-steps":              `checks.yaml:7: checks[0].steps: must list at least one step`,
	"too-many-steps":           `checks.yaml:8: checks[0].steps: has 101 steps, more than the limit of 100; split the flow into several checks`,
	"step-scalar":              `checks.yaml:8: checks[0].steps[0]: must be a mapping with one action, like {goto: /}, got "goto /"`,
	"step-no-action":           `checks.yaml:8: checks[0].steps[0]: has no action; want one of goto, click, fill, select, expect_text, expect_selector, wait`,
	"step-two-actions":         `checks.yaml:10: checks[0].steps[1]: has 2 actions (click, fill); use one step per action`,
	"unknown-action":           `checks.yaml:9: checks[0].steps[1]: unknown action "hover"`,
	"misspelt-action":          `checks.yaml:8: checks[0].steps[0]: unknown action "expect_txt" (did you mean "expect_text"?)`,
	"empty-step-name":          `checks.yaml:9: checks[0].steps[0].name: must not be empty`,
	"step-timeout-over-check":  `checks.yaml:10: checks[0].steps[0].timeout: 25s is longer than the check's timeout 20s`,
	"relative-goto":            `checks.yaml:8: checks[0].steps[0].goto: must be a path starting with / or an absolute http or https URL, got "cart"`,
	"ftp-goto":                 `checks.yaml:8: checks[0].steps[0].goto: scheme must be http or https, got "ftp"`,
	"empty-selector":           `checks.yaml:8: checks[0].steps[0].click: selector must not be empty`,
	"click-without-selector":   `checks.yaml:8: checks[0].steps[0].click.selector: is required`,
	"click-unknown-key":        `checks.yaml:8: checks[0].steps[0].click: unknown field "txt" (did you mean "text"?)`,
	"empty-fill":               `checks.yaml:8: checks[0].steps[0].fill: must list at least one field`,
	"fill-empty-selector":      `checks.yaml:8: checks[0].steps[0].fill: selector must not be empty`,
	"fill-duplicate-selector":  `checks.yaml:10: checks[0].steps[0].fill: duplicate key "#email" (first at line 9)`,
	"select-without-value":     `checks.yaml:8: checks[0].steps[0].select.value: is required`,
	"empty-expect-text":        `checks.yaml:8: checks[0].steps[0].expect_text: must not be empty`,
	"expect-text-without-text": `checks.yaml:8: checks[0].steps[0].expect_text.text: is required`,
	"bad-wait":                 `checks.yaml:8: checks[0].steps[0].wait: invalid duration "soon" (want a number with a unit, like 500ms, 30s or 1m30s)`,
	"wait-too-long":            `checks.yaml:10: checks[0].steps[0].wait: must be at most 1m, got 90s`,
	"wait-over-timeout":        `checks.yaml:9: checks[0].steps[0].wait: 10s is not shorter than the check's timeout 5s`,
	"empty-budget":             `checks.yaml:7: checks[0].budget: must set at least one of load_p75, lcp_p75, flow_p75`,
	"zero-budget":              `checks.yaml:7: checks[0].budget.load_p75: must be more than 0, got 0s`,

	// alerting: (per check and in defaults:).
	"alerting-bad-severity":           `checks.yaml:8: checks[0].alerting.severity: must be critical, warning or info, got "crtical" (did you mean "critical"?)`,
	"alerting-unknown-key":            `checks.yaml:8: checks[0].alerting: unknown field "recover_afer" (did you mean "recover_after"?)`,
	"alerting-zero-recover-after":     `checks.yaml:8: checks[0].alerting.recover_after: must be between 1 and 100, got 0`,
	"alerting-recover-after-too-high": `checks.yaml:8: checks[0].alerting.recover_after: must be between 1 and 100, got 101`,
	"alerting-remind-too-often":       `checks.yaml:8: checks[0].alerting.remind_every: must be at least 1m, got 30s`,
	"alerting-zero-degraded-after":    `checks.yaml:8: checks[0].alerting.degraded_after: must be more than 0, got 0s`,
	"alerting-not-mapping":            `checks.yaml:8: checks[0].alerting: must be a mapping, got a list`,
	"flapping-zero-changes":           `checks.yaml:8: checks[0].alerting.flapping.changes: must be at least 1, got 0`,
	"flapping-window-too-long":        `checks.yaml:9: checks[0].alerting.flapping.window: must be at most 24h, got 48h`,
	"flapping-unknown-key":            `checks.yaml:8: checks[0].alerting.flapping: unknown field "change" (did you mean "changes"?)`,
	"routes-not-list":                 `checks.yaml:15: checks[0].alerting.routes: must be a list, got a mapping`,
	"route-unknown-channel":           `checks.yaml:16: checks[0].alerting.routes[0].channels[1]: unknown channel "pagerduy" (did you mean "pagerduty"?)`,
	"route-undefined-channel":         `checks.yaml:9: checks[0].alerting.routes[0].channels[0]: unknown channel "ops"; define it under channels:`,
	"route-never-reached":             `checks.yaml:16: checks[0].alerting.routes[0].escalate_after: is required on every route but the last; without it route 2 is never reached`,
	"route-escalate-too-soon":         `checks.yaml:17: checks[0].alerting.routes[0].escalate_after: must be at least 1m, got 30s`,
	"route-without-channels":          `checks.yaml:16: checks[0].alerting.routes[0].channels: is required`,
	"route-empty-channels":            `checks.yaml:16: checks[0].alerting.routes[0].channels: must list at least one channel`,
	"route-duplicate-channel":         `checks.yaml:16: checks[0].alerting.routes[0].channels[2]: duplicate channel "ops" (first at line 16)`,
	"route-unknown-key":               `checks.yaml:17: checks[0].alerting.routes[0]: unknown field "escalate"`,
	"defaults-alerting-bad":           `checks.yaml:5: defaults.alerting.severity: must be critical, warning or info, got "urgent"`,

	// channels:.
	"channels-not-list":              `checks.yaml:3: channels: must be a list, got a mapping`,
	"channel-missing-name":           `checks.yaml:3: channels[0].name: is required`,
	"channel-bad-name":               `checks.yaml:3: channels[0].name: invalid name "Ops Hook": use 1-63 lowercase letters, digits, - and _, starting with a letter or digit`,
	"channel-duplicate-name":         `checks.yaml:6: channels[1].name: duplicate name "ops" (first at line 3)`,
	"channel-missing-type":           `checks.yaml:3: channels[0].type: is required (webhook, slack, pagerduty or email)`,
	"channel-unknown-type":           `checks.yaml:4: channels[0].type: must be webhook, slack, pagerduty or email, got "slak" (did you mean "slack"?)`,
	"channel-unknown-key":            `checks.yaml:6: channels[0]: unknown field "timout" (did you mean "timeout"?)`,
	"channel-field-of-other-type":    `checks.yaml:6: channels[0].secret_env: not allowed in slack channels`,
	"channel-missing-url":            `checks.yaml:3: channels[0].url: is required in webhook channels (or url_env)`,
	"channel-url-and-url-env":        `checks.yaml:6: channels[0].url_env: set url or url_env, not both`,
	"channel-bad-url":                `checks.yaml:5: channels[0].url: must use http or https, not "ftp"`,
	"channel-relative-url":           `checks.yaml:5: channels[0].url: must be an absolute URL like https://hooks.example.com/vigil`,
	"channel-env-unset":              `checks.yaml:6: channels[0].secret_env: VIGIL_UNSET_SECRET is not set`,
	"channel-env-empty":              `checks.yaml:5: channels[0].routing_key_env: VIGIL_EMPTY is empty`,
	"channel-env-bad-name":           `checks.yaml:6: channels[0].secret_env: must name an environment variable, like VIGIL_WEBHOOK_SECRET; secrets never go in the check file`,
	"channel-url-env-ftp":            `checks.yaml:5: channels[0].url_env: the value of VIGIL_FTP_URL must use http or https, not "ftp"`,
	"channel-url-env-relative":       `checks.yaml:5: channels[0].url_env: the value of VIGIL_RELATIVE_URL must be an absolute URL like https://hooks.example.com/vigil`,
	"channel-pagerduty-without-key":  `checks.yaml:3: channels[0].routing_key_env: is required in pagerduty channels`,
	"channel-email-without-smtp":     `checks.yaml:3: channels[0].smtp: is required in email channels`,
	"channel-zero-timeout":           `checks.yaml:6: channels[0].timeout: must be more than 0, got 0s`,
	"channel-timeout-too-long":       `checks.yaml:6: channels[0].timeout: must be at most 1m, got 2m`,
	"smtp-bad-addr":                  `checks.yaml:6: channels[0].smtp.addr: must be host:port, like smtp.example.com:587, got "smtp.example.com"`,
	"smtp-missing-to":                `checks.yaml:6: channels[0].smtp.to: is required`,
	"smtp-empty-to":                  `checks.yaml:8: channels[0].smtp.to: must list at least one address`,
	"smtp-bad-from":                  `checks.yaml:7: channels[0].smtp.from: invalid address "Vigil <vigil@example.com>" (want a bare address like vigil@example.com)`,
	"smtp-bad-to":                    `checks.yaml:8: channels[0].smtp.to[1]: invalid address "oncall" (want a bare address like vigil@example.com)`,
	"smtp-duplicate-to":              `checks.yaml:8: channels[0].smtp.to[2]: duplicate address "oncall@example.com" (first at line 8)`,
	"smtp-username-without-password": `checks.yaml:6: channels[0].smtp.password_env: is required when username_env is set`,
	"smtp-unknown-key":               `checks.yaml:9: channels[0].smtp: unknown field "password" (did you mean "password_env"? secrets are read from environment variables)`,

	// maintenance:.
	"maintenance-not-list":              `checks.yaml:8: maintenance: must be a list, got a mapping`,
	"maintenance-missing-name":          `checks.yaml:8: maintenance[0].name: is required`,
	"maintenance-bad-name":              `checks.yaml:8: maintenance[0].name: invalid name "DB migration": use 1-63 lowercase letters, digits, - and _, starting with a letter or digit`,
	"maintenance-duplicate-name":        `checks.yaml:11: maintenance[1].name: duplicate name "migration" (first at line 8)`,
	"maintenance-unknown-key":           `checks.yaml:10: maintenance[0]: unknown field "untill" (did you mean "until"?)`,
	"maintenance-unknown-check":         `checks.yaml:9: maintenance[0].checks[0]: unknown check "hom" (did you mean "home"?)`,
	"maintenance-empty-checks":          `checks.yaml:9: maintenance[0].checks: must list at least one check; leave checks out to cover every check`,
	"maintenance-duplicate-check":       `checks.yaml:9: maintenance[0].checks[1]: duplicate check "home" (first at line 9)`,
	"maintenance-no-times":              `checks.yaml:8: maintenance[0]: needs from and until (a one-off window) or recurring: (a repeating one)`,
	"maintenance-missing-until":         `checks.yaml:8: maintenance[0].until: is required in a one-off window`,
	"maintenance-missing-from":          `checks.yaml:8: maintenance[0].from: is required in a one-off window`,
	"maintenance-until-before-from":     `checks.yaml:10: maintenance[0].until: must be after the window's start (2026-12-02T01:00:00Z), got 2026-12-01T22:00:00Z`,
	"maintenance-bad-time":              `checks.yaml:9: maintenance[0].from: invalid time "2026-12-01 22:00" (want RFC 3339 with a zone, like 2026-12-01T22:00:00Z)`,
	"maintenance-time-without-zone":     `checks.yaml:9: maintenance[0].from: invalid time "2026-12-01T22:00:00" (want RFC 3339 with a zone, like 2026-12-01T22:00:00Z)`,
	"maintenance-recurring-with-until":  `checks.yaml:10: maintenance[0].until: must be unset in a recurring window`,
	"maintenance-bad-start-time":        `checks.yaml:11: maintenance[0].recurring.start_time: "25:00" is not a time of day (HH:MM)`,
	"maintenance-missing-start-time":    `checks.yaml:10: maintenance[0].recurring.start_time: is required (HH:MM)`,
	"maintenance-bad-zone":              `checks.yaml:10: maintenance[0].recurring.time_zone: unknown time zone "Europe/Berln" (want an IANA zone like Europe/Berlin)`,
	"maintenance-bad-day":               `checks.yaml:12: maintenance[0].recurring.days[1]: unknown day "thursday" (want one of mon, tue, wed, thu, fri, sat, sun)`,
	"maintenance-duplicate-day":         `checks.yaml:9: maintenance[0].recurring.days[2]: duplicate day "tue"`,
	"maintenance-empty-days":            `checks.yaml:9: maintenance[0].recurring.days: must list at least one day; leave days out for every day`,
	"maintenance-zero-duration":         `checks.yaml:11: maintenance[0].recurring.duration: must be more than 0, got 0s`,
	"maintenance-long-duration":         `checks.yaml:11: maintenance[0].recurring.duration: must be at most 7 days (168h), got 200h`,
	"maintenance-missing-duration":      `checks.yaml:10: maintenance[0].recurring.duration: is required`,
	"maintenance-recurring-unknown-key": `checks.yaml:10: maintenance[0].recurring: unknown field "timezone" (did you mean "time_zone"?)`,

	// Every problem, sorted by line.
	"many-errors": strings.Join([]string{
		`checks.yaml:5: checks[0].target: must be an absolute URL like https://shop.example.com, got "/"`,
		`checks.yaml:6: checks[0].interval: must be at least 1s, got 1ms`,
		`checks.yaml:8: checks[1].name: invalid name "Checkout": use 1-63 lowercase letters, digits, - and _, starting with a letter or digit`,
		`checks.yaml:13: checks[1].steps[0]: unknown action "hover"`,
		`checks.yaml:14: checks[1].steps[1].wait: invalid duration "forever" (want a number with a unit, like 500ms, 30s or 1m30s)`,
	}, "\n"),
}

func TestParseInvalid(t *testing.T) {
	for rule, want := range invalidTests {
		t.Run(rule, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "invalid-"+rule+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := ParseFile("checks.yaml", data, WithLookupEnv(lookupTestEnv))
			if err == nil {
				t.Fatalf("ParseFile succeeded with %d checks, want error:\n%s", len(f.Checks), want)
			}
			if f != nil {
				t.Errorf("ParseFile returned a File along with its error, want none")
			}
			if got := err.Error(); got != want {
				t.Errorf("ParseFile error:\n got: %s\nwant: %s", got, want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows a secret: %s", err)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("ParseFile error is %T, want Errors", err)
			}
			if n := strings.Count(want, "\n") + 1; len(es) != n {
				t.Errorf("got %d errors, want %d", len(es), n)
			}
		})
	}
}

// TestInvalidFilesHaveTests keeps testdata and the table in step: a new
// invalid-*.yaml without an expected message would otherwise never run.
func TestInvalidFilesHaveTests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid-*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		rule := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "invalid-"), ".yaml")
		seen[rule] = true
		if _, ok := invalidTests[rule]; !ok {
			t.Errorf("%s has no entry in invalidTests", f)
		}
	}
	for rule := range invalidTests {
		if !seen[rule] {
			t.Errorf("invalidTests[%q] has no testdata/invalid-%s.yaml", rule, rule)
		}
	}
}
