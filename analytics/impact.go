package analytics

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// votes count a stretch's passing and failing runs; probe errors are
// neither.
type votes struct{ pass, fail int64 }

func (v votes) runs() int64 { return v.pass + v.fail }

// completion is the share of passing runs; ok is false with no runs.
func (v votes) completion() (c float64, ok bool) {
	return ratio(v.pass, v.runs()), v.runs() > 0
}

// window is a stretch of time, [from, to).
type window struct{ from, to time.Time }

func (w window) duration() time.Duration { return w.to.Sub(w.from) }

// impact computes what a check's outages cost its conversion: completion
// during the outage spans (down or degraded, adjacent ones merged) against
// the rest of the range (total minus the outages), the time of checkout
// lost (see loss), and the same for each outage incident.
func (s *Service) impact(ctx context.Context, c *vigilv1.Check, spans []*vigilv1.StateSpan, total *rollup.Bucket,
	incidents []*vigilv1.Incident, from, end, now time.Time) (*vigilv1.Impact, []*vigilv1.IncidentImpact, error) {
	outages := outageWindows(spans)
	during := make([]votes, len(outages))
	var sum votes
	var outageTime time.Duration
	covered := int64(0) // minute the previous outage's count reached, so none is counted twice
	for i, w := range outages {
		a, b := max(rollup.Floor(minute, w.from.Unix()), covered), rollup.Ceil(minute, w.to.Unix())
		covered = b
		outageTime += w.duration()
		if a >= b {
			continue
		}
		v, err := s.votes(ctx, c.GetId(), a, b, now)
		if err != nil {
			return nil, nil, err
		}
		during[i] = v
		sum.pass += v.pass
		sum.fail += v.fail
	}
	normal := votes{pass: max(0, total.Pass-sum.pass), fail: max(0, total.Fail-sum.fail)}
	l := loss{baseline: 1} // nothing to compare with: count every failure
	if rate, ok := normal.completion(); ok {
		l.baseline = rate
	}
	if n := len(c.GetRegions()); n > 0 {
		l.perRun = c.GetInterval().AsDuration() / time.Duration(n)
	}

	imp := &vigilv1.Impact{
		OutageTime:       durationpb.New(outageTime),
		RunsOutage:       sum.runs(),
		FailuresOutage:   sum.fail,
		CompletionNormal: ratio(normal.pass, normal.runs()),
		CompletionOutage: ratio(sum.pass, sum.runs()),
	}
	var lost time.Duration
	for i, w := range outages {
		lost += l.of(w.duration(), during[i])
	}
	imp.LostTime = durationpb.New(lost.Round(time.Second))

	var perIncident []*vigilv1.IncidentImpact
	for _, inc := range incidents {
		if !outage(inc) {
			continue
		}
		w := incidentWindow(inc, from, end)
		ii := &vigilv1.IncidentImpact{IncidentId: inc.GetId(), Duration: durationpb.New(max(0, w.duration())), LostTime: durationpb.New(0)}
		if w.duration() > 0 {
			v, err := s.votes(ctx, c.GetId(), w.from.Unix(), w.to.Unix(), now)
			if err != nil {
				return nil, nil, err
			}
			ii.Runs, ii.Failures = v.runs(), v.fail
			ii.CompletionRate = ratio(v.pass, v.runs())
			ii.LostTime = durationpb.New(l.of(w.duration(), v).Round(time.Second))
		}
		perIncident = append(perIncident, ii)
	}
	return imp, perIncident, nil
}

// loss turns an outage's runs into the time of checkout lost.
type loss struct {
	baseline float64       // completion outside outages; 1 when unknown
	perRun   time.Duration // the check's time one run stands for: interval / regions; 0 when unknown
}

// of returns the checkout time lost in a stretch of duration d holding
// runs v: the runs that failed beyond the normal rate, each standing for
// interval / regions of the check's time (a flow every interval in every
// region), at most d. A 30-minute outage in every region so loses 30
// minutes; one region of three failing for an hour, 20. Counting failed
// runs rather than weighting d by the completion of its whole minutes
// keeps a short outage's loss whole: the passing runs of its first and
// last minute, outside it, cancel out. Without an interval, d is weighted
// by the relative drop in completion instead.
func (l loss) of(d time.Duration, v votes) time.Duration {
	c, ok := v.completion()
	if !ok || l.baseline <= 0 || c >= l.baseline {
		return 0
	}
	if l.perRun <= 0 {
		return time.Duration(float64(d) * (1 - c/l.baseline))
	}
	excess := float64(v.runs()) - float64(v.pass)/l.baseline // failures beyond the normal rate
	return min(d, time.Duration(excess*float64(l.perRun)))
}

// outageWindows returns the down and degraded stretches of spans, adjacent
// ones merged, oldest first.
func outageWindows(spans []*vigilv1.StateSpan) []window {
	var out []window
	for _, sp := range spans {
		if st := sp.GetState(); st != StateDown && st != StateDegraded {
			continue
		}
		w := window{sp.GetStart().AsTime(), sp.GetEnd().AsTime()}
		if n := len(out); n > 0 && out[n-1].to.Equal(w.from) {
			out[n-1].to = w.to
			continue
		}
		out = append(out, w)
	}
	return out
}

// incidentWindow is an incident's time within [from, end): from its first
// failure (or opening) to its resolution (or end).
func incidentWindow(inc *vigilv1.Incident, from, end time.Time) window {
	w := window{inc.GetOpenedAt().AsTime(), end}
	if ff := inc.GetFirstFailureAt(); ff != nil {
		w.from = ff.AsTime()
	}
	if r := inc.GetResolvedAt(); r != nil && r.AsTime().Before(end) {
		w.to = r.AsTime()
	}
	w.from = maxTime(w.from, from)
	return w
}

// votes counts the passing and failing runs of checkID, every region,
// started in [from, to) (unix seconds, widened to whole minutes; see
// cover).
func (s *Service) votes(ctx context.Context, checkID string, from, to int64, now time.Time) (votes, error) {
	var v votes
	for _, p := range cover(from, to, s.since(now)) {
		q := rollup.Query{CheckID: checkID, Res: p.res, From: p.from, To: p.to, Step: 0}
		err := s.src.Buckets(ctx, q, func(_ rollup.Key, b *rollup.Bucket) error {
			v.pass += b.Pass
			v.fail += b.Fail
			return nil
		})
		if err != nil {
			return votes{}, fmt.Errorf("read rollups: %w", err)
		}
	}
	return v, nil
}
