package gossip

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestTableTransitions(t *testing.T) {
	t0 := time.Unix(1000, 0)
	meta := probeMeta("p", "eu-west")
	tests := []struct {
		name      string
		steps     func(tb *table)
		wantState State
		deaths    int
	}{
		{"crash is dead", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.gone(t0, "p", "10.0.0.1:7946", false)
		}, StateDead, 1},
		{"announced leave is left", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.markLeaving("p", "10.0.0.1:7946")
			tb.gone(t0, "p", "10.0.0.1:7946", false)
		}, StateLeft, 0},
		{"announcement after death corrects to left", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.gone(t0, "p", "10.0.0.1:7946", false)
			tb.markLeaving("p", "10.0.0.1:7946")
		}, StateLeft, 1},
		{"announcement from another address is ignored", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.markLeaving("p", "10.0.0.2:7946")
			tb.gone(t0, "p", "10.0.0.1:7946", false)
		}, StateDead, 1},
		{"push/pull correction needs the same address", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.gone(t0, "p", "10.0.0.1:7946", false)
			tb.markLeft("p", "10.0.0.9:7946")
		}, StateDead, 1},
		{"push/pull correction", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.gone(t0, "p", "10.0.0.1:7946", false)
			tb.markLeft("p", "10.0.0.1:7946")
		}, StateLeft, 1},
		{"push/pull never revives or kills", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.markLeft("p", "10.0.0.1:7946")
		}, StateAlive, 0},
		{"a new life forgets the old announcement", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.markLeaving("p", "10.0.0.1:7946")
			tb.gone(t0, "p", "10.0.0.1:7946", false)
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.gone(t0, "p", "10.0.0.1:7946", false)
		}, StateDead, 1},
		{"restart at a new address forgets the announcement", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.markLeaving("p", "10.0.0.1:7946")
			tb.alive(t0, "p", "10.0.0.3:7946", meta, true)
			tb.gone(t0, "p", "10.0.0.3:7946", false)
		}, StateDead, 1},
		{"metadata update keeps the announcement", func(tb *table) {
			tb.alive(t0, "p", "10.0.0.1:7946", meta, true)
			tb.markLeaving("p", "10.0.0.1:7946")
			tb.alive(t0, "p", "10.0.0.1:7946", probeMeta("p", "us-east"), true)
			tb.gone(t0, "p", "10.0.0.1:7946", false)
		}, StateLeft, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTable("self")
			tt.steps(tb)
			m := tb.snapshot(nil)
			if len(m) != 1 || m[0].State != tt.wantState {
				t.Fatalf("members %+v, want p %s", m, tt.wantState)
			}
			if got := tb.deaths("p"); got != tt.deaths {
				t.Errorf("deaths = %d, want %d", got, tt.deaths)
			}
		})
	}
}

func TestTableKeepsMetaWhenUnreadable(t *testing.T) {
	tb := newTable("self")
	tb.alive(time.Now(), "p", "a:1", probeMeta("p", "eu-west"), true)
	tb.alive(time.Now(), "p", "a:1", Meta{}, false)
	if m := tb.snapshot(nil)[0]; !reflect.DeepEqual(m.Meta, probeMeta("p", "eu-west")) {
		t.Errorf("meta = %+v", m.Meta)
	}
}

func TestTablePrune(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tb := newTable("self")
	tb.alive(t0, "self", "a:1", probeMeta("self", "r"), true)
	tb.gone(t0, "self", "a:1", true)
	tb.alive(t0, "old-dead", "a:2", probeMeta("x", "r"), true)
	tb.gone(t0, "old-dead", "a:2", false)
	tb.alive(t0, "alive", "a:3", probeMeta("x", "r"), true)
	tb.alive(t0, "new-dead", "a:4", probeMeta("x", "r"), true)
	tb.gone(t0.Add(time.Hour), "new-dead", "a:4", false)

	tb.prune(t0.Add(90*time.Minute), time.Hour)
	var got []string
	for _, m := range tb.snapshot(nil) {
		got = append(got, m.Name)
	}
	want := []string{"alive", "new-dead", "self"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("after prune: %v, want %v", got, want)
	}
}

