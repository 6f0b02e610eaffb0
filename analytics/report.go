package analytics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Report computes the analytics of checks over [from, to): for each check
// its figures overall and per region, the decided state spans, the p75
// load series per region, the step funnel (browser checks), the incidents
// opened in the range with MTTD and MTTR, and the SLO against sloTarget
// (0 means DefaultSLOTarget). Checks are sorted by name. Time after now is
// not part of the range.
func (s *Service) Report(ctx context.Context, checks []*vigilv1.Check, from, to time.Time, sloTarget float64) (*vigilv1.Report, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("%w: to (%s) must be after from (%s)", ErrInvalid, to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if sloTarget == 0 {
		sloTarget = DefaultSLOTarget
	}
	if !(sloTarget > 0 && sloTarget < 1) {
		return nil, fmt.Errorf("%w: slo target %v is not between 0 and 1", ErrInvalid, sloTarget)
	}
	now := s.now()
	sorted := slices.Clone(checks)
	slices.SortFunc(sorted, func(a, b *vigilv1.Check) int {
		return cmp.Or(cmp.Compare(a.GetName(), b.GetName()), cmp.Compare(a.GetId(), b.GetId()))
	})
	out := make([]*vigilv1.CheckReport, len(sorted))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.parallel)
	for i, c := range sorted {
		g.Go(func() error {
			cr, err := s.checkReport(gctx, c, from, to, now, sloTarget)
			if err != nil {
				return fmt.Errorf("report on %s: %w", c.GetId(), err)
			}
			out[i] = cr
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return &vigilv1.Report{
		From: timestamppb.New(from), To: timestamppb.New(to), GeneratedAt: timestamppb.New(now),
		Checks: out,
	}, nil
}

// checkReport computes one check's report. end is min(to, now).
func (s *Service) checkReport(ctx context.Context, c *vigilv1.Check, from, to, now time.Time, target float64) (*vigilv1.CheckReport, error) {
	end := minTime(to, now)
	browser := c.GetType() == vigilv1.CheckType_CHECK_TYPE_BROWSER
	cr := &vigilv1.CheckReport{CheckId: c.GetId(), Name: c.GetName(), Type: c.GetType().Capability()}

	tot, err := s.totals(ctx, c.GetId(), from, to, now)
	if err != nil {
		return nil, err
	}
	series, err := s.loadSeries(ctx, c.GetId(), from, to, browser)
	if err != nil {
		return nil, err
	}
	spans, err := s.spans(ctx, c.GetId(), "", from, end)
	if err != nil {
		return nil, err
	}
	incidents, err := s.src.IncidentsOpened(ctx, c.GetId(), from, to)
	if err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}

	// Overall: every region's buckets merged; uptime from the decided state.
	all := &rollup.Bucket{}
	for _, b := range tot.regions {
		if err := all.Merge(b); err != nil {
			return nil, err
		}
	}
	cr.States = spans
	up := uptimeOf(spans, from, end)
	cr.Overall = regionReport("", all)
	cr.Overall.Uptime, cr.Overall.Unknown = up.uptime, up.unknown

	for _, region := range regionsOf(c, tot.regions) {
		b := tot.regions[region]
		if b == nil {
			b = &rollup.Bucket{}
		}
		rr := regionReport(region, b)
		rspans, err := s.spans(ctx, c.GetId(), region, from, end)
		if err != nil {
			return nil, err
		}
		rup := uptimeOf(rspans, from, end)
		rr.Uptime, rr.Unknown = rup.uptime, rup.unknown
		cr.Regions = append(cr.Regions, rr)
		if pts := series.points[region]; len(pts) > 0 {
			cr.LoadSeries = append(cr.LoadSeries, &vigilv1.Series{
				Region: region, Measure: series.measure, Quantile: loadQuantile,
				Resolution: series.res, Points: pts,
			})
		}
	}
	if browser {
		cr.Funnel = funnel(tot.steps)
	}
	cr.Incidents = incidents
	cr.Mttd, cr.Mttr = meanTimes(incidents)
	if cr.Impact, cr.IncidentImpacts, err = s.impact(ctx, c, spans, all, incidents, from, end, now); err != nil {
		return nil, err
	}
	cr.Slo = slo(up.uptime, target)
	return cr, nil
}

// totals are a check's buckets over a range, merged per region (the run's
// buckets) and per step (across regions).
type totals struct {
	regions map[string]*rollup.Bucket
	steps   map[uint32]*rollup.Bucket
}

// totals reads the buckets covering [from, to) exactly (see cover) and
// merges them.
func (s *Service) totals(ctx context.Context, checkID string, from, to, now time.Time) (*totals, error) {
	t := &totals{regions: map[string]*rollup.Bucket{}, steps: map[uint32]*rollup.Bucket{}}
	for _, p := range cover(from.Unix(), to.Unix(), s.since(now)) {
		q := rollup.Query{CheckID: checkID, Res: p.res, From: p.from, To: p.to, Step: rollup.AnyStep, Sketches: rollup.AllSketches}
		err := s.src.Buckets(ctx, q, func(k rollup.Key, b *rollup.Bucket) error {
			if k.Step == 0 {
				return mergeInto(t.regions, k.Region, b)
			}
			return mergeInto(t.steps, k.Step, b)
		})
		if err != nil {
			return nil, fmt.Errorf("read rollups: %w", err)
		}
	}
	return t, nil
}

// mergeInto merges b into m[k], taking b itself when m has no bucket at k.
// Pieces and buckets come oldest first, so a step keeps its newest name.
func mergeInto[K comparable](m map[K]*rollup.Bucket, k K, b *rollup.Bucket) error {
	if have := m[k]; have != nil {
		return have.Merge(b)
	}
	m[k] = b
	return nil
}

// loadQuantile is the percentile of the load series: p75, what Core Web
// Vitals are judged on.
const loadQuantile = 0.75

// series are a check's p75 load points at the chart resolution, per
// region.
type series struct {
	res     vigilv1.Resolution
	measure vigilv1.Measure
	points  map[string][]*vigilv1.Point
}

// loadSeries reads the run buckets of [from, to) at the chart resolution:
// the p75 page load per region (browser) or flow time (http).
func (s *Service) loadSeries(ctx context.Context, checkID string, from, to time.Time, browser bool) (*series, error) {
	res := ResolutionFor(from, to)
	sk, measure := rollup.Duration, vigilv1.Measure_MEASURE_FLOW
	if browser {
		sk, measure = rollup.Load, vigilv1.Measure_MEASURE_LOAD
	}
	out := &series{res: res, measure: measure, points: map[string][]*vigilv1.Point{}}
	q := rollup.Query{CheckID: checkID, Res: res, From: rollup.Floor(res, from.Unix()), To: to.Unix(), Step: 0, Sketches: rollup.Of(sk)}
	err := s.src.Buckets(ctx, q, func(k rollup.Key, b *rollup.Bucket) error {
		if sketch := b.Sketches[sk]; sketch != nil && !sketch.IsEmpty() {
			v, err := sketch.GetValueAtQuantile(loadQuantile)
			if err != nil {
				return err
			}
			out.points[k.Region] = append(out.points[k.Region], &vigilv1.Point{
				Start: timestamppb.New(k.Time()), Value: round(v, 3), Count: int64(sketch.GetCount()),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read rollups: %w", err)
	}
	for _, pts := range out.points {
		slices.SortFunc(pts, func(a, b *vigilv1.Point) int { return a.GetStart().AsTime().Compare(b.GetStart().AsTime()) })
	}
	return out, nil
}

// regionsOf returns the check's regions and any other region with data,
// sorted.
func regionsOf(c *vigilv1.Check, have map[string]*rollup.Bucket) []string {
	out := slices.Clone(c.GetRegions())
	for r := range have {
		out = append(out, r)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// regionReport fills the counters and measures of a RegionReport from b.
func regionReport(region string, b *rollup.Bucket) *vigilv1.RegionReport {
	rr := &vigilv1.RegionReport{
		Region: region, Runs: b.Pass + b.Fail + b.ProbeError,
		Passes: b.Pass, Failures: b.Fail, ProbeErrors: b.ProbeError,
		CompletionRate: ratio(b.Pass, b.Pass+b.Fail),
	}
	for _, m := range []struct {
		measure vigilv1.Measure
		sketch  rollup.Sketch
		vital   rollup.Vital
		rated   bool
	}{
		{vigilv1.Measure_MEASURE_FLOW, rollup.Duration, 0, false},
		{vigilv1.Measure_MEASURE_TTFB, rollup.TTFB, rollup.VitalTTFB, true},
		{vigilv1.Measure_MEASURE_LOAD, rollup.Load, 0, false},
		{vigilv1.Measure_MEASURE_LCP, rollup.LCP, rollup.VitalLCP, true},
		{vigilv1.Measure_MEASURE_CLS, rollup.CLS, rollup.VitalCLS, true},
	} {
		q := quantiles(b.Sketches[m.sketch], m.sketch)
		if q == nil {
			continue
		}
		ms := &vigilv1.MeasureSummary{Measure: m.measure, Quantiles: q}
		if m.rated {
			ms.Rating = rating(b.Ratings[m.vital])
		}
		rr.Measures = append(rr.Measures, ms)
	}
	return rr
}

// funnel returns the step funnel, by step index.
func funnel(steps map[uint32]*rollup.Bucket) []*vigilv1.FunnelStep {
	idx := make([]uint32, 0, len(steps))
	for i := range steps {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	var out []*vigilv1.FunnelStep
	for _, i := range idx {
		b := steps[i]
		fs := &vigilv1.FunnelStep{Index: i, Name: b.StepName, Reached: b.Reached, Failed: b.Failed}
		if q := quantiles(b.Sketches[rollup.Duration], rollup.Duration); q != nil {
			fs.Duration = q
		} else {
			fs.Duration = &vigilv1.Quantiles{}
		}
		out = append(out, fs)
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
