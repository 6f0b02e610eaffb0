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
const appendStateSQL = `INSERT INTO check_states (check_id, region, at, state)
	SELECT ?1, ?2, ?3, ?4
	WHERE COALESCE((SELECT state FROM check_states WHERE check_id = ?1 AND region = ?2 AND at <= ?3
		ORDER BY at DESC LIMIT 1), '') != ?4
	ON CONFLICT (check_id, region, at) DO UPDATE SET state = excluded.state`

// AppendState records that checkID's decided state (region "") or one
// region's decided verdict became state at at, for the uptime history. It
// is cheap and safe for concurrent use.
func (s *Store) AppendState(ctx context.Context, checkID, region string, at time.Time, state string) error {
	if _, err := s.w.ExecContext(ctx, appendStateSQL, checkID, region, at.UnixMicro(), state); err != nil {
		return fmt.Errorf("record state of %s%s: %w", checkID, inRegion(region), err)
	}
	return nil
}

// inRegion names a region in a message; "" (the check overall) names none.
func inRegion(region string) string {
	if region == "" {
		return ""
	}
	return " in " + region
}

// StateChanges returns the state history of checkID (region "") or of one
// of its regions over [from, to): the change in force at from, if any,
// then the later ones before to, oldest first. It implements
// analytics.Source.
func (s *Store) StateChanges(ctx context.Context, checkID, region string, from, to time.Time) ([]analytics.StateChange, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, state FROM
		(SELECT at, state FROM check_states WHERE check_id = ?1 AND region = ?2 AND at <= ?3 ORDER BY at DESC LIMIT 1)
		UNION ALL
		SELECT at, state FROM check_states WHERE check_id = ?1 AND region = ?2 AND at > ?3 AND at < ?4
		ORDER BY at`, checkID, region, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("read state history of %s%s: %w", checkID, inRegion(region), err)
	}
	defer rows.Close()
	var out []analytics.StateChange
	for rows.Next() {
		var at int64
		var c analytics.StateChange
		if err := rows.Scan(&at, &c.State); err != nil {
			return nil, fmt.Errorf("read state history of %s%s: %w", checkID, inRegion(region), err)
		}
		c.At = time.UnixMicro(at).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read state history of %s%s: %w", checkID, inRegion(region), err)
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
