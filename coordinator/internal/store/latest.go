package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

const (
	getLatestSQL = `SELECT result_id, started_at, payload, last_pass_at, consecutive_failures
		FROM latest WHERE check_id = ? AND region = ?`
	putLatestSQL = `INSERT INTO latest
		(check_id, region, result_id, started_at, payload, last_pass_at, consecutive_failures)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (check_id, region) DO UPDATE SET
			result_id = excluded.result_id, started_at = excluded.started_at,
			payload = excluded.payload, last_pass_at = excluded.last_pass_at,
			consecutive_failures = excluded.consecutive_failures`
	countFailsSQL = `SELECT count(*) FROM results
		WHERE check_id = ? AND region = ? AND started_at > ? AND status = ?`
)

type latestKey struct{ check, region string }

// newResult is a newly inserted result as the latest table sees it.
type newResult struct {
	id      string
	started int64
	status  vigilv1.ResultStatus
	payload []byte
}

// latestUpdate collects a transaction's newly inserted results per check and
// region, then folds them into the latest table.
type latestUpdate struct {
	groups map[latestKey][]newResult
}

func newLatestUpdate() *latestUpdate {
	return &latestUpdate{groups: make(map[latestKey][]newResult)}
}

func (u *latestUpdate) add(r *vigilv1.Result, started int64, payload []byte) {
	k := latestKey{r.GetCheckId(), r.GetRegion()}
	u.groups[k] = append(u.groups[k], newResult{r.GetId(), started, r.GetStatus(), payload})
}

// latestRow is one row of the latest table.
type latestRow struct {
	exists   bool
	resultID string
	started  int64
	payload  []byte
	lastPass sql.NullInt64
	failures int64
	recount  bool // failures must be recounted from results (a late pass arrived)
}

// newer reports whether a result started at (started, id) supersedes the row's
// result. Ties on started_at break on id, so the order is total and a late
// (older) result never replaces a newer one.
func (l *latestRow) newer(started int64, id string) bool {
	if !l.exists {
		return true
	}
	return cmp.Or(cmp.Compare(started, l.started), cmp.Compare(id, l.resultID)) > 0
}

// apply folds one result into the row. It keeps the invariant that failures
// is the number of fail results started after lastPass (all of them when no
// pass is known); probe_error results never count.
func (l *latestRow) apply(r newResult) {
	newest := l.newer(r.started, r.id)
	if newest {
		l.exists, l.resultID, l.started, l.payload = true, r.id, r.started, r.payload
	}
	switch r.status {
	case vigilv1.ResultStatus_RESULT_STATUS_PASS:
		if l.lastPass.Valid && r.started <= l.lastPass.Int64 {
			return
		}
		l.lastPass = sql.NullInt64{Int64: r.started, Valid: true}
		if newest {
			l.failures = 0
		} else {
			// A late pass: fails between it and the newest result still count.
			l.recount = true
		}
	case vigilv1.ResultStatus_RESULT_STATUS_FAIL:
		if !l.lastPass.Valid || r.started > l.lastPass.Int64 {
			l.failures++
		}
	}
}

// write reads, updates and writes back the latest row of every group touched
// by the transaction. It runs inside tx, so recounts see this batch's rows.
func (u *latestUpdate) write(ctx context.Context, tx *sql.Tx, p *insertStmts) error {
	get := tx.StmtContext(ctx, p.getLatest)
	put := tx.StmtContext(ctx, p.putLatest)
	var count *sql.Stmt
	for k, rs := range u.groups {
		var l latestRow
		err := get.QueryRowContext(ctx, k.check, k.region).
			Scan(&l.resultID, &l.started, &l.payload, &l.lastPass, &l.failures)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read latest %s/%s: %w", k.check, k.region, err)
		default:
			l.exists = true
		}
		// Oldest first, so results that arrive in order take the cheap path.
		slices.SortFunc(rs, func(a, b newResult) int {
			return cmp.Or(cmp.Compare(a.started, b.started), cmp.Compare(a.id, b.id))
		})
		for _, r := range rs {
			l.apply(r)
		}
		if l.recount {
			if count == nil {
				count = tx.StmtContext(ctx, p.countFails)
			}
			err := count.QueryRowContext(ctx, k.check, k.region, l.lastPass.Int64,
				int64(vigilv1.ResultStatus_RESULT_STATUS_FAIL)).Scan(&l.failures)
			if err != nil {
				return fmt.Errorf("count failures %s/%s: %w", k.check, k.region, err)
			}
		}
		if _, err := put.ExecContext(ctx, k.check, k.region, l.resultID, l.started,
			l.payload, l.lastPass, l.failures); err != nil {
			return fmt.Errorf("write latest %s/%s: %w", k.check, k.region, err)
		}
	}
	return nil
}
