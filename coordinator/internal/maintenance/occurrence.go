package maintenance

import (
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// ActiveAt reports whether w is active at t, and the occurrence's
// [start, end). A one-off window is active from its start (inclusive) to its
// end (exclusive). A recurring window is active during each occurrence: one
// starts on every listed weekday at start_time in the window's zone (see the
// package documentation for DST), none before w.start when it is set, and
// lasts duration, possibly past midnight, so an occurrence of an earlier day
// can still be active. When occurrences overlap, ActiveAt returns the one
// that started last, which also ends last.
//
// A window that does not pass Validate is never active. ActiveAt loads the
// window's zone on every call; a Set does that once per window.
func ActiveAt(w *vigilv1.MaintenanceWindow, t time.Time) (start, end time.Time, ok bool) {
	c, err := compile(w)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	return c.activeAt(t)
}

// Next returns the first occurrence of w that starts after t (strictly), for
// showing upcoming maintenance. ok is false when there is none: a one-off
// window that has started (or ended), or a window that does not pass
// Validate. A recurring window always has a next occurrence.
func Next(w *vigilv1.MaintenanceWindow, t time.Time) (start, end time.Time, ok bool) {
	c, err := compile(w)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	return c.next(t)
}

// The occurrences ActiveAt and Next consider are those of the local days
// within these offsets of t's local day. An occurrence lasts at most
// MaxDuration (7 days), so one still active started at most 7 days before
// t: 8 local days back, one more because a DST shift moves t - 7 days by up
// to an hour and time.Date can move a start across midnight. Any 7
// consecutive days hold each weekday, so the next occurrence is at most 8
// days ahead (one for the same reasons). Both ranges reach one day past
// the other side for a start that normalisation moved across midnight.
const (
	activeFrom, activeTo = -9, 1
	nextFrom, nextTo     = -1, 8
)

func (c *window) activeAt(t time.Time) (start, end time.Time, ok bool) {
	if !c.recurring {
		if !t.Before(c.start) && t.Before(c.end) {
			return c.start, c.end, true
		}
		return time.Time{}, time.Time{}, false
	}
	y, m, d := t.In(c.loc).Date()
	for k := activeFrom; k <= activeTo; k++ {
		s, found := c.occurrence(y, m, d+k)
		if !found || s.After(t) || !t.Before(s.Add(c.dur)) {
			continue
		}
		if !ok || s.After(start) {
			start, ok = s, true
		}
	}
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	return start, start.Add(c.dur), true
}

func (c *window) next(t time.Time) (start, end time.Time, ok bool) {
	if !c.recurring {
		if c.start.After(t) {
			return c.start, c.end, true
		}
		return time.Time{}, time.Time{}, false
	}
	// The first occurrence may start exactly at w.start: search from just
	// before it.
	if from := c.start.Add(-time.Nanosecond); from.After(t) {
		t = from
	}
	y, m, d := t.In(c.loc).Date()
	for k := nextFrom; k <= nextTo; k++ {
		s, found := c.occurrence(y, m, d+k)
		if !found || !s.After(t) {
			continue
		}
		if !ok || s.Before(start) {
			start, ok = s, true
		}
	}
	if !ok {
		return time.Time{}, time.Time{}, false // unreachable for a validated window
	}
	return start, start.Add(c.dur), true
}

// occurrence returns the start of the occurrence on the local calendar day
// (y, m, d), which time.Date normalises (d may be 0 or negative), and
// whether there is one: the day is listed and the start is not before the
// window's start.
func (c *window) occurrence(y int, m time.Month, d int) (time.Time, bool) {
	// The weekday of the calendar day itself, not of the start, which
	// normalisation may move across midnight.
	if !c.days[time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()] {
		return time.Time{}, false
	}
	s := time.Date(y, m, d, c.hour, c.minute, 0, 0, c.loc)
	if s.Before(c.start) {
		return time.Time{}, false
	}
	return s, true
}
