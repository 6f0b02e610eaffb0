package analytics_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/analytics"
	"github.com/vigilhq/vigil/analytics/analyticstest"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestQueryBucketCounts queries completion and load at each resolution and
// checks every point's count against the raw results of its bucket.
func TestQueryBucketCounts(t *testing.T) {
	_, d := dataset()
	svc := analytics.New(analytics.Config{Source: analyticstest.NewMemory(d), Now: func() time.Time { return day0.Add(72 * time.Hour) }})
	tests := []struct {
		name     string
		from, to time.Time
		res      vigilv1.Resolution // unspecified: chosen from the range
		want     vigilv1.Resolution
		points   int
	}{
		{"two hours by minute", day0.Add(time.Hour), day0.Add(3 * time.Hour), 0, vigilv1.Resolution_RESOLUTION_MINUTE, 120},
		{"six hours by minute", day0, day0.Add(6 * time.Hour), 0, vigilv1.Resolution_RESOLUTION_MINUTE, 360},
		{"two days by hour", day0, day0.Add(48 * time.Hour), 0, vigilv1.Resolution_RESOLUTION_HOUR, 48},
		{"a month by day", day0.Add(-20 * 24 * time.Hour), day0.Add(10 * 24 * time.Hour), 0, vigilv1.Resolution_RESOLUTION_DAY, 2},
		{"two days by day, asked", day0, day0.Add(48 * time.Hour), vigilv1.Resolution_RESOLUTION_DAY, vigilv1.Resolution_RESOLUTION_DAY, 2},
		{"unaligned start", day0.Add(90 * time.Minute), day0.Add(4 * time.Hour), vigilv1.Resolution_RESOLUTION_HOUR, vigilv1.Resolution_RESOLUTION_HOUR, 3},
	}
	for _, tt := range tests {
		for _, region := range []string{"", "eu-west"} {
			t.Run(tt.name+"/"+region, func(t *testing.T) {
				for _, m := range []vigilv1.Measure{vigilv1.Measure_MEASURE_COMPLETION, vigilv1.Measure_MEASURE_LOAD} {
					s, err := svc.Query(t.Context(), &vigilv1.QueryMetricsRequest{
						CheckId: "checkout", Region: region, Measure: m, Resolution: tt.res,
						From: timestamppb.New(tt.from), To: timestamppb.New(tt.to),
					})
					if err != nil {
						t.Fatal(err)
					}
					if s.GetResolution() != tt.want || s.GetRegion() != region {
						t.Fatalf("%v: %v, region %q; want %v", m, s.GetResolution(), s.GetRegion(), tt.want)
					}
					if region == "" && len(s.GetPoints()) != tt.points {
						t.Errorf("%v: %d points, want %d", m, len(s.GetPoints()), tt.points)
					}
					// One point per bucket with values, each counting the raw
					// results of its bucket.
					width := map[vigilv1.Resolution]time.Duration{1: time.Minute, 2: time.Hour, 3: 24 * time.Hour}[tt.want]
					var want []string
					for start := tt.from.Truncate(width); start.Before(tt.to); start = start.Add(width) {
						e := count(d, "checkout", start, start.Add(width))
						n := e.pass[region] + e.fail[region]
						if m == vigilv1.Measure_MEASURE_LOAD {
							n = countLoads(d, region, start, start.Add(width))
						}
						if n > 0 {
							want = append(want, fmt.Sprintf("%s:%d", start.Format(time.RFC3339), n))
						}
					}
					var got []string
					for _, p := range s.GetPoints() {
						got = append(got, fmt.Sprintf("%s:%d", p.GetStart().AsTime().Format(time.RFC3339), p.GetCount()))
					}
					if !slices.Equal(got, want) {
						t.Errorf("%v points (start:count) = %v\nwant %v", m, got, want)
					}
				}
			})
		}
	}
}

func countLoads(d *analyticstest.Data, region string, from, to time.Time) int64 {
	var n int64
	for _, r := range inRange(d, from, to) {
		if r.GetCheckId() == "checkout" && (region == "" || r.GetRegion() == region) && r.GetLoadUs() > 0 {
			n++
		}
	}
	return n
}

