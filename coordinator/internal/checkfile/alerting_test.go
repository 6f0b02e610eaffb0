package checkfile

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TestAlertingInheritance pins inheritance from defaults.alerting field by
// field, beside the valid-alerting.yaml golden file.
func TestAlertingInheritance(t *testing.T) {
	const file = `
channels:
  - {name: ops, type: webhook, url: "https://hooks.example.com/"}
  - {name: oncall, type: pagerduty, routing_key_env: VIGIL_PD_KEY}
defaults:
  regions: [us-east]
  alerting:
    degraded_after: 10m
    recover_after: 4
    flapping: {changes: 8}
    routes:
      - {channels: [ops], escalate_after: 5m}
      - {channels: [oncall]}
checks:
  - {name: a, type: http, target: "https://x.example"}
  - {name: b, type: http, target: "https://x.example", alerting: {recover_after: 1, flapping: {window: 5m}}}
  - {name: c, type: http, target: "https://x.example", alerting: {routes: [{channels: [oncall]}]}}
`
	f, err := ParseFile("checks.yaml", []byte(file), WithLookupEnv(lookupTestEnv))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := f.Checks[0].Alerting, f.Checks[1].Alerting, f.Checks[2].Alerting
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"a severity (built in)", a.Severity, "critical"},
		{"a degraded_after (defaults)", a.DegradedAfter.AsDuration().String(), "10m0s"},
		{"a recover_after (defaults)", a.RecoverAfter, uint32(4)},
		{"a flapping.changes (defaults)", a.Flapping.Changes, uint32(8)},
		{"a flapping.window (built in)", a.Flapping.Window.AsDuration().String(), "30m0s"},
		{"a remind_every (unset)", a.RemindEvery == nil, true},
		{"a routes (defaults)", len(a.Routes), 2},
		{"b recover_after (own)", b.RecoverAfter, uint32(1)},
		{"b degraded_after (defaults)", b.DegradedAfter.AsDuration().String(), "10m0s"},
		{"b flapping.changes (defaults)", b.Flapping.Changes, uint32(8)},
		{"b flapping.window (own)", b.Flapping.Window.AsDuration().String(), "5m0s"},
		{"c routes (own, replacing all of defaults)", len(c.Routes), 1},
		{"c recover_after (defaults)", c.RecoverAfter, uint32(4)},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}

	// Inherited routes are copies: changing one check's leaves the
	// others alone.
	if !proto.Equal(a.Routes[0], b.Routes[0]) {
		t.Fatalf("a and b inherit different routes: %v, %v", a.Routes[0], b.Routes[0])
	}
	a.Routes[0].Channels[0] = "changed"
	a.Routes[0].EscalateAfter = durationpb.New(0)
	if b.Routes[0].Channels[0] != "ops" || b.Routes[0].EscalateAfter.AsDuration().String() != "5m0s" {
		t.Errorf("changing a's route changed b's: %v", b.Routes[0])
	}
}
