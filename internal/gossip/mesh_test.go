package gossip

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/testwait"
)

var regions = []string{"us-east", "eu-west", "ap-south"}

// startMesh starts a coordinator and three probes in each region, all
// seeded with the coordinator's address, and waits until every member
// sees all ten alive.
func startMesh(t *testing.T) (coord *Gossip, all []*Gossip) {
	t.Helper()
	coord = start(t, testConfig(t, "coord", Meta{Role: RoleCoordinator, Version: "test"}))
	all = []*Gossip{coord}
	for _, r := range regions {
		for i := range 3 {
			name := r + "-" + string(rune('a'+i))
			all = append(all, start(t, testConfig(t, name, probeMeta(name, r), coord.LocalAddr())))
		}
	}
	waitAll(t, all, names(all), StateAlive)
	return coord, all
}

func TestMeshConvergesWithRolesAndRegions(t *testing.T) {
	coord, all := startMesh(t)

	for _, view := range all {
		if got := view.Live(RoleCoordinator, ""); len(got) != 1 || got[0].Name != "coord" {
			t.Errorf("%s: Live(coordinator) = %v", view.cfg.NodeName, got)
		}
		if got := view.Live(RoleProbe, ""); len(got) != 9 {
			t.Errorf("%s: Live(probe, any) has %d members, want 9", view.cfg.NodeName, len(got))
		}
		for _, r := range regions {
			want := []string{r + "-a", r + "-b", r + "-c"}
			var got []string
			for _, m := range view.Live(RoleProbe, r) {
				got = append(got, m.Name)
				if !reflect.DeepEqual(m.Meta, probeMeta(m.Name, r)) {
					t.Errorf("%s sees %s meta %+v, want %+v", view.cfg.NodeName, m.Name, m.Meta, probeMeta(m.Name, r))
				}
				if m.Addr == "" || m.Since.IsZero() {
					t.Errorf("%s sees %s without addr or since: %+v", view.cfg.NodeName, m.Name, m)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: Live(probe, %s) = %v, want %v", view.cfg.NodeName, r, got, want)
			}
		}
		if got := view.Live(RoleProbe, "nowhere"); len(got) != 0 {
			t.Errorf("%s: Live(probe, nowhere) = %v", view.cfg.NodeName, got)
		}
	}
	ms := coord.Members()
	if !slices.IsSortedFunc(ms, func(a, b Member) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("Members not sorted by name: %v", ms)
	}
	if m, _ := memberIn(all[1], "coord"); m.Addr != coord.LocalAddr() {
		t.Errorf("coord's address seen as %q, LocalAddr %q", m.Addr, coord.LocalAddr())
	}
	if hs := coord.HealthScore(); hs < 0 {
		t.Errorf("HealthScore = %d", hs)
	}
}

func TestUpdateMetaReachesEveryoneAndNotifies(t *testing.T) {
	a := start(t, testConfig(t, "a", probeMeta("a", "eu-west")))
	b := start(t, testConfig(t, "b", probeMeta("b", "eu-west"), a.LocalAddr()))
	c := start(t, testConfig(t, "c", probeMeta("c", "eu-west"), a.LocalAddr()))
	all := []*Gossip{a, b, c}
	waitAll(t, all, names(all), StateAlive)

	ch, unsubscribe := c.Subscribe()
	defer unsubscribe()
	drain(ch)

	moved := Meta{ProbeID: "a", Role: RoleProbe, Region: "us-east", Version: "v2", Capacity: 1}
	if err := a.UpdateMeta(moved); err != nil {
		t.Fatalf("UpdateMeta: %v", err)
	}
	testwait.Until(t, converge, func() bool {
		for _, v := range all {
			if m, _ := memberIn(v, "a"); !reflect.DeepEqual(m.Meta, moved) {
				return false
			}
		}
		return true
	}, "metadata update not seen everywhere: %s", describe(all))
	select {
	case <-ch:
	default:
		t.Error("subscriber not notified of the metadata update")
	}
	if got := c.Live(RoleProbe, "us-east"); len(got) != 1 || got[0].Name != "a" {
		t.Errorf("Live(probe, us-east) = %v, want a", got)
	}

	big := moved
	big.Version = strings.Repeat("v", MaxMetaSize)
	if err := a.UpdateMeta(big); err == nil {
		t.Error("UpdateMeta accepted metadata over the limit")
	}
	if m, _ := memberIn(a, "a"); !reflect.DeepEqual(m.Meta, moved) {
		t.Errorf("rejected update changed local meta to %+v", m.Meta)
	}

	unsubscribe()
	unsubscribe() // idempotent
	if _, ok := <-ch; ok {
		t.Error("channel still open after unsubscribe")
	}
}

func TestSubscriptionsCloseOnShutdown(t *testing.T) {
	g := start(t, testConfig(t, "solo", probeMeta("solo", "eu-west")))
	ch, unsubscribe := g.Subscribe()
	if err := g.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	drain(ch)
	if _, ok := <-ch; ok {
		t.Error("channel open after Shutdown")
	}
	unsubscribe() // must not panic on a closed subscription
	if late, _ := g.Subscribe(); !isClosed(late) {
		t.Error("Subscribe after Shutdown returned an open channel")
	}
	if err := g.Shutdown(); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if err := g.Leave(0); err != nil {
		t.Errorf("Leave after Shutdown: %v", err)
	}
	if err := g.UpdateMeta(probeMeta("solo", "eu-west")); err == nil {
		t.Error("UpdateMeta after Shutdown succeeded")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := func() Config { return testConfig(t, "n", probeMeta("n", "eu-west")) }
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{"no name", func(c *Config) { c.NodeName = "" }, "node name is required"},
		{"bad preset", func(c *Config) { c.Preset = "fast" }, `unknown preset "fast"`},
		{"no role", func(c *Config) { c.Meta.Role = "" }, "meta role"},
		{"meta too large", func(c *Config) { c.Meta.Region = strings.Repeat("r", 500) }, "encoded meta is"},
		{"meta one byte too large", func(c *Config) { c.Meta = metaOfSize(t, MaxMetaSize+1) }, "encoded meta is 513 bytes"},
		{"negative capacity", func(c *Config) { c.Meta.Capacity = -1 }, "capacity"},
		{"short key", func(c *Config) { c.Keys = [][]byte{[]byte("short")} }, "key size"},
		{"bad secondary key", func(c *Config) { c.Keys = [][]byte{make([]byte, 16), make([]byte, 7)} }, "key size"},
		{"label too long", func(c *Config) { c.Label = strings.Repeat("l", 256) }, "label"},
		{"port out of range", func(c *Config) { c.BindPort = 70000 }, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.mod(&cfg)
			g, err := New(context.Background(), cfg)
			if err == nil {
				_ = g.Shutdown()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestMetaAtLimitIsAccepted is the other side of the boundary: the
// largest metadata that fits starts and gossips.
func TestMetaAtLimitIsAccepted(t *testing.T) {
	m := metaOfSize(t, MaxMetaSize)
	a := start(t, testConfig(t, "a", m))
	b := start(t, testConfig(t, "b", probeMeta("b", "eu-west"), a.LocalAddr()))
	waitAll(t, []*Gossip{a, b}, []string{"a", "b"}, StateAlive)
	if got, _ := memberIn(b, "a"); !reflect.DeepEqual(got.Meta, m) {
		t.Errorf("b sees a's meta %+v, want %+v", got.Meta, m)
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case _, ok := <-ch:
		return !ok
	default:
		return false
	}
}
