package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// counterColumns are the rollups table's counters, in rollup.Counts order:
// pass, fail, probe_error, reached, failed, then the ratings by vital (LCP,
// CLS, TTFB) and rating (good, needs improvement, poor).
const counterColumns = `pass, fail, probe_error, reached, failed,
	lcp_good, lcp_ni, lcp_poor, cls_good, cls_ni, cls_poor, ttfb_good, ttfb_ni, ttfb_poor`

// sketchColumns are the sketch columns in rollup.Sketch order.
var sketchColumns = [rollup.NumSketches]string{"duration", "ttfb", "load", "lcp", "cls"}

const numCounters = 14

var (
	getRollupSQL = `SELECT step_name, ` + counterColumns + `, ` + strings.Join(sketchColumns[:], ", ") + `
		FROM rollups WHERE check_id = ? AND res = ? AND start = ? AND region = ? AND step = ?`
	insertRollupSQL = `INSERT INTO rollups (check_id, res, start, region, step, step_name, ` + counterColumns + `, ` +
		strings.Join(sketchColumns[:], ", ") + `)
		VALUES (?, ?, ?, ?, ?, ?` + strings.Repeat(", ?", numCounters+int(rollup.NumSketches)) + `)`
	createRollupSQL = insertRollupSQL + ` ON CONFLICT (check_id, res, start, region, step) DO NOTHING`
	putRollupSQL    = insertRollupSQL + ` ON CONFLICT (check_id, res, start, region, step) DO UPDATE SET step_name = excluded.step_name, ` +
		assignExcluded(counterColumns+", "+strings.Join(sketchColumns[:], ", "))
)

func assignExcluded(cols string) string {
	var parts []string
	for c := range strings.SplitSeq(cols, ",") {
		c = strings.TrimSpace(c)
		parts = append(parts, c+" = excluded."+c)
	}
	return strings.Join(parts, ", ")
}

// rollupStmts are the rollup statements: the writer's, prepared by
// RollupHook, and the readers', one per set of sketches decoded.
type rollupStmts struct {
	mu               sync.Mutex
	create, get, put *sql.Stmt
	scan             map[rollup.SketchSet]*sql.Stmt
}

// RollupHook returns the InsertHook that folds newly stored results into
// the rollups table with r; set it with SetInsertHook before the first
// Insert.
func (s *Store) RollupHook(ctx context.Context, r *rollup.Roller) (InsertHook, error) {
	s.rolls.mu.Lock()
	defer s.rolls.mu.Unlock()
	if s.rolls.get == nil {
		for _, p := range []struct {
			dst **sql.Stmt
			sql string
		}{{&s.rolls.create, createRollupSQL}, {&s.rolls.get, getRollupSQL}, {&s.rolls.put, putRollupSQL}} {
			st, err := s.w.PrepareContext(ctx, p.sql)
			if err != nil {
				return nil, fmt.Errorf("prepare %q: %w", p.sql, err)
			}
			*p.dst = st
		}
	}
	return &rollupHook{s: s, r: r}, nil
}

type rollupHook struct {
	s *Store
	r *rollup.Roller
}

func (h *rollupHook) Inserted(ctx context.Context, tx *sql.Tx, results []*vigilv1.Result) error {
	t := &rollupTable{tx: tx, stmts: &h.s.rolls}
	return h.r.Fold(ctx, t, results)
}

func (h *rollupHook) Forget() { h.r.Drop() }

// rollupTable is the rollups table inside one insert transaction.
// Its statements are bound to the transaction when first used.
type rollupTable struct {
	tx               *sql.Tx
	stmts            *rollupStmts
	create, get, put *sql.Stmt
	args             []any
	blobs            [rollup.NumSketches][]byte // reused encode buffers; the driver copies bound blobs
}

func (t *rollupTable) bind(ctx context.Context, dst **sql.Stmt, st *sql.Stmt) *sql.Stmt {
	if *dst == nil {
		*dst = t.tx.StmtContext(ctx, st)
	}
	return *dst
}

var _ rollup.Table = (*rollupTable)(nil)

func (t *rollupTable) Load(ctx context.Context, k rollup.Key) (*rollup.Bucket, error) {
	var (
		b     rollup.Bucket
		blobs [rollup.NumSketches]sql.RawBytes
	)
	dst := append([]any{&b.StepName}, counterPtrs(&b.Counts)...)
	for i := range blobs {
		dst = append(dst, &blobs[i])
	}
	rows, err := t.bind(ctx, &t.get, t.stmts.get).QueryContext(ctx, k.CheckID, int64(k.Res), k.Start, k.Region, int64(k.Step))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	if err := rows.Scan(dst...); err != nil {
		return nil, err
	}
	if err := decodeSketches(&b, blobs, rollup.AllSketches); err != nil {
		return nil, err
	}
	return &b, rows.Close()
}

