package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
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

// TestRollupsRollBackWithTheirResults fails an insert after the rollups
// were written, the way a late error inside Insert's transaction would:
// neither the results nor the rollups stay, and the retry counts the batch
// once.
func TestRollupsRollBackWithTheirResults(t *testing.T) {
	checks, d := smallData()
	s := openStore(t, t.TempDir())
	h, err := s.RollupHook(t.Context(), rollup.NewRoller(rollup.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	fail := false
	s.SetInsertHook(func(ctx context.Context, tx *sql.Tx, rs []*vigilv1.Result) error {
		if err := h(ctx, tx, rs); err != nil {
			return err
		}
		if fail {
			return errors.New("injected failure")
		}
		return nil
	})
	half := len(d.Results) / 2
	insertBatches(t, s, d.Results[:half], 100)
	compact(t, s, day0.Add(24*time.Hour)) // so the retry also folds into stored hours

	fail = true
	recs := []Record{record(t, d.Results[half]), record(t, d.Results[half+1])}
	if _, err := s.Insert(t.Context(), recs); err == nil {
		t.Fatal("Insert succeeded despite the hook's error")
	}
	sameBuckets(t, storedBuckets(t, s, checks), rollup.Group(d.Results[:half]))

	fail = false
	insertBatches(t, s, d.Results[half:], 100)
	sameBuckets(t, storedBuckets(t, s, checks), rollup.Group(d.Results))
}

// compact runs CompactRollups to the end, in small batches.
func compact(t testing.TB, s *Store, before time.Time) int {
	t.Helper()
	total := 0
	for {
		n, err := s.CompactRollups(t.Context(), before, 500)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n < 500 {
			return total
		}
	}
}

// rawBuckets counts the stored rows per resolution, bypassing the merge of
// uncompacted periods.
func rawBuckets(t testing.TB, s *Store) map[vigilv1.Resolution]int {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), `SELECT res, count(*) FROM rollups GROUP BY res`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[vigilv1.Resolution]int{}
	for rows.Next() {
		var res, n int
		if err := rows.Scan(&res, &n); err != nil {
			t.Fatal(err)
		}
		out[vigilv1.Resolution(res)] = n
	}
	return out
}

// TestCompaction: hours and days are stored only once they are over and
// compacted; before, during and after, every resolution reads the same; a
// late result for a compacted hour still counts once.
func TestCompaction(t *testing.T) {
	checks, d := smallData() // 09:30-11:30
	s := rollupStore(t, t.TempDir())
	insertBatches(t, s, d.Results, 100)
	want := rollup.Group(d.Results)
	if raw := rawBuckets(t, s); raw[vigilv1.Resolution_RESOLUTION_HOUR] != 0 || raw[vigilv1.Resolution_RESOLUTION_DAY] != 0 {
		t.Fatalf("hour or day buckets written at ingest: %v", raw)
	}
	sameBuckets(t, storedBuckets(t, s, checks), want)

	// At 11:01 the 09:00 and 10:00 hours are over; 11:00 and the day are not.
	compact(t, s, day0.Add(11*time.Hour+time.Minute))
	perHour := 3 * (1 + 5 + 1) // regions x (checkout's run and steps, home's run)
	raw := rawBuckets(t, s)
	if raw[vigilv1.Resolution_RESOLUTION_HOUR] != 2*perHour || raw[vigilv1.Resolution_RESOLUTION_DAY] != 0 {
		t.Fatalf("after compacting two hours: %v", raw)
	}
	sameBuckets(t, storedBuckets(t, s, checks), want)
	if n := compact(t, s, day0.Add(11*time.Hour+time.Minute)); n != 0 {
		t.Errorf("compacting again read %d buckets", n)
	}

	// A late result of the compacted 10:00 hour, and one of the open 11:00.
	late := []*vigilv1.Result{proto.CloneOf(d.Results[len(d.Results)/2]), proto.CloneOf(d.Results[len(d.Results)-1])}
	late[0].Id, late[1].Id = "late-0", "late-1"
	insertBatches(t, s, late, 100)
	all := append(slices.Clone(d.Results), late...)
	sameBuckets(t, storedBuckets(t, s, checks), rollup.Group(all))

	// The next day everything is compacted, the day included.
	compact(t, s, day0.Add(25*time.Hour))
	raw = rawBuckets(t, s)
	if raw[vigilv1.Resolution_RESOLUTION_HOUR] != 3*perHour || raw[vigilv1.Resolution_RESOLUTION_DAY] != perHour {
		t.Fatalf("after compacting the day: %v", raw)
	}
	sameBuckets(t, storedBuckets(t, s, checks), rollup.Group(all))

	// Minute pruning never deletes minutes not compacted into hours.
	s2 := rollupStore(t, t.TempDir())
	insertBatches(t, s2, d.Results, 100)
	compact(t, s2, day0.Add(11*time.Hour+time.Minute))
	for {
		n, err := s2.PruneRollups(t.Context(), vigilv1.Resolution_RESOLUTION_MINUTE, day0.Add(48*time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if n < 1000 {
			break
		}
	}
	after := rawBuckets(t, s2)
	if after[vigilv1.Resolution_RESOLUTION_MINUTE] != 3*30*7 { // 11:00-11:30 is left
		t.Errorf("minute buckets after pruning: %d, want %d", after[vigilv1.Resolution_RESOLUTION_MINUTE], 3*30*7)
	}
	stored := storedBuckets(t, s2, checks)
	for k, w := range rollup.Group(d.Results) {
		if k.Res == vigilv1.Resolution_RESOLUTION_MINUTE {
			continue
		}
		got := stored[k]
		if got == nil || got.Counts != w.Counts {
			t.Fatalf("bucket %s after pruning minutes: %+v, want %+v", k, got, w.Counts)
		}
	}
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
	for k, changes := range d.States {
		for _, c := range changes {
			if err := s.AppendState(t.Context(), k.CheckID, k.Region, c.At, c.State); err != nil {
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
	// A day and a quarter: a whole day, and a day begun.
	d := analyticstest.Generate(42, checks, day0, day0.Add(30*time.Hour))
	s := rollupStore(t, t.TempDir())
	loadData(t, s, d)

	now := func() time.Time { return day0.Add(31 * time.Hour) }
	fromSQL := analytics.New(analytics.Config{Source: s, Now: now})
	fromMem := analytics.New(analytics.Config{Source: analyticstest.NewMemory(d), Now: now})
	// Incident ids differ (the store numbers them); compare without them.
	for _, inc := range d.Incidents {
		inc.Id = ""
	}
	ranges := []struct {
		name        string
		from, to    time.Time
		compactOnly bool // merging hours and days from minutes is slow under -race; two ranges show it
	}{
		{"all of it", day0, day0.Add(30 * time.Hour), true},
		{"unaligned five hours", day0.Add(9*time.Hour + 17*time.Minute), day0.Add(14*time.Hour + 3*time.Minute), false},
		{"unaligned 20 hours", day0.Add(7*time.Hour + 59*time.Minute), day0.Add(27*time.Hour + 1*time.Minute), true},
		{"20 days around the data", day0.Add(-10 * 24 * time.Hour), day0.Add(10 * 24 * time.Hour), false},
	}
	// Compare with nothing compacted (every hour and day merged from the
	// minutes while reading), then with the first day and some hours of the
	// second compacted.
	for _, phase := range []string{"uncompacted", "compacted"} {
		if phase == "compacted" {
			compact(t, s, day0.Add(27*time.Hour))
		}
		for _, r := range ranges {
			if r.compactOnly && phase == "uncompacted" {
				continue
			}
			t.Run(phase+"/"+r.name, func(t *testing.T) {
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
					for _, ii := range cr.GetIncidentImpacts() {
						ii.IncidentId = ""
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
