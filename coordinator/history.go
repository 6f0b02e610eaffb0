package coordinator

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/quorum"
)

// stateHistory stores the decided state history analytics computes uptime
// from, of each check (region "") and of each region's verdict on it;
// *store.Store implements it.
type stateHistory interface {
	AppendState(ctx context.Context, checkID, region string, at time.Time, state string) error
}

// historyTimeout bounds one state write: it runs on the decision path, and
// a lost history entry costs less than a stuck engine.
const historyTimeout = 5 * time.Second

// regionStates remembers the last state recorded for each check's regions,
// so the decider records a region's history only when it changes.
type regionStates struct {
	mu   sync.Mutex
	last map[string]map[string]quorum.State // check -> region -> state
}

// recordState appends a state change of checkID (region "") or of one of
// its regions to the history, logging a failure.
func (d *decider) recordState(checkID, region string, at time.Time, state quorum.State) {
	if d.history == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	if err := d.history.AppendState(ctx, checkID, region, at, string(state)); err != nil {
		d.log.Warn("record state change", "check", checkID, "region", region, "state", string(state), "err", err)
	}
}

// trackRegions records the regions of checkIDs whose own state (see
// quorum.RegionDetail.State) changed since it was last recorded. The
// decider calls it after the engine saw results of those checks, and for
// every check on each tick, which is when regions turn stale.
func (d *decider) trackRegions(checkIDs []string, now time.Time) {
	if d.history == nil {
		return
	}
	d.regions.mu.Lock()
	defer d.regions.mu.Unlock()
	if d.regions.last == nil {
		d.regions.last = map[string]map[string]quorum.State{}
	}
	for _, id := range checkIDs {
		st, ok := d.engine.Status(id, now)
		if !ok {
			delete(d.regions.last, id)
			continue
		}
		last := d.regions.last[id]
		if last == nil {
			last = map[string]quorum.State{}
			d.regions.last[id] = last
		}
		for region, detail := range st.Regions {
			if s := detail.State(); last[region] != s {
				last[region] = s
				d.recordState(id, region, now, s)
			}
		}
	}
}

// checkIDs returns the distinct check ids of results, sorted.
func checkIDs[R interface{ GetCheckId() string }](results []R) []string {
	ids := make([]string, 0, 1)
	for _, r := range results {
		ids = append(ids, r.GetCheckId())
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// markUnknown records every loaded check, and each of its regions, as
// unknown at now. The engine starts out not knowing any check's state, and
// once the coordinator stops nobody decides it: without the mark, the time
// the coordinator was away would count as whatever state it last recorded.
func (c *Coordinator) markUnknown(now time.Time) {
	d := c.decide
	d.regions.mu.Lock()
	defer d.regions.mu.Unlock()
	d.regions.last = map[string]map[string]quorum.State{}
	for _, ch := range c.catalog.List() {
		d.recordState(ch.GetId(), "", now, quorum.StateUnknown)
		last := map[string]quorum.State{}
		for _, r := range ch.GetRegions() {
			d.recordState(ch.GetId(), r, now, quorum.StateUnknown)
			last[r] = quorum.StateUnknown
		}
		d.regions.last[ch.GetId()] = last
	}
}
