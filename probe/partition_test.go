package probe_test

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/internal/testlog"
	"github.com/vigilhq/vigil/internal/testwait"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Partition and pause scenarios of issue 3, on the meshEnv harness
// (mesh_helpers_test.go): the gossiptest network drops one group's gossip
// while the probes' gRPC streams and http checks are untouched.

// healWait bounds how long a healed mesh may take to merge by itself.
const healWait = 30 * time.Second

// testSuspicion is the suspicion timeout of the test meshes (under 10
// members): testSuspicionMult x the local preset's 100ms ProbeInterval.
const testSuspicion = testSuspicionMult * 100 * time.Millisecond

// observer joins the mesh as a bare gossip member, to read the membership
// view from wherever the test places it in a partition. It advertises role
// coordinator with no API address: probes never dial it, it owns no
// checks, and ListProbes does not list it.
func (e *meshEnv) observer(name string, seeds ...string) *gossip.Gossip {
	t := e.t
	t.Helper()
	gc, _ := e.gossipConfig(seeds...)
	gc.NodeName = name
	gc.Meta = gossip.Meta{Role: gossip.RoleCoordinator, Version: "test"}
	gc.Logger = testlog.New(t).With("node", name)
	g, err := gossip.New(t.Context(), *gc)
	if err != nil {
		t.Fatalf("observer %s: %v", name, err)
	}
	t.Cleanup(func() { _ = g.Shutdown() })
	return g
}

// sees reports whether g's view has every name in state want.
func sees(g *gossip.Gossip, want gossip.State, names ...string) bool {
	st := map[string]gossip.State{}
	for _, m := range g.Members() {
		st[m.Name] = m.State
	}
	for _, n := range names {
		if st[n] != want {
			return false
		}
	}
	return true
}

func describeView(g *gossip.Gossip) string {
	var b strings.Builder
	for _, m := range g.Members() {
		fmt.Fprintf(&b, " %s=%s", m.Name, m.State)
	}
	return b.String()
}

func describeProbes(ps map[string]*vigilv1.ProbeInfo) string {
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(ps)) {
		p := ps[id]
		fmt.Fprintf(&b, "\n  %s connected=%v gossip=%s warnings=%q", id, p.GetConnected(), p.GetGossipState(), p.GetWarnings())
	}
	return b.String()
}

// lazy formats as its result at print time, for failure messages built
// before the wait that may fail.
type lazy func() string

func (l lazy) String() string { return l() }

// healthy reports whether ListProbes shows exactly ids, each connected,
// alive in gossip and without warnings.
func healthy(ps map[string]*vigilv1.ProbeInfo, ids ...string) bool {
	if len(ps) != len(ids) {
		return false
	}
	for _, id := range ids {
		p := ps[id]
		if !p.GetConnected() || p.GetGossipState() != string(gossip.StateAlive) || len(p.GetWarnings()) > 0 {
			return false
		}
	}
	return true
}

// resultsPoll is how often waits on the list of results re-read it.
const resultsPoll = 250 * time.Millisecond

// throttle returns cond, evaluated at most once per d (the last answer in
// between): listing every result on each 20ms poll would starve the mesh
// under test of CPU.
func throttle(d time.Duration, cond func() bool) func() bool {
	var last time.Time
	var ok bool
	return func() bool {
		if time.Since(last) >= d {
			ok, last = cond(), time.Now()
		}
		return ok
	}
}

// runners returns, per (check, region, slot), the probes that ran attempt 0.
func runners(rs []*vigilv1.Result) map[slotKey][]string {
	out := map[slotKey][]string{}
	for _, r := range rs {
		if r.GetAttempt() == 0 {
			k := slotKey{r.GetCheckId(), r.GetRegion(), r.GetSlot()}
			out[k] = append(out[k], r.GetProbeId())
		}
	}
	return out
}

