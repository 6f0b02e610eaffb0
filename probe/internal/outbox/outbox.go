// Package outbox keeps a probe's unacknowledged results on disk (DESIGN
// section 4): a result is written here before it is sent and deleted once
// the coordinator acknowledges it, so one not yet acknowledged survives the
// probe's crash or restart and is sent again. Result ids are deterministic
// and the coordinator dedupes by id, so a resend is harmless.
//
// It is one SQLite file, dir/outbox.db, in WAL mode with synchronous=FULL:
// a put returns once the result is on disk.
package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// FileName is the outbox's file in its directory.
const FileName = "outbox.db"

// schemaVersion is the PRAGMA user_version of the layout below; a file of
// a newer version is refused rather than misread.
const schemaVersion = 1

const schema = `CREATE TABLE IF NOT EXISTS outbox (
	seq  INTEGER PRIMARY KEY AUTOINCREMENT,
	id   TEXT    NOT NULL UNIQUE,
	body BLOB    NOT NULL
)`

// maxDeleteBatch bounds the ids of one DELETE statement, under SQLite's
// limit on bound parameters.
const maxDeleteBatch = 500

// Outbox is the on-disk set of unacknowledged results. Its methods are safe
// for concurrent use.
type Outbox struct {
	db  *sql.DB
	put *sql.Stmt
}

// Open opens (creating when missing) dir/outbox.db. The caller must Close
// it.
func Open(ctx context.Context, dir string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create outbox dir: %w", err)
	}
	abs, err := filepath.Abs(dir) // a relative path would read as a URI host
	if err != nil {
		return nil, fmt.Errorf("outbox dir %q: %w", dir, err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", Path: filepath.Join(abs, FileName), RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	o := &Outbox{db: db}
	if err := o.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open outbox %s: %w", filepath.Join(abs, FileName), err)
	}
	return o, nil
}

func (o *Outbox) init(ctx context.Context) error {
	var v int
	if err := o.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > schemaVersion {
		return fmt.Errorf("schema version %d is newer than this binary's %d", v, schemaVersion)
	}
	if _, err := o.db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	if _, err := o.db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	st, err := o.db.PrepareContext(ctx, `INSERT INTO outbox (id, body) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("prepare put: %w", err)
	}
	o.put = st
	return nil
}

// Put stores an encoded result under id, after the ones stored before it.
// A result whose id is stored already is left as it is.
func (o *Outbox) Put(ctx context.Context, id string, encoded []byte) error {
	if _, err := o.put.ExecContext(ctx, id, encoded); err != nil {
		return fmt.Errorf("outbox put %s: %w", id, err)
	}
	return nil
}

// Delete removes the results of ids; ids not stored are ignored.
func (o *Outbox) Delete(ctx context.Context, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), maxDeleteBatch)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		q := "DELETE FROM outbox WHERE id IN (?" + strings.Repeat(", ?", n-1) + ")"
		if _, err := o.db.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("outbox delete: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// Load calls fn with each stored result, oldest first. An error from fn
// stops it and is returned.
func (o *Outbox) Load(ctx context.Context, fn func(id string, encoded []byte) error) error {
	rows, err := o.db.QueryContext(ctx, `SELECT id, body FROM outbox ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("outbox load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			return fmt.Errorf("outbox load: %w", err)
		}
		if err := fn(id, body); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("outbox load: %w", err)
	}
	return nil
}

// Len returns the number of stored results.
func (o *Outbox) Len(ctx context.Context) (int, error) {
	var n int
	if err := o.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox count: %w", err)
	}
	return n, nil
}

// Close closes the file. The Outbox must not be used after.
func (o *Outbox) Close() error {
	var errs []error
	if o.put != nil {
		errs = append(errs, o.put.Close())
	}
	errs = append(errs, o.db.Close())
	return errors.Join(errs...)
}
