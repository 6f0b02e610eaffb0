package report

import (
	"fmt"
	"strings"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// The uptime timeline: one bar over the report's range, a coloured rect per
// decided-state span, a legend with each state's share of the range, and a
// time axis.

// uptimeChart is the timeline's geometry.
type uptimeChart struct {
	Height    px
	Track     rect // the whole range; what no span covers shows through as "no data"
	Spans     []stateMark
	Legend    []legendItem
	AxisY     px // the axis line, from Track.X to AxisRight
	AxisRight px
	TickY     px // tick labels' baseline
	Ticks     []tick
	TickEnd   px // tick marks run from AxisY to TickEnd
	AriaLabel string
}

// rect is a rectangle in viewBox units.
type rect struct{ X, Y, W, H px }

// stateMark is one span's rect.
type stateMark struct {
	rect
	Class string // state-up, state-degraded, state-down, state-unknown, state-other
	Title string // tooltip: state, start, end, length
}

// states are the decided states in legend order.
var states = []string{"up", "degraded", "down", "unknown"}

// minSpanWidth is the narrowest a span is drawn, so that a ten-minute outage
// in a 30-day report is still visible (it would be 0.2 units wide).
const minSpanWidth = 1.5

// Layout of the timeline, in viewBox units.
const (
	uptimeLeft   = 8
	uptimeRight  = chartWidth - 8
	uptimeLegend = 12 // legend baseline
	uptimeBarTop = 24
	uptimeBarH   = 32
)

// newUptimeChart returns the timeline of c over [from, to), or nil and a
// note when there is nothing to draw.
func newUptimeChart(c *vigilv1.CheckReport, from, to time.Time) (*uptimeChart, string) {
	if len(c.GetStates()) == 0 {
		return nil, "No decided states in this range: the check was not evaluated."
	}
	sc := timeScale{from: from, to: to, x0: uptimeLeft, x1: uptimeRight}
	ch := &uptimeChart{
		Track:     rect{X: uptimeLeft, Y: uptimeBarTop, W: uptimeRight - uptimeLeft, H: uptimeBarH},
		AxisY:     uptimeBarTop + uptimeBarH + 4,
		AxisRight: uptimeRight,
		TickY:     uptimeBarTop + uptimeBarH + 18,
		TickEnd:   uptimeBarTop + uptimeBarH + 8,
		Height:    uptimeBarTop + uptimeBarH + 24,
	}
	share := map[string]time.Duration{}
	var covered time.Duration
	for _, s := range c.GetStates() {
		start, end := clampTime(s.GetStart().AsTime(), from, to), clampTime(s.GetEnd().AsTime(), from, to)
		if !end.After(start) {
			continue
		}
		class := "state-other"
		for _, known := range states {
			if s.GetState() == known {
				class = "state-" + known
			}
		}
		share[s.GetState()] += end.Sub(start)
		covered += end.Sub(start)
		x0, x1 := sc.x(start), sc.x(end)
		if x1-x0 < minSpanWidth {
			x1 = min(x0+minSpanWidth, uptimeRight)
			x0 = x1 - minSpanWidth
		}
		ch.Spans = append(ch.Spans, stateMark{
			rect:  rect{X: px(x0), Y: uptimeBarTop, W: px(x1 - x0), H: uptimeBarH},
			Class: class,
			Title: fmt.Sprintf("%s: %s – %s UTC (%s)", s.GetState(), stamp(start), stamp(end), span(end.Sub(start))),
		})
	}
	if len(ch.Spans) == 0 {
		return nil, "No decided states inside this range."
	}
	total := to.Sub(from)
	var classes, labels []string
	for _, st := range states {
		classes = append(classes, "state-"+st)
		labels = append(labels, fmt.Sprintf("%s %s", st, uptimePct(float64(share[st])/float64(total))))
	}
	if gap := total - covered; gap > 0 {
		classes = append(classes, "track")
		labels = append(labels, "no data "+uptimePct(float64(gap)/float64(total)))
	}
	ch.Legend, _ = legendRow(uptimeLeft, uptimeLegend, uptimeRight, classes, labels)
	ch.Ticks = sc.ticks()
	ch.AriaLabel = "Uptime timeline: " + strings.Join(labels, ", ")
	return ch, ""
}

func clampTime(t, from, to time.Time) time.Time {
	if t.Before(from) {
		return from
	}
	if t.After(to) {
		return to
	}
	return t
}
