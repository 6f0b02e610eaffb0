package uplink

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/vigilhq/vigil/internal/testwait"
	"github.com/vigilhq/vigil/probe/internal/uplink/uplinktest"
)

// TestResolveFailsOver resolves to the first of two coordinators, stops it,
// and expects the next sessions to go where the resolver points next, with
// every result delivered once across both.
func TestResolveFailsOver(t *testing.T) {
	first, second := &uplinktest.Coordinator{}, &uplinktest.Coordinator{}
	addrs := []string{first.Start(t), second.Start(t)}
	var (
		mu    sync.Mutex
		calls int
		down  = map[string]bool{}
	)
	resolve := func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return "", errors.New("no coordinator known yet") // as before gossip converges
		}
		for _, a := range addrs {
			if !down[a] {
				return a, nil
			}
		}
		return "", errors.New("no coordinator up")
	}
	u := newTestUplink(t, "", func(c *Config) { c.Resolve = resolve })
	start(t, u)
	before := results("before", 5)
	sendAll(u, before)
	waitDelivered(t, u)
	if u.Addr() != addrs[0] {
		t.Fatalf("first session to %q, want %q", u.Addr(), addrs[0])
	}

	mu.Lock()
	down[addrs[0]] = true
	mu.Unlock()
	first.Stop()
	after := results("after", 5)
	sendAll(u, after)
	waitDelivered(t, u)
	testwait.Until(t, wait, func() bool { return u.Addr() == addrs[1] }, "session moved to the second coordinator")

	got := append(first.Stored(), second.Stored()...)
	slices.Sort(got)
	want := append(idsOf(before), idsOf(after)...)
	slices.Sort(want)
	if !slices.Equal(slices.Compact(got), want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}
