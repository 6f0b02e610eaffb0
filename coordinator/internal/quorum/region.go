package quorum

import (
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

const (
	// maxSamples is how many recent passing runs per region feed the budget
	// p75: enough to ride out one slow run, few enough to react within a
	// handful of rounds.
	maxSamples = 5
	// maxFails caps the failure streak kept per region; confirmation needs 2,
	// the rest only absorbs late results ordered between them.
	maxFails = 8
	// maxSeen is how many result identities per region are remembered to drop
	// redeliveries; a probe's outbox redelivers its recent unacknowledged
	// results, far fewer than this per check and region.
	maxSeen = 64
)

// order is the position of a result within its region's history.
type order struct {
	slot      int64
	attempt   uint32
	startedAt int64 // unix nanoseconds
	probe     string
}

func (a order) less(b order) bool {
	if a.slot != b.slot {
		return a.slot < b.slot
	}
	if a.attempt != b.attempt {
		return a.attempt < b.attempt
	}
	if a.startedAt != b.startedAt {
		return a.startedAt < b.startedAt
	}
	return a.probe < b.probe
}

// identity is what makes a result unique: the inputs of its deterministic id.
type identity struct {
	probe   string
	slot    int64
	attempt uint32
}

// vote is what the engine keeps of a result; it never retains the message
// (and its screenshot).
type vote struct {
	at             order
	id             string
	status         vigilv1.ResultStatus
	class          vigilv1.ErrorClass
	failedStep     uint32
	failedStepName string
	err            string
}

// sample holds the budgeted timings of one passing run.
type sample struct{ loadUS, lcpUS, durationUS int64 }

// region is the history the engine keeps for one check in one region. It is
// guarded by the Engine's mutex.
type region struct {
	latest    vote
	hasLatest bool
	lastSeen  time.Time

	newestPass order
	hasPass    bool
	// fails are the distinct failing results ordered after newestPass, oldest
	// first.
	fails []order
	// confirmAsked is set once a ConfirmRequested was returned for the current
	// failure streak.
	confirmAsked bool

	samples []sample
	seen    []identity // ring of recent identities
	seenPos int
}

// add records r, received at now. It reports false for a redelivery, which
// changes nothing.
func (g *region) add(r *vigilv1.Result, now time.Time) bool {
	id := identity{probe: r.GetProbeId(), slot: r.GetSlot(), attempt: r.GetAttempt()}
	for _, s := range g.seen {
		if s == id {
			return false
		}
	}
	if len(g.seen) < maxSeen {
		g.seen = append(g.seen, id)
	} else {
		g.seen[g.seenPos] = id
		g.seenPos = (g.seenPos + 1) % maxSeen
	}
	if now.After(g.lastSeen) {
		g.lastSeen = now
	}

	v := vote{
		at: order{
			slot:      r.GetSlot(),
			attempt:   r.GetAttempt(),
			startedAt: r.GetStartedAt().AsTime().UnixNano(),
			probe:     r.GetProbeId(),
		},
		id:             r.GetId(),
		status:         r.GetStatus(),
		class:          r.GetErrorClass(),
		failedStep:     r.GetFailedStep(),
		failedStepName: r.GetFailedStepName(),
		err:            r.GetError(),
	}
	switch v.status {
	case vigilv1.ResultStatus_RESULT_STATUS_PASS:
		g.addSample(sample{loadUS: r.GetLoadUs(), lcpUS: r.GetLcpUs(), durationUS: r.GetDurationUs()})
		if !g.hasPass || g.newestPass.less(v.at) {
			g.newestPass, g.hasPass = v.at, true
			kept := g.fails[:0]
			for _, f := range g.fails {
				if g.newestPass.less(f) {
					kept = append(kept, f)
				}
			}
			g.fails = kept
		}
	case vigilv1.ResultStatus_RESULT_STATUS_FAIL:
		if !g.hasPass || g.newestPass.less(v.at) {
			g.insertFail(v.at)
		}
	}
	if len(g.fails) == 0 {
		g.confirmAsked = false
	}
	if !g.hasLatest || g.latest.at.less(v.at) {
		g.latest, g.hasLatest = v, true
	}
	return true
}

// insertFail adds o to the ordered streak, dropping the oldest beyond maxFails.
func (g *region) insertFail(o order) {
	i := len(g.fails)
	for i > 0 && o.less(g.fails[i-1]) {
		i--
	}
	g.fails = append(g.fails, order{})
	copy(g.fails[i+1:], g.fails[i:])
	g.fails[i] = o
	if len(g.fails) > maxFails {
		g.fails = append(g.fails[:0], g.fails[len(g.fails)-maxFails:]...)
	}
}

func (g *region) addSample(s sample) {
	g.samples = append(g.samples, s)
	if len(g.samples) > maxSamples {
		g.samples = append(g.samples[:0], g.samples[len(g.samples)-maxSamples:]...)
	}
}

func (g *region) latestFailed() bool {
	return g.hasLatest && g.latest.status == vigilv1.ResultStatus_RESULT_STATUS_FAIL
}

// suspect reports a latest failure not yet confirmed.
func (g *region) suspect() bool { return g.latestFailed() && len(g.fails) < 2 }

// verdict is the region's verdict at now. window is 2 x interval + timeout
// (0: never stale); live is false when gossip reports no live probe.
func (g *region) verdict(now time.Time, window time.Duration, live bool) RegionVerdict {
	switch {
	case !live:
		return VerdictExcluded
	case !g.hasLatest:
		return VerdictStale
	case window > 0 && now.Sub(g.lastSeen) > window:
		return VerdictStale
	case g.latest.status == vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR:
		return VerdictExcluded
	case g.latestFailed() && len(g.fails) >= 2:
		return VerdictFailing
	default:
		return VerdictUp
	}
}

// detail describes the region with verdict v.
func (g *region) detail(v RegionVerdict, breach bool) RegionDetail {
	d := RegionDetail{Verdict: v, LastSeen: g.lastSeen, BudgetBreach: breach}
	if !g.hasLatest {
		return d
	}
	d.Suspect = v == VerdictUp && g.suspect()
	d.ResultID = g.latest.id
	d.ProbeID = g.latest.at.probe
	d.Slot = g.latest.at.slot
	d.Attempt = g.latest.at.attempt
	d.Status = g.latest.status
	d.ErrorClass = g.latest.class
	d.FailedStep = g.latest.failedStep
	d.FailedStepName = g.latest.failedStepName
	d.Error = g.latest.err
	return d
}
