package store

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/analytics"
	"github.com/vigilhq/vigil/analytics/analyticstest"
	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var (
	day0       = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	genRegions = []string{"ap-south", "eu-west", "us-east"}
)

// rollupStore opens a store in dir with the rollup hook on.
func rollupStore(t testing.TB, dir string) *Store {
	t.Helper()
	s := openStore(t, dir)
	h, err := s.RollupHook(t.Context(), rollup.NewRoller(rollup.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	s.SetInsertHook(h)
	return s
}

// insertBatches inserts rs in batches of n and returns how many were new.
func insertBatches(t testing.TB, s *Store, rs []*vigilv1.Result, n int) int {
	t.Helper()
	fresh := 0
	for i := 0; i < len(rs); i += n {
		batch := rs[i:min(i+n, len(rs))]
		recs := make([]Record, len(batch))
		for j, r := range batch {
			recs[j] = record(t, r)
		}
		ins, err := s.Insert(t.Context(), recs)
		if err != nil {
			t.Fatalf("Insert: %v", err)
		}
		for _, ok := range ins {
			if ok {
				fresh++
			}
		}
	}
	return fresh
}

// storedBuckets reads every bucket of checks at every resolution.
func storedBuckets(t testing.TB, s *Store, checks []*vigilv1.Check) map[rollup.Key]*rollup.Bucket {
	t.Helper()
	out := map[rollup.Key]*rollup.Bucket{}
	for _, c := range checks {
		for _, res := range rollup.Resolutions {
			q := rollup.Query{CheckID: c.GetId(), Res: res, From: -1 << 40, To: 1 << 40, Step: rollup.AnyStep, Sketches: rollup.AllSketches}
			err := s.Buckets(t.Context(), q, func(k rollup.Key, b *rollup.Bucket) error {
				out[k] = b
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// sameBuckets compares stored buckets with the ones folded in memory from
// the raw results: counters, step names and every sketch's count and
// quantiles (DDSketch merges add bin counts, so the order of folding
// changes nothing).
func sameBuckets(t *testing.T, got, want map[rollup.Key]*rollup.Bucket) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d buckets stored, want %d", len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		g := got[k]
		if g == nil {
			t.Errorf("bucket %s missing", k)
			bad++
		} else if g.Counts != w.Counts || g.StepName != w.StepName {
			t.Errorf("bucket %s: %+v %q, want %+v %q", k, g.Counts, g.StepName, w.Counts, w.StepName)
			bad++
		} else {
			for i := range w.Sketches {
				sk := rollup.Sketch(i)
				if g.Count(sk) != w.Count(sk) {
					t.Errorf("bucket %s %s: %d values, want %d", k, sk, g.Count(sk), w.Count(sk))
					bad++
					continue
				}
				if w.Count(sk) == 0 {
					continue
				}
				gq, _ := g.Sketches[i].GetValuesAtQuantiles([]float64{0.5, 0.99})
				wq, _ := w.Sketches[i].GetValuesAtQuantiles([]float64{0.5, 0.99})
				if gq[0] != wq[0] || gq[1] != wq[1] {
					t.Errorf("bucket %s %s: p50/p99 %v, want %v", k, sk, gq, wq)
					bad++
				}
			}
		}
		if bad > 10 {
			t.Fatal("too many differences")
		}
	}
}

func smallData() ([]*vigilv1.Check, *analyticstest.Data) {
	checks := []*vigilv1.Check{analyticstest.BrowserCheck("checkout", genRegions...), analyticstest.HTTPCheck("home", genRegions...)}
	// 09:30-11:30 holds the first global outages, so there are failures.
	return checks, analyticstest.Generate(7, checks, day0.Add(9*time.Hour+30*time.Minute), day0.Add(11*time.Hour+30*time.Minute))
}

// TestRollupsCountEachResultOnce redelivers every result, in batches cut
// differently, and finds the rollups unchanged: the hook sees only results
// the insert newly stored.
func TestRollupsCountEachResultOnce(t *testing.T) {
	checks, d := smallData()
	s := rollupStore(t, t.TempDir())
	if n := insertBatches(t, s, d.Results, 100); n != len(d.Results) {
		t.Fatalf("%d of %d results new", n, len(d.Results))
	}
	want := rollup.Group(d.Results)
	sameBuckets(t, storedBuckets(t, s, checks), want)

	if n := insertBatches(t, s, d.Results, 37); n != 0 {
		t.Fatalf("redelivery stored %d results again", n)
	}
	// A batch mixing redelivered and new results counts only the new.
	extra := proto.CloneOf(d.Results[0])
	extra.Id, extra.Status = "extra", vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR
	if n := insertBatches(t, s, append(d.Results[:50:50], extra), 1000); n != 1 {
		t.Fatalf("mixed batch stored %d, want 1", n)
	}
	sameBuckets(t, storedBuckets(t, s, checks), rollup.Group(append(d.Results, extra)))
}

// failingHook fails once, after the rollup hook did its work, the way a
// late error inside Insert's transaction would.
type failingHook struct {
	InsertHook
	fail bool
}

func (h *failingHook) Inserted(ctx context.Context, tx *sql.Tx, rs []*vigilv1.Result) error {
	if err := h.InsertHook.Inserted(ctx, tx, rs); err != nil {
		return err
	}
	if h.fail {
		h.fail = false
		return errors.New("injected failure")
	}
	return nil
}

// TestRollupsRollBackWithTheirResults fails an insert after the rollups were
// written: neither the results nor the rollups stay, and the roller's cache
// (which had the batch folded in) is dropped, so the retry counts it once.
func TestRollupsRollBackWithTheirResults(t *testing.T) {
	checks, d := smallData()
	s := openStore(t, t.TempDir())
	h, err := s.RollupHook(t.Context(), rollup.NewRoller(rollup.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	fh := &failingHook{InsertHook: h}
	s.SetInsertHook(fh)
	half := len(d.Results) / 2
	insertBatches(t, s, d.Results[:half], 100)

	fh.fail = true
	recs := []Record{record(t, d.Results[half]), record(t, d.Results[half+1])}
	if _, err := s.Insert(t.Context(), recs); err == nil {
		t.Fatal("Insert succeeded despite the hook's error")
	}
	sameBuckets(t, storedBuckets(t, s, checks), rollup.Group(d.Results[:half]))

	insertBatches(t, s, d.Results[half:], 100)
	sameBuckets(t, storedBuckets(t, s, checks), rollup.Group(d.Results))
}

// TestRollupsContinueAfterReopen folds half the results, reopens the store
// with a new (cold) roller and folds the rest.
func TestRollupsContinueAfterReopen(t *testing.T) {
	checks, d := smallData()
	dir := t.TempDir()
	s := rollupStore(t, dir)
	half := len(d.Results) / 2
	insertBatches(t, s, d.Results[:half], 100)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = rollupStore(t, dir)
	insertBatches(t, s, d.Results[half:], 100)
	sameBuckets(t, storedBuckets(t, s, checks), rollup.Group(d.Results))
}

// loadData stores a generated data set: results through Insert with the
// rollup hook, the state history through AppendState, incidents.
func loadData(t testing.TB, s *Store, d *analyticstest.Data) {
	t.Helper()
	insertBatches(t, s, d.Results, 100)
	for id, changes := range d.States {
		for _, c := range changes {
			if err := s.AppendState(t.Context(), id, c.At, c.State); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, inc := range d.Incidents {
		inc := proto.CloneOf(inc)
		inc.Id = ""
		if _, err := s.CreateIncident(t.Context(), inc); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReportFromSQLiteMatchesMemory computes the same reports and series
// from the SQLite store and from analyticstest.Memory, which folds the raw
// results with the same rollup code: the store keeps every bucket, state
// and incident faithfully, and renderer tests may rely on Memory.
func TestReportFromSQLiteMatchesMemory(t *testing.T) {
	checks := []*vigilv1.Check{analyticstest.BrowserCheck("checkout", genRegions...), analyticstest.HTTPCheck("home", genRegions...)}
	d := analyticstest.Generate(42, checks, day0, day0.Add(48*time.Hour))
	s := rollupStore(t, t.TempDir())
	loadData(t, s, d)

	now := func() time.Time { return day0.Add(49 * time.Hour) }
	fromSQL := analytics.New(analytics.Config{Source: s, Now: now})
	fromMem := analytics.New(analytics.Config{Source: analyticstest.NewMemory(d), Now: now})
	// Incident ids differ (the store numbers them); compare without them.
	for _, inc := range d.Incidents {
		inc.Id = ""
	}
	ranges := []struct {
		name     string
		from, to time.Time
	}{
		{"two days", day0, day0.Add(48 * time.Hour)},
		{"unaligned five hours", day0.Add(9*time.Hour + 17*time.Minute), day0.Add(14*time.Hour + 3*time.Minute)},
		{"unaligned 30 hours", day0.Add(7*time.Hour + 59*time.Minute), day0.Add(37*time.Hour + 1*time.Minute)},
		{"20 days around the data", day0.Add(-10 * 24 * time.Hour), day0.Add(10 * 24 * time.Hour)},
	}
	for _, r := range ranges {
		t.Run(r.name, func(t *testing.T) {
			got, err := fromSQL.Report(t.Context(), checks, r.from, r.to, 0.995)
			if err != nil {
				t.Fatal(err)
			}
			want, err := fromMem.Report(t.Context(), checks, r.from, r.to, 0.995)
			if err != nil {
				t.Fatal(err)
			}
			for _, cr := range got.GetChecks() {
				for _, inc := range cr.GetIncidents() {
					inc.Id = ""
				}
			}
			if !proto.Equal(got, want) {
				t.Errorf("reports differ:\nsqlite: %v\nmemory: %v", got, want)
			}
			for _, m := range []vigilv1.Measure{vigilv1.Measure_MEASURE_LOAD, vigilv1.Measure_MEASURE_COMPLETION,
				vigilv1.Measure_MEASURE_UPTIME, vigilv1.Measure_MEASURE_STEP} {
				for _, region := range []string{"", "eu-west"} {
					req := &vigilv1.QueryMetricsRequest{CheckId: "checkout", Region: region, Measure: m, Quantile: 0.95, Step: "click #checkout",
						From: timestamppb.New(r.from), To: timestamppb.New(r.to)}
					got, err := fromSQL.Query(t.Context(), req)
					if err != nil {
						t.Fatal(err)
					}
					want, err := fromMem.Query(t.Context(), req)
					if err != nil {
						t.Fatal(err)
					}
					if !proto.Equal(got, want) {
						t.Errorf("%v %q series differ:\nsqlite: %v\nmemory: %v", m, region, got, want)
					}
				}
			}
		})
	}
}

// TestRollupsLeaveOutResultsOlderThanRetention: a result older than the raw
// retention could be a redelivery of one already deleted, so it is stored
// (and deleted by the next pass) but not folded.
func TestRollupsLeaveOutResultsOlderThanRetention(t *testing.T) {
	checks, d := smallData()
	s := openStore(t, t.TempDir())
	now := day0.Add(10*time.Hour + 30*time.Minute)
	h, err := s.RollupHook(t.Context(), rollup.NewRoller(rollup.Config{MaxAge: 30 * time.Minute, Now: func() time.Time { return now }}))
	if err != nil {
		t.Fatal(err)
	}
	s.SetInsertHook(h)
	insertBatches(t, s, d.Results, 100)
	var recent []*vigilv1.Result
	for _, r := range d.Results {
		if !r.GetStartedAt().AsTime().Before(now.Add(-30 * time.Minute)) {
			recent = append(recent, r)
		}
	}
	if len(recent) == 0 || len(recent) == len(d.Results) {
		t.Fatalf("%d of %d results recent; the test needs both kinds", len(recent), len(d.Results))
	}
	sameBuckets(t, storedBuckets(t, s, checks), rollup.Group(recent))
}
