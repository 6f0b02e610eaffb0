// Package gossip is Vigil's membership layer: probes and coordinators form
// one SWIM mesh (hashicorp/memberlist) and each member learns who is
// alive, in which region, with what role and capacity.
//
// On top of memberlist it adds what memberlist leaves to its users (see
// RELIABILITY-NOTES): a membership table that remembers dead members and
// tells a graceful leave from a failure, a reconnect loop that heals
// partitions memberlist alone never heals, metadata validated against the
// 512-byte limit, coalesced change notifications, and presets whose
// timings keep a CPU-starved probe from being declared dead in small
// fleets.
package gossip

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Gossip is a running mesh member. Its methods are safe for concurrent
// use.
type Gossip struct {
	cfg       Config
	tm        timings
	log       *slog.Logger
	ml        *memberlist.Memberlist
	table     *table
	localAddr string

	metaMu    sync.Mutex
	meta      Meta
	metaBytes []byte

	// leaving is set once Leave starts; the local NotifyLeave then
	// records "left" for ourselves.
	leaving atomic.Bool

	stopMu   sync.Mutex
	stopped  bool
	stopLoop context.CancelFunc
	loopDone chan struct{}
	// reconnect loop counters, for tests
	reconnectTries, reconnects atomic.Int64
}

// New starts a member: it creates the memberlist, joins the seeds and
// starts the reconnect loop. A failed initial join is logged, not
// returned: the reconnect loop keeps trying the seeds. ctx owns the
// reconnect loop only; stop the member with Leave or Shutdown.
func New(ctx context.Context, cfg Config) (*Gossip, error) {
	mc, tm, err := cfg.validate()
	if err != nil {
		return nil, fmt.Errorf("gossip config: %w", err)
	}
	metaBytes, err := encodeMeta(cfg.Meta)
	if err != nil {
		return nil, fmt.Errorf("gossip config: %w", err)
	}
	g := &Gossip{
		cfg:       cfg,
		tm:        tm,
		log:       cfg.Logger.With("component", "gossip", "node", cfg.NodeName),
		table:     newTable(cfg.NodeName),
		meta:      cfg.Meta,
		metaBytes: metaBytes,
		loopDone:  make(chan struct{}),
	}
	d := &delegate{g: g}
	mc.Delegate, mc.Events, mc.Alive, mc.Conflict = d, d, d, d
	mc.Logger = newMemberlistLogger(g.log)

	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("create memberlist: %w", err)
	}
	g.ml = ml
	g.localAddr = ml.LocalNode().Address() // read once: only UpdateNode rewrites it
	g.log.Info("gossip started", "addr", g.localAddr, "preset", string(cfg.Preset), "encrypted", len(cfg.Keys) > 0)

	if seeds := g.otherSeeds(); len(seeds) > 0 {
		if n, err := ml.Join(seeds); err != nil {
			g.log.Warn("initial join failed; the reconnect loop keeps trying", "seeds", seeds, "err", err)
		} else {
			g.log.Info("joined", "seeds", seeds, "contacted", n)
		}
	}

	loopCtx, cancel := context.WithCancel(ctx)
	g.stopLoop = cancel
	if cfg.ReconnectInterval > 0 {
		go g.reconnectLoop(loopCtx)
	} else {
		close(g.loopDone)
	}
	return g, nil
}

// Members returns every known member, the local one included, with its
// state (dead and left members are kept for ReconnectTimeout), sorted by
// name.
func (g *Gossip) Members() []Member { return g.table.snapshot(nil) }

// Live returns the alive (and suspect) members with role in region, the
// local member included; region "" matches every region. Sorted by name.
func (g *Gossip) Live(role Role, region string) []Member {
	return g.table.snapshot(func(m *Member) bool {
		return (m.State == StateAlive || m.State == StateSuspect) &&
			m.Meta.Role == role && (region == "" || m.Meta.Region == region)
	})
}

// Subscribe returns a channel that receives a value after membership
// changes (joins, deaths, leaves, metadata updates). Notifications are
// coalesced: the channel holds at most one, so a slow reader sees the
// latest state on its next Members/Live call and memberlist is never
// blocked. The channel is closed by the returned function (idempotent) or
// when the member stops.
func (g *Gossip) Subscribe() (<-chan struct{}, func()) { return g.table.subscribe() }

// LocalAddr returns the advertised gossip address, host:port.
func (g *Gossip) LocalAddr() string { return g.localAddr }

// HealthScore is memberlist's awareness score: 0 is healthy, higher means
// this member is missing its own probe deadlines (a starved CPU, a bad
// network) and has slowed its probing accordingly. Export it as a metric.
func (g *Gossip) HealthScore() int { return g.ml.GetHealthScore() }

// UpdateMeta validates m and advertises it. It waits up to the preset's
// broadcast wait for the update to be gossiped; if that passes, the
// update still spreads (with gossip and push/pull) and UpdateMeta returns
// nil.
func (g *Gossip) UpdateMeta(m Meta) error {
	b, err := encodeMeta(m)
	if err != nil {
		return err
	}
	g.stopMu.Lock()
	defer g.stopMu.Unlock()
	if g.stopped {
		return errStopped
	}
	g.setMeta(m, b)
	g.rebroadcast()
	return nil
}

