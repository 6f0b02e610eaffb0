// Package rollup folds results into time buckets (rollups) per check,
// region, step and resolution, holding counters and mergeable DDSketch
// quantile sketches. It knows nothing of SQL: a store implements Table and
// serialises a Bucket's sketches with EncodeSketch and DecodeSketch.
//
// Buckets are updated as results arrive (Roller.Fold runs inside the
// transaction that stores them), so a rollup counts a result exactly when
// the store holds it.
package rollup

import (
	"cmp"
	"fmt"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Resolutions are the bucket widths every result is folded into, finest
// first.
var Resolutions = [...]vigilv1.Resolution{
	vigilv1.Resolution_RESOLUTION_MINUTE,
	vigilv1.Resolution_RESOLUTION_HOUR,
	vigilv1.Resolution_RESOLUTION_DAY,
}

// Width returns the width of res's buckets in seconds, or 0 for an
// unspecified or unknown resolution.
func Width(res vigilv1.Resolution) int64 {
	switch res {
	case vigilv1.Resolution_RESOLUTION_MINUTE:
		return 60
	case vigilv1.Resolution_RESOLUTION_HOUR:
		return 3600
	case vigilv1.Resolution_RESOLUTION_DAY:
		return 86400 // unix time has no leap seconds, so days align on UTC midnight
	}
	return 0
}

// Floor returns the start (unix seconds) of the res bucket holding unix
// second sec. res must be a known resolution.
func Floor(res vigilv1.Resolution, sec int64) int64 {
	w := Width(res)
	q := sec / w
	if sec%w < 0 {
		q-- // round towards minus infinity for times before 1970
	}
	return q * w
}

// Ceil returns the smallest res bucket start at or after unix second sec.
func Ceil(res vigilv1.Resolution, sec int64) int64 {
	f := Floor(res, sec)
	if f == sec {
		return f
	}
	return f + Width(res)
}

// Key names one bucket.
type Key struct {
	CheckID string
	Region  string
	// Step is 0 for the whole run, or a browser step's 1-based index.
	Step uint32
	Res  vigilv1.Resolution
	// Start is the bucket's start in unix seconds.
	Start int64
}

// Time returns the bucket's start.
func (k Key) Time() time.Time { return time.Unix(k.Start, 0).UTC() }

func (k Key) String() string {
	return fmt.Sprintf("%s/%s/step%d/%s/%s", k.CheckID, k.Region, k.Step, k.Res, k.Time().Format(time.RFC3339))
}

// Compare orders keys the way the SQLite table's primary key does (check,
// resolution, start, region, step), so writes in this order touch the
// b-tree sequentially.
func Compare(a, b Key) int {
	return cmp.Or(
		cmp.Compare(a.CheckID, b.CheckID),
		cmp.Compare(a.Res, b.Res),
		cmp.Compare(a.Start, b.Start),
		cmp.Compare(a.Region, b.Region),
		cmp.Compare(a.Step, b.Step),
	)
}

// AnyStep makes a Query select every step, the whole run's buckets
// included.
const AnyStep = -1

// Query selects buckets of one check at one resolution.
type Query struct {
	CheckID string
	Res     vigilv1.Resolution
	// From and To bound the bucket starts, unix seconds: [From, To).
	From, To int64
	// Region keeps one region; empty keeps every region.
	Region string
	// Step keeps one step (0: the whole run), or every step with AnyStep.
	Step int
	// Sketches are the sketches to decode; the others are left nil, which
	// saves decoding when only counters are wanted.
	Sketches SketchSet
}
