package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/testnet"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestScenarios runs every `vigil demo --scenario` end to end: the demo
// shop, three regions on loopback behind their proxies, a coordinator on
// SQLite, real Chromium in every probe, and notifications delivered to the
// demo's pager, a real webhook receiver that checks each signature. Each
// asserts what the on-call person would notice: the state reached, the
// pages received, and the incidents recorded.
func TestScenarios(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		check    func(t *testing.T, o Outcome)
	}{
		{"regional-outage", func(t *testing.T, o Outcome) {
			wantState(t, o, "degraded")
			wantPages(t, o, 0)
			wantOthers(t, o, "home", "degraded", 0)
		}},
		{"global-outage", func(t *testing.T, o Outcome) {
			wantState(t, o, "down")
			wantPages(t, o, 1)
			inc := only(t, o)
			if inc.GetKind() != vigilv1.IncidentKind_INCIDENT_KIND_DOWN || inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED {
				t.Errorf("incident %s is %s/%s, want a resolved down incident", inc.GetId(), inc.GetKind().Short(), inc.GetStatus().Short())
			}
			if o.MTTD <= 0 {
				t.Errorf("mttd = %s, want the time to the incident", o.MTTD)
			}
		}},
		{"checkout-broken", func(t *testing.T, o Outcome) {
			wantState(t, o, "down")
			wantPages(t, o, 1)
			inc := only(t, o)
			if len(inc.GetRegions()) < 2 {
				t.Fatalf("incident names %d failing regions, want at least 2: %v", len(inc.GetRegions()), inc.GetRegions())
			}
			for _, f := range inc.GetRegions() {
				if !strings.Contains(f.GetFailedStepName(), "place-order") || f.GetErrorClass() != vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS {
					t.Errorf("region %s failed at %q with %s, want the place-order step with http_status", f.GetRegion(), f.GetFailedStepName(), f.GetErrorClass().Short())
				}
			}
			wantOthers(t, o, "home", "up", 0)
		}},
		{"probe-crash", func(t *testing.T, o Outcome) {
			if o.State == "down" || o.State == "unknown" {
				t.Errorf("checkout went %s when one probe crashed", o.State)
			}
			wantPages(t, o, 0)
			if len(o.Incidents) != 0 {
				t.Errorf("%d incidents opened for a crashed probe", len(o.Incidents))
			}
		}},
		{"flapping", func(t *testing.T, o Outcome) {
			wantState(t, o, "down")
			wantPages(t, o, 1)
			flapping := false
			for _, inc := range o.Incidents {
				flapping = flapping || inc.GetFlapping()
			}
			if !flapping {
				t.Errorf("no incident marked flapping among %d", len(o.Incidents))
			}
		}},
		{"monitoring-impaired", func(t *testing.T, o Outcome) {
			wantState(t, o, "unknown")
			wantPages(t, o, 1)
			for _, inc := range o.Incidents {
				if inc.GetKind() != vigilv1.IncidentKind_INCIDENT_KIND_MONITORING_IMPAIRED {
					t.Errorf("incident %s is %s, want only monitoring_impaired", inc.GetId(), inc.GetKind().Short())
				}
			}
		}},
		{"maintenance", func(t *testing.T, o Outcome) {
			wantState(t, o, "down")
			wantPages(t, o, 0)
			if inc := only(t, o); !inc.GetInMaintenance() {
				t.Errorf("incident %s not marked in maintenance", inc.GetId())
			}
		}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			var out syncBuffer
			var got *Outcome
			cfg := Config{
				DataDir:         t.TempDir(),
				ShopAddr:        "127.0.0.1:0",
				CoordinatorAddr: testnet.FreeAddr(t),
				GossipAddr:      testnet.FreeAddr(t),
				BrowserInterval: 10 * time.Second,
				HTTPInterval:    3 * time.Second,
				Scenario:        tt.scenario,
				Out:             &out,
				Outcome:         func(o Outcome) { got = &o },
			}
			if err := Run(t.Context(), cfg); err != nil {
				t.Fatalf("scenario: %v\n%s", err, out.String())
			}
			if got == nil {
				t.Fatalf("no outcome:\n%s", out.String())
			}
			t.Logf("%s\n%s", got.Line(), out.String())
			if !strings.Contains(out.String(), got.Line()) {
				t.Errorf("output lacks the final line %q", got.Line())
			}
			tt.check(t, *got)
		})
	}
}

func wantState(t *testing.T, o Outcome, state string) {
	t.Helper()
	if o.State != state {
		t.Errorf("checkout reached %s, want %s", o.State, state)
	}
}

func wantPages(t *testing.T, o Outcome, n int) {
	t.Helper()
	if o.Pages != n {
		t.Errorf("checkout paged %d times, want %d", o.Pages, n)
	}
}

func wantOthers(t *testing.T, o Outcome, check, state string, pages int) {
	t.Helper()
	if o.OtherStates[check] != state || o.OtherPages[check] != pages {
		t.Errorf("%s reached %s with %d pages, want %s with %d", check, o.OtherStates[check], o.OtherPages[check], state, pages)
	}
}

func only(t *testing.T, o Outcome) *vigilv1.Incident {
	t.Helper()
	if len(o.Incidents) != 1 {
		t.Fatalf("%d checkout incidents, want 1", len(o.Incidents))
	}
	return o.Incidents[0]
}
