package maintenance

import (
	"slices"
	"testing"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestSet(t *testing.T) {
	win := func(id string, checks []string, w *vigilv1.MaintenanceWindow) *vigilv1.MaintenanceWindow {
		w.Id, w.Name, w.CheckIds = id, id, checks
		return w
	}
	ws := []*vigilv1.MaintenanceWindow{
		win("file:nightly", nil, recurring("", nil, "02:00", time.Hour)),
		win("api:7", []string{"checkout"}, oneOff("2026-06-10T01:30:00Z", "2026-06-10T02:30:00Z")),
		win("file:search", []string{"search"}, recurring("", nil, "02:00", time.Hour)),
		win("api:3", nil, oneOff("2026-06-11T00:00:00Z", "2026-06-12T00:00:00Z")),
		win("api:bad", nil, recurring("Mars/Olympus", nil, "02:00", time.Hour)),
	}
	s := NewSet(ws)
	if got := s.Len(); got != 4 {
		t.Errorf("Len = %d, want 4 (the invalid window left out)", got)
	}
	ids := func(ws []*vigilv1.MaintenanceWindow) []string {
		var out []string
		for _, w := range ws {
			out = append(out, w.Id)
		}
		return out
	}
	for _, tc := range []struct {
		check, at string
		want      []string
	}{
		{"checkout", "2026-06-10T02:00:00Z", []string{"api:7", "file:nightly"}},
		{"checkout", "2026-06-10T01:45:00Z", []string{"api:7"}},
		{"home", "2026-06-10T02:00:00Z", []string{"file:nightly"}},
		{"search", "2026-06-10T02:00:00Z", []string{"file:nightly", "file:search"}},
		{"home", "2026-06-10T03:00:00Z", nil},
		{"home", "2026-06-11T02:00:00Z", []string{"api:3", "file:nightly"}},
	} {
		if got := ids(s.Active(tc.check, ts(tc.at))); !slices.Equal(got, tc.want) {
			t.Errorf("Active(%s, %s) = %v, want %v", tc.check, tc.at, got, tc.want)
		}
	}

	t.Run("keeps its own copies", func(t *testing.T) {
		ws[0].Recurrence.StartTime = "12:00"
		ws[1].CheckIds = []string{"home"}
		if got := ids(s.Active("checkout", ts("2026-06-10T02:00:00Z"))); !slices.Equal(got, []string{"api:7", "file:nightly"}) {
			t.Errorf("after changing the input, Active = %v", got)
		}
	})
	t.Run("nil and empty", func(t *testing.T) {
		var nilSet *Set
		if got := nilSet.Active("home", ts("2026-06-10T02:00:00Z")); got != nil {
			t.Errorf("nil Set: Active = %v", got)
		}
		if nilSet.Len() != 0 || NewSet(nil).Len() != 0 {
			t.Error("empty sets are not empty")
		}
		if got := NewSet(nil).Active("home", ts("2026-06-10T02:00:00Z")); got != nil {
			t.Errorf("empty Set: Active = %v", got)
		}
	})
}
