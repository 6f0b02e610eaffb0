package store

import (
	"context"
	"database/sql"
	"sync/atomic"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// InsertHook keeps data derived from results (the analytics rollups) in
// step with the results table: it runs inside Insert's transaction, so the
// derived data commits or rolls back with the results, exactly once each.
type InsertHook interface {
	// Inserted runs inside Insert's transaction, after the results are
	// written, with the results newly stored (redeliveries left out) in
	// the order Insert got them. tx is the writer's; the hook must not
	// commit or roll it back, nor keep it. An error rolls back the whole
	// Insert. Calls are serialised.
	Inserted(ctx context.Context, tx *sql.Tx, results []*vigilv1.Result) error
	// Forget is called when a transaction Inserted ran in did not commit,
	// and after the store deleted derived rows, so a hook that caches what
	// it wrote drops the cache.
	Forget()
}

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
// results. It returns what to call when the transaction ends: done(false)
// tells the hook its work was rolled back. On error the hook was already
// told.
func (s *Store) runInsertHook(ctx context.Context, tx *sql.Tx, fresh []*vigilv1.Result) (done func(committed bool), err error) {
	hp := s.hook.h.Load()
	if hp == nil || len(fresh) == 0 {
		return func(bool) {}, nil
	}
	h := *hp
	if err := h.Inserted(ctx, tx, fresh); err != nil {
		h.Forget()
		return nil, err
	}
	return func(committed bool) {
		if !committed {
			h.Forget()
		}
	}, nil
}

// forgetDerived tells the hook that derived rows were deleted.
func (s *Store) forgetDerived() {
	if hp := s.hook.h.Load(); hp != nil {
		(*hp).Forget()
	}
}
