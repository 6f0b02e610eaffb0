// Package catalog holds the set of loaded checks. It is safe for concurrent
// use: readers get an immutable snapshot, and Set swaps the whole set.
package catalog

import (
	"cmp"
	"slices"
	"sync/atomic"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Catalog is the current set of checks. The checks it holds are shared and
// must not be modified by anyone.
type Catalog struct {
	snap atomic.Pointer[snapshot]
}

type snapshot struct {
	byID   map[string]*vigilv1.Check
	sorted []*vigilv1.Check // by name, then id
}

// New returns a catalog holding checks.
func New(checks []*vigilv1.Check) *Catalog {
	c := new(Catalog)
	c.Set(checks)
	return c
}

// Set replaces the checks. Ids are expected unique; on a duplicate the last
// one wins.
func (c *Catalog) Set(checks []*vigilv1.Check) {
	s := &snapshot{byID: make(map[string]*vigilv1.Check, len(checks))}
	for _, ch := range checks {
		s.byID[ch.GetId()] = ch
	}
	for _, ch := range s.byID {
		s.sorted = append(s.sorted, ch)
	}
	slices.SortFunc(s.sorted, func(a, b *vigilv1.Check) int {
		return cmp.Or(cmp.Compare(a.GetName(), b.GetName()), cmp.Compare(a.GetId(), b.GetId()))
	})
	c.snap.Store(s)
}

// Get returns the check with id.
func (c *Catalog) Get(id string) (*vigilv1.Check, bool) {
	ch, ok := c.snap.Load().byID[id]
	return ch, ok
}

// List returns every check sorted by name, then id. The slice is shared:
// callers must not modify it.
func (c *Catalog) List() []*vigilv1.Check {
	return c.snap.Load().sorted
}
