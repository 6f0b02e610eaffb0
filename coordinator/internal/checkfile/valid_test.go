package checkfile

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator/internal/maintenance"
	"github.com/vigilhq/vigil/coordinator/internal/notify"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

const (
	httpType    = vigilv1.CheckType_CHECK_TYPE_HTTP
	browserType = vigilv1.CheckType_CHECK_TYPE_BROWSER
)

func dur(s string) *durationpb.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return durationpb.New(d)
}

var threeRegions = []string{"us-east", "eu-west", "ap-south"}

// testEnv is the environment the tests load files with. Every secret holds
// "s3cret", which no error message may show.
var testEnv = map[string]string{
	"VIGIL_WEBHOOK_SECRET": "webhook-s3cret",
	"VIGIL_SLACK_URL":      "https://hooks.slack.com/services/T0/B0/s3cret",
	"VIGIL_PD_KEY":         "pd-s3cret",
	"VIGIL_SMTP_USER":      "vigil",
	"VIGIL_SMTP_PASSWORD":  "smtp-s3cret",
	"VIGIL_EMPTY":          "",
	"VIGIL_FTP_URL":        "ftp://hooks.example.com/s3cret",
	"VIGIL_RELATIVE_URL":   "hooks.example.com/s3cret",
}

func lookupTestEnv(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

// builtinAlerting is the Alerting of a check when nobody sets any of it.
func builtinAlerting() *vigilv1.Alerting {
	return &vigilv1.Alerting{Severity: "critical", RecoverAfter: 2, Flapping: &vigilv1.Flapping{Changes: 5, Window: dur("30m")}}
}

func ts(s string) *timestamppb.Timestamp {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(t)
}

// validTests maps each testdata/valid-<name>.yaml to what it holds, the
// checks without their versions (TestVersion covers those). Files are loaded
// with testEnv as the environment.
var validTests = map[string]*File{
	"defaults": {Checks: []*vigilv1.Check{
		{
			Id: "home", Name: "home", Type: httpType, Target: "https://shop.example.com/",
			Interval: dur("30s"), Timeout: dur("10s"), Regions: threeRegions, Quorum: 2, MinRegions: 2,
			Alerting: builtinAlerting(),
			Http:     &vigilv1.HttpSpec{Method: "GET"},
		},
		{
			Id: "about", Name: "about", Type: httpType, Target: "https://shop.example.com/about",
			Interval: dur("2m"), Timeout: dur("5s"), Regions: []string{"eu-west"}, Quorum: 1, MinRegions: 1,
			Alerting: builtinAlerting(),
			Http:     &vigilv1.HttpSpec{Method: "GET"},
		},
		{
			Id: "health", Name: "health", Type: httpType, Target: "http://shop.example.com:8080/healthz",
			Interval: dur("5s"), Timeout: dur("5s"), Regions: threeRegions, Quorum: 2, MinRegions: 2,
			Alerting: builtinAlerting(),
			Http:     &vigilv1.HttpSpec{Method: "GET"},
		},
		{
			Id: "front", Name: "front", Type: browserType, Target: "https://shop.example.com",
			Interval: dur("30s"), Timeout: dur("30s"), Regions: []string{"us-east", "eu-west"}, Quorum: 0, MinRegions: 1, ProbesPerRegion: 2,
			Alerting: builtinAlerting(),
			Browser: &vigilv1.BrowserSpec{Steps: []*vigilv1.Step{
				{Action: vigilv1.StepAction_STEP_ACTION_GOTO, Name: "goto /", Url: "/"},
			}},
		},
	}},
	"http": {Checks: []*vigilv1.Check{
		{
			Id: "api-search", Name: "api-search", Type: httpType, Target: "https://shop.example.com/api/search",
			Interval: dur("60s"), Timeout: dur("10s"), Regions: []string{"us-east", "eu-west"}, MinRegions: 2,
			Alerting: builtinAlerting(),
			Http: &vigilv1.HttpSpec{
				Method: "POST",
				Headers: []*vigilv1.Header{ // sorted by name
					{Name: "Accept", Value: "application/json"},
					{Name: "Content-Type", Value: "application/json"},
					{Name: "X-Request-Source", Value: "vigil"},
				},
				Body:              `{"q": "coffee"}`,
				ExpectStatus:      200,
				BodyContains:      `"results"`,
				BodyNotContains:   `"error"`,
				NoFollowRedirects: true,
				TlsExpiryMinDays:  14,
			},
		},
	}},
	"browser": {Checks: []*vigilv1.Check{
		{
			Id: "checkout", Name: "checkout", Type: browserType, Target: "https://shop.example.com",
			Interval: dur("5m"), Timeout: dur("45s"), Regions: threeRegions, MinRegions: 2,
			Alerting: builtinAlerting(),
			Budget:   &vigilv1.Budget{LoadP75: dur("2.5s"), LcpP75: dur("2s"), FlowP75: dur("20s")},
			Browser: &vigilv1.BrowserSpec{Steps: []*vigilv1.Step{
				{Action: vigilv1.StepAction_STEP_ACTION_GOTO, Name: "goto /", Url: "/"},
				{Action: vigilv1.StepAction_STEP_ACTION_GOTO, Name: "second page", Url: "https://shop.example.com/products?page=2", Timeout: dur("10s")},
				{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Name: "click #add-to-cart", Selector: "#add-to-cart"},
				{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Name: `click a.product "Coffee"`, Selector: "a.product", Text: "Coffee"},
				{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Name: "click a.product", Selector: "a.product"},
				{Action: vigilv1.StepAction_STEP_ACTION_FILL, Name: "fill #name, #email, #qty", Fields: []*vigilv1.FieldValue{
					{Selector: "#name", Value: "Synthetic Buyer"},
					{Selector: "#email", Value: "synthetic@example.com"},
					{Selector: "#qty", Value: "2"},
				}},
				{Action: vigilv1.StepAction_STEP_ACTION_FILL, Name: "fill #zip, #city", Fields: []*vigilv1.FieldValue{
					{Selector: "#zip", Value: "10115"},
					{Selector: "#city", Value: "Berlin"},
				}},
				{Action: vigilv1.StepAction_STEP_ACTION_SELECT, Name: `select #shipping "express"`, Selector: "#shipping", Value: "express"},
				{Action: vigilv1.StepAction_STEP_ACTION_EXPECT_TEXT, Name: `expect_text "Order confirmed"`, Text: "Order confirmed"},
				{Action: vigilv1.StepAction_STEP_ACTION_EXPECT_TEXT, Name: `expect_text #cart-count "1"`, Selector: "#cart-count", Text: "1"},
				{Action: vigilv1.StepAction_STEP_ACTION_EXPECT_SELECTOR, Name: "expect_selector #order-number", Selector: "#order-number"},
				{Action: vigilv1.StepAction_STEP_ACTION_WAIT, Name: "wait 500ms", Wait: dur("500ms")},
			}},
		},
	}},
	"design": {Checks: []*vigilv1.Check{
		{
			Id: "checkout", Name: "checkout", Type: browserType, Target: "https://shop.example.com",
			Interval: dur("60s"), Timeout: dur("30s"), Regions: threeRegions, Quorum: 2, MinRegions: 2,
			Alerting: builtinAlerting(),
			Budget:   &vigilv1.Budget{LoadP75: dur("2.5s")},
			Browser: &vigilv1.BrowserSpec{Steps: []*vigilv1.Step{
				{Action: vigilv1.StepAction_STEP_ACTION_GOTO, Name: "goto /", Url: "/"},
				{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Name: `click a.product "Coffee"`, Selector: "a.product", Text: "Coffee"},
				{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Name: "click #add-to-cart", Selector: "#add-to-cart"},
				{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Name: "click a[href='/cart']", Selector: "a[href='/cart']"},
				{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Name: "click #checkout", Selector: "#checkout"},
				{Action: vigilv1.StepAction_STEP_ACTION_FILL, Name: "fill #email, #name", Fields: []*vigilv1.FieldValue{
					{Selector: "#email", Value: "synthetic@example.com"},
					{Selector: "#name", Value: "Synthetic Buyer"},
				}},
				{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Name: "click #place-order", Selector: "#place-order"},
				{Action: vigilv1.StepAction_STEP_ACTION_EXPECT_TEXT, Name: `expect_text "Order confirmed"`, Text: "Order confirmed"},
			}},
		},
		{
			Id: "home", Name: "home", Type: httpType, Target: "https://shop.example.com/",
			Interval: dur("30s"), Timeout: dur("10s"), Regions: threeRegions, MinRegions: 2,
			Alerting: builtinAlerting(),
			Http:     &vigilv1.HttpSpec{Method: "GET", ExpectStatus: 200, BodyContains: "Shop"},
		},
	}},
	"alerting": {
		Channels: []notify.Channel{
			{Name: "ops-webhook", Type: "webhook", URL: "https://hooks.example.com/vigil", Secret: "webhook-s3cret"},
			{Name: "team-slack", Type: "slack", URL: "https://hooks.slack.com/services/T0/B0/s3cret", Timeout: 5 * time.Second},
			{Name: "pagerduty", Type: "pagerduty", RoutingKey: "pd-s3cret"},
			{Name: "pagerduty-eu", Type: "pagerduty", RoutingKey: "pd-s3cret", URL: "https://events.eu.pagerduty.com/v2/enqueue"},
			{Name: "oncall-email", Type: "email", Timeout: 10 * time.Second, SMTP: notify.SMTP{
				Addr: "smtp.example.com:587", From: "vigil@example.com", To: []string{"oncall@example.com", "sre@example.com"},
				Username: "vigil", Password: "smtp-s3cret",
			}},
			{Name: "local-mail", Type: "email", SMTP: notify.SMTP{Addr: "localhost:25", From: "vigil@localhost", To: []string{"ops@example.com"}}},
		},
		Checks: []*vigilv1.Check{
			{
				Id: "home", Name: "home", Type: httpType, Target: "https://shop.example.com/",
				Interval: dur("60s"), Timeout: dur("10s"), Regions: threeRegions, MinRegions: 2,
				Http: &vigilv1.HttpSpec{Method: "GET"},
				Alerting: &vigilv1.Alerting{
					Severity: "warning", RecoverAfter: 2, RemindEvery: dur("1h"),
					Flapping: &vigilv1.Flapping{Changes: 5, Window: dur("1h")},
					Routes:   []*vigilv1.Route{{Channels: []string{"team-slack"}}},
				},
			},
			{
				Id: "checkout", Name: "checkout", Type: browserType, Target: "https://shop.example.com",
				Interval: dur("60s"), Timeout: dur("30s"), Regions: threeRegions, MinRegions: 2,
				Browser: &vigilv1.BrowserSpec{Steps: []*vigilv1.Step{
					{Action: vigilv1.StepAction_STEP_ACTION_GOTO, Name: "goto /", Url: "/"},
				}},
				Alerting: &vigilv1.Alerting{
					Severity: "critical", DegradedAfter: dur("5m"), RecoverAfter: 3, RemindEvery: dur("30m"),
					Flapping: &vigilv1.Flapping{Changes: 3, Window: dur("1h")},
					Routes: []*vigilv1.Route{
						{Channels: []string{"ops-webhook", "pagerduty"}, EscalateAfter: dur("10m")},
						{Channels: []string{"oncall-email", "local-mail"}, EscalateAfter: dur("20m")},
						{Channels: []string{"pagerduty-eu"}},
					},
				},
			},
			{
				Id: "search", Name: "search", Type: httpType, Target: "https://shop.example.com/search",
				Interval: dur("60s"), Timeout: dur("10s"), Regions: threeRegions, MinRegions: 2,
				Http: &vigilv1.HttpSpec{Method: "GET"},
				Alerting: &vigilv1.Alerting{
					Severity: "info", RecoverAfter: 2, RemindEvery: dur("1h"),
					Flapping: &vigilv1.Flapping{Changes: 5, Window: dur("1h")},
				},
			},
		},
	},
	"maintenance": {
		Checks: []*vigilv1.Check{
			{
				Id: "checkout", Name: "checkout", Type: browserType, Target: "https://shop.example.com",
				Interval: dur("60s"), Timeout: dur("30s"), Regions: []string{"us-east", "eu-west"}, MinRegions: 2,
				Alerting: builtinAlerting(),
				Browser: &vigilv1.BrowserSpec{Steps: []*vigilv1.Step{
					{Action: vigilv1.StepAction_STEP_ACTION_GOTO, Name: "goto /", Url: "/"},
				}},
			},
			{
				Id: "home", Name: "home", Type: httpType, Target: "https://shop.example.com/",
				Interval: dur("60s"), Timeout: dur("10s"), Regions: []string{"us-east", "eu-west"}, MinRegions: 2,
				Alerting: builtinAlerting(),
				Http:     &vigilv1.HttpSpec{Method: "GET"},
			},
		},
		Maintenance: []*vigilv1.MaintenanceWindow{
			{
				Id: "file:weekly-deploy", Name: "weekly-deploy", CheckIds: []string{"checkout"},
				Recurrence: &vigilv1.Recurrence{TimeZone: "Europe/Berlin", Days: []string{"tue", "thu"}, StartTime: "02:00", Duration: dur("1h")},
			},
			{
				Id: "file:migration", Name: "migration",
				Start: ts("2026-12-01T22:00:00Z"), End: ts("2026-12-02T01:00:00Z"),
			},
			{
				Id: "file:nightly", Name: "nightly", CheckIds: []string{"home", "checkout"},
				Start:      ts("2026-06-30T22:00:00Z"),
				Recurrence: &vigilv1.Recurrence{StartTime: "23:30", Duration: dur("90m")},
			},
		},
	},
}

func TestParseValid(t *testing.T) {
	for name, want := range validTests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "valid-"+name+".yaml")
			got, err := LoadFile(path, WithLookupEnv(lookupTestEnv))
			if err != nil {
				t.Fatalf("LoadFile(%s): %v", path, err)
			}
			for _, c := range got.Checks {
				checkInvariants(t, c)
			}
			if len(got.Checks) != len(want.Checks) {
				t.Fatalf("got %d checks, want %d", len(got.Checks), len(want.Checks))
			}
			for i := range got.Checks {
				g := proto.CloneOf(got.Checks[i])
				g.Version = ""
				if !proto.Equal(g, want.Checks[i]) {
					t.Errorf("checks[%d]:\n got: %s\nwant: %s", i, prototext.Format(g), prototext.Format(want.Checks[i]))
				}
			}
			if !reflect.DeepEqual(got.Channels, want.Channels) {
				t.Errorf("channels:\n got: %+v\nwant: %+v", got.Channels, want.Channels)
			}
			if len(got.Maintenance) != len(want.Maintenance) {
				t.Fatalf("got %d maintenance windows, want %d", len(got.Maintenance), len(want.Maintenance))
			}
			for i, w := range got.Maintenance {
				if !proto.Equal(w, want.Maintenance[i]) {
					t.Errorf("maintenance[%d]:\n got: %s\nwant: %s", i, prototext.Format(w), prototext.Format(want.Maintenance[i]))
				}
				if err := maintenance.Validate(w); err != nil {
					t.Errorf("maintenance[%d]: %v", i, err)
				}
			}
		})
	}
}