var errStopped = errors.New("gossip member stopped")

// Leave announces a graceful leave, waits up to timeout (<= 0: the
// preset's broadcast wait) for it to be delivered, and shuts down. The
// others see the member as left, not dead, and do not try to reconnect to
// it. Leave is idempotent and returns nil after Shutdown.
func (g *Gossip) Leave(timeout time.Duration) error {
	g.stopMu.Lock()
	defer g.stopMu.Unlock()
	if g.stopped {
		return nil
	}
	g.stopped = true
	g.stopLoop() // stop input first
	if timeout <= 0 {
		timeout = g.tm.broadcastWait
	}
	deadline := time.Now().Add(timeout)
	g.leaving.Store(true)
	g.announceLeave(timeout / 2)
	// memberlist waits forever on a zero timeout: always pass a positive one.
	var leaveErr error
	if err := g.ml.Leave(max(time.Until(deadline), time.Millisecond)); err != nil {
		leaveErr = fmt.Errorf("leave: %w", err)
	}
	g.log.Info("left the mesh")
	return errors.Join(leaveErr, g.shutdownLocked())
}

// announceLeave tells every live member, over TCP, that we are leaving,
// and waits up to timeout for the sends. memberlist's own leave message
// does not say it was graceful to the others (see NotifyLeave), and it
// is gossiped, so it can overtake a gossiped announcement; a direct
// message sent before it cannot. Members that miss it learn "left" from
// push/pull state later (LocalState).
func (g *Gossip) announceLeave(timeout time.Duration) {
	msg, err := json.Marshal(userMsg{Kind: kindLeave, Name: g.cfg.NodeName, Addr: g.localAddr})
	if err != nil {
		return
	}
	peers := g.table.snapshot(func(m *Member) bool {
		return m.Name != g.cfg.NodeName && (m.State == StateAlive || m.State == StateSuspect)
	})
	done := make(chan error, len(peers))
	for _, p := range peers {
		node, err := mlNode(p)
		if err != nil {
			done <- err
			continue
		}
		// Each send is bounded by memberlist's TCPTimeout; a straggler
		// finishes (or fails) on its own after we stop waiting.
		go func() { done <- g.ml.SendReliable(node, msg) }()
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	failed := 0
	for range peers {
		select {
		case err := <-done:
			if err != nil {
				failed++
			}
		case <-timer.C:
			g.log.Debug("leave announcement timed out", "peers", len(peers))
			return
		}
	}
	if failed > 0 {
		g.log.Debug("leave announcement not delivered to every member", "failed", failed, "peers", len(peers))
	}
}

// mlNode builds the memberlist node to address m, from our own table
// (memberlist's *Node values are shared with its goroutines).
func mlNode(m Member) (*memberlist.Node, error) {
	host, port, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return nil, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, fmt.Errorf("member %s: address %q is not an IP", m.Name, m.Addr)
	}
	return &memberlist.Node{Name: m.Name, Addr: ip, Port: uint16(p)}, nil
}

// Shutdown stops the member without announcing it: the others declare it
// dead after the suspicion timeout. It is idempotent and waits for the
// reconnect loop to stop (at most one TCP timeout when it is mid-join).
func (g *Gossip) Shutdown() error {
	g.stopMu.Lock()
	defer g.stopMu.Unlock()
	if g.stopped {
		return nil
	}
	g.stopped = true
	g.stopLoop()
	return g.shutdownLocked()
}

func (g *Gossip) shutdownLocked() error {
	err := g.ml.Shutdown()
	<-g.loopDone
	g.table.close()
	if err != nil {
		return fmt.Errorf("shutdown memberlist: %w", err)
	}
	return nil
}

func (g *Gossip) currentMeta() []byte {
	g.metaMu.Lock()
	defer g.metaMu.Unlock()
	return g.metaBytes
}

func (g *Gossip) setMeta(m Meta, b []byte) {
	g.metaMu.Lock()
	g.meta, g.metaBytes = m, b
	g.metaMu.Unlock()
}

// rebroadcast re-advertises the local node. memberlist's UpdateNode only
// fails when its wait times out, and the update keeps spreading after
// that, so a timeout is not an error for the caller.
func (g *Gossip) rebroadcast() {
	if err := g.ml.UpdateNode(g.tm.broadcastWait); err != nil {
		g.log.Debug("metadata update not yet gossiped", "err", err)
	}
}

// otherSeeds returns the configured seeds minus our own address.
func (g *Gossip) otherSeeds() []string {
	var out []string
	for _, s := range g.cfg.Join {
		if !sameAddr(s, g.localAddr) {
			out = append(out, s)
		}
	}
	return out
}

// sameAddr reports whether two host:port strings name the same endpoint
// (textually, after normalising IP literals).
func sameAddr(a, b string) bool {
	if a == b {
		return true
	}
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil {
		return false
	}
	na, errA := strconv.Atoi(pa)
	nb, errB := strconv.Atoi(pb)
	if errA != nil || errB != nil || na != nb {
		return false
	}
	ia, ib := net.ParseIP(ha), net.ParseIP(hb)
	return ia != nil && ib != nil && ia.Equal(ib)
}
