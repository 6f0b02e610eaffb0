package store

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/vigilhq/vigil/analytics"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var _ analytics.Source = (*Store)(nil)

// appendStateSQL inserts a state change unless the state in force at that
// instant already is the same (a restart re-deciding the state it had, or
// the "unknown" marked at start and stop). Two changes at one instant keep
// the last.
const appendStateSQL = `INSERT INTO check_states (check_id, at, state)
	SELECT ?1, ?2, ?3
	WHERE COALESCE((SELECT state FROM check_states WHERE check_id = ?1 AND at <= ?2 ORDER BY at DESC LIMIT 1), '') != ?3
	ON CONFLICT (check_id, at) DO UPDATE SET state = excluded.state`

// AppendState records that checkID's decided state became state at at, for
// the uptime history. It is cheap and safe for concurrent use.
func (s *Store) AppendState(ctx context.Context, checkID string, at time.Time, state string) error {
	if _, err := s.w.ExecContext(ctx, appendStateSQL, checkID, at.UnixMicro(), state); err != nil {
		return fmt.Errorf("record state of %s: %w", checkID, err)
	}
	return nil
}

// StateChanges returns checkID's state history over [from, to): the change
// in force at from, if any, then the later ones before to, oldest first. It
// implements analytics.Source.
func (s *Store) StateChanges(ctx context.Context, checkID string, from, to time.Time) ([]analytics.StateChange, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, state FROM
		(SELECT at, state FROM check_states WHERE check_id = ?1 AND at <= ?2 ORDER BY at DESC LIMIT 1)
		UNION ALL
		SELECT at, state FROM check_states WHERE check_id = ?1 AND at > ?2 AND at < ?3
		ORDER BY at`, checkID, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("read state history of %s: %w", checkID, err)
	}
	defer rows.Close()
	var out []analytics.StateChange
	for rows.Next() {
		var at int64
		var c analytics.StateChange
		if err := rows.Scan(&at, &c.State); err != nil {
			return nil, fmt.Errorf("read state history of %s: %w", checkID, err)
		}
		c.At = time.UnixMicro(at).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read state history of %s: %w", checkID, err)
	}
	return out, nil
}

// IncidentsOpened returns checkID's incidents opened in [from, to), oldest
// first, without timelines. It implements analytics.Source.
func (s *Store) IncidentsOpened(ctx context.Context, checkID string, from, to time.Time) ([]*vigilv1.Incident, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT body FROM incidents
		WHERE check_id = ? AND opened_at >= ? AND opened_at < ? ORDER BY opened_at, seq`,
		checkID, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("list incidents of %s: %w", checkID, err)
	}
	defer rows.Close()
	var out []*vigilv1.Incident
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("list incidents of %s: %w", checkID, err)
		}
		inc := &vigilv1.Incident{}
		if err := proto.Unmarshal(b, inc); err != nil {
			return nil, fmt.Errorf("decode incident: %w", err)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list incidents of %s: %w", checkID, err)
	}
	return out, nil
}
