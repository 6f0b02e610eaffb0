package probe_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/internal/testwait"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// meshWait bounds every wait on the mesh: generous, for a starved CPU.
const meshWait = 60 * time.Second

func waitFor(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	testwait.Until(t, meshWait, cond, format, args...)
}

// TestOwnershipUniqueAndBalanced: 3 regions x 3 probes, 90 checks (at
// 300 the race-enabled suite starves two cores; balance over 300 keys is
// pinned in internal/rendezvous). After the mesh settles, every slot of
// every check is run by exactly one probe per region.
func TestOwnershipUniqueAndBalanced(t *testing.T) {
	e := newMeshEnv(t)
	regions := []string{"eu", "us", "ap"}
	const interval = 5 * time.Second
	const nChecks = 90
	checks := e.checks(nChecks, "5s", regions...)
	co := e.startCoordinator("coord", checks)
	seed := co.c.GossipAddr()
	for _, r := range regions {
		for i := range 3 {
			e.startProbe(fmt.Sprintf("%s-%d", r, i), r, seed)
		}
	}
	// Ownership is only promised once every member sees every other: wait
	// for the coordinator to see all nine alive and streaming, then allow
	// two settle times (1s in the local preset) for the probes' own views.
	waitFor(t, func() bool {
		ps := co.probes(t)
		alive := 0
		for _, p := range ps {
			if p.GetConnected() && p.GetGossipState() == "alive" {
				alive++
			}
		}
		return alive == 9
	}, "the coordinator sees all nine probes alive and connected")
	settled := time.Now().Add(2 * time.Second)
	// Every check runs in every region after that. (Not "in one slot": a
	// starved machine may skip a run, which is the scheduler's right.)
	var full map[slotKey]string
	waitFor(t, func() bool {
		_, by := attempt0(co.results(t))
		full = map[slotKey]string{}
		covered := map[[2]string]bool{}
		for k, p := range by {
			if slotStart(k, interval).After(settled) {
				full[k] = p
				covered[[2]string{k.check, k.region}] = true
			}
		}
		return len(covered) == nChecks*len(regions)
	}, "every one of %d checks run in all 3 regions after settling", nChecks)
	var after []*vigilv1.Result
	for _, r := range co.results(t) {
		if slotStart(slotKey{slot: r.GetSlot()}, interval).After(settled) {
			after = append(after, r)
		}
	}
	noDoubleRuns(t, after)

	owned := map[string]map[string]bool{}
	for k, p := range full {
		if owned[p] == nil {
			owned[p] = map[string]bool{}
		}
		owned[p][k.check] = true
	}
	var counts []int
	for _, set := range owned {
		counts = append(counts, len(set))
	}
	if len(counts) != 9 {
		t.Fatalf("%d probes ran checks, want 9", len(counts))
	}
	t.Logf("checks per probe over %d checks x 3 probes per region: min %d, max %d (%v)", nChecks, slices.Min(counts), slices.Max(counts), counts)
}

// TestProbeFindsCoordinatorThroughGossipAndFailsOver starts a probe with
// only a gossip seed; it must find a coordinator, deliver results, and move
// to the other coordinator when the first stops.
func TestProbeFindsCoordinatorThroughGossipAndFailsOver(t *testing.T) {
	e := newMeshEnv(t)
	checks := e.checks(2, "1s", "eu")
	a := e.startCoordinator("coord-a", checks)
	b := e.startCoordinator("coord-b", checks, a.c.GossipAddr())
	e.startProbe("eu-1", "eu", a.c.GossipAddr())
	byProbe := func(m *meshCoordinator) int { return len(m.results(t)) }
	waitFor(t, func() bool { return byProbe(a)+byProbe(b) >= 2 }, "results delivered to a coordinator found through gossip")

	first, second := a, b
	if byProbe(a) == 0 {
		first, second = b, a
	}
	first.stop()
	before := byProbe(second)
	waitFor(t, func() bool { return byProbe(second) >= before+3 }, "results delivered to the second coordinator after the first stopped")
	if p := second.probes(t)["eu-1"]; !p.GetConnected() || p.GetGossipState() != "alive" {
		t.Errorf("second coordinator sees eu-1 as %v", p)
	}
}

// TestKilledProbesChecksMoveAndComeBack kills one of three probes of a
// region: its checks move to its peers, then back when it restarts; no slot
// is run twice, and after each move settles no check skips more than one
// slot.
func TestKilledProbesChecksMoveAndComeBack(t *testing.T) {
	e := newMeshEnv(t)
	const interval = time.Second
	checks := e.checks(30, "1s", "eu")
	co := e.startCoordinator("coord", checks)
	seed := co.c.GossipAddr()
	ps := []*meshProbe{e.startProbe("eu-0", "eu", seed), e.startProbe("eu-1", "eu", seed), e.startProbe("eu-2", "eu", seed)}

	ranBy := func(since time.Time) map[string]map[string]bool { // probe -> checks run in slots after since
		_, by := attempt0(co.results(t))
		out := map[string]map[string]bool{}
		for k, p := range by {
			if slotStart(k, interval).After(since) {
				if out[p] == nil {
					out[p] = map[string]bool{}
				}
				out[p][k.check] = true
			}
		}
		return out
	}
	// Ownership is unique once every member sees every other; runs before
	// that (the mesh forming) are not judged.
	waitFor(t, func() bool { return healthy(co.probes(t), "eu-0", "eu-1", "eu-2") }, "all three probes alive and streaming")
	start := time.Now().Add(2*gossip.PresetLocal.Settle() + interval)
	waitFor(t, func() bool { return len(ranBy(start)) == 3 }, "all three probes run checks")
	victim := ranBy(start)["eu-2"]

	e.kill(ps[2], []string{seed, ps[0].gossipAddr, ps[1].gossipAddr})
	killed := time.Now()
	waitFor(t, func() bool { return co.probes(t)["eu-2"].GetGossipState() == "dead" }, "eu-2 dead in the coordinator's view")
	dead := time.Now()
	waitFor(t, func() bool {
		got := ranBy(dead)
		for c := range victim {
			if !got["eu-0"][c] && !got["eu-1"][c] {
				return false
			}
		}
		return true
	}, "eu-2's checks run by its peers")
	t.Logf("checks moved %s after the kill (%s after death was seen)", time.Since(killed).Round(time.Millisecond), time.Since(dead).Round(time.Millisecond))

	ps[2] = e.startProbe("eu-2", "eu", seed)
	back := time.Now()
	waitFor(t, func() bool { return len(ranBy(back.Add(3 * time.Second))["eu-2"]) > 0 }, "restarted eu-2 runs checks again")
	returned := time.Now()
	waitFor(t, func() bool { return len(ranBy(returned)) == 3 }, "all three run checks")

	var rs []*vigilv1.Result
	for _, r := range co.results(t) {
		if slotStart(slotKey{slot: r.GetSlot()}, interval).After(start) {
			rs = append(rs, r)
		}
	}
	noDoubleRuns(t, rs)
	// After the kill's detection window, gaps are at most one slot.
	n, _ := attempt0(rs)
	slots := map[string][]int64{}
	for k := range n {
		slots[k.check] = append(slots[k.check], k.slot)
	}
	settle := dead.Add(2 * time.Second)
	for c, ss := range slots {
		slices.Sort(ss)
		for i := 1; i < len(ss); i++ {
			if ss[i]-ss[i-1] > 2 && slotStart(slotKey{slot: ss[i-1]}, interval).After(settle) {
				t.Errorf("check %s skipped slots %d..%d", c, ss[i-1]+1, ss[i]-1)
			}
		}
	}
}
