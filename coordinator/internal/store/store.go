// Package store keeps results in SQLite: one writer connection for the
// ingest path and a separate pool of read-only connections for the API.
//
// A Store is safe for concurrent use. Writes (Insert) are serialised on the
// single writer connection inside BEGIN IMMEDIATE transactions; reads run on
// the reader pool and never block the writer (WAL).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the name of the database file inside the data directory.
const FileName = "vigil.db"

// busyTimeoutMillis bounds how long a connection waits for a lock. With one
// writer and WAL readers, locks are only contended by checkpoints and by a
// second process opening the same file, so a few seconds is ample.
const busyTimeoutMillis = 5000

// journalSizeLimit caps the WAL file left behind after a checkpoint, so a
// burst of writes does not leave a large file forever.
const journalSizeLimit = 64 << 20

// Page cache per connection (negative: KiB). The writer's must hold every
// page a group commit dirties (random result ids touch one index page per
// row), or SQLite spills dirty pages to the WAL mid-transaction and writes
// them twice; 64 MiB covers a 2,000-result commit on a multi-GB database.
// Readers get less: a page of results reads a few hundred pages.
const (
	writerCacheKiB = 64 << 10
	readerCacheKiB = 8 << 10
)

// readerConns is the size of the reader pool: API reads are short, and more
// connections than cores buys nothing.
const readerConns = 4

// Store is the SQLite result store.
type Store struct {
	w *sql.DB // exactly one connection; every write goes through it
	r *sql.DB // read-only pool

	ins insertStmts

	qmu     sync.Mutex
	queries map[queryShape]*sql.Stmt // ListResults variants, prepared once

	latestStmt *sql.Stmt

	hook  hookSlot    // see SetInsertHook
	rolls rollupStmts // see RollupHook

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating when missing) the database at dir/vigil.db and applies
// pending migrations. The caller must Close the Store.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	// The DSN is a file: URI, where a relative path would be read as a host
	// ("file://data/vigil.db"): make it absolute.
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data dir %q: %w", dir, err)
	}
	path := filepath.Join(abs, FileName)
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, queries: make(map[queryShape]*sql.Stmt)}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	// The reader pool opens after the writer has switched the file to WAL.
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open readers: %w", err)
	}
	r.SetMaxOpenConns(readerConns)
	r.SetMaxIdleConns(readerConns)
	s.r = r
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dsn builds the connection string. busy_timeout is the first pragma so that
// the pragmas after it (journal_mode needs a lock) already wait instead of
// failing with SQLITE_BUSY. _txlock=immediate makes database/sql's BeginTx
// issue BEGIN IMMEDIATE, so a write transaction takes the write lock up front
// and never fails upgrading a read lock.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", readerCacheKiB))
	} else {
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", writerCacheKiB))
		q.Add("_pragma", "journal_mode(WAL)")
		// FULL: the ack to the probe is the promise that the result is
		// stored, and today the probe's outbox may be its only other copy.
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", journalSizeLimit))
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

func (s *Store) prepare(ctx context.Context) error {
	if err := s.ins.prepare(ctx, s.w); err != nil {
		return err
	}
	st, err := s.r.PrepareContext(ctx, selectLatestSQL)
	if err != nil {
		return fmt.Errorf("prepare latest query: %w", err)
	}
	s.latestStmt = st
	return nil
}

// Close closes both pools. It is idempotent; the Store must not be used after.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
