package coordinator

import (
	"context"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/quorum"
)

// stateHistory stores the decided state history analytics computes uptime
// from; *store.Store implements it.
type stateHistory interface {
	AppendState(ctx context.Context, checkID string, at time.Time, state string) error
}

// historyTimeout bounds one state write: it runs on the decision path, and
// a lost history entry costs less than a stuck engine.
const historyTimeout = 5 * time.Second

// recordState appends a state change to the history, logging a failure.
func (d *decider) recordState(checkID string, at time.Time, state quorum.State) {
	if d.history == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	if err := d.history.AppendState(ctx, checkID, at, string(state)); err != nil {
		d.log.Warn("record state change", "check", checkID, "state", string(state), "err", err)
	}
}

// markUnknown records every loaded check as unknown at now. The engine
// starts out not knowing any check's state, and once the coordinator stops
// nobody decides it: without the mark, the time the coordinator was away
// would count as whatever state it last recorded.
func (c *Coordinator) markUnknown(now time.Time) {
	for _, ch := range c.catalog.List() {
		c.decide.recordState(ch.GetId(), now, quorum.StateUnknown)
	}
}
