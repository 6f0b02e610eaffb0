package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// CompactRollups writes the hour buckets of hours that ended before
// `before`, and the day buckets of such days, by merging their finer
// buckets, and moves each check's marks past them (see rollup_marks).
// Each period of each check is its own transaction, so ingest waits at most
// for one; the call stops once it has read about limit finer buckets and
// returns how many it read: fewer than limit means nothing is left to do.
//
// Compaction changes no figure: until a period is compacted, readers merge
// the same finer buckets themselves (Buckets).
func (s *Store) CompactRollups(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := s.prepareWriter(ctx); err != nil {
		return 0, err
	}
	checks, err := s.rollupChecks(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, check := range checks {
		for _, res := range [...]vigilv1.Resolution{vigilv1.Resolution_RESOLUTION_HOUR, vigilv1.Resolution_RESOLUTION_DAY} {
			for total < limit {
				n, more, err := s.compactOne(ctx, check, res, before.Unix())
				if err != nil {
					return total, err
				}
				total += n
				if !more {
					break
				}
			}
		}
		if total >= limit {
			break
		}
	}
	return total, nil
}

// compactOne compacts the next period of res of one check, if it ended
// before `before`, and reports whether it did.
func (s *Store) compactOne(ctx context.Context, check string, res vigilv1.Resolution, before int64) (read int, more bool, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("begin compaction: %w", err)
	}
	defer tx.Rollback()
	t := s.rollupTable(tx)
	marks, err := t.Marks(ctx, []string{check})
	if err != nil {
		return 0, false, err
	}
	m := marks[check]
	mark, fine := m.Of(res), finer(res)
	// Periods before target are over, and for days, their hours compacted.
	target := rollup.Floor(res, before)
	if res == vigilv1.Resolution_RESOLUTION_DAY {
		if m.Hour == math.MinInt64 {
			return 0, false, nil
		}
		target = min(target, rollup.Floor(res, m.Hour))
	}
	if target <= mark {
		return 0, false, nil
	}
	// The first finer bucket from the mark on starts the next period with
	// data; with none before target, the mark moves to target.
	var next sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MIN(start) FROM rollups WHERE check_id = ? AND res = ? AND start >= ? AND start < ?`,
		check, int64(fine), mark, target).Scan(&next); err != nil {
		return 0, false, fmt.Errorf("compact %s: %w", check, err)
	}
	if !next.Valid {
		if _, err := tx.ExecContext(ctx, setMarkSQL, check, int64(res), target); err != nil {
			return 0, false, fmt.Errorf("compact %s: %w", check, err)
		}
		if err := tx.Commit(); err != nil {
			return 0, false, fmt.Errorf("commit compaction of %s: %w", check, err)
		}
		return 0, false, nil
	}
	start := rollup.Floor(res, next.Int64)
	end := start + rollup.Width(res)
	q := rollup.Query{CheckID: check, Res: fine, From: start, To: end, Step: rollup.AnyStep, Sketches: rollup.AllSketches}
	rows, err := tx.QueryContext(ctx, scanSQL(q.Sketches), scanArgs(q)...)
	if err != nil {
		return 0, false, fmt.Errorf("compact %s: %w", check, err)
	}
	// Read everything before writing: the writer has one connection, and
	// the rows must be closed before the next statement.
	var coarse []struct {
		k rollup.Key
		b *rollup.Bucket
	}
	c := rollup.NewCoarsen(res)
	keep := func(k rollup.Key, b *rollup.Bucket) error {
		coarse = append(coarse, struct {
			k rollup.Key
			b *rollup.Bucket
		}{k, b})
		return nil
	}
	err = scanBuckets(rows, q, func(k rollup.Key, b *rollup.Bucket) error {
		read++
		return c.Add(k, b, keep)
	})
	if err == nil {
		err = c.Flush(keep)
	}
	if err != nil {
		return 0, false, fmt.Errorf("compact %s: %w", check, err)
	}
	for _, kb := range coarse {
		if err := rollup.AddTo(ctx, t, kb.k, kb.b); err != nil {
			return 0, false, fmt.Errorf("compact %s: %w", check, err)
		}
	}
	if _, err := tx.ExecContext(ctx, setMarkSQL, check, int64(res), end); err != nil {
		return 0, false, fmt.Errorf("compact %s: %w", check, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("commit compaction of %s: %w", check, err)
	}
	return read, true, nil
}

// PruneRollups deletes up to limit buckets of res that start before
// `before`, oldest first per check, and returns how many it deleted. Hour
// and minute buckets not compacted into the next coarser resolution yet are
// kept whatever their age. Each check's old buckets are one range of the
// primary key, so a batch costs the rows it deletes, not a table scan.
func (s *Store) PruneRollups(ctx context.Context, res vigilv1.Resolution, before time.Time, limit int) (int, error) {
	if err := s.prepareWriter(ctx); err != nil {
		return 0, err
	}
	checks, err := s.rollupChecks(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, check := range checks {
		if total >= limit {
			break
		}
		m, err := readMarks(ctx, s.rolls.marks, check)
		if err != nil {
			return total, err
		}
		bound := before.Unix()
		switch res {
		case vigilv1.Resolution_RESOLUTION_MINUTE:
			bound = min(bound, m.Hour)
		case vigilv1.Resolution_RESOLUTION_HOUR:
			bound = min(bound, m.Day)
		}
		r, err := s.w.ExecContext(ctx, `DELETE FROM rollups WHERE (check_id, res, start, region, step) IN
			(SELECT check_id, res, start, region, step FROM rollups
			 WHERE check_id = ? AND res = ? AND start < ? ORDER BY start LIMIT ?)`,
			check, int64(res), bound, limit-total)
		if err != nil {
			return total, fmt.Errorf("prune rollups of %s: %w", check, err)
		}
		n, _ := r.RowsAffected()
		total += int(n)
	}
	return total, nil
}

// DeleteResultsBefore deletes up to limit results (and their screenshots)
// started before `before`, oldest first, and returns how many it deleted.
// Rollups are kept.
func (s *Store) DeleteResultsBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	r, err := s.w.ExecContext(ctx, `DELETE FROM results WHERE id IN
		(SELECT id FROM results WHERE started_at < ? ORDER BY started_at LIMIT ?)`, before.UnixMicro(), limit)
	if err != nil {
		return 0, fmt.Errorf("delete old results: %w", err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete old results: %w", err)
	}
	return int(n), nil
}
