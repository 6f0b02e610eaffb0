package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

const selectLatestSQL = `SELECT region, payload, last_pass_at, consecutive_failures
	FROM latest WHERE check_id = ? ORDER BY region`

// Latest is a check's newest result in one region.
type Latest struct {
	Region string
	// Result is the newest result (by started_at, then id), without screenshot.
	Result *vigilv1.Result
	// LastPassAt is the start of the newest passing result; zero when none.
	LastPassAt time.Time
	// ConsecutiveFailures counts fail results started after LastPassAt.
	ConsecutiveFailures uint32
}

// Latest returns the newest result of checkID in every region that reported
// one, sorted by region.
func (s *Store) Latest(ctx context.Context, checkID string) ([]Latest, error) {
	rows, err := s.latestStmt.QueryContext(ctx, checkID)
	if err != nil {
		return nil, fmt.Errorf("read latest: %w", err)
	}
	defer rows.Close()
	var out []Latest
	for rows.Next() {
		var (
			l        Latest
			payload  []byte
			lastPass sql.NullInt64
			fails    int64
		)
		if err := rows.Scan(&l.Region, &payload, &lastPass, &fails); err != nil {
			return nil, fmt.Errorf("scan latest: %w", err)
		}
		if l.Result, err = unmarshalResult(payload); err != nil {
			return nil, fmt.Errorf("latest %s/%s: %w", checkID, l.Region, err)
		}
		if lastPass.Valid {
			l.LastPassAt = time.UnixMicro(lastPass.Int64).UTC()
		}
		l.ConsecutiveFailures = uint32(fails)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read latest: %w", err)
	}
	return out, nil
}
