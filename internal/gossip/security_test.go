package gossip

import (
	"bytes"
	"testing"

	"github.com/vigilhq/vigil/internal/testwait"
)

// TestForeignMembersNeverAdmitted starts a two-member mesh (encrypted,
// labelled) and a member that must not get in. Its initial join fails
// (logged, not fatal), a direct Join errors, and through several of its
// reconnect attempts neither side ever lists the other.
func TestForeignMembersNeverAdmitted(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	otherKey := bytes.Repeat([]byte{2}, 32)
	tests := []struct {
		name string
		mod  func(*Config)
	}{
		{"wrong key", func(c *Config) { c.Keys = [][]byte{otherKey} }},
		{"no key", func(c *Config) { c.Keys = nil }},
		{"different label", func(c *Config) { c.Label = "other-mesh" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mesh := func(name string, seeds ...string) Config {
				c := testConfig(t, name, probeMeta(name, "eu-west"), seeds...)
				c.Keys = [][]byte{key}
				return c
			}
			a := start(t, mesh("a"))
			b := start(t, mesh("b", a.LocalAddr()))
			waitAll(t, []*Gossip{a, b}, []string{"a", "b"}, StateAlive)

			cfg := mesh("intruder", a.LocalAddr())
			tt.mod(&cfg)
			in := start(t, cfg)
			if _, err := in.ml.Join([]string{a.LocalAddr()}); err == nil {
				t.Error("intruder's Join succeeded")
			}
			admitted := false
			testwait.Until(t, converge, func() bool {
				for _, v := range []*Gossip{a, b} {
					if _, ok := memberIn(v, "intruder"); ok {
						admitted = true
					}
				}
				if _, ok := memberIn(in, "a"); ok {
					admitted = true
				}
				return admitted || in.reconnectTries.Load() >= 3
			}, "intruder made %d reconnect attempts", in.reconnectTries.Load())
			if admitted {
				t.Fatalf("intruder admitted: %s", describe([]*Gossip{a, b, in}))
			}
			if in.reconnects.Load() != 0 {
				t.Errorf("intruder's reconnects succeeded %d times", in.reconnects.Load())
			}
		})
	}
}

// TestKeyRotation follows the documented procedure: a member with the new
// key as primary and the old one as secondary joins members that still
// encrypt with the old key, and they converge.
func TestKeyRotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{3}, 16)
	withKeys := func(name string, keys [][]byte, seeds ...string) Config {
		c := testConfig(t, name, probeMeta(name, "eu-west"), seeds...)
		c.Keys = keys
		return c
	}
	a := start(t, withKeys("a", [][]byte{oldKey, newKey}))
	b := start(t, withKeys("b", [][]byte{newKey, oldKey}, a.LocalAddr()))
	all := []*Gossip{a, b}
	waitAll(t, all, names(all), StateAlive)
}
