package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// ErrNotFound is returned for an incident or window that does not exist.
var ErrNotFound = errors.New("not found")

// micros returns t as unix microseconds, or NULL for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// incidentColumns are the indexed copies of an incident's fields.
func incidentColumns(inc *vigilv1.Incident) (kind, status int64, firstFailure, opened, resolved any) {
	var ff, res time.Time
	if inc.GetFirstFailureAt() != nil {
		ff = inc.GetFirstFailureAt().AsTime()
	}
	if inc.GetResolvedAt() != nil {
		res = inc.GetResolvedAt().AsTime()
	}
	return int64(inc.GetKind()), int64(inc.GetStatus()), micros(ff), inc.GetOpenedAt().AsTime().UnixMicro(), micros(res)
}

// marshalIncident encodes inc without its timeline.
func marshalIncident(inc *vigilv1.Incident) ([]byte, error) {
	c := proto.CloneOf(inc)
	c.Timeline = nil
	b, err := proto.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode incident %q: %w", inc.GetId(), err)
	}
	return b, nil
}

// CreateIncident stores a new incident and its timeline so far, assigning
// its id ("inc-N") when empty. It returns the id.
func (s *Store) CreateIncident(ctx context.Context, inc *vigilv1.Incident) (string, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("begin create incident: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM incidents`).Scan(&seq); err != nil {
		return "", fmt.Errorf("next incident number: %w", err)
	}
	if inc.GetId() == "" {
		inc.Id = fmt.Sprintf("inc-%d", seq)
	}
	body, err := marshalIncident(inc)
	if err != nil {
		return "", err
	}
	kind, status, ff, opened, resolved := incidentColumns(inc)
	if _, err := tx.ExecContext(ctx, `INSERT INTO incidents (seq, id, check_id, kind, status, first_failure_at, opened_at, resolved_at, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, seq, inc.GetId(), inc.GetCheckId(), kind, status, ff, opened, resolved, body); err != nil {
		return "", fmt.Errorf("insert incident %q: %w", inc.GetId(), err)
	}
	for _, ev := range inc.GetTimeline() {
		if err := insertEvent(ctx, tx, seq, ev); err != nil {
			return "", fmt.Errorf("incident %q: %w", inc.GetId(), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("commit incident %q: %w", inc.GetId(), err)
	}
	return inc.GetId(), nil
}

// UpdateIncident replaces a stored incident's fields (not its timeline) and
// appends events to its timeline, in one transaction.
func (s *Store) UpdateIncident(ctx context.Context, inc *vigilv1.Incident, events ...*vigilv1.TimelineEvent) error {
	body, err := marshalIncident(inc)
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin update incident: %w", err)
	}
	defer tx.Rollback()
	kind, status, ff, _, resolved := incidentColumns(inc)
	var seq int64
	err = tx.QueryRowContext(ctx, `UPDATE incidents SET kind = ?, status = ?, first_failure_at = ?, resolved_at = ?, body = ?
		WHERE id = ? RETURNING seq`, kind, status, ff, resolved, body, inc.GetId()).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("incident %q: %w", inc.GetId(), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("update incident %q: %w", inc.GetId(), err)
	}
	for _, ev := range events {
		if err := insertEvent(ctx, tx, seq, ev); err != nil {
			return fmt.Errorf("incident %q: %w", inc.GetId(), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit incident %q: %w", inc.GetId(), err)
	}
	return nil
}

func insertEvent(ctx context.Context, tx *sql.Tx, seq int64, ev *vigilv1.TimelineEvent) error {
	b, err := proto.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode timeline event: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_events (incident_seq, body) VALUES (?, ?)`, seq, b); err != nil {
		return fmt.Errorf("insert timeline event: %w", err)
	}
	return nil
}

// IncidentQuery filters ListIncidents.
type IncidentQuery struct {
	CheckID  string // empty: every check
	OpenOnly bool
	Limit    int // <= 0: 100
}

