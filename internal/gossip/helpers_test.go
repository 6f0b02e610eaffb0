package gossip

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/testlog"
	"github.com/vigilhq/vigil/internal/testwait"
)

// converge bounds every wait for the mesh to reach a state. The local
// preset gets there in about a second; the rest is headroom for -race on
// a busy two-core machine.
const converge = 15 * time.Second

const testLabel = "vigil-test"

// testLogger routes logs to t.Log until the test ends; memberlist's
// goroutines may still log after Shutdown returns, and t.Log panics then.
// VIGIL_GOSSIP_DEBUG=1 includes memberlist's debug lines.
func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("VIGIL_GOSSIP_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return testlog.NewLevel(t, level)
}

// testConfig is a local-preset member on loopback at a free port.
func testConfig(t testing.TB, name string, meta Meta, seeds ...string) Config {
	return Config{
		NodeName: name,
		BindAddr: "127.0.0.1",
		Join:     seeds,
		Label:    testLabel,
		Preset:   PresetLocal,
		Meta:     meta,
		Logger:   testLogger(t),
	}
}

func probeMeta(name, region string) Meta {
	return Meta{ProbeID: name, Role: RoleProbe, Region: region, Version: "test", Capacity: 4}
}

// start runs New and stops the member (hard) when the test ends.
func start(t testing.TB, cfg Config) *Gossip {
	t.Helper()
	g, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.NodeName, err)
	}
	t.Cleanup(func() { _ = g.Shutdown() })
	return g
}

// stateIn returns name's state in g's view ("" when unknown).
func stateIn(g *Gossip, name string) State {
	for _, m := range g.Members() {
		if m.Name == name {
			return m.State
		}
	}
	return ""
}

// member returns name's entry in g's view.
func memberIn(g *Gossip, name string) (Member, bool) {
	for _, m := range g.Members() {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// allSee reports whether every view has every name in state want.
func allSee(views []*Gossip, names []string, want State) bool {
	for _, v := range views {
		for _, n := range names {
			if stateIn(v, n) != want {
				return false
			}
		}
	}
	return true
}

// waitAll waits until every view has every name in state want.
func waitAll(t testing.TB, views []*Gossip, names []string, want State) {
	t.Helper()
	testwait.Until(t, converge, func() bool { return allSee(views, names, want) },
		"want %v %s in every view; views: %s", names, want, describe(views))
}

// describe renders every view, for failure messages.
func describe(views []*Gossip) string {
	var b strings.Builder
	for _, v := range views {
		fmt.Fprintf(&b, "\n  %s:", v.cfg.NodeName)
		for _, m := range v.Members() {
			fmt.Fprintf(&b, " %s=%s", m.Name, m.State)
		}
	}
	return b.String()
}

func names(gs []*Gossip) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.cfg.NodeName
	}
	return out
}