func TestSubscribeCoalesces(t *testing.T) {
	tb := newTable("self")
	ch, unsubscribe := tb.subscribe()
	for i := range 10 {
		tb.alive(time.Now(), "p", "a:1", Meta{Role: RoleProbe, Capacity: i}, true) // never blocks
	}
	if len(ch) != 1 {
		t.Fatalf("%d pending notifications, want 1", len(ch))
	}
	unsubscribe()
	tb.alive(time.Now(), "p", "a:1", Meta{Role: RoleProbe}, true) // no send on a closed channel
	tb.close()
	if late, _ := tb.subscribe(); !isClosed(late) {
		t.Error("subscription after close is open")
	}
}

func TestSameAddr(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"127.0.0.1:7946", "127.0.0.1:7946", true},
		{"[::1]:7946", "[0:0:0:0:0:0:0:1]:7946", true},
		{"127.0.0.1:7946", "127.0.0.1:7947", false},
		{"seed.example:7946", "10.0.0.1:7946", false},
		{"garbage", "127.0.0.1:7946", false},
	}
	for _, tt := range tests {
		if got := sameAddr(tt.a, tt.b); got != tt.want {
			t.Errorf("sameAddr(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestJitterBounds(t *testing.T) {
	for range 1000 {
		if d := jitter(time.Second); d < 750*time.Millisecond || d >= 1250*time.Millisecond {
			t.Fatalf("jitter(1s) = %s", d)
		}
	}
}

func TestPresetSuspicionTimeout(t *testing.T) {
	tests := []struct {
		p    Preset
		n    int
		want time.Duration
	}{
		{PresetWAN, 3, 40 * time.Second},
		{PresetLAN, 3, 6 * time.Second},
		{PresetLAN, 100, 12 * time.Second},
		{PresetLocal, 3, 400 * time.Millisecond},
		{"", 3, 6 * time.Second},
		{"bogus", 3, 0},
	}
	for _, tt := range tests {
		if got := tt.p.SuspicionTimeout(tt.n); got != tt.want {
			t.Errorf("%q.SuspicionTimeout(%d) = %s, want %s", tt.p, tt.n, got, tt.want)
		}
	}
}

func TestReconnectTargets(t *testing.T) {
	m := func(name, addr string, st State) Member { return Member{Name: name, Addr: addr, State: st} }
	always := func() float64 { return 0 }
	never := func() float64 { return 0.999999 }
	first := func(int) int { return 0 }
	tests := []struct {
		name    string
		members []Member
		seeds   []string
		roll    func() float64
		want    []string
	}{
		{"healthy mesh, live seed", []Member{m("self", "h:1", StateAlive), m("b", "h:2", StateAlive)}, []string{"h:2"}, always, nil},
		{"seed not a live member", []Member{m("self", "h:1", StateAlive)}, []string{"h:2", "seed.example:7946"}, always, []string{"h:2", "seed.example:7946"}},
		{"dead member", []Member{m("self", "h:1", StateAlive), m("b", "h:2", StateDead)}, nil, always, []string{"b/h:2"}},
		{"one dead of three, roll fails", []Member{m("self", "h:1", StateAlive), m("b", "h:2", StateDead), m("c", "h:3", StateAlive), m("d", "h:4", StateAlive)}, nil, never, nil},
		{"as many dead as alive: always tries", []Member{m("self", "h:1", StateAlive), m("b", "h:2", StateDead)}, nil, never, []string{"b/h:2"}},
		{"left members are not dialed", []Member{m("self", "h:1", StateAlive), m("b", "h:2", StateLeft)}, nil, always, nil},
		{"never ourselves", []Member{m("self", "h:1", StateDead)}, nil, always, nil},
		{"dead seed and dead member", []Member{m("self", "h:1", StateAlive), m("b", "h:2", StateDead)}, []string{"h:2"}, always, []string{"b/h:2", "h:2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reconnectTargets(tt.members, "self", tt.seeds, tt.roll, first)
			if !slices.Equal(got, tt.want) {
				t.Errorf("targets = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReconnectProbability: one dead member among ten live ones is tried
// by a member about a tenth of the time, so the mesh as a whole dials it
// about once per interval.
func TestReconnectProbability(t *testing.T) {
	members := []Member{{Name: "dead", Addr: "h:0", State: StateDead}}
	for i := range 10 {
		members = append(members, Member{Name: string(rune('a' + i)), Addr: "h:" + string(rune('1'+i)), State: StateAlive})
	}
	tries := 0
	for i := range 1000 {
		roll := func() float64 { return float64(i) / 1000 }
		if len(reconnectTargets(members, "a", nil, roll, func(int) int { return 0 })) > 0 {
			tries++
		}
	}
	if tries != 100 {
		t.Errorf("tried %d of 1000 rounds, want 100", tries)
	}
}
