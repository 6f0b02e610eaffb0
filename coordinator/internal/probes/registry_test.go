package probes

import (
	"fmt"
	"github.com/vigilhq/vigil/internal/gossip"
	"sync"
	"testing"

	"github.com/vigilhq/vigil/internal/rendezvous"
	"github.com/vigilhq/vigil/internal/testlog"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// fakeConn records what the registry sends.
type fakeConn struct {
	mu     sync.Mutex
	sent   []*vigilv1.ConnectResponse
	closed error
	done   chan struct{}
}

func newFakeConn() *fakeConn { return &fakeConn{done: make(chan struct{})} }

func (f *fakeConn) Send(m *vigilv1.ConnectResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
}

func (f *fakeConn) Close(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed == nil {
		f.closed = err
		close(f.done)
	}
}

func (f *fakeConn) Done() <-chan struct{} { return f.done }

// assignments returns the check ids of each assignment sent, in order.
func (f *fakeConn) assignments() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]string
	for _, m := range f.sent {
		if a := m.GetAssignment(); a != nil {
			ids := []string{}
			for _, c := range a.GetChecks() {
				ids = append(ids, c.GetId())
			}
			out = append(out, ids)
		}
	}
	return out
}

func (f *fakeConn) last() []string {
	as := f.assignments()
	if len(as) == 0 {
		return nil
	}
	return as[len(as)-1]
}

func httpChecks(n int, regions ...string) []*vigilv1.Check {
	var cs []*vigilv1.Check
	for i := range n {
		cs = append(cs, &vigilv1.Check{Id: fmt.Sprintf("c%02d", i), Type: vigilv1.CheckType_CHECK_TYPE_HTTP, Regions: regions, Version: "v1"})
	}
	return cs
}

func hello(id, region string, caps ...string) *vigilv1.Hello {
	return &vigilv1.Hello{ProbeId: id, Region: region, Capabilities: caps}
}

func TestAttachSendsEveryCheckOfTheRegion(t *testing.T) {
	r := NewRegistry(httpChecks(20, "eu", "us"), testlog.New(t))
	a, b, us := newFakeConn(), newFakeConn(), newFakeConn()
	if err := r.Attach(hello("a", "eu", "http"), a); err != nil {
		t.Fatal(err)
	}
	if got := len(a.last()); got != 20 {
		t.Fatalf("alone in eu, a got %d checks, want 20", got)
	}
	nA := len(a.assignments())
	r.Attach(hello("b", "eu", "http"), b)
	r.Attach(hello("u", "us", "http"), us)
	if len(b.last()) != 20 || len(us.last()) != 20 {
		t.Fatalf("b got %d, us got %d checks, want 20 each: probes pick what they own", len(b.last()), len(us.last()))
	}
	if len(a.assignments()) != nA {
		t.Fatal("a was re-sent an unchanged assignment when b joined")
	}
	owners := map[string]int{}
	for _, c := range httpChecks(20, "eu", "us") {
		owners[r.Owner(c.GetId(), "eu")]++
	}
	if owners["a"] == 0 || owners["b"] == 0 || owners["a"]+owners["b"] != 20 {
		t.Fatalf("run-now owners in eu = %v, want a and b sharing 20", owners)
	}
	r.Detach("a", a)
	for _, c := range httpChecks(20, "eu", "us") {
		if o := r.Owner(c.GetId(), "eu"); o != "b" {
			t.Fatalf("after a left, owner of %s is %q, want b", c.GetId(), o)
		}
	}
}

func TestCapabilities(t *testing.T) {
	checks := append(httpChecks(2, "eu"), &vigilv1.Check{Id: "flow", Type: vigilv1.CheckType_CHECK_TYPE_BROWSER, Regions: []string{"eu"}})
	r := NewRegistry(checks, testlog.New(t))
	h, br := newFakeConn(), newFakeConn()
	r.Attach(hello("h", "eu", "http"), h)
	r.Attach(hello("b", "eu", "browser"), br)
	if got := fmt.Sprint(h.last()); got != "[c00 c01]" {
		t.Errorf("http-only probe got %s", got)
	}
	if got := fmt.Sprint(br.last()); got != "[flow]" {
		t.Errorf("browser-only probe got %s", got)
	}
}

