package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

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
	marksSQL   = `SELECT res, upto FROM rollup_marks WHERE check_id = ?`
	setMarkSQL = `INSERT INTO rollup_marks (check_id, res, upto) VALUES (?, ?, ?)
		ON CONFLICT (check_id, res) DO UPDATE SET upto = excluded.upto`
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
	mu                      sync.Mutex
	create, get, put, marks *sql.Stmt
	scan                    map[rollup.SketchSet]*sql.Stmt
	readMarks               *sql.Stmt
}

// prepareWriter prepares the writer's rollup statements once.
func (s *Store) prepareWriter(ctx context.Context) error {
	s.rolls.mu.Lock()
	defer s.rolls.mu.Unlock()
	if s.rolls.get != nil {
		return nil
	}
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{{&s.rolls.create, createRollupSQL}, {&s.rolls.get, getRollupSQL}, {&s.rolls.put, putRollupSQL}, {&s.rolls.marks, marksSQL}} {
		st, err := s.w.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.dst = st
	}
	return nil
}

// RollupHook returns the InsertHook that folds newly stored results into
// the rollups table with r; set it with SetInsertHook before the first
// Insert.
func (s *Store) RollupHook(ctx context.Context, r *rollup.Roller) (InsertHook, error) {
	if err := s.prepareWriter(ctx); err != nil {
		return nil, err
	}
	return func(ctx context.Context, tx *sql.Tx, results []*vigilv1.Result) error {
		return r.Fold(ctx, s.rollupTable(tx), results)
	}, nil
}

func (s *Store) rollupTable(tx *sql.Tx) *rollupTable {
	return &rollupTable{tx: tx, stmts: &s.rolls}
}

// rollupTable is the rollups table inside one write transaction. Its
// statements are bound to the transaction when first used.
type rollupTable struct {
	tx                      *sql.Tx
	stmts                   *rollupStmts
	create, get, put, marks *sql.Stmt
	args                    []any
	blobs                   [rollup.NumSketches][]byte // reused encode buffers; the driver copies bound blobs
}

var _ rollup.Table = (*rollupTable)(nil)

func (t *rollupTable) bind(ctx context.Context, dst **sql.Stmt, st *sql.Stmt) *sql.Stmt {
	if *dst == nil {
		*dst = t.tx.StmtContext(ctx, st)
	}
	return *dst
}

func (t *rollupTable) Marks(ctx context.Context, checkIDs []string) (map[string]rollup.Marks, error) {
	out := make(map[string]rollup.Marks, len(checkIDs))
	for _, id := range checkIDs {
		m, err := readMarks(ctx, t.bind(ctx, &t.marks, t.stmts.marks), id)
		if err != nil {
			return nil, err
		}
		out[id] = m
	}
	return out, nil
}

// readMarks reads one check's compaction marks with the marksSQL statement.
func readMarks(ctx context.Context, st *sql.Stmt, checkID string) (rollup.Marks, error) {
	m := rollup.NoMarks
	rows, err := st.QueryContext(ctx, checkID)
	if err != nil {
		return m, fmt.Errorf("read rollup marks of %s: %w", checkID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var res, upto int64
		if err := rows.Scan(&res, &upto); err != nil {
			return m, fmt.Errorf("read rollup marks of %s: %w", checkID, err)
		}
		switch vigilv1.Resolution(res) {
		case vigilv1.Resolution_RESOLUTION_HOUR:
			m.Hour = upto
		case vigilv1.Resolution_RESOLUTION_DAY:
			m.Day = upto
		}
	}
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("read rollup marks of %s: %w", checkID, err)
	}
	return m, nil
}

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

// scanSQL is the query of a check's buckets at one resolution in a range,
// selecting the sketches in want (NULL for the others, which are then
// never read from disk).
func scanSQL(want rollup.SketchSet) string {
	cols := make([]string, rollup.NumSketches)
	for i, c := range sketchColumns {
		cols[i] = "NULL"
		if want.Has(rollup.Sketch(i)) {
			cols[i] = c
		}
	}
	return `SELECT start, region, step, step_name, ` + counterColumns + `, ` + strings.Join(cols, ", ") + `
		FROM rollups WHERE check_id = ? AND res = ? AND start >= ? AND start < ?
		AND (? = '' OR region = ?) AND (? < 0 OR step = ?)
		ORDER BY start, region, step`
}

func scanArgs(q rollup.Query) []any {
	return []any{q.CheckID, int64(q.Res), q.From, q.To, q.Region, q.Region, q.Step, q.Step}
}

