package gossip

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"
)

// reconnectLoop heals what memberlist does not: memberlist never probes
// or push/pulls a member it marked dead (it only gossips to it for
// GossipToTheDeadTime, and only while it has something to say), so after
// a partition longer than that both halves keep each other dead forever
// (TestPartitionStaysSplitWithoutReconnect), and a member that started
// while its seeds were down stays alone. Every ReconnectInterval (jittered) it
// joins (a push/pull over TCP) one random dead member and every seed that
// is not a live member's address. A successful push/pull exchanges full
// state; each side then refutes the other's "dead" view of itself and the
// mesh merges within a few gossip rounds.
//
// As in serf, a member tries a dead member with probability
// dead/alive, so in a large healthy mesh with one crashed member the mesh
// as a whole dials it about once per interval, while in a split mesh
// (dead >= alive) every member tries every interval.
func (g *Gossip) reconnectLoop(ctx context.Context) {
	defer close(g.loopDone)
	t := time.NewTimer(jitter(g.cfg.ReconnectInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		g.reconnectOnce(ctx)
		t.Reset(jitter(g.cfg.ReconnectInterval))
	}
}

func (g *Gossip) reconnectOnce(ctx context.Context) {
	g.table.prune(time.Now(), g.cfg.ReconnectTimeout)
	targets := reconnectTargets(g.table.snapshot(nil), g.cfg.NodeName, g.otherSeeds(), rand.Float64, rand.IntN)
	if len(targets) == 0 || ctx.Err() != nil {
		return
	}
	g.reconnectTries.Add(1)
	n, err := g.ml.Join(targets)
	if err != nil {
		g.log.Debug("reconnect failed", "targets", targets, "err", err)
		return
	}
	g.reconnects.Add(1)
	g.log.Debug("reconnected", "targets", targets, "contacted", n)
}

// reconnectTargets returns the addresses to join: with probability
// dead/alive (roll() < it), one dead member picked by pick(len(dead)), as
// name/addr so memberlist checks it reaches that member; then every seed
// that is not a live member's address. Left members are never dialed:
// they said they are gone.
func reconnectTargets(members []Member, self string, seeds []string, roll func() float64, pick func(int) int) []string {
	var dead []Member
	var aliveAddrs []string
	for _, m := range members {
		switch m.State {
		case StateAlive, StateSuspect:
			aliveAddrs = append(aliveAddrs, m.Addr)
		case StateDead:
			if m.Name != self {
				dead = append(dead, m)
			}
		}
	}
	var targets []string
	if len(dead) > 0 && roll() < float64(len(dead))/float64(max(1, len(aliveAddrs))) {
		m := dead[pick(len(dead))]
		targets = append(targets, m.Name+"/"+m.Addr)
	}
	for _, s := range seeds {
		if !slices.ContainsFunc(aliveAddrs, func(a string) bool { return sameAddr(s, a) }) {
			targets = append(targets, s)
		}
	}
	return targets
}

// jitter returns d scaled by a random factor in [0.75, 1.25), so members
// started together do not dial in lockstep.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.75 + rand.Float64()/2))
}
