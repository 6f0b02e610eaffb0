// Package analytics turns rollups, the decided state history and incidents
// into the figures analysts read: uptime and SLO error budget, percentiles
// and Core Web Vitals ratings, flow completion and the step funnel,
// MTTD/MTTR, and time series of any of them.
//
// It reads through Source, its own small interface; the coordinator's store
// implements it, and analytics never imports the coordinator. The rollups
// themselves are kept by package rollup, folded in as results are stored.
package analytics

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Source is what analytics reads. Implementations must be safe for
// concurrent use.
type Source interface {
	// Buckets calls fn with each stored bucket q selects, in key order
	// (rollup.Compare). fn owns the bucket. An error from fn stops the
	// scan and is returned.
	Buckets(ctx context.Context, q rollup.Query, fn func(rollup.Key, *rollup.Bucket) error) error
	// StateChanges returns the decided state history over [from, to) of
	// checkID (region "") or of one of its regions (the region's verdict):
	// the change in force at from (the last at or before it), if any, then
	// the changes after from and before to, oldest first.
	StateChanges(ctx context.Context, checkID, region string, from, to time.Time) ([]StateChange, error)
	// IncidentsOpened returns checkID's incidents opened in [from, to),
	// oldest first, without timelines.
	IncidentsOpened(ctx context.Context, checkID string, from, to time.Time) ([]*vigilv1.Incident, error)
}

// StateChange is one entry of a decided state history: from At on, the
// check (or one region's verdict on it) was in State ("up", "degraded",
// "down" or "unknown"). A region is "down" while its failure is confirmed,
// "degraded" while it breaches the page budget, and "unknown" while it is
// stale or has no live probe.
type StateChange struct {
	At    time.Time
	State string
}

// The decided states the history holds.
const (
	StateUp       = "up"
	StateDegraded = "degraded"
	StateDown     = "down"
	StateUnknown  = "unknown"
)

// Errors a caller maps to its own (the API: InvalidArgument, NotFound).
var (
	// ErrInvalid wraps errors about a request that can never succeed.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound wraps errors about a step the range has no data of.
	ErrNotFound = errors.New("not found")
)

// DefaultSLOTarget is the availability objective when a report names none:
// "three nines" is the usual target for a shop's checkout.
const DefaultSLOTarget = 0.999

// MaxPoints bounds a series, and so what one QueryMetrics call may read: a
// year of hours, or a month of minutes, fits.
const MaxPoints = 50_000

// Config configures a Service.
type Config struct {
	// Source is where the rollups, states and incidents are read; required.
	Source Source
	// MinuteRollups and HourRollups are how long the store keeps minute and
	// hour buckets; 0 means forever. The edges of a range reaching back
	// further are read from coarser buckets.
	MinuteRollups, HourRollups time.Duration
	// Now is the clock; nil means time.Now. Time after now is not part of
	// any range.
	Now func() time.Time
	// Parallel bounds how many checks a report computes at once; 0 means 4,
	// the store's reader pool.
	Parallel int
}

// Service computes reports and series. It is safe for concurrent use.
type Service struct {
	src      Source
	keep     [4]time.Duration // by vigilv1.Resolution; 0 means forever
	now      func() time.Time
	parallel int
}

// New returns a Service reading from cfg.Source.
func New(cfg Config) *Service {
	s := &Service{src: cfg.Source, now: cfg.Now, parallel: cfg.Parallel}
	if s.now == nil {
		s.now = time.Now
	}
	if s.parallel <= 0 {
		s.parallel = 4
	}
	s.keep[vigilv1.Resolution_RESOLUTION_MINUTE] = cfg.MinuteRollups
	s.keep[vigilv1.Resolution_RESOLUTION_HOUR] = cfg.HourRollups
	return s
}

// since returns, per resolution, the oldest bucket start (unix seconds) the
// store still holds at now.
func (s *Service) since(now time.Time) [4]int64 {
	var out [4]int64
	for res, d := range s.keep {
		out[res] = math.MinInt64
		if d > 0 {
			out[res] = now.Add(-d).Unix()
		}
	}
	return out
}

// ResolutionFor returns the resolution a range is charted at: minutes up to
// 6 hours (360 points), hours up to 14 days (336), days beyond.
func ResolutionFor(from, to time.Time) vigilv1.Resolution {
	switch d := to.Sub(from); {
	case d <= 6*time.Hour:
		return vigilv1.Resolution_RESOLUTION_MINUTE
	case d <= 14*24*time.Hour:
		return vigilv1.Resolution_RESOLUTION_HOUR
	}
	return vigilv1.Resolution_RESOLUTION_DAY
}
