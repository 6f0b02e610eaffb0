// Package probes tracks the probes connected to this coordinator and assigns
// checks to them: in each region, a check goes to the connected probe with
// the check's capability that wins rendezvous hashing.
package probes

import (
	"cmp"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/internal/rendezvous"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// ErrReplaced closes a stream when the same probe opens a newer one.
var ErrReplaced = errors.New("replaced by a newer session of the same probe")

// errEnded refuses a Conn that ended before it could attach.
var errEnded = errors.New("stream ended before it attached")

// Retention of disconnected probes, so ListProbes shows recent departures.
const (
	keepDisconnected    = 15 * time.Minute
	maxDisconnectedKept = 1000
)

// Conn is a probe's open stream, as the registry drives it.
type Conn interface {
	// Send queues m for the probe. It must not block: a stream that cannot
	// keep up must close itself.
	Send(m *vigilv1.ConnectResponse)
	// Close ends the stream with err. It must not block.
	Close(err error)
	// Done is closed once the stream has ended.
	Done() <-chan struct{}
}

// Registry is safe for concurrent use. It calls Conn methods with its lock
// held, which is why they must not block.
type Registry struct {
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	closed error
	checks []*vigilv1.Check
	probes map[string]*probe // connected, and disconnected within keepDisconnected
	plan   plan
	// members is the gossip view, nil when not in a mesh (SetMembers).
	members func() []gossip.Member
}

type probe struct {
	hello       *vigilv1.Hello
	conn        Conn // nil once disconnected
	sentVersion string
	assigned    int
	heartbeat   *vigilv1.Heartbeat

	connectedAt, disconnectedAt, lastResultAt, lastHeartbeatAt time.Time
}

// NewRegistry returns a registry assigning checks. The checks are shared and
// never modified.
func NewRegistry(checks []*vigilv1.Check, log *slog.Logger) *Registry {
	return &Registry{log: log, now: time.Now, checks: checks, probes: make(map[string]*probe)}
}

// Attach registers conn as the session of the probe that said hello, closes
// the probe's previous session with ErrReplaced, and sends the probe its
// assignment (always, even when empty) and every probe whose set changed its
// new one. It fails after Close or when conn has already ended.
func (r *Registry) Attach(hello *vigilv1.Hello, conn Conn) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed != nil {
		return r.closed
	}
	select {
	case <-conn.Done():
		return errEnded
	default:
	}
	p := &probe{hello: hello, conn: conn, connectedAt: r.now()}
	if old := r.probes[hello.GetProbeId()]; old != nil {
		if old.conn != nil {
			r.log.Info("probe reconnected; closing its previous session", "probe", hello.GetProbeId())
			old.conn.Close(ErrReplaced)
		}
		p.lastResultAt = old.lastResultAt
	}
	r.probes[hello.GetProbeId()] = p
	r.log.Info("probe connected", "probe", hello.GetProbeId(), "region", hello.GetRegion(),
		"version", hello.GetVersion(), "capabilities", hello.GetCapabilities())
	r.reassign()
	return nil
}

// Detach marks the probe disconnected if conn is still its session, and
// moves its checks to its peers.
func (r *Registry) Detach(probeID string, conn Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.probes[probeID]
	if p == nil || p.conn != conn {
		return
	}
	p.conn = nil
	p.disconnectedAt = r.now()
	p.assigned = 0
	r.log.Info("probe disconnected", "probe", probeID, "region", p.hello.GetRegion())
	r.prune()
	r.reassign()
}

// Heartbeat records a heartbeat from conn's probe.
func (r *Registry) Heartbeat(probeID string, conn Conn, hb *vigilv1.Heartbeat) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.probes[probeID]; p != nil && p.conn == conn {
		p.lastHeartbeatAt = r.now()
		p.heartbeat = hb
	}
}

// ResultsStored records that results from the probe were committed.
func (r *Registry) ResultsStored(probeID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.probes[probeID]; p != nil {
		p.lastResultAt = r.now()
	}
}

// SetChecks replaces the checks and sends changed assignments.
func (r *Registry) SetChecks(checks []*vigilv1.Check) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = checks
	r.reassign()
}

// RunNow sends a run-now request for check to its owner in each of the
// check's regions that has one, and returns the ids of the probes asked.
func (r *Registry) RunNow(check *vigilv1.Check, reason string) []string {
	return r.RunNowIn(check, check.GetRegions(), reason)
}

// RunNowIn is RunNow for the given regions only. It never blocks: a
// request goes into the probe's bounded send queue.
func (r *Registry) RunNowIn(check *vigilv1.Check, regions []string, reason string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var asked []string
	for _, region := range regions {
		id := r.plan.owners[regionKey{check.GetId(), region}]
		p := r.probes[id]
		if p == nil || p.conn == nil || slices.Contains(asked, id) {
			continue
		}
		p.conn.Send(&vigilv1.ConnectResponse{Msg: &vigilv1.ConnectResponse_RunNow{
			RunNow: &vigilv1.RunNow{CheckId: check.GetId(), Reason: reason}}})
		asked = append(asked, id)
	}
	return asked
}

