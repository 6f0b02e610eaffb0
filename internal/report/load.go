package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// The load chart: the p75 page load (browser) or flow time (http) of each
// region over time, one line per region, with value and time axes and a
// legend.

// loadChart is the chart's geometry.
type loadChart struct {
	Height    px
	Plot      rect
	Left      px // y axis x
	LabelX    px // y tick labels end here
	Right     px // right edge of the plot
	Bottom    px // x axis y
	TickEnd   px // x tick marks run from Bottom to TickEnd
	YTicks    []tick
	XTicks    []tick
	TickY     px // time labels' baseline
	Lines     []seriesLine
	Legend    []legendItem
	AriaLabel string
}

// seriesLine is one series: a path broken at empty buckets, and dots at
// its points when there are few of them (and always at a point with no
// neighbour, which a path cannot show).
type seriesLine struct {
	Class string // series-0 .. series-7, or series-all
	D     string // SVG path data
	Dots  []dot
	Label string
}

type dot struct {
	X, Y  px
	Title string
}

// maxDotsPerSeries is the most points of a series drawn as dots as well as
// a line; beyond it the dots would merge into a thick line.
const maxDotsPerSeries = 60

// seriesColours is the number of distinct series classes in the CSS.
const seriesColours = 8

// Layout of the load chart, in viewBox units.
const (
	loadLeft   = 58 // room for "12.5 s"
	loadRight  = chartWidth - 12
	loadPlotH  = 200
	loadLegend = 12
)

// newLoadChart returns the chart of c's load series over [from, to), with
// its caption; or nil and a note when no series has points.
func newLoadChart(c *vigilv1.CheckReport, from, to time.Time) (ch *loadChart, caption, note string) {
	var series []*vigilv1.Series
	maxV := 0.0
	for _, s := range c.GetLoadSeries() {
		n := 0
		for _, p := range s.GetPoints() {
			if finite(p.GetValue()) && p.GetStart() != nil {
				maxV = math.Max(maxV, p.GetValue())
				n++
			}
		}
		if n > 0 {
			series = append(series, s)
		}
	}
	if len(series) == 0 {
		return nil, "", "No load or flow time measured in this range."
	}
	m := series[0].GetMeasure()
	caption = fmt.Sprintf("%s %s per region%s, UTC.", quantileName(series[0].GetQuantile()), measureName(m),
		resolutionName(series[0].GetResolution()))

	ch = &loadChart{}
	var classes, labels []string
	for i, s := range series {
		class, label := fmt.Sprintf("series-%d", i%seriesColours), s.GetRegion()
		if label == "" {
			class, label = "series-all", "all regions"
		}
		classes, labels = append(classes, class), append(labels, label)
	}
	var lastRow float64
	ch.Legend, lastRow = legendRow(loadLeft, loadLegend, loadRight, classes, labels)
	top := lastRow + 14
	ch.Plot = rect{X: loadLeft, Y: px(top), W: loadRight - loadLeft, H: loadPlotH}
	ch.Left, ch.LabelX, ch.Right, ch.Bottom, ch.TickEnd = loadLeft, loadLeft-6, loadRight, px(top+loadPlotH), px(top+loadPlotH+4)
	ch.TickY = px(top + loadPlotH + 16)
	ch.Height = px(top + loadPlotH + 24)

	xs := timeScale{from: from, to: to, x0: loadLeft, x1: loadRight}
	yMax, yStep := niceScale(maxV)
	ys := valueScale{max: yMax, y0: top + loadPlotH, y1: top}
	for i := 0; float64(i)*yStep <= yMax+yStep/2; i++ {
		v := float64(i) * yStep
		ch.YTicks = append(ch.YTicks, tick{Pos: px(ys.y(v)), Label: axisValue(m, v)})
	}
	ch.XTicks = xs.ticks()

	for i, s := range series {
		ch.Lines = append(ch.Lines, seriesPath(s, xs, ys, classes[i], labels[i]))
	}
	ch.AriaLabel = fmt.Sprintf("%s over time for %s", caption, strings.Join(labels, ", "))
	return ch, caption, ""
}

// seriesPath draws s, breaking the line where buckets are missing.
func seriesPath(s *vigilv1.Series, xs timeScale, ys valueScale, class, label string) seriesLine {
	var pts []*vigilv1.Point
	for _, p := range s.GetPoints() {
		if finite(p.GetValue()) && p.GetStart() != nil {
			pts = append(pts, p)
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].GetStart().AsTime().Before(pts[j].GetStart().AsTime()) })
	step := bucketWidth(s.GetResolution(), pts)
	line := seriesLine{Class: class, Label: label}
	var d strings.Builder
	for i, p := range pts {
		t := p.GetStart().AsTime()
		x, y := px(xs.x(t)), px(ys.y(p.GetValue()))
		joined := i > 0 && t.Sub(pts[i-1].GetStart().AsTime()) <= step*3/2
		if joined {
			fmt.Fprintf(&d, "L%s %s", x, y)
		} else {
			fmt.Fprintf(&d, "M%s %s", x, y)
		}
		alone := !joined && (i == len(pts)-1 || pts[i+1].GetStart().AsTime().Sub(t) > step*3/2)
		if alone || len(pts) <= maxDotsPerSeries {
			line.Dots = append(line.Dots, dot{X: x, Y: y,
				Title: fmt.Sprintf("%s %s UTC: %s (%d runs)", label, stamp(t), measureValue(s.GetMeasure(), p.GetValue()), p.GetCount())})
		}
	}
	line.D = d.String()
	return line
}

// bucketWidth is the width of the series' buckets: its resolution, or the
// smallest gap between its points when the resolution is not given.
func bucketWidth(r vigilv1.Resolution, pts []*vigilv1.Point) time.Duration {
	switch r {
	case vigilv1.Resolution_RESOLUTION_MINUTE:
		return time.Minute
	case vigilv1.Resolution_RESOLUTION_HOUR:
		return time.Hour
	case vigilv1.Resolution_RESOLUTION_DAY:
		return 24 * time.Hour
	}
	var w time.Duration
	for i := 1; i < len(pts); i++ {
		if d := pts[i].GetStart().AsTime().Sub(pts[i-1].GetStart().AsTime()); d > 0 && (w == 0 || d < w) {
			w = d
		}
	}
	return w
}

func resolutionName(r vigilv1.Resolution) string {
	switch r {
	case vigilv1.Resolution_RESOLUTION_MINUTE:
		return ", per minute"
	case vigilv1.Resolution_RESOLUTION_HOUR:
		return ", hourly"
	case vigilv1.Resolution_RESOLUTION_DAY:
		return ", daily"
	}
	return ""
}

// axisValue labels a value axis tick in the measure's unit, with no more
// decimals than a round tick needs.
func axisValue(m vigilv1.Measure, v float64) string {
	if v == 0 {
		return "0"
	}
	switch m {
	case vigilv1.Measure_MEASURE_CLS:
		return trimFloat(v, 3)
	case vigilv1.Measure_MEASURE_COMPLETION, vigilv1.Measure_MEASURE_UPTIME:
		return trimFloat(v*100, 2) + "%"
	}
	if v >= 1000 {
		return trimFloat(v/1000, 2) + " s"
	}
	return trimFloat(v, 0) + " ms"
}

func trimFloat(v float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
