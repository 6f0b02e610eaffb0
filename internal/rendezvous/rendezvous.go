// Package rendezvous assigns keys to members by highest-random-weight
// (rendezvous) hashing: every member gets a pseudo-random weight for a key,
// and the members with the highest weights own it. When a member leaves,
// only the keys it owned move (each to its runner-up); when it comes back,
// exactly those keys return to it.
//
// The weight function is fixed (FNV-1a 64 over the key and the member,
// finished with a 64-bit avalanche mix) and never seeded, so every process
// on every platform and every Vigil version computes the same owners: a
// probe and the coordinator agree on who runs a check without talking, and
// a rolling upgrade does not reshuffle checks. Changing it is a breaking
// change; TestOwnersGolden pins it.
//
// All functions are pure and safe for concurrent use.
package rendezvous

import (
	"cmp"
	"slices"
)

// Owners returns the n members with the highest weight for key, best
// first; fewer if there are fewer distinct members. Duplicate members count
// once. It returns nil when n <= 0 or there are no members. members is not
// modified.
func Owners(key string, members []string, n int) []string {
	if n <= 0 || len(members) == 0 {
		return nil
	}
	scored := make([]scoredMember, 0, len(members))
	kh := hashKey(key)
	for _, m := range members {
		scored = append(scored, scoredMember{name: m, weight: weight(kh, m)})
	}
	// Highest weight first; equal weights (only for equal names, in
	// practice) fall back to the name so the order is total.
	slices.SortFunc(scored, func(a, b scoredMember) int {
		if c := cmp.Compare(b.weight, a.weight); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	scored = slices.CompactFunc(scored, func(a, b scoredMember) bool { return a.name == b.name })
	out := make([]string, 0, min(n, len(scored)))
	for _, s := range scored[:min(n, len(scored))] {
		out = append(out, s.name)
	}
	return out
}

// Owner returns the member with the highest weight for key, or "" when
// there are no members.
func Owner(key string, members []string) string {
	var (
		best   string
		bestW  uint64
		kh     = hashKey(key)
		picked bool
	)
	for _, m := range members {
		w := weight(kh, m)
		if !picked || w > bestW || (w == bestW && m < best) {
			best, bestW, picked = m, w, true
		}
	}
	return best
}

type scoredMember struct {
	name   string
	weight uint64
}

const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// keyHash is the FNV-1a state after the key and its length, so the
// per-member work is only the member's bytes.
type keyHash uint64

// hashKey feeds the key's length (8 bytes, little endian) and then its
// bytes. The length prefix keeps ("ab", "c") and ("a", "bc") apart.
func hashKey(key string) keyHash {
	h := uint64(fnvOffset64)
	n := uint64(len(key))
	for i := range 8 {
		h ^= (n >> (8 * i)) & 0xff
		h *= fnvPrime64
	}
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= fnvPrime64
	}
	return keyHash(h)
}

// weight combines the key's hash with the member's and finishes with the
// murmur3 fmix64 avalanche. Both sides are hashed on their own first:
// continuing the key's FNV-1a state over the member's bytes (an earlier
// version) ranked members whose names differ only in their last byte
// (eu-0, eu-1, eu-2) unevenly, 41/14/35 for 90 keys.
func weight(kh keyHash, member string) uint64 {
	return fmix64(fmix64(uint64(kh)) ^ fmix64(fnv1a(member)))
}

// fnv1a is the 64-bit FNV-1a hash of s.
func fnv1a(s string) uint64 {
	h := uint64(fnvOffset64)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

// fmix64 is murmur3's finaliser: every input bit affects every output bit.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
