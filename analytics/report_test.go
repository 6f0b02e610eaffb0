package analytics_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/vigilhq/vigil/analytics"
	"github.com/vigilhq/vigil/analytics/analyticstest"
	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var (
	day0    = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	regions = []string{"ap-south", "eu-west", "us-east"}
)

// dataset is the fixed data set most tests use: a browser checkout and an
// http home page in three regions over two days, every minute.
func dataset() ([]*vigilv1.Check, *analyticstest.Data) {
	checks := []*vigilv1.Check{
		analyticstest.BrowserCheck("checkout", regions...),
		analyticstest.HTTPCheck("home", regions...),
	}
	return checks, analyticstest.Generate(42, checks, day0, day0.Add(48*time.Hour))
}

// exact are the figures counted straight from the raw results.
type exact struct {
	pass, fail, perr map[string]int64 // by region, "" overall
	reached, failed  map[uint32]int64
	load, flow       []float64 // ms, sorted
}

// inRange returns d's results started in [from, to), by start time.
func inRange(d *analyticstest.Data, from, to time.Time) []*vigilv1.Result {
	sorted, ok := byTime[d]
	if !ok {
		sorted = slices.Clone(d.Results)
		slices.SortStableFunc(sorted, func(a, b *vigilv1.Result) int {
			return a.GetStartedAt().AsTime().Compare(b.GetStartedAt().AsTime())
		})
		byTime[d] = sorted
	}
	at := func(r *vigilv1.Result, t time.Time) int { return r.GetStartedAt().AsTime().Compare(t) }
	lo, _ := slices.BinarySearchFunc(sorted, from, at)
	hi, _ := slices.BinarySearchFunc(sorted, to, at)
	return sorted[lo:hi]
}

// byTime caches each data set's results sorted by start; tests using it do
// not run in parallel.
var byTime = map[*analyticstest.Data][]*vigilv1.Result{}

func count(d *analyticstest.Data, checkID string, from, to time.Time) exact {
	e := exact{pass: map[string]int64{}, fail: map[string]int64{}, perr: map[string]int64{},
		reached: map[uint32]int64{}, failed: map[uint32]int64{}}
	for _, r := range inRange(d, from, to) {
		if r.GetCheckId() != checkID {
			continue
		}
		for _, reg := range []string{"", r.GetRegion()} {
			switch r.GetStatus() {
			case vigilv1.ResultStatus_RESULT_STATUS_PASS:
				e.pass[reg]++
			case vigilv1.ResultStatus_RESULT_STATUS_FAIL:
				e.fail[reg]++
			default:
				e.perr[reg]++
			}
		}
		if r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR {
			continue
		}
		for i := range r.GetSteps() {
			e.reached[uint32(i+1)]++
		}
		if r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_FAIL && r.GetFailedStep() > 0 {
			e.failed[r.GetFailedStep()]++
		}
		if r.GetLoadUs() > 0 {
			e.load = append(e.load, float64(r.GetLoadUs())/1000)
		}
		if r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_PASS {
			e.flow = append(e.flow, float64(r.GetDurationUs())/1000)
		}
	}
	slices.Sort(e.load)
	slices.Sort(e.flow)
	return e
}

// near checks a sketch estimate against the exact quantile of sorted values
// (rank q*(n-1), the slack of one order statistic either side) within the
// sketch's relative error, plus the report's rounding to a microsecond.
func near(t *testing.T, what string, got float64, sorted []float64, q float64) {
	t.Helper()
	rank := q * float64(len(sorted)-1)
	lo, hi := sorted[int(math.Floor(rank))], sorted[int(math.Ceil(rank))]
	if got < lo*(1-rollup.RelativeAccuracy)-0.001 || got > hi*(1+rollup.RelativeAccuracy)+0.001 {
		t.Errorf("%s = %v, exact %v..%v", what, got, lo, hi)
	}
}

