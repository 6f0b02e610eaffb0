package gossip

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"
)

// delegate receives memberlist's callbacks. They run on memberlist's
// goroutines, several of them with memberlist's node lock held, so they
// only record into the table (a short mutex) and signal subscribers
// without blocking; they never call back into memberlist.
type delegate struct{ g *Gossip }

var (
	_ memberlist.Delegate         = (*delegate)(nil)
	_ memberlist.EventDelegate    = (*delegate)(nil)
	_ memberlist.AliveDelegate    = (*delegate)(nil)
	_ memberlist.ConflictDelegate = (*delegate)(nil)
)

// NodeMeta returns the current encoded metadata. It was validated against
// MaxMetaSize when set.
func (d *delegate) NodeMeta(limit int) []byte {
	b := d.g.currentMeta()
	if len(b) > limit {
		// Unreachable: memberlist would panic on it.
		return nil
	}
	return b
}

// userMsg is the only user message: a member announcing, over TCP to
// each live member, that it is about to leave (see Gossip.Leave).
type userMsg struct {
	Kind string `json:"k"`
	Name string `json:"n"`
	Addr string `json:"a"`
}

const kindLeave = "leave"

// maxUserMsg bounds the user messages we decode.
const maxUserMsg = 4 << 10

// NotifyMsg receives user messages (a copy we may keep).
func (d *delegate) NotifyMsg(b []byte) {
	if len(b) > maxUserMsg {
		return
	}
	var m userMsg
	if err := json.Unmarshal(b, &m); err != nil || m.Kind != kindLeave {
		d.g.log.Debug("ignoring user message", "len", len(b), "err", err)
		return
	}
	if d.g.table.markLeaving(m.Name, m.Addr) {
		d.g.log.Debug("member announced leave", "member", m.Name, "addr", m.Addr)
	}
}

// GetBroadcasts has nothing to piggyback.
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }

// leftEntry is a member that left, as exchanged in push/pull state.
type leftEntry struct {
	Name string `json:"n"`
	Addr string `json:"a"`
}

// maxRemoteState bounds the push/pull user state we decode.
const maxRemoteState = 64 << 10

// LocalState lists the members that left recently. A peer that missed a
// leaver's announcement (it was unreachable then, and took the leaver's
// dead message for a failure) corrects "dead" to "left" from it at the
// next push/pull.
func (d *delegate) LocalState(join bool) []byte {
	now := time.Now()
	var left []leftEntry
	for _, m := range d.g.table.snapshot(func(m *Member) bool {
		return m.State == StateLeft && now.Sub(m.Since) < d.g.tm.leftListed
	}) {
		left = append(left, leftEntry{Name: m.Name, Addr: m.Addr})
	}
	if len(left) == 0 {
		return nil
	}
	b, err := json.Marshal(left)
	if err != nil || len(b) > maxRemoteState {
		return nil
	}
	return b
}

// MergeRemoteState applies a peer's LocalState. It runs after memberlist
// merged the peer's node states.
func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	if len(buf) == 0 || len(buf) > maxRemoteState {
		return
	}
	var left []leftEntry
	if err := json.Unmarshal(buf, &left); err != nil {
		d.g.log.Debug("ignoring peer state", "err", err)
		return
	}
	for _, e := range left {
		if d.g.table.markLeft(e.Name, e.Addr) {
			d.g.log.Info("member left", "member", e.Name, "addr", e.Addr, "via", "push/pull")
		}
	}
}

// NotifyJoin is called when a member becomes alive (first seen, or back
// from dead or left).
func (d *delegate) NotifyJoin(n *memberlist.Node) { d.alive(n, "joined") }

// NotifyUpdate is called when an alive member's metadata changes.
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.alive(n, "") }

func (d *delegate) alive(n *memberlist.Node, event string) {
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		d.g.log.Warn("member metadata unreadable", "member", n.Name, "err", err)
	}
	addr := n.Address()
	if d.g.table.alive(time.Now(), n.Name, addr, meta, err == nil) && event != "" {
		d.g.log.Info("member "+event, "member", n.Name, "addr", addr, "role", meta.Role, "region", meta.Region)
	}
}

// NotifyLeave is called when a member is declared dead or leaves. The
// *Node's State is not set by memberlist v0.7.0 (TestMemberlistLeaveStateIsUnset),
// so a graceful leave is recognised by the member's announcement (see
// Leave) or, for ourselves, by our own leaving flag.
func (d *delegate) NotifyLeave(n *memberlist.Node) {
	leaving := n.Name == d.g.cfg.NodeName && d.g.leaving.Load()
	addr := n.Address()
	st := d.g.table.gone(time.Now(), n.Name, addr, leaving)
	if st == StateDead {
		d.g.log.Warn("member dead", "member", n.Name, "addr", addr)
	} else {
		d.g.log.Info("member left", "member", n.Name, "addr", addr)
	}
}

// NotifyAlive admits only members whose metadata decodes, so a foreign
// memberlist cluster that shares our label (or none) cannot join.
func (d *delegate) NotifyAlive(n *memberlist.Node) error {
	if _, err := decodeMeta(n.Meta); err != nil {
		return fmt.Errorf("not a vigil member: %w", err)
	}
	return nil
}

// NotifyConflict is called when another address claims a live member's
// name: two processes configured with one name, or a restart at a new
// address before the old one has been dead for DeadNodeReclaimTime.
func (d *delegate) NotifyConflict(existing, other *memberlist.Node) {
	d.g.log.Warn("member name conflict", "member", existing.Name, "addr", existing.Address(), "other_addr", other.Address())
}
