// Package ownership decides which checks of its assignment a probe runs.
//
// Within a region, a check is run by the top max(1, probes_per_region)
// probes, by rendezvous hashing of the check id over the probe ids of the
// region's candidate probes that have the check's capability. Every probe
// computes the same answer from its own gossip view; no coordinator is
// involved (docs/adr/0005-check-ownership.md).
//
// Views of membership differ for a short while after every change, so
// membership changes take effect only after they have settled, and
// asymmetrically, so that a disagreement leads to a skipped slot rather
// than a slot run twice:
//
//   - A member seen joining (or returning) becomes a candidate Settle/2
//     after this probe saw it; this probe itself becomes a candidate Settle
//     after it joined the mesh (or came back from isolation). Everyone
//     yields to a newcomer before the newcomer starts.
//   - A member seen dead stays a candidate for FlapWindow: its checks move
//     only if it is still dead then (RELIABILITY-NOTES: never move checks on
//     a single dead event). One that comes back within the window keeps its
//     candidacy as if it had never left. A member that left gracefully
//     stops being a candidate at once: it stopped running before leaving.
//   - A probe that loses every other member of the mesh (its own network
//     is cut, or it was paused) is isolated: it keeps running exactly the
//     checks it owned before, rather than taking over the whole region.
//
// Tracker is not safe for concurrent use; the probe calls it from one
// goroutine.
package ownership

import (
	"slices"
	"time"

	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/internal/rendezvous"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Config configures a Tracker.
type Config struct {
	// Self is the local member's gossip node name.
	Self string
	// ProbeID is the local probe's id (its rendezvous name).
	ProbeID string
	// Region is the local probe's region.
	Region string
	// Settle is how long a membership change must last before checks move.
	// Required (gossip.Preset.Settle gives one per preset).
	Settle time.Duration
	// FlapWindow is how long a dead member stays a candidate; 0 means
	// Settle.
	FlapWindow time.Duration
}

// Tracker remembers what it needs across membership snapshots.
type Tracker struct {
	cfg Config

	selfFrom time.Time // when the local probe becomes a candidate
	hadPeers bool
	isolated bool
	frozen   map[string]bool // checks owned when last connected
	members  map[string]*record
}

// record is what the tracker knows of another member.
type record struct {
	alive    bool
	since    time.Time // the member's gossip Since for its current state
	candFrom time.Time // when it is a candidate from (alive)
	candTo   time.Time // until when it stays one (dead); zero: not one
}

// New returns a tracker for a probe that starts now: it owns nothing
// until Settle has passed, so that the probes already running see it first.
func New(cfg Config, now time.Time) *Tracker {
	if cfg.FlapWindow <= 0 {
		cfg.FlapWindow = cfg.Settle
	}
	return &Tracker{cfg: cfg, selfFrom: now.Add(cfg.Settle), frozen: map[string]bool{}, members: map[string]*record{}}
}

// Isolated reports whether the last Owned call found no other live member.
func (t *Tracker) Isolated() bool { return t.isolated }

// Owned returns the checks, of those assigned, that the local probe runs at
// now, given the gossip members, and the next time the answer may change
// with no new snapshot (zero: none).
func (t *Tracker) Owned(now time.Time, assigned []*vigilv1.Check, members []gossip.Member) ([]*vigilv1.Check, time.Time) {
	peers := 0
	for _, m := range members {
		if m.Name != t.cfg.Self && live(m.State) {
			peers++
		}
	}
	switch {
	case peers == 0 && t.hadPeers:
		t.isolated = true
		var out []*vigilv1.Check
		for _, c := range assigned {
			if t.frozen[c.GetId()] {
				out = append(out, c)
			}
		}
		return out, time.Time{}
	case peers > 0 && t.isolated:
		// Back from isolation: the others may have taken our checks;
		// start again as a newcomer.
		t.isolated = false
		t.selfFrom = now.Add(t.cfg.Settle)
	}
	t.hadPeers = t.hadPeers || peers > 0

	var next time.Time
	soon := func(at time.Time) {
		if at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	byCap := map[string][]string{}
	seen := map[string]bool{}
	for _, m := range members {
		if m.Meta.Role != gossip.RoleProbe || m.Meta.Region != t.cfg.Region {
			continue
		}
		seen[m.Name] = true
		if !t.candidate(now, m, soon) {
			continue
		}
		id := m.Meta.ProbeID
		if id == "" {
			id = m.Name
		}
		for _, c := range m.Meta.Capabilities {
			byCap[c] = append(byCap[c], id)
		}
	}
	for name := range t.members {
		if !seen[name] {
			delete(t.members, name)
		}
	}

	out := make([]*vigilv1.Check, 0, len(assigned))
	owned := make(map[string]bool, len(assigned))
	for _, c := range assigned {
		n := max(1, int(c.GetProbesPerRegion()))
		if slices.Contains(rendezvous.Owners(c.GetId(), byCap[c.GetType().Capability()], n), t.cfg.ProbeID) {
			out = append(out, c)
			owned[c.GetId()] = true
		}
	}
	t.frozen = owned
	return out, next
}

// candidate reports whether m counts for ownership at now, updating what
// the tracker remembers of it; soon is told when that may change.
func (t *Tracker) candidate(now time.Time, m gossip.Member, soon func(time.Time)) bool {
	if m.Name == t.cfg.Self {
		soon(t.selfFrom)
		return !now.Before(t.selfFrom)
	}
	r := t.members[m.Name]
	switch {
	case live(m.State):
		if r == nil || !r.alive || !r.since.Equal(m.Since) {
			from := m.Since.Add(t.cfg.Settle / 2)
			if r != nil && !r.alive && !r.candTo.IsZero() && m.Since.Before(r.candTo) {
				// Back within the flap window: it never stopped.
				from = r.candFrom
			}
			r = &record{alive: true, since: m.Since, candFrom: from}
			t.members[m.Name] = r
		}
		soon(r.candFrom)
		return !now.Before(r.candFrom)
	case m.State == gossip.StateDead:
		if r == nil || r.alive || !r.since.Equal(m.Since) {
			nr := &record{since: m.Since}
			if r != nil && r.alive && !m.Since.Before(r.candFrom) {
				// It was a candidate when it died: it stays one while
				// the death may be a flap.
				nr.candFrom, nr.candTo = r.candFrom, m.Since.Add(t.cfg.FlapWindow)
			}
			r = nr
			t.members[m.Name] = r
		}
		soon(r.candTo)
		return now.Before(r.candTo)
	default: // left: it stopped its checks before leaving
		t.members[m.Name] = &record{since: m.Since}
		return false
	}
}

func live(s gossip.State) bool { return s == gossip.StateAlive || s == gossip.StateSuspect }
