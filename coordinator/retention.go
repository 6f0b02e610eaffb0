package coordinator

import (
	"context"
	"log/slog"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/store"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// DefaultRawRetention is how long raw results are kept when
// Config.RawRetention is 0: a month of results answers "what exactly
// happened" for any incident still being discussed, while the rollups keep
// the figures for years.
const DefaultRawRetention = 30 * 24 * time.Hour

// How long rollups are kept per resolution. Minute buckets are about one
// row per result, so they go after a week (reports over older ranges read
// their edges from hour buckets); hour buckets go after 90 days, a quarter
// of hourly charts; day buckets are small and kept forever.
const (
	minuteRollupRetention = 7 * 24 * time.Hour
	hourRollupRetention   = 90 * 24 * time.Hour
)

// Retention pacing: a pass every 10 minutes, and at most one batch of 1,000
// rows per decider tick (one second), so a pass never holds the writer for
// long and ingest slips in between batches. 1,000 rows a second is 86
// million a day, far more than a mesh produces.
const (
	retentionEvery = 10 * time.Minute
	retentionBatch = 1000
)

// compactAfter is how long after an hour (or day) ends its rollups are
// compacted: results arrive within seconds, and one that comes later still
// counts (it is folded into the compacted bucket).
const compactAfter = 2 * time.Minute

// compactBatch bounds the finer buckets one tick compacts. Each check's
// hour is its own transaction (about 1,800 minute buckets for a browser
// check in 5 regions, some 25 ms), so ingest slips in between; 5,000 a
// second catches up a day of 100 checks' minutes in well under an hour.
const compactBatch = 5000

// retention compacts rollups of ended hours and days, deletes raw results
// past their retention and prunes old rollups, a small batch per call of
// tick. It is used by the decider's loop only, so it needs no lock.
type retention struct {
	store *store.Store
	raw   time.Duration // <= 0: keep raw results forever
	log   *slog.Logger

	next  time.Time // when the next pass starts; zero until the first tick
	phase int       // the pass's current phase; 0 when idle
}

// retention phases, in order.
const (
	phaseIdle = iota
	phaseCompact
	phaseResults
	phaseMinutes
	phaseHours
	phaseDone
)

// tick runs one batch of the current pass, or starts a pass when one is
// due. It never blocks for more than one batch.
func (r *retention) tick(ctx context.Context, now time.Time) {
	if r == nil {
		return
	}
	if r.next.IsZero() {
		// The first pass waits a period: at start, probes reconnect and
		// redeliver, and deleting can wait.
		r.next = now.Add(retentionEvery)
	}
	if r.phase == phaseIdle {
		if now.Before(r.next) {
			return
		}
		r.phase = phaseCompact
	}
	var (
		n, batch = 0, retentionBatch
		err      error
	)
	switch r.phase {
	case phaseCompact:
		batch = compactBatch
		n, err = r.store.CompactRollups(ctx, now.Add(-compactAfter), batch)
	case phaseResults:
		if r.raw > 0 {
			n, err = r.store.DeleteResultsBefore(ctx, now.Add(-r.raw), retentionBatch)
		}
	case phaseMinutes:
		n, err = r.store.PruneRollups(ctx, vigilv1.Resolution_RESOLUTION_MINUTE, now.Add(-minuteRollupRetention), retentionBatch)
	case phaseHours:
		n, err = r.store.PruneRollups(ctx, vigilv1.Resolution_RESOLUTION_HOUR, now.Add(-hourRollupRetention), retentionBatch)
	}
	if err != nil {
		// Try again at the next pass; the data is only kept a little longer.
		r.log.Warn("retention pass failed", "err", err)
		r.phase, r.next = phaseIdle, now.Add(retentionEvery)
		return
	}
	if n > 0 {
		r.log.Debug("retention", "phase", r.phase, "deleted", n)
	}
	if n < batch {
		r.phase++
	}
	if r.phase == phaseDone {
		r.phase, r.next = phaseIdle, now.Add(retentionEvery)
	}
}
