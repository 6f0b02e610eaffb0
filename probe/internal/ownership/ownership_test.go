package ownership

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/vigilhq/vigil/internal/gossip"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

const settle = time.Second

var t0 = time.Unix(1_700_000_000, 0)

func checks(n int) []*vigilv1.Check {
	out := make([]*vigilv1.Check, n)
	for i := range out {
		out[i] = &vigilv1.Check{Id: fmt.Sprintf("c%d", i), Type: vigilv1.CheckType_CHECK_TYPE_HTTP, Interval: durationpb.New(time.Second)}
	}
	return out
}

func member(name string, st gossip.State, since time.Time) gossip.Member {
	return gossip.Member{Name: name, State: st, Since: since,
		Meta: gossip.Meta{ProbeID: name, Role: gossip.RoleProbe, Region: "r", Capabilities: []string{"http"}}}
}

func tracker(name string) *Tracker {
	return New(Config{Self: name, ProbeID: name, Region: "r", Settle: settle}, t0)
}

func ids(cs []*vigilv1.Check) map[string]bool {
	out := map[string]bool{}
	for _, c := range cs {
		out[c.GetId()] = true
	}
	return out
}

// owners runs every tracker at now over the same view and returns, per
// check, how many probes own it.
func owners(trs map[string]*Tracker, now time.Time, cs []*vigilv1.Check, ms []gossip.Member) map[string]int {
	out := map[string]int{}
	for _, tr := range trs {
		owned, _ := tr.Owned(now, cs, ms)
		for id := range ids(owned) {
			out[id]++
		}
	}
	return out
}

func TestUniqueAfterSettle(t *testing.T) {
	cs := checks(200)
	trs := map[string]*Tracker{"a": tracker("a"), "b": tracker("b"), "c": tracker("c")}
	ms := []gossip.Member{member("a", gossip.StateAlive, t0), member("b", gossip.StateAlive, t0), member("c", gossip.StateAlive, t0)}
	if got := owners(trs, t0, cs, ms); len(got) != 0 {
		t.Fatalf("owned before settling: %v", got)
	}
	got := owners(trs, t0.Add(settle), cs, ms)
	for _, c := range cs {
		if got[c.GetId()] != 1 {
			t.Fatalf("check %s owned by %d probes", c.GetId(), got[c.GetId()])
		}
	}
}

func TestDeadMovesAfterFlapWindowOnly(t *testing.T) {
	cs := checks(100)
	trs := map[string]*Tracker{"a": tracker("a"), "b": tracker("b")}
	ms := []gossip.Member{member("a", gossip.StateAlive, t0), member("b", gossip.StateAlive, t0), member("c", gossip.StateAlive, t0)}
	now := t0.Add(settle)
	before := owners(trs, now, cs, ms)
	dead := now.Add(100 * time.Millisecond)
	ms[2] = member("c", gossip.StateDead, dead)
	if got := owners(trs, dead, cs, ms); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("checks moved on a dead event inside the flap window")
	}
	// c flaps back: nothing moves, even later.
	ms[2] = member("c", gossip.StateAlive, dead.Add(200*time.Millisecond))
	if got := owners(trs, dead.Add(300*time.Millisecond), cs, ms); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("checks moved after a flap")
	}
	// c dies for good: after the window a and b own everything, once.
	ms[2] = member("c", gossip.StateDead, dead.Add(time.Second))
	owners(trs, dead.Add(time.Second), cs, ms)
	got := owners(trs, dead.Add(time.Second+settle), cs, ms)
	for _, c := range cs {
		if got[c.GetId()] != 1 {
			t.Fatalf("check %s owned by %d probes after c died", c.GetId(), got[c.GetId()])
		}
	}
}

func TestNewcomerYieldedToBeforeItStarts(t *testing.T) {
	cs := checks(100)
	a := tracker("a")
	ms := []gossip.Member{member("a", gossip.StateAlive, t0)}
	owned, _ := a.Owned(t0.Add(settle), cs, ms)
	if len(owned) != len(cs) {
		t.Fatalf("alone, a owns %d of %d", len(owned), len(cs))
	}
	join := t0.Add(10 * time.Second)
	b := New(Config{Self: "b", ProbeID: "b", Region: "r", Settle: settle}, join)
	ms = append(ms, member("b", gossip.StateAlive, join))
	_, next := a.Owned(join, cs, ms)
	if want := join.Add(settle / 2); !next.Equal(want) {
		t.Fatalf("a wakes at %v, want %v", next, want)
	}
	aOwned, _ := a.Owned(join.Add(settle/2), cs, ms)
	bOwned, next := b.Owned(join.Add(settle/2), cs, ms)
	if len(bOwned) != 0 || len(aOwned) == len(cs) {
		t.Fatalf("at join+settle/2: a owns %d, b owns %d: a should have yielded, b not started", len(aOwned), len(bOwned))
	}
	if want := join.Add(settle); !next.Equal(want) {
		t.Fatalf("b wakes at %v, want %v", next, want)
	}
	bOwned, _ = b.Owned(join.Add(settle), cs, ms)
	if len(aOwned)+len(bOwned) != len(cs) {
		t.Fatalf("a %d + b %d != %d", len(aOwned), len(bOwned), len(cs))
	}
}

func TestIsolatedKeepsItsChecks(t *testing.T) {
	cs := checks(100)
	a := tracker("a")
	ms := []gossip.Member{member("a", gossip.StateAlive, t0), member("b", gossip.StateAlive, t0)}
	mine, _ := a.Owned(t0.Add(settle), cs, ms)
	cut := t0.Add(5 * time.Second)
	ms[1] = member("b", gossip.StateDead, cut)
	frozen, _ := a.Owned(cut.Add(10*settle), cs, ms)
	if !a.Isolated() || fmt.Sprint(ids(frozen)) != fmt.Sprint(ids(mine)) {
		t.Fatalf("isolated %v: owns %d, want its %d", a.Isolated(), len(frozen), len(mine))
	}
	heal := cut.Add(20 * settle)
	ms[1] = member("b", gossip.StateAlive, heal)
	if got, _ := a.Owned(heal, cs, ms); len(got) != 0 || a.Isolated() {
		t.Fatalf("back from isolation a owns %d at once, want none until it settles", len(got))
	}
}

func TestProbesPerRegionAndCapability(t *testing.T) {
	cs := checks(50)
	for _, c := range cs {
		c.ProbesPerRegion = 2
	}
	br := &vigilv1.Check{Id: "flow", Type: vigilv1.CheckType_CHECK_TYPE_BROWSER}
	cs = append(cs, br)
	trs := map[string]*Tracker{"a": tracker("a"), "b": tracker("b"), "c": tracker("c")}
	ms := []gossip.Member{member("a", gossip.StateAlive, t0), member("b", gossip.StateAlive, t0), member("c", gossip.StateAlive, t0)}
	ms[0].Meta.Capabilities = []string{"http", "browser"}
	got := owners(trs, t0.Add(settle), cs, ms)
	for _, c := range cs[:50] {
		if got[c.GetId()] != 2 {
			t.Fatalf("check %s owned by %d probes, want 2", c.GetId(), got[c.GetId()])
		}
	}
	if got["flow"] != 1 {
		t.Fatalf("browser check owned by %d probes, want 1 (only a can run it)", got["flow"])
	}
}
