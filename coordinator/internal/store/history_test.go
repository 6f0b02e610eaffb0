package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/analytics/analyticstest"
	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestStateHistory(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx := t.Context()
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	for _, c := range []struct {
		m     int
		state string
	}{
		{0, "unknown"}, {1, "up"}, {2, "up"}, // a repeated state is not stored
		{5, "degraded"}, {5, "down"}, // one instant keeps the last
		{9, "up"}, {20, "unknown"},
	} {
		if err := s.AppendState(ctx, "shop", "", at(c.m), c.state); err != nil {
			t.Fatal(err)
		}
	}
	// Other checks' and the regions' histories are apart from the check's.
	if err := s.AppendState(ctx, "other", "", at(3), "down"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m     int
		state string
	}{{0, "up"}, {4, "down"}, {4, "down"}, {7, "up"}} {
		if err := s.AppendState(ctx, "shop", "eu", at(c.m), c.state); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		region   string
		from, to int
		want     string
	}{
		{"", 0, 30, "[0:unknown 1:up 5:down 9:up 20:unknown]"},
		{"", 3, 10, "[1:up 5:down 9:up]"}, // the state in force at from comes first
		{"", 5, 9, "[5:down]"},
		{"", -10, 0, "[]"},
		{"eu", 0, 30, "[0:up 4:down 7:up]"},
		{"eu", 5, 6, "[4:down]"},
		{"us", 0, 30, "[]"},
	} {
		got, err := s.StateChanges(ctx, "shop", tt.region, at(tt.from), at(tt.to))
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, c := range got {
			parts = append(parts, fmt.Sprintf("%d:%s", int(c.At.Sub(t0)/time.Minute), c.State))
		}
		if s := fmt.Sprint(parts); s != tt.want {
			t.Errorf("StateChanges(%q, %d, %d) = %s, want %s", tt.region, tt.from, tt.to, s, tt.want)
		}
	}
}

func TestIncidentsOpened(t *testing.T) {
	s := openStore(t, t.TempDir())
	for i, m := range []int{0, 10, 20} {
		for _, check := range []string{"shop", "other"} {
			_, err := s.CreateIncident(t.Context(), &vigilv1.Incident{CheckId: check, Title: fmt.Sprint(i),
				Kind: vigilv1.IncidentKind_INCIDENT_KIND_DOWN, Status: vigilv1.IncidentStatus_INCIDENT_STATUS_OPEN,
				OpenedAt: timestamppb.New(t0.Add(time.Duration(m) * time.Minute))})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := s.IncidentsOpened(t.Context(), "shop", t0.Add(10*time.Minute), t0.Add(20*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].GetTitle() != "1" || got[0].GetCheckId() != "shop" {
		t.Errorf("IncidentsOpened = %v", got)
	}
}

// TestRetention deletes old raw results and prunes minute rollups in small
// batches; hour and day rollups stay, and so do reports over the range.
func TestRetention(t *testing.T) {
	checks := []*vigilv1.Check{analyticstest.HTTPCheck("home", genRegions...)}
	d := analyticstest.Generate(3, checks, day0, day0.Add(3*time.Hour))
	s := rollupStore(t, t.TempDir())
	insertBatches(t, s, d.Results, 100)
	before := storedBuckets(t, s, checks)
	cut := day0.Add(2 * time.Hour)

	deleted := 0
	for {
		n, err := s.DeleteResultsBefore(t.Context(), cut, 100)
		if err != nil {
			t.Fatal(err)
		}
		if n > 100 {
			t.Fatalf("a batch of 100 deleted %d", n)
		}
		deleted += n
		if n < 100 {
			break
		}
	}
	if want := 3 * 120; deleted != want {
		t.Errorf("deleted %d results, want %d", deleted, want)
	}
	page, err := s.ListResults(t.Context(), Query{CheckID: "home", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Results) != 3*60 {
		t.Errorf("%d results left, want 180", len(page.Results))
	}
	if got := storedBuckets(t, s, checks); len(got) != len(before) {
		t.Errorf("deleting results changed the rollups: %d buckets, had %d", len(got), len(before))
	}

	compact(t, s, day0.Add(3*time.Hour))
	pruned := 0
	for {
		n, err := s.PruneRollups(t.Context(), vigilv1.Resolution_RESOLUTION_MINUTE, cut, 50)
		if err != nil {
			t.Fatal(err)
		}
		pruned += n
		if n < 50 {
			break
		}
	}
	if want := 3 * 120; pruned != want {
		t.Errorf("pruned %d minute buckets, want %d", pruned, want)
	}
	after := storedBuckets(t, s, checks)
	for k := range before {
		_, kept := after[k]
		old := k.Res == vigilv1.Resolution_RESOLUTION_MINUTE && k.Start < cut.Unix()
		if kept == old {
			t.Errorf("bucket %s kept = %v", k, kept)
		}
	}
	// New results still fold into the (cache-dropped) hour buckets.
	more := analyticstest.Generate(3, checks, day0.Add(3*time.Hour), day0.Add(4*time.Hour))
	insertBatches(t, s, more.Results, 100)
	want := rollup.Group(append(d.Results, more.Results...))
	got := storedBuckets(t, s, checks)
	for k, w := range want {
		if k.Res != vigilv1.Resolution_RESOLUTION_MINUTE && got[k].Counts != w.Counts {
			t.Errorf("bucket %s: %+v, want %+v", k, got[k].Counts, w.Counts)
		}
	}
}

// TestStateHistoryMigrates opens a database whose state history predates
// regional histories (schema version 3): the recorded states stay the
// check's own.
func TestStateHistoryMigrates(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:3] {
		if err := apply(t.Context(), db, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(t.Context(), `INSERT INTO check_states (check_id, at, state) VALUES
		('shop', ?, 'up'), ('shop', ?, 'down')`, t0.UnixMicro(), t0.Add(time.Minute).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, dir)
	got, err := s.StateChanges(t.Context(), "shop", "", t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].State != "up" || got[1].State != "down" || !got[1].At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("migrated history = %v, want up then down a minute later", got)
	}
	if got, err := s.StateChanges(t.Context(), "shop", "eu", t0, t0.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("a region's history after migration = %v, %v; want none", got, err)
	}
}
