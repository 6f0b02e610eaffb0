package store

import (
	"context"
	"database/sql"
	"sync/atomic"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// InsertHook keeps data derived from results (the analytics rollups) in
// step with the results table. Insert calls it inside its transaction,
// after the results are written, with the results newly stored
// (redeliveries left out) in the order Insert got them, so the derived data
// commits or rolls back with the results: each result counts exactly once.
// tx is the writer's; the hook must not commit, roll back or keep it. An
// error rolls back the whole Insert. Calls are serialised.
type InsertHook func(ctx context.Context, tx *sql.Tx, inserted []*vigilv1.Result) error

// hookSlot holds the store's insert hook.
type hookSlot struct {
	h atomic.Pointer[InsertHook]
}

// SetInsertHook makes every later Insert call h; nil removes the hook. It is
// safe to call at any time, but a hook that keeps derived data complete
// must be set before the first Insert.
func (s *Store) SetInsertHook(h InsertHook) {
	if h == nil {
		s.hook.h.Store(nil)
		return
	}
	s.hook.h.Store(&h)
}

// runInsertHook calls the hook, if any, inside tx with the newly stored
// results.
func (s *Store) runInsertHook(ctx context.Context, tx *sql.Tx, fresh []*vigilv1.Result) error {
	hp := s.hook.h.Load()
	if hp == nil || len(fresh) == 0 {
		return nil
	}
	return (*hp)(ctx, tx, fresh)
}
