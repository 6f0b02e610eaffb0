package quorum

import (
	"slices"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// budget is a check's performance budget in microseconds; zero fields are unset.
type budget struct{ loadUS, lcpUS, flowUS int64 }

func budgetOf(b *vigilv1.Budget) budget {
	// AsDuration of a nil Duration is 0, so unset limits stay 0.
	return budget{
		loadUS: b.GetLoadP75().AsDuration().Microseconds(),
		lcpUS:  b.GetLcpP75().AsDuration().Microseconds(),
		flowUS: b.GetFlowP75().AsDuration().Microseconds(),
	}
}

func (b budget) set() bool { return b.loadUS > 0 || b.lcpUS > 0 || b.flowUS > 0 }

// breached reports whether any budgeted p75 over samples exceeds its limit.
func (b budget) breached(samples []sample) bool {
	over := func(limit int64, pick func(sample) int64) bool {
		if limit <= 0 {
			return false
		}
		p, ok := p75(samples, pick)
		return ok && p > limit
	}
	return over(b.loadUS, func(s sample) int64 { return s.loadUS }) ||
		over(b.lcpUS, func(s sample) int64 { return s.lcpUS }) ||
		over(b.flowUS, func(s sample) int64 { return s.durationUS })
}

// p75 is the nearest-rank 75th percentile of the positive values picked from
// samples; ok is false when there are none (the metric was not measured).
func p75(samples []sample, pick func(sample) int64) (p int64, ok bool) {
	vals := make([]int64, 0, len(samples))
	for _, s := range samples {
		if v := pick(s); v > 0 {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return 0, false
	}
	slices.Sort(vals)
	rank := (3*len(vals) + 3) / 4 // ceil(0.75 n)
	return vals[rank-1], true
}
