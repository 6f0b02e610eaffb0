package analytics

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// quantiles returns p50/p75/p95/p99 of s, or nil when s is empty. Values
// are rounded to a microsecond (durations, in ms) or to 1e-4 (CLS): far
// below the sketch's 1% error, and it keeps reports short and stable.
func quantiles(s *ddsketch.DDSketch, kind rollup.Sketch) *vigilv1.Quantiles {
	if s == nil || s.IsEmpty() {
		return nil
	}
	digits := 3
	if kind == rollup.CLS {
		digits = 4
	}
	vs, err := s.GetValuesAtQuantiles([]float64{0.5, 0.75, 0.95, 0.99})
	if err != nil {
		return nil // only for an empty sketch, handled above
	}
	return &vigilv1.Quantiles{
		P50: round(vs[0], digits), P75: round(vs[1], digits), P95: round(vs[2], digits), P99: round(vs[3], digits),
		Count: int64(s.GetCount()),
	}
}

// rating turns rating counters into fractions; nil when there are none.
func rating(c [rollup.NumRatings]int64) *vigilv1.Rating {
	n := c[rollup.Good] + c[rollup.NeedsImprovement] + c[rollup.Poor]
	if n == 0 {
		return nil
	}
	return &vigilv1.Rating{
		Good:             ratio(c[rollup.Good], n),
		NeedsImprovement: ratio(c[rollup.NeedsImprovement], n),
		Poor:             ratio(c[rollup.Poor], n),
	}
}

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// spans reads the decided state history of checkID (region "") or of one
// region over [from, end) and returns it as spans (see stateSpans).
func (s *Service) spans(ctx context.Context, checkID, region string, from, end time.Time) ([]*vigilv1.StateSpan, error) {
	if !end.After(from) {
		return nil, nil
	}
	changes, err := s.src.StateChanges(ctx, checkID, region, from, end)
	if err != nil {
		return nil, fmt.Errorf("read state history: %w", err)
	}
	return stateSpans(changes, from, end), nil
}

// stateSpans turns the state history into spans covering [from, end):
// time before the first recorded state is "unknown" (Vigil was not
// deciding the check yet), and the last state lasts until end.
func stateSpans(changes []StateChange, from, end time.Time) []*vigilv1.StateSpan {
	if !end.After(from) {
		return nil
	}
	var out []*vigilv1.StateSpan
	emit := func(a, b time.Time, state string) {
		if a.Before(from) {
			a = from
		}
		if b.After(end) {
			b = end
		}
		if !b.After(a) {
			return
		}
		if n := len(out); n > 0 && out[n-1].GetState() == state && out[n-1].GetEnd().AsTime().Equal(a) {
			out[n-1].End = timestamppb.New(b)
			return
		}
		out = append(out, &vigilv1.StateSpan{Start: timestamppb.New(a), End: timestamppb.New(b), State: state})
	}
	cur, curState := from, StateUnknown
	for _, c := range changes {
		emit(cur, c.At, curState)
		if c.At.After(cur) {
			cur = c.At
		}
		curState = c.State
	}
	emit(cur, end, curState)
	return out
}

// uptime is the overall availability over a range.
type uptime struct {
	uptime, unknown float64
}

// uptimeOf computes, over [from, end), the fraction of time known and not
// down (uptime), and the fraction unknown. Unknown time (the decided state
// "unknown", or no state recorded) is left out of uptime's denominator:
// Vigil could not tell, which is neither up nor down. Degraded counts as up.
// With nothing known, uptime is 0 and unknown 1.
func uptimeOf(spans []*vigilv1.StateSpan, from, end time.Time) uptime {
	total := end.Sub(from)
	if total <= 0 {
		return uptime{unknown: 1}
	}
	var known, down time.Duration
	for _, sp := range spans {
		d := sp.GetEnd().AsTime().Sub(sp.GetStart().AsTime())
		switch sp.GetState() {
		case StateUnknown:
			continue
		case StateDown:
			down += d
		}
		known += d
	}
	if known == 0 {
		return uptime{unknown: 1}
	}
	return uptime{
		uptime:  float64(known-down) / float64(known),
		unknown: float64(total-known) / float64(total),
	}
}

// outage reports whether an incident is about the site misbehaving (down
// or degraded), the kinds MTTD and MTTR describe; a monitoring-impaired
// incident is about Vigil, not the shop.
func outage(inc *vigilv1.Incident) bool {
	k := inc.GetKind()
	return k == vigilv1.IncidentKind_INCIDENT_KIND_DOWN || k == vigilv1.IncidentKind_INCIDENT_KIND_DEGRADED
}

// meanTimes returns MTTD (first failure to incident open) and MTTR
// (incident open to resolution) over the outage incidents that have them;
// nil when none does.
func meanTimes(incs []*vigilv1.Incident) (mttd, mttr *durationpb.Duration) {
	var sumD, sumR time.Duration
	var nD, nR int64
	for _, inc := range incs {
		if !outage(inc) {
			continue
		}
		opened := inc.GetOpenedAt().AsTime()
		if ff := inc.GetFirstFailureAt(); ff != nil {
			sumD += opened.Sub(ff.AsTime())
			nD++
		}
		if res := inc.GetResolvedAt(); res != nil {
			sumR += res.AsTime().Sub(opened)
			nR++
		}
	}
	if nD > 0 {
		mttd = durationpb.New((sumD / time.Duration(nD)).Round(time.Millisecond))
	}
	if nR > 0 {
		mttr = durationpb.New((sumR / time.Duration(nR)).Round(time.Millisecond))
	}
	return mttd, mttr
}

// slo compares the achieved uptime with the target: the error budget is
// 1-target of the range; burn rate is the share of it spent (1: exactly on
// budget), budget remaining what is left (negative when overspent).
func slo(achieved, target float64) *vigilv1.Slo {
	burn := (1 - achieved) / (1 - target)
	return &vigilv1.Slo{Target: target, Achieved: achieved, BudgetRemaining: 1 - burn, BurnRate: burn}
}
