package checkfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// invalidTests maps each testdata/invalid-<rule>.yaml to the exact error
// Parse must return for it, parsed under the name "checks.yaml".
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
			checks, err := Parse("checks.yaml", data)
			if err == nil {
				t.Fatalf("Parse succeeded with %d checks, want error:\n%s", len(checks), want)
			}
			if checks != nil {
				t.Errorf("Parse returned %d checks along with its error, want none", len(checks))
			}
			if got := err.Error(); got != want {
				t.Errorf("Parse error:\n got: %s\nwant: %s", got, want)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Parse error is %T, want Errors", err)
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