// TestLoadIsLoadFile checks that Load and Parse, the wrappers for callers
// that only run checks, return LoadFile's checks, reading secrets from the
// process environment.
func TestLoadIsLoadFile(t *testing.T) {
	for k, v := range testEnv {
		t.Setenv(k, v)
	}
	for name := range validTests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "valid-"+name+".yaml")
			f, err := LoadFile(path)
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			checks, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := Parse(path, data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for i, c := range f.Checks {
				if !proto.Equal(c, checks[i]) || !proto.Equal(c, parsed[i]) {
					t.Errorf("checks[%d] differ between LoadFile, Load and Parse", i)
				}
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		path := filepath.Join("testdata", "invalid-channel-env-unset.yaml")
		_, ferr := LoadFile(path)
		_, err := Load(path)
		if err == nil || ferr == nil || err.Error() != ferr.Error() {
			t.Errorf("Load error %v, LoadFile error %v", err, ferr)
		}
	})
}

// TestValidFilesHaveTests keeps testdata and the table in step.
func TestValidFilesHaveTests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "valid-*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(validTests) {
		t.Errorf("%d testdata/valid-*.yaml files, %d entries in validTests", len(files), len(validTests))
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "valid-"), ".yaml")
		if _, ok := validTests[name]; !ok {
			t.Errorf("%s has no entry in validTests", f)
		}
	}
}

var versionRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// checkInvariants fails t when c breaks a rule every loaded check obeys. The
// fuzz target uses it as its oracle.
func checkInvariants(t testing.TB, c *vigilv1.Check) {
	t.Helper()
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("check %q: "+format, append([]any{c.GetName()}, args...)...)
	}
	if !nameRE.MatchString(c.Name) || c.Id != c.Name {
		errorf("bad name or id %q", c.Id)
	}
	if msg := checkURL(c.Target); msg != "" {
		errorf("target: %s", msg)
	}
	if !versionRE.MatchString(c.Version) {
		errorf("version %q is not 16 hex digits", c.Version)
	}
	interval, timeout := c.Interval.AsDuration(), c.Timeout.AsDuration()
	if interval < minInterval || interval > maxInterval {
		errorf("interval %s out of range", interval)
	}
	if timeout <= 0 || timeout > interval {
		errorf("timeout %s out of range (interval %s)", timeout, interval)
	}
	n := uint32(len(c.Regions))
	if n == 0 || c.Quorum > n || c.MinRegions < 1 || c.MinRegions > n {
		errorf("regions %v, quorum %d, min_regions %d", c.Regions, c.Quorum, c.MinRegions)
	}
	seen := map[string]bool{}
	for _, r := range c.Regions {
		if !regionRE.MatchString(r) || seen[r] {
			errorf("bad or duplicate region %q", r)
		}
		seen[r] = true
	}
	a := c.GetAlerting()
	if a == nil || !slices.Contains(severities, a.Severity) || a.RecoverAfter < 1 || a.RecoverAfter > maxRecoverAfter ||
		a.GetFlapping().GetChanges() < 1 || a.GetFlapping().GetWindow().AsDuration() <= 0 || a.GetFlapping().GetWindow().AsDuration() > maxFlapWindow {
		errorf("alerting not filled in: %v", a)
	}
	if d := a.GetDegradedAfter(); d != nil && d.AsDuration() <= 0 {
		errorf("degraded_after %s", d.AsDuration())
	}
	if d := a.GetRemindEvery(); d != nil && d.AsDuration() < minRemindEvery {
		errorf("remind_every %s", d.AsDuration())
	}
	for i, r := range a.GetRoutes() {
		if len(r.Channels) == 0 {
			errorf("routes[%d] has no channels", i)
		}
		if d := r.GetEscalateAfter(); (d == nil && i < len(a.Routes)-1) || (d != nil && d.AsDuration() < minEscalateAfter) {
			errorf("routes[%d] escalate_after %v", i, d)
		}
	}
	switch c.Type {
	case httpType:
		if c.Http == nil || c.Browser != nil || c.Budget != nil {
			errorf("http check with wrong specs")
		}
		if !isToken(c.GetHttp().GetMethod()) {
			errorf("bad method %q", c.GetHttp().GetMethod())
		}
		if s := c.GetHttp().GetExpectStatus(); s != 0 && (s < 100 || s > 599) {
			errorf("bad status %d", s)
		}
	case browserType:
		steps := c.GetBrowser().GetSteps()
		if c.Http != nil || len(steps) == 0 || len(steps) > maxSteps {
			errorf("browser check with wrong specs or %d steps", len(steps))
		}
		for i, s := range steps {
			if s.Action == vigilv1.StepAction_STEP_ACTION_UNSPECIFIED || s.Name == "" {
				errorf("steps[%d] has no action or name", i)
			}
			if s.Timeout != nil && (s.Timeout.AsDuration() <= 0 || s.Timeout.AsDuration() > timeout) {
				errorf("steps[%d] timeout %s out of range", i, s.Timeout.AsDuration())
			}
		}
	default:
		errorf("type %v", c.Type)
	}
}

