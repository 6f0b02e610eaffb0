package analyticstest

import (
	"context"
	"slices"
	"time"

	"github.com/vigilhq/vigil/analytics"
	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Memory is an in-memory analytics.Source holding a data set: its results
// folded with rollup.Group (the same code the store's insert hook runs),
// its states and incidents. The store's tests check that a report from
// Memory equals one from SQLite, so renderer tests can use it without a
// database. It is safe for concurrent use once built.
type Memory struct {
	keys      []rollup.Key // sorted by rollup.Compare
	buckets   map[rollup.Key]*rollup.Bucket
	states    map[StateKey][]analytics.StateChange
	incidents []*vigilv1.Incident
}

var _ analytics.Source = (*Memory)(nil)

// NewMemory returns a Memory holding d.
func NewMemory(d *Data) *Memory {
	m := &Memory{buckets: rollup.Group(d.Results), states: d.States, incidents: d.Incidents}
	for k := range m.buckets {
		m.keys = append(m.keys, k)
	}
	slices.SortFunc(m.keys, rollup.Compare)
	return m
}

// Buckets implements analytics.Source. Buckets handed to fn are copies.
func (m *Memory) Buckets(ctx context.Context, q rollup.Query, fn func(rollup.Key, *rollup.Bucket) error) error {
	lo, _ := slices.BinarySearchFunc(m.keys, rollup.Key{CheckID: q.CheckID, Res: q.Res, Start: q.From}, rollup.Compare)
	for _, k := range m.keys[lo:] {
		if k.CheckID != q.CheckID || k.Res != q.Res || k.Start >= q.To {
			break
		}
		if (q.Region != "" && k.Region != q.Region) || (q.Step != rollup.AnyStep && int(k.Step) != q.Step) {
			continue
		}
		src := m.buckets[k]
		b := &rollup.Bucket{StepName: src.StepName, Counts: src.Counts}
		for i, s := range src.Sketches {
			if s != nil && q.Sketches.Has(rollup.Sketch(i)) {
				b.Sketches[i] = s.Copy()
			}
		}
		if err := fn(k, b); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// StateChanges implements analytics.Source.
func (m *Memory) StateChanges(_ context.Context, checkID, region string, from, to time.Time) ([]analytics.StateChange, error) {
	var out []analytics.StateChange
	for _, c := range m.states[StateKey{checkID, region}] {
		switch {
		case !c.At.After(from):
			out = append(out[:0], c)
		case c.At.Before(to):
			out = append(out, c)
		}
	}
	return out, nil
}

// IncidentsOpened implements analytics.Source.
func (m *Memory) IncidentsOpened(_ context.Context, checkID string, from, to time.Time) ([]*vigilv1.Incident, error) {
	var out []*vigilv1.Incident
	for _, inc := range m.incidents {
		at := inc.GetOpenedAt().AsTime()
		if inc.GetCheckId() == checkID && !at.Before(from) && at.Before(to) {
			out = append(out, inc)
		}
	}
	return out, nil
}