// scanStmt returns the reader statement of scanSQL(want), prepared once.
func (s *Store) scanStmt(ctx context.Context, want rollup.SketchSet) (*sql.Stmt, error) {
	s.rolls.mu.Lock()
	defer s.rolls.mu.Unlock()
	if st := s.rolls.scan[want]; st != nil {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, scanSQL(want))
	if err != nil {
		return nil, fmt.Errorf("prepare rollup scan: %w", err)
	}
	if s.rolls.scan == nil {
		s.rolls.scan = make(map[rollup.SketchSet]*sql.Stmt)
	}
	s.rolls.scan[want] = st
	return st, nil
}

// readerMarks reads a check's compaction marks in a read transaction.
func (s *Store) readerMarks(ctx context.Context, tx *sql.Tx, checkID string) (rollup.Marks, error) {
	s.rolls.mu.Lock()
	st := s.rolls.readMarks
	if st == nil {
		var err error
		if st, err = s.r.PrepareContext(ctx, marksSQL); err != nil {
			s.rolls.mu.Unlock()
			return rollup.NoMarks, fmt.Errorf("prepare rollup marks: %w", err)
		}
		s.rolls.readMarks = st
	}
	s.rolls.mu.Unlock()
	return readMarks(ctx, tx.StmtContext(ctx, st), checkID)
}

// Buckets calls fn with each rollup bucket q selects, in key order. Hour
// and day buckets not compacted yet are merged from the finer buckets here,
// so callers see every resolution whole. It reads in one transaction, so a
// compaction committing meanwhile cannot make it miss or double a period.
// It implements analytics.Source.
func (s *Store) Buckets(ctx context.Context, q rollup.Query, fn func(rollup.Key, *rollup.Bucket) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("read rollups: %w", err)
	}
	defer tx.Rollback() // read-only: nothing to undo
	m := rollup.NoMarks
	if q.Res != vigilv1.Resolution_RESOLUTION_MINUTE {
		if m, err = s.readerMarks(ctx, tx, q.CheckID); err != nil {
			return err
		}
	}
	return s.buckets(ctx, tx, q, m, fn)
}

// buckets reads q's stored buckets below the resolution's mark and merges
// the rest from the next finer resolution.
func (s *Store) buckets(ctx context.Context, tx *sql.Tx, q rollup.Query, m rollup.Marks, fn func(rollup.Key, *rollup.Bucket) error) error {
	mark := m.Of(q.Res)
	if q.Res == vigilv1.Resolution_RESOLUTION_MINUTE || q.To <= mark {
		return s.storedBuckets(ctx, tx, q, fn)
	}
	if q.From < mark {
		stored := q
		stored.To = mark
		if err := s.storedBuckets(ctx, tx, stored, fn); err != nil {
			return err
		}
	}
	// The rest, from finer buckets: every one of each coarse bucket whose
	// start is in range, as a stored coarse bucket would hold.
	fine := q
	fine.Res = finer(q.Res)
	fine.From = max(q.From, mark)
	fine.To = rollup.Ceil(q.Res, q.To)
	c := rollup.NewCoarsen(q.Res)
	err := s.buckets(ctx, tx, fine, m, func(k rollup.Key, b *rollup.Bucket) error { return c.Add(k, b, fn) })
	if err != nil {
		return err
	}
	return c.Flush(fn)
}

func finer(res vigilv1.Resolution) vigilv1.Resolution {
	if res == vigilv1.Resolution_RESOLUTION_DAY {
		return vigilv1.Resolution_RESOLUTION_HOUR
	}
	return vigilv1.Resolution_RESOLUTION_MINUTE
}

// storedBuckets calls fn with the stored buckets q selects, in key order,
// reading in tx.
func (s *Store) storedBuckets(ctx context.Context, tx *sql.Tx, q rollup.Query, fn func(rollup.Key, *rollup.Bucket) error) error {
	st, err := s.scanStmt(ctx, q.Sketches)
	if err != nil {
		return err
	}
	rows, err := tx.StmtContext(ctx, st).QueryContext(ctx, scanArgs(q)...)
	if err != nil {
		return fmt.Errorf("read rollups: %w", err)
	}
	return scanBuckets(rows, q, fn)
}

// scanBuckets calls fn with each bucket of rows (of scanSQL) and closes
// rows.
func scanBuckets(rows *sql.Rows, q rollup.Query, fn func(rollup.Key, *rollup.Bucket) error) error {
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

// rollupChecks returns the ids of the checks with rollups, sorted: a walk
// over the primary key's first column, one seek per check.
func (s *Store) rollupChecks(ctx context.Context) ([]string, error) {
	var out []string
	check := ""
	for {
		err := s.w.QueryRowContext(ctx, `SELECT check_id FROM rollups WHERE check_id > ? ORDER BY check_id LIMIT 1`, check).Scan(&check)
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list checks with rollups: %w", err)
		}
		out = append(out, check)
	}
}
