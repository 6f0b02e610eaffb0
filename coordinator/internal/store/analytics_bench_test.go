package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigilhq/vigil/analytics"
	"github.com/vigilhq/vigil/analytics/analyticstest"
	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// BenchmarkAnalytics generates 1-minute results of 100 checks (50 browser
// checkouts of 5 steps, 50 http) in 5 regions, stores them through Insert
// with the rollup hook on, in transactions of 1,000 (what group commit
// makes of a loaded mesh), compacting each hour's rollups once it is over
// (as the coordinator's retention pass does), then times reports over the
// whole range. It runs
// 3 days (2.16 million results) unless VIGIL_BENCH_DAYS says otherwise (30
// for the 21.6 million). Run it once:
//
//	go test -run '^$' -bench Analytics -benchtime 1x -timeout 0 ./coordinator/internal/store/
func BenchmarkAnalytics(b *testing.B) {
	days := 3
	if v := os.Getenv("VIGIL_BENCH_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("VIGIL_BENCH_DAYS=%q: want a number of days", v)
		}
		days = n
	}
	regions := []string{"ap-south", "eu-west", "sa-east", "us-east", "us-west"}
	var checks []*vigilv1.Check
	for i := range 50 {
		checks = append(checks, analyticstest.BrowserCheck(fmt.Sprintf("checkout-%02d", i), regions...))
		checks = append(checks, analyticstest.HTTPCheck(fmt.Sprintf("home-%02d", i), regions...))
	}
	from := day0
	to := from.Add(time.Duration(days) * 24 * time.Hour)

	for range b.N {
		dir := b.TempDir()
		s := openStore(b, dir)
		h, err := s.RollupHook(b.Context(), rollup.NewRoller(rollup.Config{}))
		if err != nil {
			b.Fatal(err)
		}
		s.SetInsertHook(h)

		const perTx = 1000
		var (
			recs                []Record
			n                   int
			inInsert, inCompact time.Duration
			compacted           int64 // the hour compaction last ran for
		)
		flush := func() {
			t := time.Now()
			if _, err := s.Insert(b.Context(), recs); err != nil {
				b.Fatal(err)
			}
			inInsert += time.Since(t)
			n += len(recs)
			// The data's clock: once an hour is 2 minutes over, compact.
			at := recs[len(recs)-1].Result.GetStartedAt().AsTime().Add(-2 * time.Minute)
			recs = recs[:0]
			if hour := at.Truncate(time.Hour).Unix(); hour > compacted {
				compacted = hour
				t := time.Now()
				compactAll(b, s, at)
				inCompact += time.Since(t)
			}
		}
		wall := time.Now()
		for r := range analyticstest.Results(1, checks, from, to) {
			recs = append(recs, record(b, r))
			if len(recs) == perTx {
				flush()
			}
		}
		if len(recs) > 0 {
			flush()
		}
		t := time.Now()
		compactAll(b, s, to.Add(time.Hour))
		inCompact += time.Since(t)
		wallTime := time.Since(wall)
		for k, changes := range analyticstest.States(checks, from, to) {
			for _, c := range changes {
				if err := s.AppendState(b.Context(), k.CheckID, k.Region, c.At, c.State); err != nil {
					b.Fatal(err)
				}
			}
		}

		if _, err := s.w.ExecContext(b.Context(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, FileName))
		if err != nil {
			b.Fatal(err)
		}
		sizes := tableSizes(b, s)

		svc := analytics.New(analytics.Config{Source: s, Now: func() time.Time { return to }})
		t = time.Now()
		rep, err := svc.Report(b.Context(), checks[:1], from, to, 0)
		if err != nil {
			b.Fatal(err)
		}
		oneCheck := time.Since(t)
		if rep.GetChecks()[0].GetOverall().GetRuns() != int64(days*1440*len(regions)) {
			b.Fatalf("report counts %d runs", rep.GetChecks()[0].GetOverall().GetRuns())
		}
		t = time.Now()
		if _, err := svc.Report(b.Context(), checks[:1], to.Add(-24*time.Hour), to, 0); err != nil {
			b.Fatal(err)
		}
		oneDay := time.Since(t)
		t = time.Now()
		if _, err := svc.Report(b.Context(), checks, from, to, 0); err != nil {
			b.Fatal(err)
		}
		allChecks := time.Since(t)

		// Minute rollups are kept a week (the coordinator's retention):
		// what a month of them costs once pruned.
		t = time.Now()
		for {
			k, err := s.PruneRollups(b.Context(), vigilv1.Resolution_RESOLUTION_MINUTE, to.Add(-7*24*time.Hour), 10_000)
			if err != nil {
				b.Fatal(err)
			}
			if k < 10_000 {
				break
			}
		}
		pruneTime := time.Since(t)
		pruned := tableSizes(b, s)

		perM := float64(n) / 1e6
		b.ReportMetric(float64(n)/(inInsert+inCompact).Seconds(), "results/s")
		b.ReportMetric(inCompact.Seconds()/(inInsert+inCompact).Seconds()*100, "%-compacting")
		b.ReportMetric(float64(n)/wallTime.Seconds(), "results/s-with-gen")
		b.ReportMetric(float64(fi.Size())/perM/(1<<20), "MiB/M-results")
		b.ReportMetric(float64(sizes["rollups"])/perM/(1<<20), "rollup-MiB/M-results")
		b.ReportMetric(float64(pruned["rollups"])/perM/(1<<20), "rollup-MiB/M-results-minutes-pruned")
		b.ReportMetric(oneCheck.Seconds()*1000, "ms/report-1-check")
		b.ReportMetric(oneDay.Seconds()*1000, "ms/report-1-check-1-day")
		b.ReportMetric(allChecks.Seconds()*1000, "ms/report-all-checks")
		b.Logf("%d days, %d results in %s (%s in Insert, %s compacting); database %d MiB: %v", days, n, wallTime.Round(time.Second),
			inInsert.Round(time.Second), inCompact.Round(time.Second), fi.Size()>>20, mib(sizes))
		b.Logf("pruning minute rollups older than 7 days took %s; rollups then %s", pruneTime.Round(time.Millisecond), mib(pruned)["rollups"])
	}
}

// compactAll compacts every hour and day over before `before`.
func compactAll(b *testing.B, s *Store, before time.Time) {
	for {
		n, err := s.CompactRollups(b.Context(), before, 10_000)
		if err != nil {
			b.Fatal(err)
		}
		if n < 10_000 {
			return
		}
	}
}

// tableSizes returns the bytes each table (with its indexes) takes, from
// SQLite's dbstat table when the build has it; nil otherwise.
func tableSizes(b *testing.B, s *Store) map[string]int64 {
	rows, err := s.w.QueryContext(b.Context(), `SELECT tbl_name, SUM(pgsize) FROM dbstat
		JOIN sqlite_schema ON dbstat.name = sqlite_schema.name GROUP BY tbl_name`)
	if err != nil {
		b.Logf("no dbstat: %v", err)
		return nil
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			b.Fatal(err)
		}
		out[name] = n
	}
	return out
}

func mib(m map[string]int64) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprintf("%.1f MiB", float64(v)/(1<<20))
	}
	return out
}