func TestReplaceClosesOldSession(t *testing.T) {
	r := NewRegistry(httpChecks(3, "eu"), testlog.New(t))
	old, cur := newFakeConn(), newFakeConn()
	r.Attach(hello("a", "eu", "http"), old)
	r.Attach(hello("a", "eu", "http"), cur)
	if old.closed != ErrReplaced {
		t.Fatalf("old session closed with %v, want ErrReplaced", old.closed)
	}
	if len(cur.assignments()) != 1 {
		t.Fatal("new session got no assignment")
	}
	r.Detach("a", old) // the old session's late detach must not evict the new one
	ps := r.Probes()
	if len(ps) != 1 || !ps[0].GetConnected() || ps[0].GetAssignedChecks() != 3 {
		t.Fatalf("Probes = %v", ps)
	}
	if err := r.Attach(hello("z", "eu"), old); err == nil {
		t.Fatal("attached an ended conn")
	}
}

func TestRunNowAndProbes(t *testing.T) {
	check := &vigilv1.Check{Id: "c", Type: vigilv1.CheckType_CHECK_TYPE_HTTP, Regions: []string{"eu", "us", "ap"}}
	r := NewRegistry([]*vigilv1.Check{check}, testlog.New(t))
	eu, us := newFakeConn(), newFakeConn()
	r.Attach(hello("e", "eu", "http"), eu)
	r.Attach(hello("u", "us", "http"), us)
	if got := fmt.Sprint(r.RunNow(check, "test")); got != "[e u]" {
		t.Fatalf("RunNow asked %s, want [e u]", got)
	}
	if m := eu.sent[len(eu.sent)-1].GetRunNow(); m.GetCheckId() != "c" {
		t.Fatalf("eu last message %v, want run_now", eu.sent[len(eu.sent)-1])
	}
	r.Detach("u", us)
	ps := r.Probes()
	if len(ps) != 2 || ps[0].GetProbeId() != "e" || !ps[0].GetConnected() || ps[1].GetConnected() {
		t.Fatalf("Probes = %v, want e connected then u disconnected", ps)
	}
	r.Close(ErrReplaced)
	if eu.closed == nil {
		t.Fatal("Close left a session open")
	}
	if err := r.Attach(hello("n", "eu"), newFakeConn()); err == nil {
		t.Fatal("Attach after Close succeeded")
	}
}

func TestVersion(t *testing.T) {
	a := httpChecks(3, "eu")
	b := []*vigilv1.Check{a[2], a[0], a[1]}
	if Version(a) != Version(b) {
		t.Fatal("version depends on order")
	}
	c := httpChecks(3, "eu")
	c[1].Version = "v2"
	if Version(a) == Version(c) {
		t.Fatal("version ignores check versions")
	}
	if Version(nil) == "" {
		t.Fatal("empty assignment has no version")
	}
}

