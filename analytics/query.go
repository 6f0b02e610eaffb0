package analytics

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// sketchOf maps a duration measure to its sketch.
var sketchOf = map[vigilv1.Measure]rollup.Sketch{
	vigilv1.Measure_MEASURE_FLOW: rollup.Duration,
	vigilv1.Measure_MEASURE_TTFB: rollup.TTFB,
	vigilv1.Measure_MEASURE_LOAD: rollup.Load,
	vigilv1.Measure_MEASURE_LCP:  rollup.LCP,
	vigilv1.Measure_MEASURE_CLS:  rollup.CLS,
	vigilv1.Measure_MEASURE_STEP: rollup.Duration,
}

// Query returns a time series of one measure of req.CheckId, oldest first,
// leaving out buckets without data. Buckets are of req.Resolution, or of
// ResolutionFor the range; the first bucket is the one holding from.
// Duration measures are req.Quantile (0: the median) of the bucket's values
// in ms (CLS: the score); completion is passes / (passes + failures);
// uptime is the share of known time not down from the decided state of
// the check or, with req.Region, of the region's verdict (its count is 0:
// a state is not made of results). An empty to means now. Errors wrap
// ErrInvalid for a request that can never succeed and ErrNotFound for a
// step the range has no data of.
func (s *Service) Query(ctx context.Context, req *vigilv1.QueryMetricsRequest) (*vigilv1.Series, error) {
	now := s.now()
	from := req.GetFrom().AsTime()
	to := now
	if req.GetTo() != nil {
		to = req.GetTo().AsTime()
	}
	if req.GetCheckId() == "" {
		return nil, fmt.Errorf("%w: check_id is required", ErrInvalid)
	}
	if req.GetFrom() == nil {
		return nil, fmt.Errorf("%w: from is required", ErrInvalid)
	}
	if !to.After(from) {
		return nil, fmt.Errorf("%w: to must be after from", ErrInvalid)
	}
	m := req.GetMeasure()
	_, duration := sketchOf[m]
	switch {
	case m == vigilv1.Measure_MEASURE_UNSPECIFIED:
		return nil, fmt.Errorf("%w: measure is required", ErrInvalid)
	case !duration && m != vigilv1.Measure_MEASURE_COMPLETION && m != vigilv1.Measure_MEASURE_UPTIME:
		return nil, fmt.Errorf("%w: unknown measure %d", ErrInvalid, m)
	}
	q := req.GetQuantile()
	switch {
	case !duration:
		q = 0
	case q == 0:
		q = 0.5
	case !(q > 0 && q < 1):
		return nil, fmt.Errorf("%w: quantile %v is not between 0 and 1", ErrInvalid, q)
	}
	res := req.GetResolution()
	if res == vigilv1.Resolution_RESOLUTION_UNSPECIFIED {
		res = ResolutionFor(from, to)
	}
	w := rollup.Width(res)
	if w == 0 {
		return nil, fmt.Errorf("%w: unknown resolution %d", ErrInvalid, res)
	}
	a, b := rollup.Floor(res, from.Unix()), rollup.Ceil(res, to.Unix())
	if n := (b - a) / w; n > MaxPoints {
		return nil, fmt.Errorf("%w: %d %s buckets is more than %d; choose a coarser resolution", ErrInvalid, n, resName(res), MaxPoints)
	}
	out := &vigilv1.Series{Region: req.GetRegion(), Measure: m, Quantile: q, Resolution: res}

	if m == vigilv1.Measure_MEASURE_UPTIME {
		pts, err := s.uptimeSeries(ctx, req.GetCheckId(), req.GetRegion(), res, a, from, minTime(to, now))
		if err != nil {
			return nil, err
		}
		out.Points = pts
		return out, nil
	}

	step := 0
	if m == vigilv1.Measure_MEASURE_STEP {
		var err error
		if step, err = s.stepIndex(ctx, req.GetCheckId(), req.GetStep(), res, a, to.Unix()); err != nil {
			return nil, err
		}
	}
	rq := rollup.Query{CheckID: req.GetCheckId(), Res: res, From: a, To: to.Unix(), Region: req.GetRegion(), Step: step}
	if duration {
		rq.Sketches = rollup.Of(sketchOf[m])
	}
	// Buckets come in start order, regions of one start together: merge
	// the regions of a start, then emit its point.
	var (
		cur    *rollup.Bucket
		curKey rollup.Key
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		p, err := point(cur, m, q)
		if err != nil {
			return err
		}
		if p != nil {
			p.Start = timestamppb.New(curKey.Time())
			out.Points = append(out.Points, p)
		}
		cur = nil
		return nil
	}
	err := s.src.Buckets(ctx, rq, func(k rollup.Key, bk *rollup.Bucket) error {
		if cur != nil && k.Start == curKey.Start {
			return cur.Merge(bk)
		}
		if err := flush(); err != nil {
			return err
		}
		cur, curKey = bk, k
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return nil, fmt.Errorf("read rollups: %w", err)
	}
	return out, nil
}

// point returns a bucket's value of m, or nil when it has none.
func point(b *rollup.Bucket, m vigilv1.Measure, q float64) (*vigilv1.Point, error) {
	switch m {
	case vigilv1.Measure_MEASURE_COMPLETION, vigilv1.Measure_MEASURE_UPTIME:
		votes := b.Pass + b.Fail
		if votes == 0 {
			return nil, nil
		}
		return &vigilv1.Point{Value: ratio(b.Pass, votes), Count: votes}, nil
	}
	sk := sketchOf[m]
	s := b.Sketches[sk]
	if s == nil || s.IsEmpty() {
		return nil, nil
	}
	v, err := s.GetValueAtQuantile(q)
	if err != nil {
		return nil, err
	}
	digits := 3
	if sk == rollup.CLS {
		digits = 4
	}
	return &vigilv1.Point{Value: round(v, digits), Count: int64(s.GetCount())}, nil
}

// stepIndex resolves a step given by 1-based index or by name; a name is
// looked up among the step buckets of the range (the first index carrying
// it).
func (s *Service) stepIndex(ctx context.Context, checkID, step string, res vigilv1.Resolution, from, to int64) (int, error) {
	if step == "" {
		return 0, fmt.Errorf("%w: step is required for MEASURE_STEP", ErrInvalid)
	}
	if n, err := strconv.Atoi(step); err == nil {
		if n < 1 {
			return 0, fmt.Errorf("%w: step index %d: steps count from 1", ErrInvalid, n)
		}
		return n, nil
	}
	found := 0
	q := rollup.Query{CheckID: checkID, Res: res, From: from, To: to, Step: rollup.AnyStep}
	err := s.src.Buckets(ctx, q, func(k rollup.Key, b *rollup.Bucket) error {
		if k.Step > 0 && b.StepName == step && (found == 0 || int(k.Step) < found) {
			found = int(k.Step)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read rollups: %w", err)
	}
	if found == 0 {
		return 0, fmt.Errorf("%w: no step named %q in the range", ErrNotFound, step)
	}
	return found, nil
}

// uptimeSeries is the decided-state uptime per bucket: each bucket's known
// time not down over its known time, leaving out buckets with no known
// time.
func (s *Service) uptimeSeries(ctx context.Context, checkID, region string, res vigilv1.Resolution, first int64, from, end time.Time) ([]*vigilv1.Point, error) {
	if !end.After(from) {
		return nil, nil
	}
	spans, err := s.spans(ctx, checkID, region, from, end)
	if err != nil {
		return nil, err
	}
	w := time.Duration(rollup.Width(res)) * time.Second
	var out []*vigilv1.Point
	i := 0
	for start := time.Unix(first, 0).UTC(); start.Before(end); start = start.Add(w) {
		bFrom, bEnd := maxTime(start, from), minTime(start.Add(w), end)
		var sub []*vigilv1.StateSpan
		for i < len(spans) && !spans[i].GetEnd().AsTime().After(bFrom) {
			i++ // spans wholly before this bucket
		}
		for j := i; j < len(spans) && spans[j].GetStart().AsTime().Before(bEnd); j++ {
			sp := spans[j]
			sub = append(sub, &vigilv1.StateSpan{
				Start: timestamppb.New(maxTime(sp.GetStart().AsTime(), bFrom)),
				End:   timestamppb.New(minTime(sp.GetEnd().AsTime(), bEnd)),
				State: sp.GetState(),
			})
		}
		u := uptimeOf(sub, bFrom, bEnd)
		if u.unknown == 1 {
			continue
		}
		out = append(out, &vigilv1.Point{Start: timestamppb.New(start), Value: u.uptime})
	}
	return out, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func resName(res vigilv1.Resolution) string {
	switch res {
	case vigilv1.Resolution_RESOLUTION_MINUTE:
		return "minute"
	case vigilv1.Resolution_RESOLUTION_HOUR:
		return "hour"
	}
	return "day"
}