// TestQueryUptimeAndSteps checks the decided-state uptime series and step
// lookups by name and index.
func TestQueryUptimeAndSteps(t *testing.T) {
	_, d := dataset()
	svc := analytics.New(analytics.Config{Source: analyticstest.NewMemory(d), Now: func() time.Time { return day0.Add(72 * time.Hour) }})
	ctx := t.Context()
	from, to := timestamppb.New(day0), timestamppb.New(day0.Add(24*time.Hour))

	up, err := svc.Query(ctx, &vigilv1.QueryMetricsRequest{CheckId: "checkout", Measure: vigilv1.Measure_MEASURE_UPTIME, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.GetPoints()) != 24 || up.GetQuantile() != 0 {
		t.Fatalf("uptime: %d points, quantile %v", len(up.GetPoints()), up.GetQuantile())
	}
	for i, p := range up.GetPoints() {
		want := 1.0
		if i == 10 { // checkout (check 0) is down 10:00-10:30
			want = 0.5
		}
		if p.GetValue() != want {
			t.Errorf("uptime at %02d:00 = %v, want %v", i, p.GetValue(), want)
		}
	}

	// us-east's own history: unknown for 20 minutes at 03:00 (not counted
	// either way), down with everyone at 10:00, and alone 15:00-16:00.
	east, err := svc.Query(ctx, &vigilv1.QueryMetricsRequest{CheckId: "checkout", Region: "us-east", Measure: vigilv1.Measure_MEASURE_UPTIME, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if len(east.GetPoints()) != 24 || east.GetRegion() != "us-east" {
		t.Fatalf("us-east uptime: %d points, region %q", len(east.GetPoints()), east.GetRegion())
	}
	for i, p := range east.GetPoints() {
		want := map[int]float64{10: 0.5, 15: 0}[i]
		if i != 10 && i != 15 {
			want = 1
		}
		if p.GetValue() != want {
			t.Errorf("us-east uptime at %02d:00 = %v, want %v", i, p.GetValue(), want)
		}
	}

	byName, err := svc.Query(ctx, &vigilv1.QueryMetricsRequest{CheckId: "checkout", Measure: vigilv1.Measure_MEASURE_STEP, Step: "click #checkout", Quantile: 0.75, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	byIndex, err := svc.Query(ctx, &vigilv1.QueryMetricsRequest{CheckId: "checkout", Measure: vigilv1.Measure_MEASURE_STEP, Step: "4", Quantile: 0.75, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if len(byName.GetPoints()) != 24 || len(byIndex.GetPoints()) != 24 || byName.GetPoints()[5].GetValue() != byIndex.GetPoints()[5].GetValue() {
		t.Errorf("step by name: %d points, by index %d", len(byName.GetPoints()), len(byIndex.GetPoints()))
	}

	for _, tt := range []struct {
		name string
		req  *vigilv1.QueryMetricsRequest
		want error
	}{
		{"unknown step", &vigilv1.QueryMetricsRequest{CheckId: "checkout", Measure: vigilv1.Measure_MEASURE_STEP, Step: "pay", From: from, To: to}, analytics.ErrNotFound},
		{"step index 0", &vigilv1.QueryMetricsRequest{CheckId: "checkout", Measure: vigilv1.Measure_MEASURE_STEP, Step: "0", From: from, To: to}, analytics.ErrInvalid},
		{"no measure", &vigilv1.QueryMetricsRequest{CheckId: "checkout", From: from, To: to}, analytics.ErrInvalid},
		{"quantile 1", &vigilv1.QueryMetricsRequest{CheckId: "checkout", Measure: vigilv1.Measure_MEASURE_LCP, Quantile: 1, From: from, To: to}, analytics.ErrInvalid},
		{"to before from", &vigilv1.QueryMetricsRequest{CheckId: "checkout", Measure: vigilv1.Measure_MEASURE_LCP, From: to, To: from}, analytics.ErrInvalid},
		{"too many minutes", &vigilv1.QueryMetricsRequest{CheckId: "checkout", Measure: vigilv1.Measure_MEASURE_LCP, Resolution: vigilv1.Resolution_RESOLUTION_MINUTE,
			From: timestamppb.New(day0.Add(-90 * 24 * time.Hour)), To: to}, analytics.ErrInvalid},
	} {
		if _, err := svc.Query(ctx, tt.req); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestReportEdges covers ranges with no history, ranges reaching into the
// future and bad SLO targets.
func TestReportEdges(t *testing.T) {
	checks, d := dataset()
	now := day0.Add(12 * time.Hour)
	svc := analytics.New(analytics.Config{Source: analyticstest.NewMemory(d), Now: func() time.Time { return now }})
	ctx := t.Context()

	// Before the history starts: nothing is known.
	rep, err := svc.Report(ctx, checks[:1], day0.Add(-48*time.Hour), day0.Add(-24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	o := rep.GetChecks()[0].GetOverall()
	if o.GetRuns() != 0 || o.GetUptime() != 0 || o.GetUnknown() != 1 || len(rep.GetChecks()[0].GetStates()) != 1 {
		t.Errorf("empty range: %v, states %v", o, rep.GetChecks()[0].GetStates())
	}

	// A range running into the future ends at now: 12 hours known, 20
	// minutes of them unknown, 30 down.
	rep, err = svc.Report(ctx, checks[:1], day0, day0.Add(24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	cr := rep.GetChecks()[0]
	approx(t, "uptime", cr.GetOverall().GetUptime(), float64(720-20-30)/float64(720-20))
	approx(t, "unknown", cr.GetOverall().GetUnknown(), 20.0/720)
	last := cr.GetStates()[len(cr.GetStates())-1]
	if !last.GetEnd().AsTime().Equal(now) {
		t.Errorf("last span ends %s, want now", last.GetEnd().AsTime())
	}

	for _, target := range []float64{-0.5, 1, 1.5} {
		if _, err := svc.Report(ctx, checks, day0, day0.Add(time.Hour), target); !errors.Is(err, analytics.ErrInvalid) {
			t.Errorf("slo target %v: err = %v", target, err)
		}
	}
	if _, err := svc.Report(ctx, checks, day0, day0, 0); !errors.Is(err, analytics.ErrInvalid) {
		t.Errorf("empty range: err = %v", err)
	}
}
