// Package incident turns the quorum engine's decisions into incidents:
// it opens them (on down, on degraded held longer than degraded_after, and
// as "monitoring impaired" on unknown), keeps their timelines, notifies the
// check's routes with reminders and escalation, honours maintenance windows,
// marks flapping checks, and resolves incidents after recover_after passing
// rounds in a quorum of regions.
//
// The Manager holds no goroutines: its callers pass results, decisions and
// the time in (Observe, Decide, Tick), which makes it testable with a fake
// clock. Every change is written to the store before the call returns.
package incident

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator/internal/maintenance"
	"github.com/vigilhq/vigil/coordinator/internal/notify"
	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	"github.com/vigilhq/vigil/coordinator/internal/store"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Sender queues a notification for delivery on a channel; it must not block
// (notify.Dispatcher.Send).
type Sender interface {
	Send(channel string, m notify.Message) error
}

// StatusFunc returns the quorum engine's current view of a check.
type StatusFunc func(checkID string, now time.Time) (quorum.CheckStatus, bool)

// Config configures a Manager.
type Config struct {
	// Store persists incidents, timelines and maintenance windows.
	Store *store.Store
	// Sender delivers notifications; nil records incidents and sends nothing.
	Sender Sender
	// Status gives the quorum of a check for counting recovery rounds.
	Status StatusFunc
	// Checks are the loaded checks, with Alerting filled in by the check file.
	Checks []*vigilv1.Check
	// Maintenance are the check file's windows; windows created through the
	// API are loaded from the store.
	Maintenance []*vigilv1.MaintenanceWindow
	// Logger receives state changes; nil discards.
	Logger *slog.Logger
}

// Errors returned by the API-facing methods.
var (
	ErrNotFound = store.ErrNotFound
	// ErrResolved: the incident is already resolved.
	ErrResolved = errors.New("incident already resolved")
	// ErrInvalid: bad input, such as an empty note or an invalid window.
	ErrInvalid = errors.New("invalid")
)

// maxPending caps the timeline events kept for a check before an incident
// opens: a check that fails in one region for hours must not grow memory.
const maxPending = 32

// Manager owns incidents. It is safe for concurrent use.
type Manager struct {
	st     *store.Store
	send   Sender
	status StatusFunc
	log    *slog.Logger

	mu       sync.Mutex
	checks   map[string]*vigilv1.Check
	byCheck  map[string]*checkState
	byID     map[string]*open // open incidents, and resolved ones with notifications in flight
	fileWins []*vigilv1.MaintenanceWindow
	apiWins  []*vigilv1.MaintenanceWindow
	wins     *maintenance.Set
}

// checkState is what the manager remembers of one check.
type checkState struct {
	state quorum.State
	since time.Time // when state was entered
	// changes are the times of recent state changes, for flapping.
	changes  []time.Time
	flapping bool
	// flapNotified: this flapping episode already sent its one notification.
	flapNotified bool
	// firstFailure is when the first failing result since the check was
	// last up ran; zero when none.
	firstFailure time.Time
	// pending holds first failure and confirmations before an incident opens.
	pending []*vigilv1.TimelineEvent
	// failed is each region's latest failing result's evidence.
	failed map[string]*vigilv1.RegionFailure
	// logged counts the failure events each region put into the open
	// outage's timeline since it last passed.
	logged map[string]int

	outage   *open
	impaired *open

	// Recovery: passing regions per round while an outage is open.
	passes     map[int64]map[string]bool
	passRounds int
	lastRound  int64
}

// open is an incident the manager still acts on.
type open struct {
	inc *vigilv1.Incident
	// route is the highest route notified (-1: none yet); routeAt when.
	route   int
	routeAt time.Time
	// remindAt is when the last reminder (or the first page) went out.
	remindAt time.Time
	// notified are the channels that were sent something, for acknowledge
	// and resolve.
	notified []string
	// suppressed: opened in a maintenance window and not paged yet.
	suppressed bool
	// inFlight counts queued notifications, so a resolved incident is
	// forgotten only when their outcomes are recorded.
	inFlight int
}