// ListIncidents returns incidents, newest first, without timelines.
func (s *Store) ListIncidents(ctx context.Context, q IncidentQuery) ([]*vigilv1.Incident, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	query := `SELECT body FROM incidents WHERE (? = '' OR check_id = ?) AND (? = 0 OR status != ?) ORDER BY seq DESC LIMIT ?`
	rows, err := s.r.QueryContext(ctx, query, q.CheckID, q.CheckID, q.OpenOnly, int64(vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED), q.Limit)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var out []*vigilv1.Incident
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		inc := &vigilv1.Incident{}
		if err := proto.Unmarshal(b, inc); err != nil {
			return nil, fmt.Errorf("decode incident: %w", err)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// GetIncident returns one incident with its timeline, or ErrNotFound.
func (s *Store) GetIncident(ctx context.Context, id string) (*vigilv1.Incident, error) {
	var seq int64
	var b []byte
	err := s.r.QueryRowContext(ctx, `SELECT seq, body FROM incidents WHERE id = ?`, id).Scan(&seq, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("incident %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get incident %q: %w", id, err)
	}
	inc := &vigilv1.Incident{}
	if err := proto.Unmarshal(b, inc); err != nil {
		return nil, fmt.Errorf("decode incident %q: %w", id, err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT body FROM incident_events WHERE incident_seq = ? ORDER BY n`, seq)
	if err != nil {
		return nil, fmt.Errorf("incident %q timeline: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var eb []byte
		if err := rows.Scan(&eb); err != nil {
			return nil, fmt.Errorf("incident %q timeline: %w", id, err)
		}
		ev := &vigilv1.TimelineEvent{}
		if err := proto.Unmarshal(eb, ev); err != nil {
			return nil, fmt.Errorf("decode incident %q timeline: %w", id, err)
		}
		inc.Timeline = append(inc.Timeline, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident %q timeline: %w", id, err)
	}
	return inc, nil
}

// PutMaintenanceWindow stores (or replaces) a window created through the API.
func (s *Store) PutMaintenanceWindow(ctx context.Context, w *vigilv1.MaintenanceWindow) error {
	b, err := proto.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode window %q: %w", w.GetId(), err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO maintenance_windows (id, body) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET body = excluded.body`, w.GetId(), b); err != nil {
		return fmt.Errorf("store window %q: %w", w.GetId(), err)
	}
	return nil
}

// DeleteMaintenanceWindow removes a stored window, or returns ErrNotFound.
func (s *Store) DeleteMaintenanceWindow(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM maintenance_windows WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete window %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete window %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("window %q: %w", id, ErrNotFound)
	}
	return nil
}

// MaintenanceWindows returns the stored windows, sorted by id.
func (s *Store) MaintenanceWindows(ctx context.Context) ([]*vigilv1.MaintenanceWindow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT body FROM maintenance_windows ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list windows: %w", err)
	}
	defer rows.Close()
	var out []*vigilv1.MaintenanceWindow
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("list windows: %w", err)
		}
		w := &vigilv1.MaintenanceWindow{}
		if err := proto.Unmarshal(b, w); err != nil {
			return nil, fmt.Errorf("decode window: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list windows: %w", err)
	}
	return out, nil
}

// DeadLetter is a notification given up on.
type DeadLetter struct {
	At         time.Time
	Channel    string
	IncidentID string
	Message    []byte // JSON
	Error      string
}

// AddDeadLetter records a notification given up on.
func (s *Store) AddDeadLetter(ctx context.Context, d DeadLetter) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO dead_letters (at, channel, incident_id, message, error) VALUES (?, ?, ?, ?, ?)`,
		d.At.UnixMicro(), d.Channel, d.IncidentID, d.Message, d.Error); err != nil {
		return fmt.Errorf("store dead letter for %s: %w", d.Channel, err)
	}
	return nil
}

// DeadLetters returns the recorded dead letters, oldest first.
func (s *Store) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, channel, incident_id, message, error FROM dead_letters ORDER BY n`)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		var d DeadLetter
		var at int64
		if err := rows.Scan(&at, &d.Channel, &d.IncidentID, &d.Message, &d.Error); err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		d.At = time.UnixMicro(at)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}
