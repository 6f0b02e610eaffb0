package incident_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator/internal/incident"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestAcknowledgeNoteResolve plays what a person does with an open
// outage through the API.
func TestAcknowledgeNoteResolve(t *testing.T) {
	h := start(t, []*vigilv1.Check{checkout(alerting("pager"))})
	h.warm()
	h.down(2)
	id := h.single().GetId()
	h.out.take()

	inc, err := h.m.Acknowledge(h.ctx, id, "bob", h.now)
	if err != nil {
		t.Fatalf("acknowledge: %v", err)
	}
	if inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_ACKNOWLEDGED || inc.GetAcknowledgedBy() != "bob" || !inc.GetAcknowledgedAt().AsTime().Equal(h.now) {
		t.Errorf("acknowledged: %s by %q at %v, want acknowledged by bob at %v", inc.GetStatus().Short(), inc.GetAcknowledgedBy(), inc.GetAcknowledgedAt().AsTime(), h.now)
	}
	wantSent(t, "acknowledge", h.out.take(), []string{"pager acknowledge: acknowledged by bob: " + downTitle})

	// Acknowledging twice is harmless: no error, nothing changes.
	inc, err = h.m.Acknowledge(h.ctx, id, "carol", h.now.Add(time.Minute))
	if err != nil {
		t.Fatalf("acknowledge again: %v", err)
	}
	if inc.GetAcknowledgedBy() != "bob" || len(events(inc, "acknowledged")) != 1 {
		t.Errorf("acknowledged again: by %q with %d acknowledged events, want bob and one", inc.GetAcknowledgedBy(), len(events(inc, "acknowledged")))
	}
	wantSent(t, "acknowledge again", h.out.take(), nil)

	if _, err := h.m.AddNote(h.ctx, id, "bob", "  \n", h.now); !errors.Is(err, incident.ErrInvalid) {
		t.Errorf("empty note: error %v, want ErrInvalid", err)
	}
	inc, err = h.m.AddNote(h.ctx, id, "bob", " rolling back the deploy ", h.now)
	if err != nil {
		t.Fatalf("add note: %v", err)
	}
	if ev := inc.GetTimeline()[len(inc.GetTimeline())-1]; ev.GetKind() != "note" || ev.GetActor() != "bob" || ev.GetMessage() != "rolling back the deploy" {
		t.Errorf("last event %s by %q: %q, want bob's note", ev.GetKind(), ev.GetActor(), ev.GetMessage())
	}

	inc, err = h.m.Resolve(h.ctx, id, "alice", "rolled back", h.now)
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED || inc.GetResolvedBy() != "alice" || !inc.GetResolvedAt().AsTime().Equal(h.now) {
		t.Errorf("resolved: %s by %q at %v, want resolved by alice at %v", inc.GetStatus().Short(), inc.GetResolvedBy(), inc.GetResolvedAt().AsTime(), h.now)
	}
	if got := kinds(inc); !slices.Equal(got[len(got)-2:], []string{"note", "resolved"}) {
		t.Errorf("timeline ends %q, want note, resolved", got[len(got)-2:])
	}
	if msg := inc.GetTimeline()[len(inc.GetTimeline())-2].GetMessage(); !strings.Contains(msg, "rolled back") {
		t.Errorf("resolution note %q does not carry the note", msg)
	}
	wantSent(t, "resolve", h.out.take(), []string{"pager resolve: resolved: " + downTitle})

	if _, err := h.m.Resolve(h.ctx, id, "alice", "", h.now); !errors.Is(err, incident.ErrResolved) {
		t.Errorf("resolve again: error %v, want ErrResolved", err)
	}
	if _, err := h.m.Acknowledge(h.ctx, id, "bob", h.now); !errors.Is(err, incident.ErrResolved) {
		t.Errorf("acknowledge a resolved incident: error %v, want ErrResolved", err)
	}
	wantSent(t, "after the resolution", h.out.take(), nil)
	if info := h.m.CheckInfo("c1", h.now); info.OpenIncidentID != "" {
		t.Errorf("check info names open incident %q after the resolution", info.OpenIncidentID)
	}
}

