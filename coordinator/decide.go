package coordinator

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/incident"
	"github.com/vigilhq/vigil/coordinator/internal/ingest"
	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	"github.com/vigilhq/vigil/internal/gossip"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// tickEvery is how often the quorum engine re-evaluates every check, which
// is how regions turn stale. Staleness windows are at least two intervals,
// so a second is plenty.
const tickEvery = time.Second

// decider feeds the quorum engine (stored results, the clock and gossip's
// view of live probes), logs its state changes, and acts on its
// confirmation requests with run-now (fast confirmation). Incidents are a
// later step. It is safe for concurrent use.
type decider struct {
	engine *quorum.Engine
	log    *slog.Logger
	now    func() time.Time
	// confirm acts on a confirmation request (fast confirmation): run-now
	// in the other regions and a retry in the failing one. It returns the
	// probes asked; nil does nothing. It must not block.
	confirm func(x quorum.Decision) []string
	// incidents acts on the decisions; nil records none (tests of the
	// engine's wiring alone).
	incidents *incident.Manager
	// history records each state change for analytics, of checks and of
	// regions; nil records none.
	history stateHistory
	regions regionStates
	// retain deletes old results and rollups a batch per tick; nil keeps
	// everything.
	retain *retention

	mu   sync.Mutex
	live map[string]int // region -> live probes last given to the engine
}

func newDecider(checks []*vigilv1.Check, log *slog.Logger) *decider {
	return &decider{engine: quorum.New(checks), log: log, now: time.Now, live: map[string]int{}}
}

// Publish observes newly stored results. The ingester calls it after each
// commit, before the probes are acknowledged, so an acked result is already
// part of the decided state.
func (d *decider) Publish(results []*vigilv1.Result) {
	now := d.now()
	if d.incidents != nil {
		d.incidents.Observe(context.Background(), results, now)
	}
	for _, r := range results {
		d.report(d.engine.Observe(r, now))
	}
	d.trackRegions(checkIDs(results), now)
}

var _ ingest.Publisher = (*decider)(nil)

// setChecks hands a reload to the engine.
func (d *decider) setChecks(checks []*vigilv1.Check) {
	d.report(d.engine.SetChecks(checks, d.now()))
}

// run ticks the engine, and feeds it gossip's live probe counts when
// members is not nil, until ctx is done.
func (d *decider) run(ctx context.Context, members func() []gossip.Member, regions func() []string) {
	t := time.NewTicker(tickEvery)
	defer t.Stop()
	for {
		if members != nil {
			d.syncLive(members(), regions())
		}
		now := d.now()
		d.report(d.engine.Tick(now))
		d.trackRegions(d.engine.CheckIDs(), now)
		if d.incidents != nil {
			d.incidents.Tick(ctx, now)
		}
		d.retain.tick(ctx, now)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// syncLive gives the engine the number of live probes per region: the
// regions of the checks and of the probes in the mesh. A suspect member
// still counts as live: memberlist has not given up on it, and excluding its
// region would shrink the quorum on a hunch.
func (d *decider) syncLive(members []gossip.Member, regions []string) {
	counts := make(map[string]int, len(regions))
	for _, r := range regions {
		counts[r] = 0
	}
	for _, m := range members {
		if m.Meta.Role != gossip.RoleProbe || m.Meta.Region == "" {
			continue
		}
		if m.State == gossip.StateAlive || m.State == gossip.StateSuspect {
			counts[m.Meta.Region]++
		} else if _, ok := counts[m.Meta.Region]; !ok {
			counts[m.Meta.Region] = 0
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	names := make([]string, 0, len(counts))
	for r := range counts {
		names = append(names, r)
	}
	sort.Strings(names)
	now := d.now()
	for _, r := range names {
		n := counts[r]
		if old, ok := d.live[r]; ok && old == n {
			continue
		}
		d.live[r] = n
		d.log.Debug("region liveness", "region", r, "live_probes", n)
		d.report(d.engine.SetRegionLive(r, n, now))
	}
}

// report logs decisions, acts on confirmation requests and hands state
// changes to the incident manager.
func (d *decider) report(ds []quorum.Decision) {
	if len(ds) == 0 {
		return
	}
	if d.incidents != nil {
		defer d.incidents.Decide(context.Background(), ds)
	}
	for _, x := range ds {
		switch x.Kind {
		case quorum.KindStateChanged:
			d.log.Info("check state changed", "check", x.CheckID, "from", string(x.From), "to", string(x.To),
				"failing", failingRegions(x.Regions), "disagree", x.Disagree,
				"failing_count", x.Failing, "eligible", x.Eligible, "quorum", x.Quorum)
			d.recordState(x.CheckID, "", x.At, x.To)
		case quorum.KindConfirmRequested:
			// Fast confirmation (DESIGN section 3): the other eligible
			// regions vote now instead of at their next phase, and another
			// probe of the failing region retries (its owner when it is
			// alone), so the decision comes within about two flow durations.
			regions := append(slices.Clone(x.ConfirmRegions), x.Region)
			var asked []string
			if d.confirm != nil {
				asked = d.confirm(x)
			}
			d.log.Info("fast confirmation", "check", x.CheckID, "failing_region", x.Region, "probe", x.ProbeID,
				"slot", x.Slot, "regions", regions, "asked", asked)
		}
	}
}

// failingRegions returns the sorted names of the failing regions.
func failingRegions(regions map[string]quorum.RegionDetail) []string {
	var out []string
	for name, r := range regions {
		if r.Verdict == quorum.VerdictFailing {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// fanout publishes to each publisher in order.
type fanout []ingest.Publisher

func (f fanout) Publish(results []*vigilv1.Result) {
	for _, p := range f {
		p.Publish(results)
	}
}
