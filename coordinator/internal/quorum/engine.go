package quorum

import (
	"slices"
	"sync"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Engine decides check states from results. Create one per coordinator with
// New. All methods are safe for concurrent use and never block on anything
// but the engine's own mutex; none retains the messages passed in.
type Engine struct {
	mu     sync.Mutex
	checks map[string]*check
	// live is gossip's count of live probes per region; a region missing
	// from the map has not been reported and is assumed live.
	live map[string]int
}

// New returns an engine for checks. Every check starts unknown: no region has
// reported yet.
func New(checks []*vigilv1.Check) *Engine {
	e := &Engine{checks: make(map[string]*check), live: make(map[string]int)}
	e.SetChecks(checks, time.Time{})
	return e
}

// SetChecks replaces the set of checks. A new check starts unknown; a kept
// check keeps the history of the regions it still runs in, and its state is
// re-evaluated at now under the new definition (quorum, regions, budget), so
// the returned decisions hold its state changes, sorted by check id. A removed
// check is forgotten without a decision: the caller, which removed it, closes
// whatever it had open for it.
func (e *Engine) SetChecks(checks []*vigilv1.Check, now time.Time) []Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	next := make(map[string]*check, len(checks))
	for _, c := range checks {
		id := c.GetId()
		if id == "" {
			continue
		}
		p := paramsOf(c)
		old, kept := e.checks[id]
		nc := &check{id: id, p: p, regions: make(map[string]*region, len(p.regions)), state: StateUnknown}
		if kept {
			nc.state = old.state
		}
		for _, r := range p.regions {
			if kept && old.regions[r] != nil {
				nc.regions[r] = old.regions[r]
			} else {
				nc.regions[r] = &region{}
			}
		}
		next[id] = nc
	}
	e.checks = next
	if now.IsZero() {
		return nil
	}
	return e.reevaluate(now, func(*check) bool { return true })
}

// SetRegionLive records gossip's count of live probes in region: 0 excludes
// the region from every check until a positive count arrives. It returns the
// resulting state changes at now, sorted by check id.
func (e *Engine) SetRegionLive(region string, liveProbes int, now time.Time) []Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.live[region] = liveProbes
	return e.reevaluate(now, func(c *check) bool { return c.regions[region] != nil })
}

// Observe feeds one stored result, received at now. Results for unknown
// checks, for regions the check does not run in, with an unspecified status,
// or already seen (same probe, slot and attempt) change nothing and return
// nil. Otherwise it returns, in order, a ConfirmRequested decision when r is
// the first failure of a streak in its region, and a StateChanged decision
// when the check state moved.
func (e *Engine) Observe(r *vigilv1.Result, now time.Time) []Decision {
	if r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_UNSPECIFIED {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.checks[r.GetCheckId()]
	if c == nil {
		return nil
	}
	g := c.regions[r.GetRegion()]
	if g == nil || !g.add(r, now) {
		return nil
	}
	st := c.evaluate(now, e.isLive)
	var out []Decision
	if d, ok := c.confirmation(r.GetRegion(), st, now); ok {
		out = append(out, d)
	}
	if d, ok := c.transition(st, now); ok {
		out = append(out, d)
	}
	return out
}

// Tick re-evaluates every check at now, which is how regions turn stale. The
// caller runs it periodically (every second is plenty: staleness windows are
// at least two intervals). It returns the state changes, sorted by check id.
func (e *Engine) Tick(now time.Time) []Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reevaluate(now, func(*check) bool { return true })
}

// Status evaluates checkID at now without recording anything; ok is false
// for an unknown check. Its State can run ahead of the last StateChanged
// decision when a region turned stale since the last Tick.
func (e *Engine) Status(checkID string, now time.Time) (st CheckStatus, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.checks[checkID]
	if c == nil {
		return CheckStatus{}, false
	}
	return c.evaluate(now, e.isLive), true
}

// CheckIDs returns the ids of the engine's checks, sorted.
func (e *Engine) CheckIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.checks))
	for id := range e.checks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// reevaluate returns the state changes of the checks selected by want. The
// caller holds e.mu.
func (e *Engine) reevaluate(now time.Time, want func(*check) bool) []Decision {
	ids := make([]string, 0, len(e.checks))
	for id, c := range e.checks {
		if want(c) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []Decision
	for _, id := range ids {
		c := e.checks[id]
		if d, ok := c.transition(c.evaluate(now, e.isLive), now); ok {
			out = append(out, d)
		}
	}
	return out
}

// isLive reports whether gossip may have a live probe in region. The caller
// holds e.mu.
func (e *Engine) isLive(region string) bool {
	n, reported := e.live[region]
	return !reported || n > 0
}
