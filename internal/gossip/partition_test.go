package gossip

import (
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/gossip/gossiptest"
)

// splitMesh starts three members on each side of a gossiptest network
// (with the given reconnect interval; seeds are side A's first member),
// waits for all six to converge, cuts the network between the sides,
// waits until each side sees the other dead, and keeps the network cut
// for twice GossipToTheDeadTime more. A shorter partition can heal
// without help: memberlist keeps gossiping to members dead for less than
// GossipToTheDeadTime, and a member that hears it is dead refutes it. The
// hold is the scenario's length (a partition outlasting that window), not
// a wait for something to happen.
func splitMesh(t *testing.T, reconnect time.Duration) (nw *gossiptest.Network, sideA, sideB []*Gossip) {
	t.Helper()
	nw = gossiptest.NewNetwork()
	newMember := func(name string, seeds ...string) *Gossip {
		tr, err := nw.NewTransport("127.0.0.1", nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(t, name, probeMeta(name, "eu-west"), seeds...)
		cfg.Transport = tr
		cfg.ReconnectInterval = reconnect
		return start(t, cfg)
	}
	a1 := newMember("a1")
	sideA = []*Gossip{a1, newMember("a2", a1.LocalAddr()), newMember("a3", a1.LocalAddr())}
	sideB = []*Gossip{newMember("b1", a1.LocalAddr()), newMember("b2", a1.LocalAddr()), newMember("b3", a1.LocalAddr())}
	all := append(append([]*Gossip{}, sideA...), sideB...)
	waitAll(t, all, names(all), StateAlive)

	addrs := func(gs []*Gossip) (out []string) {
		for _, g := range gs {
			out = append(out, g.LocalAddr())
		}
		return out
	}
	cut := time.Now()
	nw.Partition(addrs(sideA), addrs(sideB))
	waitAll(t, sideA, names(sideB), StateDead)
	waitAll(t, sideB, names(sideA), StateDead)
	t.Logf("partition detected on both sides after %s", time.Since(cut).Round(time.Millisecond))
	waitAll(t, sideA, names(sideA), StateAlive)
	waitAll(t, sideB, names(sideB), StateAlive)
	mc, _, _ := PresetLocal.memberlistConfig()
	time.Sleep(2 * mc.GossipToTheDeadTime)
	return nw, sideA, sideB
}

// TestPartitionHeals: after the network returns, the reconnect loop
// merges the two halves again.
func TestPartitionHeals(t *testing.T) {
	nw, sideA, sideB := splitMesh(t, 0) // preset default: 500ms
	healed := time.Now()
	nw.Heal()
	all := append(append([]*Gossip{}, sideA...), sideB...)
	waitAll(t, all, names(all), StateAlive)
	t.Logf("merged %s after the network healed", time.Since(healed).Round(time.Millisecond))
}

// TestPartitionStaysSplitWithoutReconnect shows why the reconnect loop
// exists: memberlist alone never contacts members it declared dead, so
// with the loop disabled the halves stay split after the network heals.
// It observes for three push/pull intervals (six reconnect intervals),
// sampling every 20ms.
func TestPartitionStaysSplitWithoutReconnect(t *testing.T) {
	nw, sideA, sideB := splitMesh(t, -1)
	nw.Heal()
	window := 3 * time.Second
	for end := time.Now().Add(window); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if stateIn(sideA[0], "b1") == StateAlive || stateIn(sideB[0], "a1") == StateAlive {
			t.Fatalf("halves merged without the reconnect loop: %s", describe(append(sideA, sideB...)))
		}
	}
	if !allSee(sideA, names(sideB), StateDead) || !allSee(sideB, names(sideA), StateDead) {
		t.Fatalf("expected a stable split: %s", describe(append(sideA, sideB...)))
	}
}
