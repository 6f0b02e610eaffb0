package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Columns are the CSV report's columns, in order. They are part of the
// report's contract: new columns are added at the end, none is renamed or
// removed. One row per check and region; region "all" is the check's overall
// figures and comes first.
//
//	check, type, region        the check's id, its type (http, browser), the region
//	runs, passes, failures,    counts of results; probe errors count neither for
//	probe_errors               nor against the site
//	completion_rate            passes / (passes + failures), 0..1
//	uptime, unknown            fractions of the range not down, and unknown
//	<m>_p50_ms .. <m>_p99_ms   percentiles in milliseconds of m = flow (a run's
//	                           whole time), ttfb, load (page load), lcp
//	cls_p75                    CLS score at p75
//	<v>_good, <v>_needs_improvement, <v>_poor
//	                           fractions of values per Core Web Vitals rating,
//	                           v = lcp, cls, ttfb
//	slo_target, slo_achieved   availability objective and uptime, 0..1
//	budget_remaining, burn_rate  error budget left (negative: overspent) and
//	                           its burn rate (1: on track to use it exactly)
//	mttd_s, mttr_s             mean time to detect and to resolve, seconds
//	incidents                  incidents opened in the range
//	outage_s                   seconds the check was down or degraded
//	completion_normal,         completion rate outside and during outages
//	completion_outage
//	lost_s                     outage seconds weighted by the drop in
//	                           completion: seconds of checkout lost entirely
//
// The SLO, MTTD, MTTR, incident and outage columns belong to the check, so
// they are filled on its "all" row only. A cell is empty when the value does not
// exist (an http check has no LCP; a range without incidents has no MTTR;
// a row without passes or failures has no completion rate), never zero. Numbers have fixed decimals: fractions 6, milliseconds 1, CLS
// 4, seconds 1, burn rate 3.
var Columns = []string{
	"check", "type", "region",
	"runs", "passes", "failures", "probe_errors",
	"completion_rate", "uptime", "unknown",
	"flow_p50_ms", "flow_p75_ms", "flow_p95_ms", "flow_p99_ms",
	"ttfb_p50_ms", "ttfb_p75_ms", "ttfb_p95_ms", "ttfb_p99_ms",
	"load_p50_ms", "load_p75_ms", "load_p95_ms", "load_p99_ms",
	"lcp_p50_ms", "lcp_p75_ms", "lcp_p95_ms", "lcp_p99_ms",
	"cls_p75",
	"lcp_good", "lcp_needs_improvement", "lcp_poor",
	"cls_good", "cls_needs_improvement", "cls_poor",
	"ttfb_good", "ttfb_needs_improvement", "ttfb_poor",
	"slo_target", "slo_achieved", "budget_remaining", "burn_rate",
	"mttd_s", "mttr_s", "incidents",
	"outage_s", "completion_normal", "completion_outage", "lost_s",
}

// CSV writes r as CSV: a header row of Columns, then one row per check and
// region in the report's order. Line ends are \n.
func CSV(w io.Writer, r *vigilv1.Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, c := range r.GetChecks() {
		for _, rr := range rows(c) {
			row := csvRow(c, rr)
			if len(row) != len(Columns) {
				return fmt.Errorf("csv row of %s/%s has %d cells, want %d", c.GetCheckId(), regionName(rr), len(row), len(Columns))
			}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func csvRow(c *vigilv1.CheckReport, rr *vigilv1.RegionReport) []string {
	row := []string{
		c.GetCheckId(), c.GetType(), regionName(rr),
		integer(rr.GetRuns()), integer(rr.GetPasses()), integer(rr.GetFailures()), integer(rr.GetProbeErrors()),
		"", fixed(rr.GetUptime(), 6), fixed(rr.GetUnknown(), 6),
	}
	if rate, ok := completion(rr); ok {
		row[7] = fixed(rate, 6)
	}
	for _, m := range []vigilv1.Measure{vigilv1.Measure_MEASURE_FLOW, vigilv1.Measure_MEASURE_TTFB,
		vigilv1.Measure_MEASURE_LOAD, vigilv1.Measure_MEASURE_LCP} {
		s := summaryOf(rr, m)
		if s.GetQuantiles().GetCount() == 0 {
			row = append(row, "", "", "", "")
			continue
		}
		qs := s.GetQuantiles()
		row = append(row, fixed(qs.GetP50(), 1), fixed(qs.GetP75(), 1), fixed(qs.GetP95(), 1), fixed(qs.GetP99(), 1))
	}
	if s := summaryOf(rr, vigilv1.Measure_MEASURE_CLS); s.GetQuantiles().GetCount() > 0 {
		row = append(row, fixed(s.GetQuantiles().GetP75(), 4))
	} else {
		row = append(row, "")
	}
	for _, m := range []vigilv1.Measure{vigilv1.Measure_MEASURE_LCP, vigilv1.Measure_MEASURE_CLS, vigilv1.Measure_MEASURE_TTFB} {
		rt := summaryOf(rr, m).GetRating()
		if rt == nil {
			row = append(row, "", "", "")
			continue
		}
		row = append(row, fixed(rt.GetGood(), 6), fixed(rt.GetNeedsImprovement(), 6), fixed(rt.GetPoor(), 6))
	}
	if rr != c.GetOverall() {
		return append(row, make([]string, len(Columns)-len(row))...)
	}
	if slo := c.GetSlo(); slo != nil {
		row = append(row, fixed(slo.GetTarget(), 6), fixed(slo.GetAchieved(), 6),
			fixed(slo.GetBudgetRemaining(), 6), fixed(slo.GetBurnRate(), 3))
	} else {
		row = append(row, "", "", "", "")
	}
	mttd, mttr := "", ""
	if c.GetMttd() != nil {
		mttd = fixed(c.GetMttd().AsDuration().Seconds(), 1)
	}
	if c.GetMttr() != nil {
		mttr = fixed(c.GetMttr().AsDuration().Seconds(), 1)
	}
	row = append(row, mttd, mttr, integer(int64(len(c.GetIncidents()))))
	imp := c.GetImpact()
	if imp == nil {
		return append(row, "", "", "", "")
	}
	normal, outage := fixed(imp.GetCompletionNormal(), 6), fixed(imp.GetCompletionOutage(), 6)
	if imp.GetRunsOutage() == 0 {
		outage = ""
	}
	if imp.GetRunsOutage() == rr.GetPasses()+rr.GetFailures() {
		normal = "" // every run was during an outage
	}
	return append(row, fixed(imp.GetOutageTime().AsDuration().Seconds(), 1), normal, outage,
		fixed(imp.GetLostTime().AsDuration().Seconds(), 1))
}

// fixed formats v with a fixed number of decimals; a non-finite value is an
// empty cell.
func fixed(v float64, decimals int) string {
	if !finite(v) {
		return ""
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if s == "-"+strconv.FormatFloat(0, 'f', decimals, 64) {
		return s[1:] // no "-0.0"
	}
	return s
}

func integer(n int64) string { return strconv.FormatInt(n, 10) }