// RunNowOther sends a run-now request for check to one connected probe of
// region other than notProbe that can run it (region in the check's
// regions, the check's capability: the probes whose assignment holds the
// check), and returns its id. It prefers the probe that rendezvous hashing
// ranks first once notProbe is left out: the runner-up when notProbe owns
// the check, which is also the probe that takes the check over if notProbe
// dies. ok is false, and nothing is sent, when there is no such probe. A
// probe that does not own the check runs it once as a guest (see
// probe.Config.Gossip). It never blocks.
func (r *Registry) RunNowOther(check *vigilv1.Check, region, notProbe, reason string) (probeID string, ok bool) {
	if !slices.Contains(check.GetRegions(), region) {
		return "", false
	}
	capability := check.GetType().Capability()
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id, p := range r.probes {
		if p.conn != nil && id != notProbe && p.hello.GetRegion() == region &&
			slices.Contains(p.hello.GetCapabilities(), capability) {
			ids = append(ids, id)
		}
	}
	id := rendezvous.Owner(check.GetId(), ids)
	if id == "" {
		return "", false
	}
	r.probes[id].conn.Send(&vigilv1.ConnectResponse{Msg: &vigilv1.ConnectResponse_RunNow{
		RunNow: &vigilv1.RunNow{CheckId: check.GetId(), Reason: reason}}})
	return id, true
}

// Owner returns the probe that owns checkID in region, or "".
func (r *Registry) Owner(checkID, region string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.plan.owners[regionKey{checkID, region}]
}

// Probes describes connected and recently disconnected probes, and, with a
// gossip view, the probes of the mesh with their gossip state and warnings
// where gossip and the stream disagree; sorted by region, then id.
func (r *Registry) Probes() []*vigilv1.ProbeInfo {
	r.mu.Lock()
	infos, members := r.streamProbes(), r.members
	r.mu.Unlock()
	if members == nil {
		return infos
	}
	return merge(infos, members())
}

// streamProbes is Probes without gossip. Called with r.mu held.
func (r *Registry) streamProbes() []*vigilv1.ProbeInfo {
	r.prune()
	out := make([]*vigilv1.ProbeInfo, 0, len(r.probes))
	for _, p := range r.probes {
		out = append(out, &vigilv1.ProbeInfo{
			ProbeId:         p.hello.GetProbeId(),
			Region:          p.hello.GetRegion(),
			Version:         p.hello.GetVersion(),
			Capabilities:    p.hello.GetCapabilities(),
			Connected:       p.conn != nil,
			ConnectedAt:     timestamp(p.connectedAt),
			LastResultAt:    timestamp(p.lastResultAt),
			LastHeartbeatAt: timestamp(p.lastHeartbeatAt),
			AssignedChecks:  uint32(p.assigned),
		})
	}
	slices.SortFunc(out, func(a, b *vigilv1.ProbeInfo) int {
		return cmp.Or(cmp.Compare(a.GetRegion(), b.GetRegion()), cmp.Compare(a.GetProbeId(), b.GetProbeId()))
	})
	return out
}

// Close closes every session with err and refuses new ones with err.
func (r *Registry) Close(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed != nil {
		return
	}
	r.closed = err
	for _, p := range r.probes {
		if p.conn != nil {
			p.conn.Close(err)
		}
	}
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// reassign recomputes the plan and sends each connected probe whose set of
// checks changed its new assignment. Called with r.mu held.
func (r *Registry) reassign() {
	var members []member
	for id, p := range r.probes {
		if p.conn != nil {
			members = append(members, member{id: id, region: p.hello.GetRegion(), capabilities: p.hello.GetCapabilities()})
		}
	}
	r.plan = assign(r.checks, members)
	for id, p := range r.probes {
		if p.conn == nil {
			continue
		}
		checks := r.plan.perProbe[id]
		v := Version(checks)
		if v == p.sentVersion {
			continue
		}
		p.conn.Send(&vigilv1.ConnectResponse{Msg: &vigilv1.ConnectResponse_Assignment{
			Assignment: &vigilv1.Assignment{Checks: checks, Version: v}}})
		p.sentVersion, p.assigned = v, len(checks)
		r.log.Debug("assignment sent", "probe", id, "checks", len(checks), "version", v)
	}
}

// prune forgets probes disconnected longer than keepDisconnected, and the
// oldest beyond maxDisconnectedKept. Called with r.mu held.
func (r *Registry) prune() {
	cutoff := r.now().Add(-keepDisconnected)
	var gone []*probe
	for id, p := range r.probes {
		if p.conn != nil {
			continue
		}
		if p.disconnectedAt.Before(cutoff) {
			delete(r.probes, id)
			continue
		}
		gone = append(gone, p)
	}
	if len(gone) <= maxDisconnectedKept {
		return
	}
	slices.SortFunc(gone, func(a, b *probe) int { return a.disconnectedAt.Compare(b.disconnectedAt) })
	for _, p := range gone[:len(gone)-maxDisconnectedKept] {
		delete(r.probes, p.hello.GetProbeId())
	}
}
