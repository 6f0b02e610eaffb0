package maintenance

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// MaxDuration bounds a recurring window's duration: a weekly window longer
// than a week would never end, and the bound limits how far back ActiveAt
// must look for an occurrence that is still running.
const MaxDuration = 7 * 24 * time.Hour

// Days are the weekday names of Recurrence.days, Monday first.
var Days = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// dayNumbers maps a day name to its time.Weekday.
var dayNumbers = map[string]time.Weekday{
	"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
}

// timeOfDayRE is "HH:MM" on a 24-hour clock, with both digits of each part.
var timeOfDayRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)

// FieldError is a problem with one field of a window. Field is the path of
// the field in the message, like "recurrence.start_time" or
// "check_ids[2]", so that the check file can point at the same value in its
// own words.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Validate checks a window: name set; either a one-off (start and end, end
// after start, no recurrence) or recurring (recurrence with a valid IANA
// time_zone, empty meaning UTC; days among mon..sun without duplicates,
// empty meaning every day; start_time "HH:MM" from 00:00 to 23:59; duration
// more than 0 and at most MaxDuration; start optional, end unset). The id
// and check_ids are not checked beyond check_ids not being empty strings:
// which checks exist is the caller's business.
//
// It returns the first problem as a *FieldError naming the field, e.g.
//
//	recurrence.start_time: "25:00" is not a time of day (HH:MM)
//
// Validate loads the time zone, which reads the system's (or the embedded)
// zone database.
func Validate(w *vigilv1.MaintenanceWindow) error {
	_, err := compile(w)
	return err
}

// window is a validated window, with its time zone loaded and its fields
// in the form the occurrence arithmetic needs.
type window struct {
	src *vigilv1.MaintenanceWindow

	// start is a one-off's start, or the earliest start of a recurring
	// window's occurrences (zero when unset).
	start time.Time
	// end is a one-off's end; zero for a recurring window.
	end time.Time

	recurring    bool
	loc          *time.Location
	days         [7]bool // indexed by time.Weekday
	hour, minute int
	dur          time.Duration
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// compile validates w and returns its compiled form.
func compile(w *vigilv1.MaintenanceWindow) (*window, error) {
	if w == nil {
		return nil, fieldErr("", "window is nil")
	}
	if strings.TrimSpace(w.GetName()) == "" {
		return nil, fieldErr("name", "is required")
	}
	for i, id := range w.GetCheckIds() {
		if id == "" {
			return nil, fieldErr(fmt.Sprintf("check_ids[%d]", i), "must not be empty")
		}
	}
	c := &window{src: w}
	if w.Start != nil {
		if err := w.Start.CheckValid(); err != nil {
			return nil, fieldErr("start", "invalid time: %v", err)
		}
		c.start = w.Start.AsTime()
	}
	r := w.GetRecurrence()
	if r == nil {
		switch {
		case w.Start == nil:
			return nil, fieldErr("start", "is required in a one-off window")
		case w.End == nil:
			return nil, fieldErr("end", "is required in a one-off window")
		}
		if err := w.End.CheckValid(); err != nil {
			return nil, fieldErr("end", "invalid time: %v", err)
		}
		c.end = w.End.AsTime()
		if !c.end.After(c.start) {
			return nil, fieldErr("end", "must be after the window's start (%s), got %s", c.start.Format(time.RFC3339Nano), c.end.Format(time.RFC3339Nano))
		}
		return c, nil
	}

	c.recurring = true
	if w.End != nil {
		return nil, fieldErr("end", "must be unset in a recurring window")
	}
	loc, err := location(r.GetTimeZone())
	if err != nil {
		return nil, err
	}
	c.loc = loc
	if len(r.GetDays()) == 0 {
		c.days = [7]bool{true, true, true, true, true, true, true}
	}
	for i, d := range r.GetDays() {
		wd, ok := dayNumbers[d]
		switch {
		case !ok:
			return nil, fieldErr(fmt.Sprintf("recurrence.days[%d]", i), "unknown day %q (want one of %s)", d, strings.Join(Days, ", "))
		case c.days[wd]:
			return nil, fieldErr(fmt.Sprintf("recurrence.days[%d]", i), "duplicate day %q", d)
		}
		c.days[wd] = true
	}
	m := timeOfDayRE.FindStringSubmatch(r.GetStartTime())
	switch {
	case r.GetStartTime() == "":
		return nil, fieldErr("recurrence.start_time", "is required (HH:MM)")
	case m == nil:
		return nil, fieldErr("recurrence.start_time", "%q is not a time of day (HH:MM)", r.GetStartTime())
	}
	// Both parts are two digits, checked by the pattern.
	c.hour = int(m[1][0]-'0')*10 + int(m[1][1]-'0')
	c.minute = int(m[2][0]-'0')*10 + int(m[2][1]-'0')
	if r.Duration == nil {
		return nil, fieldErr("recurrence.duration", "is required")
	}
	if err := r.Duration.CheckValid(); err != nil {
		return nil, fieldErr("recurrence.duration", "invalid duration: %v", err)
	}
	c.dur = r.Duration.AsDuration()
	switch {
	case c.dur <= 0:
		return nil, fieldErr("recurrence.duration", "must be more than 0, got %s", fmtDuration(c.dur))
	case c.dur > MaxDuration:
		return nil, fieldErr("recurrence.duration", "must be at most 7 days (168h), got %s", fmtDuration(c.dur))
	}
	return c, nil
}

// location loads an IANA zone; empty means UTC. "Local" is refused: it is
// whatever zone the coordinator's machine has, so the same window would
// mean different times on different machines.
func location(name string) (*time.Location, error) {
	const field = "recurrence.time_zone"
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fieldErr(field, `"Local" depends on the machine; name an IANA zone like Europe/Berlin`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		// The error of LoadLocation lists the places it looked; the zone
		// name is what the user needs.
		return nil, fieldErr(field, "unknown time zone %q (want an IANA zone like Europe/Berlin)", name)
	}
	return loc, nil
}

// Covers reports whether w covers the check; a window without check_ids
// covers every check.
func Covers(w *vigilv1.MaintenanceWindow, checkID string) bool {
	ids := w.GetCheckIds()
	return len(ids) == 0 || slices.Contains(ids, checkID)
}

// fmtDuration prints whole hours and minutes without the trailing zero
// units of time.Duration.String ("192h", not "192h0m0s").
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
