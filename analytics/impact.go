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
// the rest of the range (total minus the outages), and each outage
// incident's runs. lost_time weighs each outage's time by how far its
// completion fell below the normal one.
func (s *Service) impact(ctx context.Context, checkID string, spans []*vigilv1.StateSpan, total *rollup.Bucket,
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
		v, err := s.votes(ctx, checkID, a, b, now)
		if err != nil {
			return nil, nil, err
		}
		during[i] = v
		sum.pass += v.pass
		sum.fail += v.fail
	}
	normal := votes{pass: max(0, total.Pass-sum.pass), fail: max(0, total.Fail-sum.fail)}
	baseline, ok := normal.completion()
	if !ok {
		baseline = 1 // nothing to compare with: count any failure as lost
	}

	imp := &vigilv1.Impact{
		OutageTime:     durationpb.New(outageTime),
		RunsOutage:     sum.runs(),
		FailuresOutage: sum.fail,
	}
	imp.CompletionNormal = ratio(normal.pass, normal.runs())
	imp.CompletionOutage = ratio(sum.pass, sum.runs())
	var lost time.Duration
	for i, w := range outages {
		lost += lostTime(w.duration(), during[i], baseline)
	}
	imp.LostTime = durationpb.New(lost.Round(time.Second))

	var perIncident []*vigilv1.IncidentImpact
	for _, inc := range incidents {
		if !outage(inc) {
			continue
		}
		w := incidentWindow(inc, from, end)
		ii := &vigilv1.IncidentImpact{IncidentId: inc.GetId(), Duration: durationpb.New(max(0, w.duration()))}
		if w.duration() > 0 {
			v, err := s.votes(ctx, checkID, w.from.Unix(), w.to.Unix(), now)
			if err != nil {
				return nil, nil, err
			}
			ii.Runs, ii.Failures = v.runs(), v.fail
			ii.CompletionRate = ratio(v.pass, v.runs())
			ii.LostTime = durationpb.New(lostTime(w.duration(), v, baseline).Round(time.Second))
		} else {
			ii.LostTime = durationpb.New(0)
		}
		perIncident = append(perIncident, ii)
	}
	return imp, perIncident, nil
}

// lostTime is d weighted by the relative drop of v's completion below
// baseline; nothing without runs (nothing is known) or without a drop.
func lostTime(d time.Duration, v votes, baseline float64) time.Duration {
	c, ok := v.completion()
	if !ok || baseline <= 0 || c >= baseline {
		return 0
	}
	return time.Duration(float64(d) * (1 - c/baseline))
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
