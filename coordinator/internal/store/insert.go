package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Record is one result ready to store. Result must not carry its screenshot
// (the screenshot travels in Screenshot) and must have a valid started_at;
// Payload is Result marshalled. The Store only reads a Record.
type Record struct {
	Result     *vigilv1.Result
	Payload    []byte
	Screenshot []byte
}

const (
	insertResultSQL = `INSERT INTO results
		(id, check_id, region, probe_id, slot, attempt, seq, status, error_class,
		 started_at, duration_us, received_at, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	insertScreenshotSQL = `INSERT INTO screenshots (result_id, data) VALUES (?, ?)
		ON CONFLICT (result_id) DO NOTHING`
)

// insertStmts are the writer's statements, prepared once on the single
// writer connection and bound to each transaction with tx.Stmt.
type insertStmts struct {
	result, screenshot, getLatest, putLatest, countFails *sql.Stmt
}

func (p *insertStmts) prepare(ctx context.Context, w *sql.DB) error {
	for _, s := range []struct {
		dst *(*sql.Stmt)
		sql string
	}{
		{&p.result, insertResultSQL},
		{&p.screenshot, insertScreenshotSQL},
		{&p.getLatest, getLatestSQL},
		{&p.putLatest, putLatestSQL},
		{&p.countFails, countFailsSQL},
	} {
		st, err := w.PrepareContext(ctx, s.sql)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", s.sql, err)
		}
		*s.dst = st
	}
	return nil
}

// Insert stores recs in one transaction and reports, per record, whether it
// was newly inserted (false: a result with that id was already stored, or
// appeared earlier in recs). The latest table is updated in the same
// transaction. When Insert returns nil the transaction is durably committed;
// on error nothing of recs is stored. Insert blocks while another write runs.
func (s *Store) Insert(ctx context.Context, recs []Record) ([]bool, error) {
	inserted := make([]bool, len(recs))
	if len(recs) == 0 {
		return inserted, nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin insert: %w", err)
	}
	defer tx.Rollback()

	insResult := tx.StmtContext(ctx, s.ins.result)
	insShot := tx.StmtContext(ctx, s.ins.screenshot)
	now := time.Now().UnixMicro()
	lu := newLatestUpdate()
	var fresh []*vigilv1.Result
	for i, rec := range recs {
		r := rec.Result
		started := r.GetStartedAt().AsTime().UnixMicro()
		res, err := insResult.ExecContext(ctx,
			r.GetId(), r.GetCheckId(), r.GetRegion(), r.GetProbeId(),
			r.GetSlot(), int64(r.GetAttempt()), int64(r.GetSeq()),
			int64(r.GetStatus()), int64(r.GetErrorClass()),
			started, r.GetDurationUs(), now, rec.Payload)
		if err != nil {
			return nil, fmt.Errorf("insert result %q: %w", r.GetId(), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("insert result %q: %w", r.GetId(), err)
		}
		if n == 0 {
			continue // already stored: the dedupe that makes redelivery harmless
		}
		inserted[i] = true
		fresh = append(fresh, r)
		if len(rec.Screenshot) > 0 {
			if _, err := insShot.ExecContext(ctx, r.GetId(), rec.Screenshot); err != nil {
				return nil, fmt.Errorf("insert screenshot %q: %w", r.GetId(), err)
			}
		}
		lu.add(r, started, rec.Payload)
	}
	if err := lu.write(ctx, tx, &s.ins); err != nil {
		return nil, err
	}
	if err := s.runInsertHook(ctx, tx, fresh); err != nil {
		return nil, fmt.Errorf("insert hook: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit insert: %w", err)
	}
	return inserted, nil
}