// TestRegionCutOff cuts one region's probes off from every other member's
// gossip (their gRPC streams stay up): each side sees the other dead, the
// coordinator flags the cut-off probes as streaming but dead in gossip,
// the cut-off region keeps running its checks, and once the network heals
// the mesh merges again by itself. No region loses or gains a member of
// its own, so no check moves and no slot is run twice.
func TestRegionCutOff(t *testing.T) {
	e := newMeshEnv(t)
	regions := []string{"eu", "us", "ap"}
	const interval = time.Second
	co := e.startCoordinator("coord", e.checks(12, "1s", regions...))
	seed := co.c.GossipAddr()
	var ids, cutIDs, mainIDs, cutAddrs []string
	mainAddrs := []string{seed}
	for _, r := range regions {
		for i := range 2 {
			p := e.startProbe(fmt.Sprintf("%s-%d", r, i), r, seed)
			ids = append(ids, p.id)
			if r == "ap" {
				cutIDs, cutAddrs = append(cutIDs, p.id), append(cutAddrs, p.gossipAddr)
			} else {
				mainIDs, mainAddrs = append(mainIDs, p.id), append(mainAddrs, p.gossipAddr)
			}
		}
	}
	// The cut-off side's view: no probe of ours exposes its own.
	watch := e.observer("watch-ap", seed)
	cutAddrs = append(cutAddrs, watch.LocalAddr())
	waitFor(t, func() bool {
		return healthy(co.probes(t), ids...) && sees(watch, gossip.StateAlive, append(ids, "coord")...)
	},
		"every probe connected and alive in every view")
	// Probes started together may both run a slot while their views of
	// each other's joins converge (ADR 0005); count runs from here.
	settled := time.Now().Add(gossip.PresetLocal.Settle())

	cut := time.Now()
	e.net.Partition(cutAddrs, mainAddrs)
	waitFor(t, func() bool {
		ps := co.probes(t)
		for _, id := range cutIDs {
			p := ps[id]
			if !p.GetConnected() || p.GetGossipState() != string(gossip.StateDead) ||
				!slices.Contains(p.GetWarnings(), "streaming but dead in gossip") {
				return false
			}
		}
		for _, id := range mainIDs {
			if p := ps[id]; p.GetGossipState() != string(gossip.StateAlive) || len(p.GetWarnings()) > 0 {
				return false
			}
		}
		return true
	}, "the coordinator sees ap cut off: streaming, dead in gossip, flagged")
	waitFor(t, func() bool {
		return sees(watch, gossip.StateDead, append(mainIDs, "coord")...) && sees(watch, gossip.StateAlive, cutIDs...)
	}, "the cut-off side sees the rest dead; view:%s", lazy(func() string { return describeView(watch) }))
	detected := time.Now()
	t.Logf("cut seen on both sides after %s", detected.Sub(cut).Round(time.Millisecond))

	// The cut lasts until both ap probes have delivered results two seconds
	// after detection: longer than the local preset's GossipToTheDeadTime
	// (1s), after which memberlist stops talking to the dead, so only the
	// reconnect loop can merge the halves again.
	waitFor(t, func() bool {
		ps := co.probes(t)
		for _, id := range cutIDs {
			if !ps[id].GetLastResultAt().AsTime().After(detected.Add(2 * time.Second)) {
				return false
			}
		}
		return true
	}, "the cut-off region keeps running checks and streaming results")

	healed := time.Now()
	e.net.Heal()
	testwait.Until(t, healWait, func() bool {
		return healthy(co.probes(t), ids...) && sees(watch, gossip.StateAlive, append(ids, "coord")...)
	}, "the mesh merges after the heal; coordinator:%s\nwatch-ap:%s",
		lazy(func() string { return describeProbes(co.probes(t)) }), lazy(func() string { return describeView(watch) }))
	t.Logf("mesh merged %s after the network healed", time.Since(healed).Round(time.Millisecond))

	// No region lost a member of its own, so nothing should move; but a
	// starved member falsely declared dead for longer than the flap window
	// legitimately has its checks run twice (ADR 0005), so this is logged,
	// not asserted.
	doubles := 0
	for k, n := range func() map[slotKey]int { n, _ := attempt0(co.results(t)); return n }() {
		if n > 1 && slotStart(k, interval).After(settled) {
			doubles++
		}
	}
	t.Logf("slots run twice in a region after settling: %d", doubles)
}