func approx(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestReportFromGeneratedData checks a report's figures against what the
// script and the raw results say.
func TestReportFromGeneratedData(t *testing.T) {
	checks, d := dataset()
	from, to := day0, day0.Add(48*time.Hour)
	svc := analytics.New(analytics.Config{Source: analyticstest.NewMemory(d), Now: func() time.Time { return to.Add(time.Hour) }})
	rep, err := svc.Report(t.Context(), checks, from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.GetChecks()) != 2 || rep.GetChecks()[0].GetCheckId() != "checkout" || rep.GetChecks()[1].GetCheckId() != "home" {
		t.Fatalf("checks = %v", rep.GetChecks())
	}
	for _, cr := range rep.GetChecks() {
		t.Run(cr.GetCheckId(), func(t *testing.T) {
			e := count(d, cr.GetCheckId(), from, to)
			o := cr.GetOverall()
			if o.GetPasses() != e.pass[""] || o.GetFailures() != e.fail[""] || o.GetProbeErrors() != e.perr[""] ||
				o.GetRuns() != e.pass[""]+e.fail[""]+e.perr[""] {
				t.Errorf("overall counts = %d/%d/%d/%d, want %d/%d/%d", o.GetRuns(), o.GetPasses(), o.GetFailures(), o.GetProbeErrors(),
					e.pass[""], e.fail[""], e.perr[""])
			}
			approx(t, "completion", o.GetCompletionRate(), float64(e.pass[""])/float64(e.pass[""]+e.fail[""]))

			// Per day: down 30 minutes, unknown 20 minutes (the script).
			approx(t, "uptime", o.GetUptime(), float64(2*(1440-20-30))/float64(2*(1440-20)))
			approx(t, "unknown", o.GetUnknown(), 40.0/2880)
			slo := cr.GetSlo()
			approx(t, "slo target", slo.GetTarget(), 0.999)
			approx(t, "slo achieved", slo.GetAchieved(), o.GetUptime())
			approx(t, "burn rate", slo.GetBurnRate(), (1-o.GetUptime())/0.001)
			approx(t, "budget remaining", slo.GetBudgetRemaining(), 1-(1-o.GetUptime())/0.001)

			// Two down and two impaired incidents; MTTD and MTTR of the down ones.
			if n := len(cr.GetIncidents()); n != 4 {
				t.Errorf("incidents = %d, want 4", n)
			}
			if cr.GetMttd().AsDuration() != 40*time.Second || cr.GetMttr().AsDuration() != 32*time.Minute-40*time.Second {
				t.Errorf("mttd, mttr = %v, %v; want 40s, 31m20s", cr.GetMttd().AsDuration(), cr.GetMttr().AsDuration())
			}

			if len(cr.GetRegions()) != 3 {
				t.Fatalf("regions = %v", cr.GetRegions())
			}
			// Each region's uptime is from its own decided history, per
			// day: every region is down in the global outage (30 minutes);
			// all but the first are unknown while impaired (20 minutes); the
			// last also fails alone for an hour (the check is degraded).
			for i, rr := range cr.GetRegions() {
				r := rr.GetRegion()
				if rr.GetPasses() != e.pass[r] || rr.GetFailures() != e.fail[r] || rr.GetProbeErrors() != e.perr[r] {
					t.Errorf("%s counts = %d/%d/%d, want %d/%d/%d", r, rr.GetPasses(), rr.GetFailures(), rr.GetProbeErrors(), e.pass[r], e.fail[r], e.perr[r])
				}
				down, unknown := 30.0, 20.0
				if i == 0 {
					unknown = 0
				}
				if i == len(regions)-1 {
					down += 60
				}
				approx(t, r+" uptime", rr.GetUptime(), (1440-unknown-down)/(1440-unknown))
				approx(t, r+" unknown", rr.GetUnknown(), unknown/1440)
			}

			// The states: up, then the scripted outages, twice.
			var got []string
			for _, sp := range cr.GetStates() {
				got = append(got, sp.GetState())
			}
			want := []string{"up", "unknown", "up", "down", "up", "degraded", "up"}
			if !slices.Equal(got, append(want, want[1:]...)) {
				t.Errorf("states = %v", got)
			}

			// Percentiles against the exact ones.
			flow := measure(o, vigilv1.Measure_MEASURE_FLOW)
			if flow == nil || flow.GetQuantiles().GetCount() != int64(len(e.flow)) {
				t.Fatalf("flow = %v, want %d values", flow, len(e.flow))
			}
			near(t, "flow p50", flow.GetQuantiles().GetP50(), e.flow, 0.5)
			near(t, "flow p99", flow.GetQuantiles().GetP99(), e.flow, 0.99)

			if cr.GetType() == "browser" {
				load := measure(o, vigilv1.Measure_MEASURE_LOAD)
				near(t, "load p75", load.GetQuantiles().GetP75(), e.load, 0.75)
				near(t, "load p95", load.GetQuantiles().GetP95(), e.load, 0.95)
				lcp := measure(o, vigilv1.Measure_MEASURE_LCP)
				rt := lcp.GetRating()
				approx(t, "lcp ratings sum", rt.GetGood()+rt.GetNeedsImprovement()+rt.GetPoor(), 1)
				if rt.GetGood() < 0.5 || rt.GetPoor() == 0 {
					t.Errorf("lcp rating = %v", rt)
				}
				if len(cr.GetFunnel()) != 5 {
					t.Fatalf("funnel = %v", cr.GetFunnel())
				}
				for _, st := range cr.GetFunnel() {
					if st.GetReached() != e.reached[st.GetIndex()] || st.GetFailed() != e.failed[st.GetIndex()] {
						t.Errorf("step %d: reached %d failed %d, want %d %d", st.GetIndex(), st.GetReached(), st.GetFailed(),
							e.reached[st.GetIndex()], e.failed[st.GetIndex()])
					}
					if st.GetName() != analyticstest.CheckoutSteps[st.GetIndex()-1] {
						t.Errorf("step %d name = %q", st.GetIndex(), st.GetName())
					}
				}
				if len(cr.GetLoadSeries()) != 3 || cr.GetLoadSeries()[0].GetMeasure() != vigilv1.Measure_MEASURE_LOAD {
					t.Errorf("load series = %d, measure %v", len(cr.GetLoadSeries()), cr.GetLoadSeries()[0].GetMeasure())
				}
			} else {
				if cr.GetFunnel() != nil || measure(o, vigilv1.Measure_MEASURE_LCP) != nil {
					t.Errorf("http check has a funnel or LCP")
				}
				if cr.GetLoadSeries()[0].GetMeasure() != vigilv1.Measure_MEASURE_FLOW {
					t.Errorf("http load series measure = %v", cr.GetLoadSeries()[0].GetMeasure())
				}
			}
			for _, s := range cr.GetLoadSeries() {
				// Hourly, one point per hour with values: the http check's
				// flow time counts passing runs, and us-east fails alone for an
				// hour each day.
				points := 48
				if cr.GetType() == "http" && s.GetRegion() == "us-east" {
					points = 46
				}
				if s.GetResolution() != vigilv1.Resolution_RESOLUTION_HOUR || len(s.GetPoints()) != points || s.GetQuantile() != 0.75 {
					t.Errorf("%s series: %v, %d points, q %v", s.GetRegion(), s.GetResolution(), len(s.GetPoints()), s.GetQuantile())
				}
			}
		})
	}
}

func measure(rr *vigilv1.RegionReport, m vigilv1.Measure) *vigilv1.MeasureSummary {
	for _, ms := range rr.GetMeasures() {
		if ms.GetMeasure() == m {
			return ms
		}
	}
	return nil
}
