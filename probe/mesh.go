package probe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/probe/internal/ownership"
	"github.com/vigilhq/vigil/probe/internal/scheduler"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// leaveTimeout bounds the graceful leave on shutdown, whatever the preset:
// a probe told to stop must stop.
const leaveTimeout = 5 * time.Second

// mesh is a probe's membership in the gossip mesh: it feeds the scheduler
// the checks the probe owns, keeps the region's assignment for guest runs,
// and finds coordinators.
type mesh struct {
	g     *gossip.Gossip
	sched *scheduler.Scheduler
	log   *slog.Logger
	tr    *ownership.Tracker

	wake chan struct{} // capacity 1: the assignment changed

	mu       sync.Mutex
	assigned []*vigilv1.Check
	owned    int

	rrMu sync.Mutex
	rr   int // round robin over coordinators
}

// joinMesh starts the probe's gossip member.
func joinMesh(ctx context.Context, cfg Config, caps []string, capacity int, sched *scheduler.Scheduler, log *slog.Logger) (*mesh, error) {
	gc := *cfg.Gossip
	if gc.NodeName == "" {
		gc.NodeName = cfg.ID
	}
	gc.Meta = gossip.Meta{
		ProbeID: cfg.ID, Role: gossip.RoleProbe, Region: cfg.Region, Version: cfg.Version,
		Capacity: capacity, Capabilities: caps,
	}
	if gc.Logger == nil {
		gc.Logger = log
	}
	g, err := gossip.New(ctx, gc)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	settle := cfg.Settle
	if settle <= 0 {
		settle = gc.Preset.Settle()
	}
	return &mesh{
		g:     g,
		sched: sched,
		log:   log.With("subsystem", "ownership"),
		tr:    ownership.New(ownership.Config{Self: gc.NodeName, ProbeID: cfg.ID, Region: cfg.Region, Settle: settle}, time.Now()),
		wake:  make(chan struct{}, 1),
	}, nil
}

// setAssignment records the coordinator's latest assignment (every check
// of the region the probe can run); run recomputes what it owns.
func (m *mesh) setAssignment(checks []*vigilv1.Check) {
	m.mu.Lock()
	m.assigned = checks
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// assignedCheck returns the check with id checkID in the latest
// assignment, owned or not.
func (m *mesh) assignedCheck(checkID string) (*vigilv1.Check, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.assigned {
		if c.GetId() == checkID {
			return c, true
		}
	}
	return nil, false
}

// run recomputes the owned checks on every membership or assignment change,
// and when a pending change settles, until ctx is done. The assignment is
// kept across coordinator outages, so owned checks keep running.
func (m *mesh) run(ctx context.Context) {
	changes, unsubscribe := m.g.Subscribe()
	defer unsubscribe()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		m.mu.Lock()
		assigned := m.assigned
		m.mu.Unlock()
		owned, next := m.tr.Owned(time.Now(), assigned, m.g.Members())
		m.sched.Set(owned)
		m.mu.Lock()
		if len(owned) != m.owned {
			m.log.Info("owned checks", "owned", len(owned), "assigned", len(assigned), "isolated", m.tr.Isolated())
		}
		m.owned = len(owned)
		m.mu.Unlock()

		timer.Stop()
		var tick <-chan time.Time
		if !next.IsZero() {
			timer.Reset(time.Until(next))
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
		case <-m.wake:
		case <-tick:
		}
	}
}

// resolver returns the uplink's resolver: round robin over the live
// coordinators' advertised gRPC addresses, so that each new session after
// a failed one tries the next coordinator. Nil for a nil mesh.
func (m *mesh) resolver() func() (string, error) {
	if m == nil {
		return nil
	}
	return func() (string, error) {
		var addrs []string
		for _, c := range m.g.Live(gossip.RoleCoordinator, "") {
			if c.Meta.API != "" {
				addrs = append(addrs, c.Meta.API)
			}
		}
		if len(addrs) == 0 {
			return "", errors.New("no live coordinator in the gossip mesh")
		}
		slices.Sort(addrs)
		m.rrMu.Lock()
		defer m.rrMu.Unlock()
		a := addrs[m.rr%len(addrs)]
		m.rr++
		return a, nil
	}
}

// leave leaves the mesh gracefully, bounded: peers see "left" and take the
// probe's checks at once. The scheduler has stopped by then.
func (m *mesh) leave(ctx context.Context) {
	if errors.Is(context.Cause(ctx), ErrKilled) {
		// A simulated kill -9: go silent, so the peers find the probe
		// dead through failure detection, as they would a crash.
		if err := m.g.Shutdown(); err != nil {
			m.log.Warn("stop gossip", "err", err)
		}
		return
	}
	if err := m.g.Leave(leaveTimeout); err != nil {
		m.log.Warn("leave the mesh", "err", err)
	}
}
