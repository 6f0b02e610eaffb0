// Package reporttest builds a deterministic, hand-made vigilv1.Report for
// the tests of the report renderers and of `vigil report`. Only tests import
// it.
//
// Every number is an integer or a short decimal literal computed with integer
// arithmetic, so the report is bit-for-bit the same on every platform and
// golden files stay stable.
package reporttest

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// From and To are the fixture's range: one UTC day.
var (
	From = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	To   = From.Add(24 * time.Hour)
)

// Regions are the regions of both checks, sorted.
var Regions = []string{"ap-south", "eu-west", "us-east"}

// Report returns a new report of two checks over [From, To):
//
//   - "checkout", a browser check in three regions with a five-step funnel,
//     Web Vitals, hourly p75 load series (with gap buckets), a down, a
//     monitoring-impaired and a still-open degraded incident, and a title
//     that needs HTML escaping;
//   - "home", an http check with flow time and TTFB only, no funnel, no
//     incidents, up the whole day.
//
// Each call returns a fresh report; callers may modify it.
func Report() *vigilv1.Report {
	return &vigilv1.Report{
		From:        timestamppb.New(From),
		To:          timestamppb.New(To),
		GeneratedAt: timestamppb.New(To.Add(5 * time.Second)),
		Checks:      []*vigilv1.CheckReport{Checkout(), Home()},
	}
}

// Checkout returns the browser check's report.
func Checkout() *vigilv1.CheckReport {
	at := func(h, m int) *timestamppb.Timestamp {
		return timestamppb.New(From.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute))
	}
	regions := make([]*vigilv1.RegionReport, len(Regions))
	for i, r := range Regions {
		regions[i] = browserRegion(r, i)
	}
	overall := browserRegion("", 3)
	overall.Runs, overall.Passes, overall.Failures, overall.ProbeErrors = 4320, 4231, 83, 6
	overall.CompletionRate = 0.980774
	overall.Uptime, overall.Unknown = 0.982639, 0.006944

	var series []*vigilv1.Series
	for i, r := range Regions {
		series = append(series, hourly(r, vigilv1.Measure_MEASURE_LOAD, 1100+int64(i)*350, i))
	}
	return &vigilv1.CheckReport{
		CheckId: "checkout",
		Name:    "checkout",
		Type:    "browser",
		Overall: overall,
		Regions: regions,
		States: []*vigilv1.StateSpan{
			{Start: at(0, 0), End: at(9, 40), State: "up"},
			{Start: at(9, 40), End: at(10, 5), State: "down"},
			{Start: at(10, 5), End: at(14, 0), State: "up"},
			{Start: at(14, 0), End: at(14, 10), State: "unknown"},
			{Start: at(14, 10), End: at(22, 30), State: "up"},
			{Start: at(22, 30), End: at(24, 0), State: "degraded"},
		},
		LoadSeries: series,
		Funnel: []*vigilv1.FunnelStep{
			step(1, "open home", 4314, 4, 420),
			step(2, "search \"lamp\"", 4310, 9, 610),
			step(3, "add to cart", 4301, 12, 380),
			step(4, "checkout & address", 4289, 47, 900),
			step(5, "pay", 4242, 11, 1250),
		},
		Incidents: []*vigilv1.Incident{
			{
				Id: "inc-7", CheckId: "checkout", Kind: vigilv1.IncidentKind_INCIDENT_KIND_DOWN,
				Status: vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED, Severity: "critical",
				Title:    `"checkout" is down in 2 of 3 regions <eu-west, us-east> & paging`,
				OpenedAt: at(9, 42), FirstFailureAt: at(9, 40), ResolvedAt: at(10, 5), ResolvedBy: "vigil", Pages: 2,
			},
			{
				Id: "inc-8", CheckId: "checkout", Kind: vigilv1.IncidentKind_INCIDENT_KIND_MONITORING_IMPAIRED,
				Status: vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED, Severity: "critical",
				Title:    "checkout: monitoring impaired (1 of 3 regions reporting)",
				OpenedAt: at(14, 1), FirstFailureAt: at(14, 0), ResolvedAt: at(14, 10), ResolvedBy: "vigil",
			},
			{
				Id: "inc-9", CheckId: "checkout", Kind: vigilv1.IncidentKind_INCIDENT_KIND_DEGRADED,
				Status: vigilv1.IncidentStatus_INCIDENT_STATUS_OPEN, Severity: "warning",
				Title:    "checkout is degraded in ap-south",
				OpenedAt: at(22, 45), FirstFailureAt: at(22, 30), Pages: 1,
			},
		},
		Mttd: durationpb.New(100 * time.Second),
		Mttr: durationpb.New(17*time.Minute + 30*time.Second),
		Slo:  &vigilv1.Slo{Target: 0.999, Achieved: 0.982639, BudgetRemaining: -16.36, BurnRate: 17.36},
		Impact: &vigilv1.Impact{
			OutageTime: durationpb.New(115 * time.Minute), CompletionNormal: 0.9985, CompletionOutage: 0.412,
			RunsOutage: 345, FailuresOutage: 203, LostTime: durationpb.New(67*time.Minute + 33*time.Second),
		},
		IncidentImpacts: []*vigilv1.IncidentImpact{
			{IncidentId: "inc-7", Duration: durationpb.New(25 * time.Minute), Runs: 75, Failures: 50,
				CompletionRate: 0.333333, LostTime: durationpb.New(16*time.Minute + 39*time.Second)},
			{IncidentId: "inc-9", Duration: durationpb.New(90 * time.Minute), Runs: 270, Failures: 153,
				CompletionRate: 0.433333, LostTime: durationpb.New(50*time.Minute + 57*time.Second)},
		},
	}
}