// TestPausedProbe pauses one probe's gossip (its packets are dropped both
// ways) while its scheduler and stream keep running: the part of a
// SIGSTOP or a starved CPU that gossip sees. A kernel pause would also
// stop its runs; ADR 0005 has an isolated probe keep running its own
// checks, which is what a paused gossip stack sees too, so double runs
// are only allowed while it is cut off.
//
// A pause shorter than the suspicion timeout gets it declared dead
// nowhere and moves nothing. A longer one moves each of its checks once,
// to one region peer, and back after it resumes.
func TestPausedProbe(t *testing.T) {
	e := newMeshEnv(t)
	const interval = time.Second
	settle := gossip.PresetLocal.Settle()
	co := e.startCoordinator("coord", e.checks(30, "1s", "eu"))
	seed := co.c.GossipAddr()
	ps := []*meshProbe{e.startProbe("eu-0", "eu", seed), e.startProbe("eu-1", "eu", seed), e.startProbe("eu-2", "eu", seed)}
	victim := ps[2]
	others := []string{seed, ps[0].gossipAddr, ps[1].gossipAddr}

	ranAfter := func(since time.Time) map[string]int { // probe -> runs of slots after since
		out := map[string]int{}
		for k, by := range runners(co.results(t)) {
			if slotStart(k, interval).After(since) {
				for _, p := range by {
					out[p]++
				}
			}
		}
		return out
	}
	// Ownership is unique only once every member sees every other: the
	// baseline is a settle time and a slot past the moment the mesh looks
	// whole, and runs before it are not judged.
	waitFor(t, func() bool { return healthy(co.probes(t), "eu-0", "eu-1", "eu-2") }, "all three probes alive and streaming")
	baseline := time.Now().Add(2*settle + interval)
	waitFor(t, throttle(resultsPoll, func() bool { return len(ranAfter(baseline)) == 3 }), "all three probes run checks")
	since := co.probes(t)[victim.id].GetGossipSince().AsTime()

	// Short pause: a quarter of the suspicion timeout (ended by a timer, so
	// a slow sample cannot stretch it), sampled throughout.
	resumed := make(chan struct{})
	e.net.Partition([]string{victim.gossipAddr}, others)
	time.AfterFunc(testSuspicion/4, func() { e.net.Heal(); close(resumed) })
	for paused := true; paused; {
		if p := co.probes(t)[victim.id]; p.GetGossipState() != string(gossip.StateAlive) {
			t.Fatalf("during a short pause: the coordinator sees %s %s", victim.id, p.GetGossipState())
		}
		select {
		case <-resumed:
			paused = false
		case <-time.After(testwait.Poll):
		}
	}
	shortEnd := time.Now()
	// A suspicion raised during the pause fires within testSuspicion unless
	// refuted, and a death moves checks after settle: look at slots past both.
	after := shortEnd.Add(testSuspicion + settle)
	waitFor(t, throttle(resultsPoll, func() bool { return len(ranAfter(after)) == 3 }), "all three probes run checks after the short pause")
	if p := co.probes(t)[victim.id]; p.GetGossipState() != string(gossip.StateAlive) || !p.GetGossipSince().AsTime().Equal(since) {
		t.Fatalf("after a short pause: the coordinator sees %s %s since %s (alive since %s before)",
			victim.id, p.GetGossipState(), p.GetGossipSince().AsTime(), since)
	}

	// Long pause: until its checks have moved.
	long := time.Now()
	e.net.Partition([]string{victim.gossipAddr}, others)
	waitFor(t, func() bool { return co.probes(t)[victim.id].GetGossipState() == string(gossip.StateDead) }, "%s dead", victim.id)
	dead := time.Now()
	waitFor(t, throttle(resultsPoll, func() bool {
		by := runners(co.results(t))
		byPeer := map[string]bool{} // checks a peer ran since the victim's checks may move
		for k, ps := range by {
			if slotStart(k, interval).After(dead.Add(settle)) && slices.ContainsFunc(ps, func(p string) bool { return p != victim.id }) {
				byPeer[k.check] = true
			}
		}
		return len(byPeer) == 30
	}), "every check run by %s's peers", victim.id)
	t.Logf("checks moved %s after the pause started", time.Since(long).Round(time.Millisecond))

	e.net.Heal()
	waitFor(t, func() bool { return healthy(co.probes(t), "eu-0", "eu-1", "eu-2") }, "%s alive again", victim.id)
	// The victim counts itself a candidate settle after it sees its peers
	// again; until then it may still run what it owned while cut off.
	windowEnd := time.Now().Add(settle + interval)
	waitFor(t, throttle(resultsPoll, func() bool { return len(ranAfter(windowEnd.Add(interval))) == 3 }), "%s takes its checks back", victim.id)

	// Who ran each check, slot by slot, from the baseline on; the victim's
	// runs while cut off are left out.
	inPause := func(k slotKey) bool {
		s := slotStart(k, interval)
		return s.Add(interval).After(long) && s.Before(windowEnd)
	}
	by := runners(co.results(t))
	seq := map[string][]string{} // check -> owners, repeats collapsed
	var keys []slotKey
	for k, ps := range by {
		if !slotStart(k, interval).After(baseline) {
			continue
		}
		keys = append(keys, k)
		if len(ps) > 1 && !inPause(k) {
			t.Errorf("check %s slot %d run by %v outside the pause", k.check, k.slot, ps)
		}
	}
	slices.SortFunc(keys, func(a, b slotKey) int { return cmp.Compare(a.slot, b.slot) })
	for _, k := range keys {
		for _, p := range by[k] {
			if p == victim.id && inPause(k) {
				continue
			}
			if s := seq[k.check]; len(s) == 0 || s[len(s)-1] != p {
				seq[k.check] = append(s, p)
			}
		}
	}
	movedChecks := 0
	for c, s := range seq {
		switch {
		case len(s) == 1 && s[0] != victim.id:
			// a peer's check: never moved
		case len(s) == 3 && s[0] == victim.id && s[1] != victim.id && s[2] == victim.id:
			movedChecks++
		default:
			t.Errorf("check %s owners over time %v: want a peer's check to stay put, and %s's to move once and come back", c, s, victim.id)
		}
	}
	if movedChecks == 0 {
		t.Errorf("no check of %s moved during the long pause", victim.id)
	}
	t.Logf("%d of %d checks moved once and came back", movedChecks, len(seq))
}