func TestVersion(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "valid-browser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	parse := func(t *testing.T, data string) *vigilv1.Check {
		t.Helper()
		checks, err := Parse("checks.yaml", []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		return checks[0]
	}
	base := parse(t, string(data))

	t.Run("digest of the definition", func(t *testing.T) {
		c := proto.CloneOf(base)
		c.Version = ""
		want, err := version(c)
		if err != nil {
			t.Fatal(err)
		}
		if base.Version != want {
			t.Errorf("Version = %s, want %s", base.Version, want)
		}
	})
	t.Run("stable", func(t *testing.T) {
		if v := parse(t, string(data)).Version; v != base.Version {
			t.Errorf("second parse gave version %s, first %s", v, base.Version)
		}
	})
	t.Run("comments and layout do not count", func(t *testing.T) {
		edited := strings.ReplaceAll(string(data), "# ", "# edited: ")
		edited = strings.Replace(edited, "regions: [us-east, eu-west, ap-south]", "regions:\n      - us-east\n      - eu-west\n      - ap-south", 1)
		if v := parse(t, edited).Version; v != base.Version {
			t.Errorf("version changed to %s, want %s", v, base.Version)
		}
	})
	t.Run("alerting does not count", func(t *testing.T) {
		// Alerting says who hears of an incident, not how the check runs:
		// changing it must not make the probes reload the check.
		edited := strings.Replace(string(data), "    timeout: 45s\n",
			"    timeout: 45s\n    alerting:\n      severity: info\n      degraded_after: 2m\n      recover_after: 7\n      routes: [{channels: [ops]}]\n", 1)
		edited = "channels: [{name: ops, type: webhook, url: 'https://hooks.example.com/'}]\n" + edited
		f, err := ParseFile("checks.yaml", []byte(edited))
		if err != nil {
			t.Fatal(err)
		}
		c := f.Checks[0]
		if c.GetAlerting().GetSeverity() != "info" || c.GetAlerting().GetRecoverAfter() != 7 {
			t.Fatalf("the edit did not take: alerting %v", c.GetAlerting())
		}
		if c.Version != base.Version {
			t.Errorf("version changed to %s, want %s", c.Version, base.Version)
		}
		with := proto.CloneOf(c)
		with.Alerting = nil
		if v, err := version(with); err != nil || v != c.Version {
			t.Errorf("version without alerting = %s (%v), want %s", v, err, c.Version)
		}
	})
	t.Run("header order does not count", func(t *testing.T) {
		a := "checks:\n- {name: a, type: http, target: https://x.example, regions: [r], headers: {A: '1', B: '2'}}\n"
		b := "checks:\n- {name: a, type: http, target: https://x.example, regions: [r], headers: {B: '2', A: '1'}}\n"
		if va, vb := parse(t, a).Version, parse(t, b).Version; va != vb {
			t.Errorf("versions %s and %s differ", va, vb)
		}
	})
	for _, edit := range [][2]string{
		{"timeout: 45s", "timeout: 40s"},
		{"lcp_p75: 2s", "lcp_p75: 3s"},
		{`"#email": "synthetic@example.com"`, `"#email": "other@example.com"`},
		{"wait: 500ms", "wait: 600ms"},
		{"ap-south]", "ap-south, sa-east]"},
	} {
		t.Run("changes with "+edit[1], func(t *testing.T) {
			edited := strings.Replace(string(data), edit[0], edit[1], 1)
			if edited == string(data) {
				t.Fatalf("%q not in the file", edit[0])
			}
			if v := parse(t, edited).Version; v == base.Version {
				t.Errorf("version %s did not change", v)
			}
		})
	}
}