func (t *rollupTable) Create(ctx context.Context, k rollup.Key, b *rollup.Bucket) (bool, error) {
	r, err := t.bind(ctx, &t.create, t.stmts.create).ExecContext(ctx, t.row(k, b)...)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

func (t *rollupTable) Save(ctx context.Context, k rollup.Key, b *rollup.Bucket) error {
	_, err := t.bind(ctx, &t.put, t.stmts.put).ExecContext(ctx, t.row(k, b)...)
	return err
}

// row returns the column values of b at k, in insertRollupSQL's order. The
// slice and its blobs are reused by the next call.
func (t *rollupTable) row(k rollup.Key, b *rollup.Bucket) []any {
	t.args = append(t.args[:0], k.CheckID, int64(k.Res), k.Start, k.Region, int64(k.Step), b.StepName)
	for _, p := range counterPtrs(&b.Counts) {
		t.args = append(t.args, *p.(*int64))
	}
	for i, sk := range b.Sketches {
		if sk == nil || sk.IsEmpty() {
			t.args = append(t.args, nil)
			continue
		}
		t.blobs[i] = rollup.EncodeSketch(t.blobs[i][:0], sk)
		t.args = append(t.args, t.blobs[i])
	}
	return t.args
}

// counterPtrs returns pointers to c's counters in counterColumns order.
func counterPtrs(c *rollup.Counts) []any {
	out := []any{&c.Pass, &c.Fail, &c.ProbeError, &c.Reached, &c.Failed}
	for v := range c.Ratings {
		for r := range c.Ratings[v] {
			out = append(out, &c.Ratings[v][r])
		}
	}
	return out
}

func decodeSketches(b *rollup.Bucket, blobs [rollup.NumSketches]sql.RawBytes, want rollup.SketchSet) error {
	for i, raw := range blobs {
		if len(raw) == 0 || !want.Has(rollup.Sketch(i)) {
			continue
		}
		sk, err := rollup.DecodeSketch(raw)
		if err != nil {
			return fmt.Errorf("%s sketch: %w", rollup.Sketch(i), err)
		}
		b.Sketches[i] = sk
	}
	return nil
}

// scanStmt returns the reader statement that selects the sketches in want
// (NULL for the others, which are then never read from disk).
func (s *Store) scanStmt(ctx context.Context, want rollup.SketchSet) (*sql.Stmt, error) {
	s.rolls.mu.Lock()
	defer s.rolls.mu.Unlock()
	if st := s.rolls.scan[want]; st != nil {
		return st, nil
	}
	cols := make([]string, rollup.NumSketches)
	for i, c := range sketchColumns {
		cols[i] = "NULL"
		if want.Has(rollup.Sketch(i)) {
			cols[i] = c
		}
	}
	q := `SELECT start, region, step, step_name, ` + counterColumns + `, ` + strings.Join(cols, ", ") + `
		FROM rollups WHERE check_id = ? AND res = ? AND start >= ? AND start < ?
		AND (? = '' OR region = ?) AND (? < 0 OR step = ?)
		ORDER BY start, region, step`
	st, err := s.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare rollup scan: %w", err)
	}
	if s.rolls.scan == nil {
		s.rolls.scan = make(map[rollup.SketchSet]*sql.Stmt)
	}
	s.rolls.scan[want] = st
	return st, nil
}

// Buckets calls fn with each rollup bucket q selects, in key order. It
// implements analytics.Source.
func (s *Store) Buckets(ctx context.Context, q rollup.Query, fn func(rollup.Key, *rollup.Bucket) error) error {
	st, err := s.scanStmt(ctx, q.Sketches)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, q.CheckID, int64(q.Res), q.From, q.To, q.Region, q.Region, q.Step, q.Step)
	if err != nil {
		return fmt.Errorf("read rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k     = rollup.Key{CheckID: q.CheckID, Res: q.Res}
			step  int64
			b     = &rollup.Bucket{}
			blobs [rollup.NumSketches]sql.RawBytes
		)
		dst := append([]any{&k.Start, &k.Region, &step, &b.StepName}, counterPtrs(&b.Counts)...)
		for i := range blobs {
			dst = append(dst, &blobs[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return fmt.Errorf("read rollups: %w", err)
		}
		k.Step = uint32(step)
		if err := decodeSketches(b, blobs, q.Sketches); err != nil {
			return fmt.Errorf("rollup %s: %w", k, err)
		}
		if err := fn(k, b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rollups: %w", err)
	}
	return nil
}

// PruneRollups deletes up to limit buckets of res that start before t,
// oldest first per check, and returns how many it deleted. Each check's
// old buckets are one range of the primary key, so a batch costs the rows
// it deletes, not a table scan.
func (s *Store) PruneRollups(ctx context.Context, res vigilv1.Resolution, before time.Time, limit int) (int, error) {
	total := 0
	check := ""
	for total < limit {
		err := s.w.QueryRowContext(ctx, `SELECT check_id FROM rollups WHERE check_id > ? ORDER BY check_id LIMIT 1`, check).Scan(&check)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return total, fmt.Errorf("prune rollups: %w", err)
		}
		r, err := s.w.ExecContext(ctx, `DELETE FROM rollups WHERE (check_id, res, start, region, step) IN
			(SELECT check_id, res, start, region, step FROM rollups
			 WHERE check_id = ? AND res = ? AND start < ? ORDER BY start LIMIT ?)`,
			check, int64(res), before.Unix(), limit-total)
		if err != nil {
			return total, fmt.Errorf("prune rollups of %s: %w", check, err)
		}
		n, _ := r.RowsAffected()
		total += int(n)
	}
	if total > 0 {
		s.forgetDerived()
	}
	return total, nil
}

// DeleteResultsBefore deletes up to limit results (and their screenshots)
// started before t, oldest first, and returns how many it deleted. Rollups
// are kept.
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
