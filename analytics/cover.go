package analytics

import (
	"github.com/vigilhq/vigil/analytics/rollup"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

const (
	minute = vigilv1.Resolution_RESOLUTION_MINUTE
	hour   = vigilv1.Resolution_RESOLUTION_HOUR
	day    = vigilv1.Resolution_RESOLUTION_DAY
)

// piece is a run of whole buckets of one resolution, [from, to) in unix
// seconds.
type piece struct {
	res      vigilv1.Resolution
	from, to int64
}

// cover splits [from, to) (unix seconds) into runs of whole buckets, as
// coarse as alignment allows: minutes at the edges, then hours, days in the
// middle. A 30-day report so reads about 30 day buckets and 100 finer ones
// per region and step instead of 43,200 minutes, and its totals still count
// exactly the results of the range, to the minute.
//
// The range is widened to whole minutes (from rounded down, to up). An edge
// older than what a resolution is still kept for (since, per resolution)
// widens to the next coarser bucket instead.
func cover(from, to int64, since [4]int64) []piece {
	a, b := rollup.Floor(minute, from), rollup.Ceil(minute, to)
	for _, step := range [...]struct{ fine, coarse vigilv1.Resolution }{{minute, hour}, {hour, day}} {
		if a < since[step.fine] {
			a = rollup.Floor(step.coarse, a)
		}
		if rollup.Floor(step.coarse, b) < since[step.fine] {
			b = rollup.Ceil(step.coarse, b)
		}
	}
	var out []piece
	for cur := a; cur < b; {
		res := minute
		for _, r := range [...]vigilv1.Resolution{day, hour} {
			if w := rollup.Width(r); cur%w == 0 && cur+w <= b && cur >= since[r] {
				res = r
				break
			}
		}
		next := cur + rollup.Width(res)
		if n := len(out); n > 0 && out[n-1].res == res && out[n-1].to == cur {
			out[n-1].to = next
		} else {
			out = append(out, piece{res: res, from: cur, to: next})
		}
		cur = next
	}
	return out
}
