package report

import (
	"fmt"
	"strings"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// The Web Vitals chart: for LCP, CLS and TTFB, a 100% stacked bar per
// region (overall first) of the values rated good, needs improvement and
// poor by the published Core Web Vitals thresholds, with the p75 beside it.

// vital is a Web Vital the chart shows, with its thresholds for people.
type vital struct {
	measure    vigilv1.Measure
	name       string
	thresholds string
}

// vitals are the published Core Web Vitals thresholds
// (https://web.dev/articles/vitals): the server rates values with them; the
// chart only names them.
var vitals = []vital{
	{vigilv1.Measure_MEASURE_LCP, "LCP", "good ≤ 2.5 s, poor > 4 s"},
	{vigilv1.Measure_MEASURE_CLS, "CLS", "good ≤ 0.1, poor > 0.25"},
	{vigilv1.Measure_MEASURE_TTFB, "TTFB", "good ≤ 0.8 s, poor > 1.8 s"},
}

// vitalsChart is the chart's geometry.
type vitalsChart struct {
	Height    px
	Legend    []legendItem
	Groups    []vitalGroup
	AriaLabel string
}

type vitalGroup struct {
	TitleY px
	Title  string // "LCP  good ≤ 2.5 s, poor > 4 s"
	Rows   []vitalRow
}

type vitalRow struct {
	LabelX, TextY px // region label (right-aligned at LabelX) and the row's text baseline
	Label         string
	Segs          []ratingSeg
	P75X          px
	P75           string
}

type ratingSeg struct {
	rect
	Class   string // rating-good, rating-ni, rating-poor
	Title   string
	Text    string // the share, when it fits in the segment
	TextX   px
	TextCls string
}

// Layout of the vitals chart, in viewBox units.
const (
	vitalsLabelX = 92
	vitalsBarX   = 100
	vitalsBarW   = 480
	vitalsP75X   = vitalsBarX + vitalsBarW + 10
	vitalsRowH   = 18
	vitalsRowGap = 5
	vitalsTitleH = 22
)

// newVitalsChart returns the chart of c's Web Vitals, or nil when no region
// has a rating; note names the vitals with no values.
func newVitalsChart(c *vigilv1.CheckReport) (ch *vitalsChart, note string) {
	ch = &vitalsChart{}
	ch.Legend, _ = legendRow(vitalsBarX, 12, chartWidth,
		[]string{"rating-good", "rating-ni", "rating-poor"},
		[]string{"good", "needs improvement", "poor"})
	y := 12.0 + 10
	var missing, shown []string
	for _, v := range vitals {
		g := vitalGroup{Title: v.name + " · " + v.thresholds}
		gy := y + vitalsTitleH
		for _, rr := range rows(c) {
			s := summaryOf(rr, v.measure)
			if s.GetRating() == nil {
				continue
			}
			row, ok := newVitalRow(v, rr, s, gy)
			if !ok {
				continue
			}
			g.Rows = append(g.Rows, row)
			gy += vitalsRowH + vitalsRowGap
		}
		if len(g.Rows) == 0 {
			missing = append(missing, v.name)
			continue
		}
		g.TitleY = px(y + 16)
		ch.Groups = append(ch.Groups, g)
		shown = append(shown, v.name)
		y = gy + 4
	}
	switch {
	case len(shown) == 0 && c.GetType() == "http":
		return nil, "No Web Vitals: an http check loads no page, so there is no LCP or CLS to rate."
	case len(shown) == 0:
		return nil, "No Web Vitals measured in this range."
	case len(missing) > 0 && c.GetType() == "http":
		note = strings.Join(missing, " and ") + ": not measured by http checks (they load no page)."
	case len(missing) > 0:
		note = strings.Join(missing, " and ") + ": no values in this range."
	}
	ch.Height = px(y + 4)
	ch.AriaLabel = "Web Vitals ratings per region for " + strings.Join(shown, ", ")
	return ch, note
}

func newVitalRow(v vital, rr *vigilv1.RegionReport, s *vigilv1.MeasureSummary, y float64) (vitalRow, bool) {
	rt := s.GetRating()
	shares := []float64{rt.GetGood(), rt.GetNeedsImprovement(), rt.GetPoor()}
	sum := 0.0
	for _, f := range shares {
		if !finite(f) || f < 0 {
			return vitalRow{}, false
		}
		sum += f
	}
	if sum <= 0 {
		return vitalRow{}, false
	}
	row := vitalRow{LabelX: vitalsLabelX, TextY: px(y + 13), Label: regionName(rr), P75X: vitalsP75X}
	if s.GetQuantiles().GetCount() > 0 {
		row.P75 = "p75 " + measureValue(v.measure, s.GetQuantiles().GetP75())
	}
	classes := []string{"rating-good", "rating-ni", "rating-poor"}
	names := []string{"good", "needs improvement", "poor"}
	x := float64(vitalsBarX)
	for i, f := range shares {
		// Shares are drawn relative to their sum, which absorbs rounding
		// on the server; a share of zero draws nothing.
		w := f / sum * vitalsBarW
		if w <= 0 {
			continue
		}
		seg := ratingSeg{
			rect:    rect{X: px(x), Y: px(y), W: px(w), H: vitalsRowH},
			Class:   classes[i],
			Title:   fmt.Sprintf("%s %s, %s: %s", v.name, regionName(rr), names[i], pct(f, 1)),
			TextX:   px(x + w/2),
			TextCls: "seg-label",
		}
		if label := pct(f, 0); w >= textWidth(label)+6 {
			seg.Text = label
		}
		if i == 1 {
			seg.TextCls = "seg-label dark"
		}
		row.Segs = append(row.Segs, seg)
		x += w
	}
	return row, true
}
