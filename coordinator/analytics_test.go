package coordinator_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestReportOverIngestedResults sends results through probe streams, twice
// (a redelivery), and reads them back as a report and a series: the
// rollups were folded at ingest, once per result.
func TestReportOverIngestedResults(t *testing.T) {
	// The results are from t0, months ago: keep raw results forever, or the
	// rollups would leave them out as older than the retention.
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu", "us")}, RawRetention: -1})
	eu, us := h.connect(t, "eu-1", "eu"), h.connect(t, "us-1", "us")
	var euRs, usRs []*vigilv1.Result
	for m := range 10 {
		at := t0.Add(time.Duration(m) * time.Minute)
		st := pass
		if m == 4 {
			st = fail
		}
		r := eu.result("shop", at, st)
		r.TtfbUs = int64(100_000 + 10_000*m)
		euRs = append(euRs, r)
		usRs = append(usRs, us.result("shop", at.Add(20*time.Second), pass))
	}
	for range 2 {
		eu.sendResults(euRs...)
		eu.acked(len(euRs))
		us.sendResults(usRs...)
		us.acked(len(usRs))
	}

	resp, err := h.vigil.GetReport(t.Context(), &vigilv1.GetReportRequest{
		From: timestamppb.New(t0), To: timestamppb.New(t0.Add(time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.GetReport().GetChecks()); n != 1 {
		t.Fatalf("%d checks in the report", n)
	}
	cr := resp.GetReport().GetChecks()[0]
	o := cr.GetOverall()
	if o.GetRuns() != 20 || o.GetPasses() != 19 || o.GetFailures() != 1 || o.GetCompletionRate() != 0.95 {
		t.Errorf("overall = %v", o)
	}
	if len(cr.GetRegions()) != 2 || cr.GetRegions()[0].GetRegion() != "eu" || cr.GetRegions()[0].GetFailures() != 1 {
		t.Errorf("regions = %v", cr.GetRegions())
	}
	if cr.GetSlo().GetTarget() != 0.999 || cr.GetType() != "http" {
		t.Errorf("slo = %v, type %q", cr.GetSlo(), cr.GetType())
	}

	series, err := h.vigil.QueryMetrics(t.Context(), &vigilv1.QueryMetricsRequest{
		CheckId: "shop", Region: "eu", Measure: vigilv1.Measure_MEASURE_TTFB, Quantile: 0.5,
		From: timestamppb.New(t0), To: timestamppb.New(t0.Add(time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	s := series.GetSeries()
	if s.GetResolution() != vigilv1.Resolution_RESOLUTION_MINUTE || len(s.GetPoints()) != 10 {
		t.Fatalf("series: %v with %d points", s.GetResolution(), len(s.GetPoints()))
	}
	for m, p := range s.GetPoints() {
		want := float64(100 + 10*m)
		if p.GetCount() != 1 || p.GetValue() < want*0.99 || p.GetValue() > want*1.01 {
			t.Errorf("minute %d: %v (%d values), want %v", m, p.GetValue(), p.GetCount(), want)
		}
	}
}

func TestAnalyticsValidation(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu", "us")}})
	from, to := timestamppb.New(t0), timestamppb.New(t0.Add(time.Hour))
	reports := []struct {
		name string
		req  *vigilv1.GetReportRequest
		code codes.Code
		msg  string
	}{
		{"no from", &vigilv1.GetReportRequest{To: to}, codes.InvalidArgument, "from: required"},
		{"to before from", &vigilv1.GetReportRequest{From: to, To: from}, codes.InvalidArgument, "must be after from"},
		{"to equals from", &vigilv1.GetReportRequest{From: from, To: from}, codes.InvalidArgument, "must be after from"},
		{"over 400 days", &vigilv1.GetReportRequest{From: timestamppb.New(t0.Add(-401 * 24 * time.Hour)), To: to}, codes.InvalidArgument, "more than 400 days"},
		{"bad timestamp", &vigilv1.GetReportRequest{From: &timestamppb.Timestamp{Seconds: 1, Nanos: -5}, To: to}, codes.InvalidArgument, "from:"},
		{"unknown check", &vigilv1.GetReportRequest{From: from, To: to, CheckIds: []string{"shop", "nope"}}, codes.NotFound, `"nope"`},
		{"slo target 1", &vigilv1.GetReportRequest{From: from, To: to, SloTarget: 1}, codes.InvalidArgument, "slo_target"},
		{"negative slo target", &vigilv1.GetReportRequest{From: from, To: to, SloTarget: -0.9}, codes.InvalidArgument, "slo_target"},
	}
	for _, tt := range reports {
		t.Run("GetReport/"+tt.name, func(t *testing.T) {
			_, err := h.vigil.GetReport(t.Context(), tt.req)
			if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.msg) {
				t.Errorf("err = %v, want %v containing %q", err, tt.code, tt.msg)
			}
		})
	}
	queries := []struct {
		name string
		req  *vigilv1.QueryMetricsRequest
		code codes.Code
		msg  string
	}{
		{"no check", &vigilv1.QueryMetricsRequest{Measure: vigilv1.Measure_MEASURE_LCP, From: from}, codes.InvalidArgument, "check_id: required"},
		{"unknown check", &vigilv1.QueryMetricsRequest{CheckId: "nope", Measure: vigilv1.Measure_MEASURE_LCP, From: from}, codes.NotFound, `"nope"`},
		{"no from", &vigilv1.QueryMetricsRequest{CheckId: "shop", Measure: vigilv1.Measure_MEASURE_LCP}, codes.InvalidArgument, "from: required"},
		{"no measure", &vigilv1.QueryMetricsRequest{CheckId: "shop", From: from}, codes.InvalidArgument, "measure: required"},
		{"unknown measure", &vigilv1.QueryMetricsRequest{CheckId: "shop", Measure: 99, From: from}, codes.InvalidArgument, "unknown value 99"},
		{"quantile 1", &vigilv1.QueryMetricsRequest{CheckId: "shop", Measure: vigilv1.Measure_MEASURE_LCP, Quantile: 1, From: from}, codes.InvalidArgument, "quantile"},
		{"negative quantile", &vigilv1.QueryMetricsRequest{CheckId: "shop", Measure: vigilv1.Measure_MEASURE_LCP, Quantile: -0.5, From: from}, codes.InvalidArgument, "quantile"},
		{"step without name", &vigilv1.QueryMetricsRequest{CheckId: "shop", Measure: vigilv1.Measure_MEASURE_STEP, From: from}, codes.InvalidArgument, "step: required"},
		{"unknown step", &vigilv1.QueryMetricsRequest{CheckId: "shop", Measure: vigilv1.Measure_MEASURE_STEP, Step: "pay", From: from, To: to}, codes.NotFound, `"pay"`},
		{"unknown resolution", &vigilv1.QueryMetricsRequest{CheckId: "shop", Measure: vigilv1.Measure_MEASURE_LCP, Resolution: 9, From: from}, codes.InvalidArgument, "resolution"},
		{"too many minutes", &vigilv1.QueryMetricsRequest{CheckId: "shop", Measure: vigilv1.Measure_MEASURE_LCP, Resolution: vigilv1.Resolution_RESOLUTION_MINUTE,
			From: timestamppb.New(t0.Add(-60 * 24 * time.Hour)), To: to}, codes.InvalidArgument, "coarser resolution"},
		{"over 400 days", &vigilv1.QueryMetricsRequest{CheckId: "shop", Measure: vigilv1.Measure_MEASURE_LCP, From: timestamppb.New(t0.Add(-500 * 24 * time.Hour)), To: to},
			codes.InvalidArgument, "more than 400 days"},
	}
	for _, tt := range queries {
		t.Run("QueryMetrics/"+tt.name, func(t *testing.T) {
			_, err := h.vigil.QueryMetrics(t.Context(), tt.req)
			if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.msg) {
				t.Errorf("err = %v, want %v containing %q", err, tt.code, tt.msg)
			}
		})
	}
}

// TestReportUptimeFromDecidedStates: the engine's state changes are
// recorded as they are decided, after the "unknown" the coordinator marks
// at start, and the report's uptime and timeline come from them.
func TestReportUptimeFromDecidedStates(t *testing.T) {
	begin := time.Now().Add(-time.Minute)
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu", "us")}})
	eu, us := h.connect(t, "eu-1", "eu"), h.connect(t, "us-1", "us")
	now := time.Now()
	eu.sendResults(eu.result("shop", now, pass))
	eu.acked(1)
	us.sendResults(us.result("shop", now, pass))
	us.acked(1)
	// eu fails twice (confirmed): eu's own history turns down, the check
	// only degraded.
	eu.sendResults(eu.result("shop", now.Add(time.Minute), fail))
	eu.acked(1)
	eu.sendResults(eu.result("shop", now.Add(2*time.Minute), fail))
	eu.acked(1)

	resp, err := h.vigil.GetReport(t.Context(), &vigilv1.GetReportRequest{
		From: timestamppb.New(begin), To: timestamppb.New(time.Now().Add(time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	cr := resp.GetReport().GetChecks()[0]
	var states []string
	for _, sp := range cr.GetStates() {
		states = append(states, sp.GetState())
	}
	// Before start nothing was recorded (unknown), then the start mark
	// (unknown, merged), then up once both regions passed, then degraded.
	if strings.Join(states, " ") != "unknown up degraded" {
		t.Fatalf("states = %v", states)
	}
	if o := cr.GetOverall(); o.GetUptime() != 1 || o.GetUnknown() <= 0 || o.GetUnknown() >= 1 {
		t.Errorf("uptime %v, unknown %v; want 1 and some unknown", o.GetUptime(), o.GetUnknown())
	}
	// Regional uptime comes from each region's own decided history: eu
	// has been down since its failure was confirmed, us never.
	regions := cr.GetRegions()
	if len(regions) != 2 {
		t.Fatalf("regions = %v", regions)
	}
	if eu := regions[0]; eu.GetUptime() <= 0 || eu.GetUptime() >= 1 || eu.GetUnknown() <= 0 {
		t.Errorf("eu uptime %v, unknown %v; want between 0 and 1, some unknown", eu.GetUptime(), eu.GetUnknown())
	}
	if us := regions[1]; us.GetUptime() != 1 || us.GetUnknown() <= 0 {
		t.Errorf("us uptime %v, unknown %v; want 1, some unknown", us.GetUptime(), us.GetUnknown())
	}
	if cr.GetSlo().GetBurnRate() != 0 || cr.GetSlo().GetBudgetRemaining() != 1 {
		t.Errorf("slo = %v", cr.GetSlo())
	}
}
