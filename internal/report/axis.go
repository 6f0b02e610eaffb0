package report

import (
	"math"
	"strconv"
	"time"
)

// Chart geometry shared by the SVG charts. Every chart is drawn in a
// viewBox chartWidth wide and scaled by CSS to the page, so coordinates are
// in viewBox units.

// chartWidth is the viewBox width of every chart: about the text width of
// an A4 page at 96 dpi, so printed charts are not scaled much.
const chartWidth = 720

// px is a coordinate in a chart's viewBox. It prints with at most one
// decimal, which keeps the SVG short and the output deterministic.
type px float64

func (p px) String() string {
	if !finite(float64(p)) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(float64(p)*10)/10, 'f', -1, 64)
}

// timeScale maps instants in [from, to] to x in [x0, x1].
type timeScale struct {
	from, to time.Time
	x0, x1   float64
}

func (s timeScale) x(t time.Time) float64 {
	f := float64(t.Sub(s.from)) / float64(s.to.Sub(s.from))
	return s.x0 + math.Max(0, math.Min(1, f))*(s.x1-s.x0)
}

// tick is an axis tick: its position and label.
type tick struct {
	Pos    px
	Label  string
	Anchor string // text-anchor of the label: start and end keep edge labels inside the chart
}

// timeSteps are the tick spacings a time axis picks from.
var timeSteps = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// maxTimeTicks keeps time labels (up to 12 characters) from overlapping on
// a chartWidth-wide axis.
const maxTimeTicks = 8

// ticks returns ticks at round UTC instants inside the scale's range,
// at most maxTimeTicks of them.
func (s timeScale) ticks() []tick {
	rng := s.to.Sub(s.from)
	step := timeSteps[len(timeSteps)-1]
	for _, st := range timeSteps {
		if rng/st <= maxTimeTicks {
			step = st
			break
		}
	}
	layout := "15:04"
	switch {
	case step >= 24*time.Hour:
		layout = "02 Jan"
	case rng > 24*time.Hour:
		layout = "02 Jan 15:04"
	}
	first := s.from.UTC().Truncate(step)
	if first.Before(s.from) {
		first = first.Add(step)
	}
	var out []tick
	for t := first; !t.After(s.to); t = t.Add(step) {
		x, anchor := s.x(t), "middle"
		switch {
		case x-s.x0 < 36:
			anchor = "start"
		case s.x1-x < 36:
			anchor = "end"
		}
		tk := tick{Pos: px(x), Label: t.UTC().Format(layout), Anchor: anchor}
		// A label anchored at the edge can reach into its neighbour's
		// place (the range need not start on a round instant): drop the
		// tick whose label would overlap the previous one.
		if n := len(out); n > 0 && labelLeft(tk) < labelRight(out[n-1])+6 {
			if anchor != "end" {
				continue
			}
			out = out[:n-1]
		}
		out = append(out, tk)
	}
	return out
}

// labelLeft and labelRight are the estimated extents of a tick's label.
func labelLeft(t tick) float64 {
	w := textWidth(t.Label)
	switch t.Anchor {
	case "start":
		return float64(t.Pos)
	case "end":
		return float64(t.Pos) - w
	}
	return float64(t.Pos) - w/2
}

func labelRight(t tick) float64 { return labelLeft(t) + textWidth(t.Label) }

// valueScale maps values in [0, max] to y in [y0 (bottom), y1 (top)].
type valueScale struct {
	max    float64
	y0, y1 float64
}

func (s valueScale) y(v float64) float64 {
	f := 0.0
	if s.max > 0 {
		f = math.Max(0, math.Min(1, v/s.max))
	}
	return s.y0 - f*(s.y0-s.y1)
}

// niceScale returns a round axis maximum at or above max and its tick
// step, the smallest step of 1, 2, 2.5 or 5 times a power of ten that
// needs at most five steps. Powers below one divide instead of multiply,
// so 0.3 is 3/10 and not 3*0.1 (0.30000000000000004).
func niceScale(max float64) (top, step float64) {
	if !finite(max) || max <= 0 {
		return 1, 0.25
	}
	exp := int(math.Floor(math.Log10(max / 5)))
	scale := func(m float64) float64 {
		if exp < 0 {
			return m / math.Pow10(-exp)
		}
		return m * math.Pow10(exp)
	}
	// max/5 < 10^(exp+1), so a step of 10^(exp+1) always needs at most five.
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step = scale(m)
		if n := math.Ceil(max/step - 1e-9); n <= 5 {
			return scale(n * m), step
		}
	}
	return scale(50), scale(10)
}

// legendItem is one entry of a chart legend: a swatch of class Class and a
// label, at (X, Y) where Y is the text baseline.
type legendItem struct {
	X, Y    px
	SwatchY px // top of the 10x10 swatch
	TextX   px
	Class   string
	Label   string
}

// legendRow lays items out left to right from x, wrapping before maxX.
// It returns the items and the baseline of the last row.
func legendRow(x, y, maxX float64, classes, labels []string) ([]legendItem, float64) {
	var out []legendItem
	cx := x
	for i, l := range labels {
		w := 14 + textWidth(l) + 18
		if cx > x && cx+w > maxX {
			cx, y = x, y+legendLine
		}
		out = append(out, legendItem{X: px(cx), Y: px(y), SwatchY: px(y - 9), TextX: px(cx + 14), Class: classes[i], Label: l})
		cx += w
	}
	return out, y
}

// legendLine is the height of a legend row.
const legendLine = 18

// textWidth estimates the width of s in the charts' 11px sans-serif text;
// an estimate is enough to lay out legends and decide whether a label fits.
func textWidth(s string) float64 { return 6.2 * float64(len([]rune(s))) }
