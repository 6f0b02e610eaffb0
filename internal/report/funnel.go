package report

import (
	"fmt"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// The step funnel: per step of a browser flow, a bar of the runs that
// reached it and, in a column of its own scaled to the worst step, a bar of
// the runs that failed there, so the step where flows fail stands out even
// when failures are a small share of runs; then a bar of the runs that
// completed the flow.

// funnelChart is the chart's geometry.
type funnelChart struct {
	Height    px
	Headers   []funnelHeader
	Rows      []funnelRow
	AriaLabel string
}

type funnelHeader struct {
	X     px
	Y     px
	Label string
}

type funnelRow struct {
	TextY       px
	Label       string // "1. open home", shortened to fit
	Full        string // the full step name, as a tooltip
	Bar         *funnelBar
	Failed      *funnelBar
	NoteX       px
	Note        string // "12 of 4 314 (0.3%)"
	Count       string // runs that reached the step, inside its bar's end when it fits
	CountX      px
	CountAnchor string // end inside the bar, start after it
	CountClass  string // "count in" (light on the bar) or "count"
}

type funnelBar struct {
	rect
	Class string
	Title string
}

// Layout of the funnel, in viewBox units.
const (
	funnelLabelW  = 170 // step names, left-aligned
	funnelBarX    = 176
	funnelBarW    = 250
	funnelFailX   = funnelBarX + funnelBarW + 16
	funnelFailW   = 100
	funnelNoteX   = funnelFailX + funnelFailW + 8
	funnelRowH    = 18
	funnelRowGap  = 6
	funnelHeaderY = 12
	funnelTop     = 22
)

// newFunnelChart returns the step funnel of c, or nil and a note when it
// has no steps.
func newFunnelChart(c *vigilv1.CheckReport) (*funnelChart, string) {
	steps := c.GetFunnel()
	if len(steps) == 0 {
		if c.GetType() == "http" {
			return nil, "No step funnel: an http check is one request, not a flow of steps."
		}
		return nil, "No step data in this range."
	}
	passes := max(c.GetOverall().GetPasses(), 0)
	maxReached, maxFailed := passes, int64(0)
	for _, s := range steps {
		maxReached = max(maxReached, s.GetReached())
		maxFailed = max(maxFailed, s.GetFailed())
	}
	if maxReached <= 0 {
		return nil, "No run reached the first step in this range."
	}
	reachedW := func(n int64) float64 { return max(float64(n)/float64(maxReached)*funnelBarW, minSpanWidth) }

	ch := &funnelChart{Headers: []funnelHeader{
		{X: funnelBarX, Y: funnelHeaderY, Label: "runs that reached the step"},
		{X: funnelFailX, Y: funnelHeaderY, Label: "failed there"},
	}}
	y := float64(funnelTop)
	for _, s := range steps {
		label := fmt.Sprintf("%d. %s", s.GetIndex(), s.GetName())
		reached := max(s.GetReached(), 0)
		failed := min(max(s.GetFailed(), 0), reached)
		row := funnelRow{TextY: px(y + 13), Label: shorten(label, funnelLabelW), Full: label, NoteX: funnelNoteX,
			Note: count(failed)}
		if reached > 0 {
			row.Note = fmt.Sprintf("%s of %s (%s)", count(failed), count(reached), pct(float64(failed)/float64(reached), 2))
			row.Bar = &funnelBar{rect: rect{X: funnelBarX, Y: px(y), W: px(reachedW(reached)), H: funnelRowH},
				Class: "funnel-reached", Title: fmt.Sprintf("%s: %s runs reached it", label, count(reached))}
			row.setCount(reached, reachedW(reached))
		}
		if failed > 0 {
			// Failures get their own scale, relative to the step with the
			// most of them; the note gives the share of the step's runs.
			w := max(float64(failed)/float64(maxFailed)*funnelFailW, minSpanWidth)
			row.Failed = &funnelBar{rect: rect{X: funnelFailX, Y: px(y), W: px(w), H: funnelRowH},
				Class: "funnel-failed", Title: fmt.Sprintf("%s: %s of %s runs failed here", label, count(failed), count(reached))}
			row.NoteX = px(funnelFailX + w + 6)
		}
		ch.Rows = append(ch.Rows, row)
		y += funnelRowH + funnelRowGap
	}
	if c.GetOverall() != nil {
		row := funnelRow{TextY: px(y + 13), Label: "completed", Full: "completed the flow (passing runs)", NoteX: funnelFailX,
			Note: "passed"}
		if first := steps[0].GetReached(); first > 0 {
			row.Note = pct(float64(passes)/float64(first), 1) + " of the runs that reached step 1 passed"
		}
		if passes > 0 {
			row.Bar = &funnelBar{rect: rect{X: funnelBarX, Y: px(y), W: px(reachedW(passes)), H: funnelRowH},
				Class: "funnel-completed", Title: fmt.Sprintf("%s runs completed the flow", count(passes))}
			row.setCount(passes, reachedW(passes))
		}
		ch.Rows = append(ch.Rows, row)
		y += funnelRowH + funnelRowGap
	}
	ch.Height = px(y + 2)
	ch.AriaLabel = fmt.Sprintf("Step funnel of %d steps", len(steps))
	return ch, ""
}

// setCount places the count of runs inside the end of a bar w wide, or
// just after it when it does not fit.
func (r *funnelRow) setCount(n int64, w float64) {
	r.Count = count(n)
	if textWidth(r.Count)+8 <= w {
		r.CountX, r.CountAnchor, r.CountClass = px(funnelBarX+w-4), "end", "count in"
		return
	}
	r.CountX, r.CountAnchor, r.CountClass = px(funnelBarX+w+4), "start", "count"
}

// shorten cuts s with an ellipsis so that it fits in width.
func shorten(s string, width float64) string {
	if textWidth(s) <= width {
		return s
	}
	r := []rune(s)
	n := int(width/6.2) - 1
	if n < 1 {
		n = 1
	}
	return string(r[:min(n, len(r))]) + "…"
}