func TestProbesMergesGossipView(t *testing.T) {
	r := NewRegistry(httpChecks(2, "eu"), testlog.New(t))
	for _, id := range []string{"streaming", "dead-streaming"} {
		r.Attach(hello(id, "eu", "http"), newFakeConn())
	}
	meta := func(id string) gossip.Meta { return gossip.Meta{ProbeID: id, Role: gossip.RoleProbe, Region: "eu"} }
	r.SetMembers(func() []gossip.Member {
		return []gossip.Member{
			{Name: "coord", State: gossip.StateAlive, Meta: gossip.Meta{Role: gossip.RoleCoordinator}},
			{Name: "streaming", State: gossip.StateAlive, Meta: meta("streaming")},
			{Name: "dead-streaming", State: gossip.StateDead, Meta: meta("dead-streaming")},
			{Name: "silent", State: gossip.StateAlive, Meta: meta("silent")},
			{Name: "gone", State: gossip.StateLeft, Meta: meta("gone")},
		}
	})
	var got []string
	for _, pi := range r.Probes() {
		got = append(got, fmt.Sprintf("%s:%s:%v:%v", pi.GetProbeId(), pi.GetGossipState(), pi.GetConnected(), pi.GetWarnings()))
	}
	want := "[dead-streaming:dead:true:[streaming but dead in gossip] gone:left:false:[] silent:alive:false:[alive in gossip but no stream] streaming:alive:true:[]]"
	if fmt.Sprint(got) != want {
		t.Fatalf("Probes =\n%v\nwant\n%v", got, want)
	}
}

// runNows returns "check:reason" for each run-now sent, in order.
func (f *fakeConn) runNows() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.sent {
		if rn := m.GetRunNow(); rn != nil {
			out = append(out, rn.GetCheckId()+":"+rn.GetReason())
		}
	}
	return out
}

func TestRunNowOther(t *testing.T) {
	web := &vigilv1.Check{Id: "web", Type: vigilv1.CheckType_CHECK_TYPE_HTTP, Regions: []string{"eu", "us"}, Version: "v1"}
	flow := &vigilv1.Check{Id: "flow", Type: vigilv1.CheckType_CHECK_TYPE_BROWSER, Regions: []string{"eu"}, Version: "v1"}
	// eu-1..3 run http, eu-b runs only browsers, us-1 is alone in us.
	hellos := []*vigilv1.Hello{
		hello("eu-1", "eu", "http"), hello("eu-2", "eu", "http"), hello("eu-3", "eu", "http"),
		hello("eu-b", "eu", "browser"), hello("us-1", "us", "http"),
	}
	euHTTP := []string{"eu-1", "eu-2", "eu-3"}
	ranked := rendezvous.Owners(web.GetId(), euHTTP, len(euHTTP)) // best first
	for _, tt := range []struct {
		name     string
		check    *vigilv1.Check
		region   string
		notProbe string
		detach   []string
		want     string // "" for none
	}{
		{"the owner failed: its runner-up", web, "eu", ranked[0], nil, ranked[1]},
		{"another probe failed: the owner", web, "eu", ranked[1], nil, ranked[0]},
		{"runner-up disconnected: the next", web, "eu", ranked[0], []string{ranked[1]}, ranked[2]},
		{"no other probe in the region", web, "us", "us-1", nil, ""},
		{"no other connected probe", web, "eu", ranked[0], []string{ranked[1], ranked[2]}, ""},
		{"region not among the check's", web, "ap", "", nil, ""},
		{"capability: only the browser probe", flow, "eu", "eu-1", nil, "eu-b"},
		{"capability: none besides the failed one", flow, "eu", "eu-b", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRegistry([]*vigilv1.Check{web, flow}, testlog.New(t))
			conns := map[string]*fakeConn{}
			for _, h := range hellos {
				conns[h.GetProbeId()] = newFakeConn()
				if err := r.Attach(h, conns[h.GetProbeId()]); err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range tt.detach {
				r.Detach(id, conns[id])
			}
			got, ok := r.RunNowOther(tt.check, tt.region, tt.notProbe, "confirm")
			if got != tt.want || ok != (tt.want != "") {
				t.Fatalf("RunNowOther = %q, %v; want %q, %v", got, ok, tt.want, tt.want != "")
			}
			for id, c := range conns {
				want := "[]"
				if id == tt.want {
					want = "[" + tt.check.GetId() + ":confirm]"
				}
				if got := fmt.Sprint(c.runNows()); got != want {
					t.Errorf("%s was sent run-now %s, want %s", id, got, want)
				}
			}
		})
	}
}
