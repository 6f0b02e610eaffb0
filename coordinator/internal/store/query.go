package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Query selects a page of results. Zero fields do not filter. Start is
// inclusive and End exclusive; PageSize must be in [1, MaxPageSize].
type Query struct {
	CheckID, Region    string
	Start, End         time.Time
	PageSize           int
	PageToken          string
	IncludeScreenshots bool
}

// Page is one page of results, newest first. NextPageToken is empty on the
// last page.
type Page struct {
	Results       []*vigilv1.Result
	NextPageToken string
}

// MaxPageSize caps a page.
const MaxPageSize = 1000

// screenshotPageBudget caps the screenshot bytes of one page, so a page with
// screenshots stays under a client's default 4 MiB receive limit: the page
// ends early (with a next token) rather than failing.
const screenshotPageBudget = 3 << 20

// queryShape is which filters a ListResults call uses; each shape is one
// prepared statement, so SQLite plans it with the index that fits.
type queryShape struct {
	check, region, start, end, after, shots bool
}

func (sh queryShape) sql() string {
	var b strings.Builder
	b.WriteString("SELECT r.id, r.started_at, r.payload")
	if sh.shots {
		b.WriteString(", s.data FROM results r LEFT JOIN screenshots s ON s.result_id = r.id")
	} else {
		b.WriteString(" FROM results r")
	}
	var where []string
	if sh.check {
		where = append(where, "r.check_id = :check")
	}
	if sh.region {
		where = append(where, "r.region = :region")
	}
	if sh.start {
		where = append(where, "r.started_at >= :start")
	}
	if sh.end {
		where = append(where, "r.started_at < :end")
	}
	if sh.after {
		where = append(where, "(r.started_at, r.id) < (:after_started, :after_id)")
	}
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY r.started_at DESC, r.id DESC LIMIT :limit")
	return b.String()
}

func (s *Store) queryStmt(ctx context.Context, sh queryShape) (*sql.Stmt, error) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if st, ok := s.queries[sh]; ok {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, sh.sql())
	if err != nil {
		return nil, fmt.Errorf("prepare list query: %w", err)
	}
	s.queries[sh] = st
	return st, nil
}

// ListResults returns one page of results, newest first (ties by id,
// descending). It returns ErrBadPageToken for a token it did not issue.
func (s *Store) ListResults(ctx context.Context, q Query) (Page, error) {
	if q.PageSize < 1 || q.PageSize > MaxPageSize {
		return Page{}, fmt.Errorf("page size %d out of range [1, %d]", q.PageSize, MaxPageSize)
	}
	sh := queryShape{
		check: q.CheckID != "", region: q.Region != "",
		start: !q.Start.IsZero(), end: !q.End.IsZero(),
		after: q.PageToken != "", shots: q.IncludeScreenshots,
	}
	args := []any{sql.Named("limit", q.PageSize+1)}
	if sh.check {
		args = append(args, sql.Named("check", q.CheckID))
	}
	if sh.region {
		args = append(args, sql.Named("region", q.Region))
	}
	if sh.start {
		args = append(args, sql.Named("start", q.Start.UnixMicro()))
	}
	if sh.end {
		args = append(args, sql.Named("end", q.End.UnixMicro()))
	}
	if sh.after {
		c, err := decodeCursor(q.PageToken)
		if err != nil {
			return Page{}, err
		}
		args = append(args, sql.Named("after_started", c.started), sql.Named("after_id", c.id))
	}
	st, err := s.queryStmt(ctx, sh)
	if err != nil {
		return Page{}, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return Page{}, fmt.Errorf("list results: %w", err)
	}
	defer rows.Close()

	var (
		page      Page
		last      cursor
		more      bool
		shotBytes int
	)
	for rows.Next() {
		if len(page.Results) == q.PageSize {
			more = true
			break
		}
		var (
			c       cursor
			payload []byte
			shot    []byte
		)
		dst := []any{&c.id, &c.started, &payload}
		if sh.shots {
			dst = append(dst, &shot)
		}
		if err := rows.Scan(dst...); err != nil {
			return Page{}, fmt.Errorf("scan result: %w", err)
		}
		if len(page.Results) > 0 && shotBytes+len(shot) > screenshotPageBudget {
			more = true
			break
		}
		r, err := unmarshalResult(payload)
		if err != nil {
			return Page{}, fmt.Errorf("result %q: %w", c.id, err)
		}
		r.Screenshot = shot
		shotBytes += len(shot)
		page.Results = append(page.Results, r)
		last = c
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list results: %w", err)
	}
	if more {
		page.NextPageToken = last.encode()
	}
	return page, nil
}

func unmarshalResult(b []byte) (*vigilv1.Result, error) {
	r := new(vigilv1.Result)
	if err := proto.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	return r, nil
}
