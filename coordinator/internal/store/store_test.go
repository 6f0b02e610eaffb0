package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var (
	pass = vigilv1.ResultStatus_RESULT_STATUS_PASS
	fail = vigilv1.ResultStatus_RESULT_STATUS_FAIL
	perr = vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func result(id, check, region string, started time.Time, st vigilv1.ResultStatus) *vigilv1.Result {
	return &vigilv1.Result{
		Id: id, CheckId: check, ProbeId: "p-" + region, Region: region,
		StartedAt: timestamppb.New(started), Status: st, DurationUs: 1234,
	}
}

func record(t testing.TB, r *vigilv1.Result) Record {
	t.Helper()
	shot := r.Screenshot
	r = proto.CloneOf(r)
	r.Screenshot = nil
	b, err := proto.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return Record{Result: r, Payload: b, Screenshot: shot}
}

func insert(t *testing.T, s *Store, rs ...*vigilv1.Result) []bool {
	t.Helper()
	recs := make([]Record, len(rs))
	for i, r := range rs {
		recs[i] = record(t, r)
	}
	ins, err := s.Insert(t.Context(), recs)
	if err != nil {
		t.Fatalf("Insert: %v", err)
	}
	return ins
}

func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInsertDedupesByID(t *testing.T) {
	s := openStore(t, t.TempDir())
	a := result("a", "c1", "eu", t0, pass)
	b := result("b", "c1", "eu", t0.Add(time.Second), fail)
	b.Screenshot = []byte("jpeg")
	if got := insert(t, s, a, b, a); fmt.Sprint(got) != "[true true false]" {
		t.Fatalf("first insert = %v, want [true true false]", got)
	}
	if got := insert(t, s, b, a); fmt.Sprint(got) != "[false false]" {
		t.Fatalf("resend = %v, want [false false]", got)
	}
	if n := countRows(t, s, "results"); n != 2 {
		t.Fatalf("results rows = %d, want 2", n)
	}
	if n := countRows(t, s, "screenshots"); n != 1 {
		t.Fatalf("screenshot rows = %d, want 1", n)
	}
}

func TestLatest(t *testing.T) {
	type step struct {
		id     string
		offset time.Duration
		status vigilv1.ResultStatus
	}
	tests := []struct {
		name       string
		batches    [][]step
		wantLast   string
		wantPassAt time.Duration // -1: none
		wantFails  uint32
	}{
		{"in order", [][]step{{{"1", 1, pass}}, {{"2", 2, fail}}, {{"3", 3, fail}}}, "3", 1, 2},
		{"pass resets", [][]step{{{"1", 1, fail}, {"2", 2, fail}}, {{"3", 3, pass}}}, "3", 3, 0},
		{"no pass yet", [][]step{{{"1", 1, fail}, {"2", 2, fail}}}, "2", -1, 2},
		{"late older fail does not replace", [][]step{{{"5", 5, pass}}, {{"4", 4, fail}}}, "5", 5, 0},
		{"late fail after pass counts", [][]step{{{"2", 2, pass}, {"6", 6, fail}}, {{"4", 4, fail}}}, "6", 2, 2},
		{"late pass recounts", [][]step{{{"1", 1, fail}, {"3", 3, fail}, {"5", 5, fail}}, {{"4", 4, pass}}}, "5", 4, 1},
		{"late pass in same batch", [][]step{{{"5", 5, fail}, {"1", 1, fail}, {"4", 4, pass}}}, "5", 4, 1},
		{"probe errors never count", [][]step{{{"1", 1, pass}, {"2", 2, perr}, {"3", 3, fail}}}, "3", 1, 1},
		{"tie on time breaks on id", [][]step{{{"b", 7, fail}}, {{"a", 7, pass}}}, "b", 7, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			for _, batch := range tt.batches {
				var rs []*vigilv1.Result
				for _, st := range batch {
					rs = append(rs, result(st.id, "c1", "eu", t0.Add(st.offset*time.Second), st.status))
				}
				insert(t, s, rs...)
			}
			got, err := s.Latest(t.Context(), "c1")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("Latest returned %d rows, want 1", len(got))
			}
			l := got[0]
			if l.Result.GetId() != tt.wantLast {
				t.Errorf("last = %q, want %q", l.Result.GetId(), tt.wantLast)
			}
			var wantPass time.Time
			if tt.wantPassAt >= 0 {
				wantPass = t0.Add(tt.wantPassAt * time.Second)
			}
			if !l.LastPassAt.Equal(wantPass) {
				t.Errorf("last pass = %v, want %v", l.LastPassAt, wantPass)
			}
			if l.ConsecutiveFailures != tt.wantFails {
				t.Errorf("consecutive failures = %d, want %d", l.ConsecutiveFailures, tt.wantFails)
			}
		})
	}
}

func TestLatestPerRegion(t *testing.T) {
	s := openStore(t, t.TempDir())
	insert(t, s,
		result("1", "c1", "us", t0, pass), result("2", "c1", "eu", t0, fail),
		result("3", "c2", "eu", t0, pass))
	got, err := s.Latest(t.Context(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Region != "eu" || got[1].Region != "us" {
		t.Fatalf("Latest(c1) = %+v, want eu then us", got)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	insert(t, s, result("a", "c1", "eu", t0, pass))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	s = openStore(t, dir)
	if n := countRows(t, s, "results"); n != 1 {
		t.Fatalf("results after reopen = %d, want 1", n)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := migrate(t.Context(), s.w); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
		v, err := userVersion(t.Context(), s.w)
		if err != nil {
			t.Fatal(err)
		}
		if v != len(ms) {
			t.Fatalf("user_version = %d, want %d", v, len(ms))
		}
	}
	if _, err := s.w.ExecContext(t.Context(), fmt.Sprintf("PRAGMA user_version = %d", len(ms)+1)); err != nil {
		t.Fatal(err)
	}
	if err := migrate(t.Context(), s.w); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("migrate on a newer schema: err = %v, want a refusal", err)
	}
}

func TestWriterPragmas(t *testing.T) {
	s := openStore(t, t.TempDir())
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1",
		"busy_timeout": "5000", "journal_size_limit": fmt.Sprint(journalSizeLimit),
	} {
		var got string
		if err := s.w.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	if _, err := s.r.ExecContext(t.Context(), "DELETE FROM results"); err == nil {
		t.Error("reader pool accepted a write")
	}
}

// TestWriteTxIsImmediate checks that _txlock=immediate makes BeginTx take the
// write lock at once: while a writer transaction that has run nothing is
// open, another connection cannot begin a write.
func TestWriteTxIsImmediate(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	tx, err := s.w.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err == nil {
		conn.ExecContext(ctx, "ROLLBACK")
		t.Fatal("a second writer began while the store's write transaction was open")
	}
	if !strings.Contains(err.Error(), "locked") && !strings.Contains(err.Error(), "BUSY") {
		t.Fatalf("BEGIN IMMEDIATE: %v, want SQLITE_BUSY", err)
	}
}

// TestOpenRelativeDir: `vigil coordinator --data-dir data` (and `vigil
// demo`'s default) name the data directory relative to the working
// directory.
func TestOpenRelativeDir(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := Open(t.Context(), "data")
	if err != nil {
		t.Fatalf("Open(data): %v", err)
	}
	defer s.Close()
	insert(t, s, result("a", "c1", "eu", t0, pass))
	if _, err := os.Stat(filepath.Join("data", FileName)); err != nil {
		t.Fatalf("database not in ./data: %v", err)
	}
}