// TestUnknownIncident: every call on an id that does not exist says so.
func TestUnknownIncident(t *testing.T) {
	h := start(t, []*vigilv1.Check{checkout(alerting("pager"))})
	ctx, id := h.ctx, "inc-404"
	errs := map[string]error{}
	_, errs["get"] = h.m.Get(ctx, id)
	_, errs["acknowledge"] = h.m.Acknowledge(ctx, id, "bob", t0)
	_, errs["note"] = h.m.AddNote(ctx, id, "bob", "hi", t0)
	_, errs["resolve"] = h.m.Resolve(ctx, id, "bob", "", t0)
	for call, err := range errs {
		if !errors.Is(err, incident.ErrNotFound) {
			t.Errorf("%s: error %v, want ErrNotFound", call, err)
		}
	}
	wantSent(t, "unknown incident", h.out.all(), nil)
}

// TestWindows creates, lists and deletes maintenance windows through the
// API.
func TestWindows(t *testing.T) {
	ts := timestamppb.New
	invalid := []struct {
		name string
		w    *vigilv1.MaintenanceWindow
	}{
		{"no name", &vigilv1.MaintenanceWindow{Start: ts(t0), End: ts(t0.Add(time.Hour))}},
		{"end before start", &vigilv1.MaintenanceWindow{Name: "x", Start: ts(t0), End: ts(t0.Add(-time.Hour))}},
		{"no times", &vigilv1.MaintenanceWindow{Name: "x"}},
		{"bad recurrence", &vigilv1.MaintenanceWindow{Name: "x", Recurrence: &vigilv1.Recurrence{StartTime: "25:00", Duration: durationpb.New(time.Hour)}}},
		{"unknown check", &vigilv1.MaintenanceWindow{Name: "x", CheckIds: []string{"nope"}, Start: ts(t0), End: ts(t0.Add(time.Hour))}},
	}
	h := start(t, maintained(), window("file:deploy", "deploy", t0.Add(time.Hour), "c1"))
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.m.CreateWindow(h.ctx, tt.w, "ops"); !errors.Is(err, incident.ErrInvalid) {
				t.Errorf("create: error %v, want ErrInvalid", err)
			}
		})
	}

	w, err := h.m.CreateWindow(h.ctx, window("", "db upgrade", t0.Add(2*time.Hour), "c2"), "ops")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.HasPrefix(w.GetId(), "mw-") || w.GetCreatedBy() != "ops" {
		t.Errorf("created window id %q by %q, want mw-... by ops", w.GetId(), w.GetCreatedBy())
	}
	ids := func(ws []*vigilv1.MaintenanceWindow) []string {
		var out []string
		for _, w := range ws {
			out = append(out, w.GetId())
		}
		return out
	}
	all, active := h.m.Windows(t0.Add(90 * time.Minute))
	if got, want := ids(all), []string{"file:deploy", w.GetId()}; !slices.Equal(got, want) {
		t.Errorf("windows %q, want %q", got, want)
	}
	if want := []string{w.GetId()}; !slices.Equal(active, want) {
		t.Errorf("active at +90m %q, want %q", active, want)
	}

	// API windows outlive a restart; the check file's come from the file.
	h.restart()
	if all, _ := h.m.Windows(t0); !slices.Equal(ids(all), []string{"file:deploy", w.GetId()}) {
		t.Errorf("after a restart: windows %q", ids(all))
	}

	if err := h.m.DeleteWindow(h.ctx, "file:deploy"); !errors.Is(err, incident.ErrInvalid) {
		t.Errorf("delete the check file's window: error %v, want ErrInvalid", err)
	}
	if err := h.m.DeleteWindow(h.ctx, w.GetId()); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if all, _ := h.m.Windows(t0); !slices.Equal(ids(all), []string{"file:deploy"}) {
		t.Errorf("after delete: windows %q", ids(all))
	}
	if err := h.m.DeleteWindow(h.ctx, w.GetId()); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("delete again: error %v, want ErrNotFound", err)
	}
}
