package incident_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// window is a one-off maintenance window over checkIDs (none: every check)
// from t0 to end.
func window(id, name string, end time.Time, checkIDs ...string) *vigilv1.MaintenanceWindow {
	return &vigilv1.MaintenanceWindow{Id: id, Name: name, CheckIds: checkIDs, Start: timestamppb.New(t0), End: timestamppb.New(end)}
}

// maintained are checkout (c1, paging pager) and search (c2), which always
// passes.
func maintained() []*vigilv1.Check {
	return []*vigilv1.Check{checkout(alerting("pager")), newCheck("c2", "search", alerting("pager"))}
}

// TestMaintenance takes c1 down at slot 2 and keeps it down, with a window
// from t0 to t0+10m: inside a window over c1 the incident is recorded and
// nobody is paged until the window ends.
func TestMaintenance(t *testing.T) {
	end := t0.Add(10 * time.Minute)
	tests := []struct {
		name   string
		file   *vigilv1.MaintenanceWindow // from the check file
		api    *vigilv1.MaintenanceWindow // created through the API
		silent bool
	}{
		{name: "check file window over the check", file: window("file:deploy", "deploy", end, "c1"), silent: true},
		{name: "API window over the check", api: window("", "db upgrade", end, "c1"), silent: true},
		{name: "window over every check", file: window("file:all", "all", end), silent: true},
		{name: "window for another check", file: window("file:search", "search reindex", end, "c2")},
		{name: "window for another check, through the API", api: window("", "search reindex", end, "c2")},
		{name: "window already over", file: window("file:past", "past", t0.Add(time.Minute), "c1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []*vigilv1.MaintenanceWindow
			if tt.file != nil {
				files = append(files, tt.file)
			}
			h := start(t, maintained(), files...)
			if tt.api != nil {
				if _, err := h.m.CreateWindow(h.ctx, tt.api, "ops"); err != nil {
					t.Fatalf("create window: %v", err)
				}
			}
			h.warm()
			h.down(2)
			inc := h.single()
			if got := h.m.CheckInfo("c1", h.now); got.InMaintenance != tt.silent || got.OpenIncidentID != inc.GetId() {
				t.Errorf("check info %+v, want in maintenance %v with incident %s", got, tt.silent, inc.GetId())
			}
			if !tt.silent {
				if inc.GetInMaintenance() || len(events(inc, "maintenance")) > 0 {
					t.Errorf("incident in maintenance %v:%s; want not", inc.GetInMaintenance(), timeline(inc))
				}
				wantSent(t, "at the outage", h.out.take(), []string{"pager trigger: " + downTitle})
				h.advance(t0.Add(20 * time.Minute))
				wantSent(t, "after the window", h.out.take(), nil)
				return
			}
			if !inc.GetInMaintenance() || len(events(inc, "maintenance")) != 1 {
				t.Errorf("incident in maintenance %v:%s; want in maintenance, with the window in its timeline", inc.GetInMaintenance(), timeline(inc))
			}
			wantSent(t, "at the outage", h.out.take(), nil)

			h.advance(end.Add(-time.Second))
			wantSent(t, "until the window ends", h.out.take(), nil)
			h.advance(end)
			wantSent(t, "when the window ends", h.out.take(), []string{"pager trigger: " + downTitle})
			if got := len(events(h.get(inc.GetId()), "maintenance")); got != 2 {
				t.Errorf("%d maintenance events, want the window and its end:%s", got, timeline(h.get(inc.GetId())))
			}
			if h.m.CheckInfo("c1", h.now).InMaintenance {
				t.Error("check info: still in maintenance after the window")
			}
			h.advance(t0.Add(20 * time.Minute))
			wantSent(t, "after the window", h.out.take(), nil)
		})
	}
}

// TestMaintenanceRecovered: an outage over within its window sends
// nothing at all, not even when the window ends.
func TestMaintenanceRecovered(t *testing.T) {
	h := start(t, maintained(), window("file:deploy", "deploy", t0.Add(10*time.Minute), "c1"))
	h.warm()
	h.down(2)
	h.round = h.roundOf()
	h.advance(slotStart(5))
	inc := h.single()
	if inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED || !inc.GetInMaintenance() {
		t.Errorf("incident %s, in maintenance %v; want resolved in maintenance", inc.GetStatus().Short(), inc.GetInMaintenance())
	}
	h.advance(t0.Add(20 * time.Minute))
	wantSent(t, "over the window and after", h.out.all(), nil)
}

// TestMaintenanceDegradedThenDown: a degraded incident opened inside a
// window that becomes an outage inside it pages once, when the window
// ends.
func TestMaintenanceDegradedThenDown(t *testing.T) {
	checks := maintained()
	checks[0].Alerting.DegradedAfter = durationpb.New(time.Minute)
	end := t0.Add(10 * time.Minute)
	h := start(t, checks, window("file:deploy", "deploy", end, "c1"))
	h.warm()
	h.outage(2, map[string]vigilv1.ErrorClass{"us": httpStatus})
	h.advance(slotStart(4))
	if inc := h.single(); inc.GetKind() != vigilv1.IncidentKind_INCIDENT_KIND_DEGRADED || !inc.GetInMaintenance() {
		t.Fatalf("incident %q in maintenance %v, want degraded in maintenance", describe([]*vigilv1.Incident{inc}), inc.GetInMaintenance())
	}
	h.down(5)
	if inc := h.single(); inc.GetKind() != vigilv1.IncidentKind_INCIDENT_KIND_DOWN {
		t.Fatalf("incident %q, want it down", describe([]*vigilv1.Incident{inc}))
	}
	h.advance(end.Add(-time.Second))
	wantSent(t, "inside the window", h.out.take(), nil)
	h.advance(end.Add(5 * time.Minute))
	wantSent(t, "after the window", h.out.take(), []string{"pager trigger: " + downTitle})
}
