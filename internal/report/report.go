// Package report renders a vigilv1.Report, the analytics of checks over a
// time range that VigilService.GetReport returns, for people and tools:
//
//   - HTML: one self-contained page (inline CSS and SVG, no JavaScript, no
//     external resources) that reads well on screen and printed on A4;
//   - CSV: one row per check and region, with the stable columns of Columns;
//   - JSON: the protobuf JSON mapping, indented, with proto field names.
//
// Renderers only read the report and never consult the clock or the
// environment, so the same report renders to the same bytes (times are shown
// in UTC). They are safe for concurrent use.
package report

import (
	"math"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// overallRegion names the check's overall figures where a region name is
// needed (CSV rows, table rows).
const overallRegion = "all"

// regionName is the region's name, or overallRegion for the overall figures.
func regionName(rr *vigilv1.RegionReport) string {
	if rr.GetRegion() == "" {
		return overallRegion
	}
	return rr.GetRegion()
}

// rows returns the check's overall figures (when present) followed by its
// regions, in the report's order.
func rows(c *vigilv1.CheckReport) []*vigilv1.RegionReport {
	var out []*vigilv1.RegionReport
	if c.GetOverall() != nil {
		out = append(out, c.GetOverall())
	}
	return append(out, c.GetRegions()...)
}

// summaryOf returns rr's summary of measure m, or nil when it has none or
// the summary holds no values.
func summaryOf(rr *vigilv1.RegionReport, m vigilv1.Measure) *vigilv1.MeasureSummary {
	for _, s := range rr.GetMeasures() {
		if s.GetMeasure() == m {
			if s.GetQuantiles().GetCount() == 0 && s.GetRating() == nil {
				return nil
			}
			return s
		}
	}
	return nil
}

// completion returns rr's completion rate, and false when no run passed or
// failed (the rate is 0/0, whatever the server put in the field).
func completion(rr *vigilv1.RegionReport) (float64, bool) {
	return rr.GetCompletionRate(), rr.GetPasses()+rr.GetFailures() > 0
}

// finite reports whether v is a number a chart or a cell can show.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// reportRange returns the report's range, and false when it is missing or
// empty.
func reportRange(r *vigilv1.Report) (from, to time.Time, ok bool) {
	if r.GetFrom() == nil || r.GetTo() == nil {
		return time.Time{}, time.Time{}, false
	}
	from, to = r.GetFrom().AsTime(), r.GetTo().AsTime()
	return from, to, to.After(from)
}