// Home returns the http check's report.
func Home() *vigilv1.CheckReport {
	regions := make([]*vigilv1.RegionReport, len(Regions))
	for i, r := range Regions {
		regions[i] = httpRegion(r, i)
	}
	overall := httpRegion("", 1)
	overall.Runs, overall.Passes, overall.Failures, overall.ProbeErrors = 8640, 8637, 0, 3
	var series []*vigilv1.Series
	for i, r := range Regions {
		series = append(series, hourly(r, vigilv1.Measure_MEASURE_FLOW, 90+int64(i)*60, i))
	}
	return &vigilv1.CheckReport{
		CheckId: "home",
		Name:    "home",
		Type:    "http",
		Overall: overall,
		Regions: regions,
		States: []*vigilv1.StateSpan{
			{Start: timestamppb.New(From), End: timestamppb.New(To), State: "up"},
		},
		LoadSeries: series,
		Slo:        &vigilv1.Slo{Target: 0.999, Achieved: 1, BudgetRemaining: 1, BurnRate: 0},
		Impact:     &vigilv1.Impact{OutageTime: durationpb.New(0), CompletionNormal: 1, LostTime: durationpb.New(0)},
	}
}

func browserRegion(region string, i int) *vigilv1.RegionReport {
	k := float64(i) // small integers: every product below is exact
	return &vigilv1.RegionReport{
		Region: region, Runs: 1440, Passes: 1410 + int64(i), Failures: 28 - int64(i), ProbeErrors: 2,
		CompletionRate: frac(9800+i*5, 10000), Uptime: frac(98000+i*90, 100000), Unknown: 0.006944,
		Measures: []*vigilv1.MeasureSummary{
			summary(vigilv1.Measure_MEASURE_FLOW, q(3400+300*k, 4100+300*k, 5900+300*k, 8200+300*k, 1410), nil),
			summary(vigilv1.Measure_MEASURE_TTFB, q(180+90*k, 240+90*k, 520+90*k, 910+90*k, 1438),
				rating(94-5*i, 5+4*i, 1+i)),
			summary(vigilv1.Measure_MEASURE_LOAD, q(900+350*k, 1150+350*k, 1900+350*k, 2600+350*k, 1438), nil),
			summary(vigilv1.Measure_MEASURE_LCP, q(1300+400*k, 1700+400*k, 2900+400*k, 4400+400*k, 1438),
				rating(88-10*i, 9+6*i, 3+4*i)),
			summary(vigilv1.Measure_MEASURE_CLS,
				q(frac(20, 1000), frac(50+20*i, 1000), frac(120+30*i, 1000), frac(210+40*i, 1000), 1438),
				rating(90-10*i, 8+6*i, 2+4*i)),
		},
	}
}

func httpRegion(region string, i int) *vigilv1.RegionReport {
	k := float64(i)
	return &vigilv1.RegionReport{
		Region: region, Runs: 2880, Passes: 2879, Failures: 0, ProbeErrors: 1,
		CompletionRate: 1, Uptime: 1,
		Measures: []*vigilv1.MeasureSummary{
			summary(vigilv1.Measure_MEASURE_FLOW, q(85+60*k, 110+60*k, 190+60*k, 340+60*k, 2879), nil),
			summary(vigilv1.Measure_MEASURE_TTFB, q(60+50*k, 80+50*k, 150+50*k, 290+50*k, 2879), rating(100, 0, 0)),
		},
	}
}

// frac is n/d, correctly rounded: the same double on every platform (a
// product like 0.05*k could be fused into an FMA on some).
func frac(n, d int) float64 { return float64(n) / float64(d) }

// rating takes percentages.
func rating(good, ni, poor int) *vigilv1.Rating {
	return &vigilv1.Rating{Good: frac(good, 100), NeedsImprovement: frac(ni, 100), Poor: frac(poor, 100)}
}

func summary(m vigilv1.Measure, qs *vigilv1.Quantiles, r *vigilv1.Rating) *vigilv1.MeasureSummary {
	return &vigilv1.MeasureSummary{Measure: m, Quantiles: qs, Rating: r}
}

func q(p50, p75, p95, p99 float64, n int64) *vigilv1.Quantiles {
	return &vigilv1.Quantiles{P50: p50, P75: p75, P95: p95, P99: p99, Count: n}
}

func step(i uint32, name string, reached, failed int64, p50 float64) *vigilv1.FunnelStep {
	return &vigilv1.FunnelStep{Index: i, Name: name, Reached: reached, Failed: failed,
		Duration: q(p50, p50*1.25, p50*2, p50*3, reached)}
}

// hourly is a p75 series of one region with a value per hour, wobbling
// around base by integer steps; region i leaves out the bucket at hour
// 10+i (empty buckets are left out on the wire), and the down hour reads
// high in every region.
func hourly(region string, m vigilv1.Measure, base int64, i int) *vigilv1.Series {
	s := &vigilv1.Series{Region: region, Measure: m, Quantile: 0.75, Resolution: vigilv1.Resolution_RESOLUTION_HOUR}
	for h := range int64(24) {
		if h == int64(10+i) {
			continue
		}
		v := base + (h*37+int64(i)*11)%13*base/40
		if h == 9 {
			v += base
		}
		s.Points = append(s.Points, &vigilv1.Point{
			Start: timestamppb.New(From.Add(time.Duration(h) * time.Hour)),
			Value: float64(v),
			Count: 60 - (h+int64(i))%3,
		})
	}
	return s
}
