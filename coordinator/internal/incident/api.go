package incident

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/vigilhq/vigil/coordinator/internal/maintenance"
	"github.com/vigilhq/vigil/coordinator/internal/notify"
	"github.com/vigilhq/vigil/coordinator/internal/store"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// List returns incidents, newest first, without timelines.
func (m *Manager) List(ctx context.Context, q store.IncidentQuery) ([]*vigilv1.Incident, error) {
	return m.st.ListIncidents(ctx, q)
}

// Get returns an incident with its timeline.
func (m *Manager) Get(ctx context.Context, id string) (*vigilv1.Incident, error) {
	return m.st.GetIncident(ctx, id)
}

// Acknowledge marks an open incident acknowledged by by, which stops its
// reminders and escalation, and tells the channels it paged.
func (m *Manager) Acknowledge(ctx context.Context, id, by string, now time.Time) (*vigilv1.Incident, error) {
	if err := m.act(ctx, id, func(o *open) error {
		switch o.inc.GetStatus() {
		case vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED:
			return ErrResolved
		case vigilv1.IncidentStatus_INCIDENT_STATUS_ACKNOWLEDGED:
			return nil // acknowledging twice changes nothing
		}
		o.inc.Status = vigilv1.IncidentStatus_INCIDENT_STATUS_ACKNOWLEDGED
		o.inc.AcknowledgedAt, o.inc.AcknowledgedBy = ts(now), by
		ev := event(now, "acknowledged", "acknowledged by "+by)
		ev.Actor = by
		m.update(ctx, o, ev)
		m.tell(o, notify.EventAcknowledge, now)
		return nil
	}); err != nil {
		return nil, err
	}
	return m.Get(ctx, id)
}

// AddNote appends a note to an incident's timeline.
func (m *Manager) AddNote(ctx context.Context, id, by, text string, now time.Time) (*vigilv1.Incident, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, fmt.Errorf("%w: the note is empty", ErrInvalid)
	}
	if err := m.act(ctx, id, func(o *open) error {
		ev := event(now, "note", text)
		ev.Actor = by
		m.update(ctx, o, ev)
		return nil
	}); err != nil {
		return nil, err
	}
	return m.Get(ctx, id)
}

// Resolve resolves an open incident by hand.
func (m *Manager) Resolve(ctx context.Context, id, by, note string, now time.Time) (*vigilv1.Incident, error) {
	if err := m.act(ctx, id, func(o *open) error {
		if o.inc.GetStatus() == vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED {
			return ErrResolved
		}
		msg := "resolved by hand"
		if note = strings.TrimSpace(note); note != "" {
			msg += ": " + note
		}
		ev := event(now, "note", msg)
		ev.Actor = by
		m.resolve(ctx, m.byCheck[o.inc.GetCheckId()], o, now, by, ev)
		return nil
	}); err != nil {
		return nil, err
	}
	return m.Get(ctx, id)
}

// act runs f on the incident under the lock: the open one in memory, or a
// copy loaded from the store.
func (m *Manager) act(ctx context.Context, id string, f func(*open) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.byID[id]
	if o == nil {
		inc, err := m.st.GetIncident(ctx, id)
		if err != nil {
			return err
		}
		inc.Timeline = nil
		o = &open{inc: inc, route: -1}
	}
	return f(o)
}

// DeadLetter records a notification given up on. Pass it as the
// dispatcher's OnDeadLetter.
func (m *Manager) DeadLetter(channel string, msg notify.Message, err error) {
	body, jerr := json.Marshal(msg)
	if jerr != nil {
		body = []byte(fmt.Sprintf("%q", msg.Title))
	}
	if serr := m.st.AddDeadLetter(context.Background(), store.DeadLetter{
		At: time.Now(), Channel: channel, IncidentID: msg.IncidentID, Message: body, Error: err.Error(),
	}); serr != nil {
		m.log.Error("store dead letter", "channel", channel, "incident", msg.IncidentID, "err", serr)
	}
}

// Windows returns every maintenance window (the check file's and the
// API's) and the ids of those active at now.
func (m *Manager) Windows(now time.Time) (all []*vigilv1.MaintenanceWindow, active []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	all = append(append(all, m.fileWins...), m.apiWins...)
	for _, w := range all {
		if _, _, ok := maintenance.ActiveAt(w, now); ok {
			active = append(active, w.GetId())
		}
	}
	return all, active
}

// CreateWindow validates and stores a window, assigning its id.
func (m *Manager) CreateWindow(ctx context.Context, w *vigilv1.MaintenanceWindow, by string) (*vigilv1.MaintenanceWindow, error) {
	w = proto.CloneOf(w)
	if err := maintenance.Validate(w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range w.GetCheckIds() {
		if _, ok := m.checks[id]; !ok {
			return nil, fmt.Errorf("%w: check_ids: no check %q", ErrInvalid, id)
		}
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	w.Id, w.CreatedBy = "mw-"+hex.EncodeToString(b[:]), by
	if err := m.st.PutMaintenanceWindow(ctx, w); err != nil {
		return nil, err
	}
	m.apiWins = append(m.apiWins, w)
	m.rebuildWindows()
	m.log.Info("maintenance window created", "window", w.GetId(), "name", w.GetName(), "by", by)
	return w, nil
}

// DeleteWindow removes a window created through the API; the check file's
// windows change with the file.
func (m *Manager) DeleteWindow(ctx context.Context, id string) error {
	if strings.HasPrefix(id, "file:") {
		return fmt.Errorf("%w: window %q comes from the check file: remove it there", ErrInvalid, id)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.st.DeleteMaintenanceWindow(ctx, id); err != nil {
		return err
	}
	for i, w := range m.apiWins {
		if w.GetId() == id {
			m.apiWins = append(m.apiWins[:i:i], m.apiWins[i+1:]...)
			break
		}
	}
	m.rebuildWindows()
	return nil
}

// SetFileWindows replaces the check file's windows (a reload).
func (m *Manager) SetFileWindows(ws []*vigilv1.MaintenanceWindow) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fileWins = ws
	m.rebuildWindows()
}

func (m *Manager) rebuildWindows() {
	m.wins = maintenance.NewSet(append(append([]*vigilv1.MaintenanceWindow(nil), m.fileWins...), m.apiWins...))
}