// New returns a Manager and loads the incidents left open and the
// maintenance windows from the store.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		st: cfg.Store, send: cfg.Sender, status: cfg.Status, log: log,
		byCheck: map[string]*checkState{}, byID: map[string]*open{},
		fileWins: cfg.Maintenance,
	}
	m.setChecks(cfg.Checks)
	wins, err := cfg.Store.MaintenanceWindows(ctx)
	if err != nil {
		return nil, fmt.Errorf("load maintenance windows: %w", err)
	}
	m.apiWins = wins
	m.rebuildWindows()
	incs, err := cfg.Store.ListIncidents(ctx, store.IncidentQuery{OpenOnly: true, Limit: 10000})
	if err != nil {
		return nil, fmt.Errorf("load open incidents: %w", err)
	}
	for _, inc := range incs {
		o := &open{inc: inc, route: -1}
		if inc.GetPages() > 0 || inc.GetStatus() == vigilv1.IncidentStatus_INCIDENT_STATUS_ACKNOWLEDGED {
			// Paged before the restart: do not page again; reminders and
			// escalation go on from the first Tick (routeAt stays zero
			// until then: the caller's clock may not be time.Now).
			o.route = 0
			o.notified = m.routeChannels(inc.GetCheckId(), 0)
		} else {
			// Not paged yet: opened in a maintenance window, or the page
			// was still queued when the coordinator stopped. Tick pages it
			// once no window covers the check (at least once, never lost).
			o.suppressed = true
		}
		cs := m.checkState(inc.GetCheckId())
		if inc.GetKind() == vigilv1.IncidentKind_INCIDENT_KIND_MONITORING_IMPAIRED {
			cs.impaired = o
		} else {
			cs.outage = o
		}
		m.byID[inc.GetId()] = o
	}
	if len(incs) > 0 {
		log.Info("open incidents loaded", "count", len(incs))
	}
	return m, nil
}

// SetChecks replaces the loaded checks (a reload). Incidents of removed
// checks stay open until resolved by hand.
func (m *Manager) SetChecks(checks []*vigilv1.Check) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setChecks(checks)
}

func (m *Manager) setChecks(checks []*vigilv1.Check) {
	m.checks = make(map[string]*vigilv1.Check, len(checks))
	for _, c := range checks {
		m.checks[c.GetId()] = c
	}
}

func (m *Manager) checkState(id string) *checkState {
	cs := m.byCheck[id]
	if cs == nil {
		cs = &checkState{state: quorum.StateUnknown, failed: map[string]*vigilv1.RegionFailure{}, logged: map[string]int{}}
		m.byCheck[id] = cs
	}
	return cs
}

// Check is what the API shows of a check's incident state.
type Check struct {
	OpenIncidentID string
	InMaintenance  bool
	Flapping       bool
}

// CheckInfo returns the check's open incident, maintenance and flapping.
func (m *Manager) CheckInfo(checkID string, now time.Time) Check {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out Check
	if cs := m.byCheck[checkID]; cs != nil {
		out.Flapping = cs.flapping
		if cs.outage != nil {
			out.OpenIncidentID = cs.outage.inc.GetId()
		} else if cs.impaired != nil {
			out.OpenIncidentID = cs.impaired.inc.GetId()
		}
	}
	out.InMaintenance = len(m.wins.Active(checkID, now)) > 0
	return out
}

// alerting returns the check's alerting settings with the defaults the
// check file fills in, for checks built in code.
func (m *Manager) alerting(checkID string) *vigilv1.Alerting {
	a := m.checks[checkID].GetAlerting()
	if a == nil {
		a = &vigilv1.Alerting{}
	}
	return a
}

func (m *Manager) recoverAfter(checkID string) int {
	if n := m.alerting(checkID).GetRecoverAfter(); n > 0 {
		return int(n)
	}
	return 2
}

func (m *Manager) flapLimits(checkID string) (int, time.Duration) {
	f := m.alerting(checkID).GetFlapping()
	n, w := int(f.GetChanges()), f.GetWindow().AsDuration()
	if n <= 0 {
		n = 5
	}
	if w <= 0 {
		w = 30 * time.Minute
	}
	return n, w
}

// impairedAfter is how long a check must stay unknown before monitoring is
// reported impaired: what staleness itself takes, so a coordinator start
// (every check unknown until results arrive) raises nothing.
func (m *Manager) impairedAfter(checkID string) time.Duration {
	c := m.checks[checkID]
	d := 2*c.GetInterval().AsDuration() + c.GetTimeout().AsDuration()
	if d <= 0 {
		d = 2 * time.Minute
	}
	return d
}

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

func event(at time.Time, kind, msg string) *vigilv1.TimelineEvent {
	return &vigilv1.TimelineEvent{At: ts(at), Kind: kind, Message: msg, Actor: "vigil"}
}
