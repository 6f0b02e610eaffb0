package maintenance

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// ts parses an RFC 3339 time; tests write instants in UTC so the expected
// values do not depend on the zone arithmetic under test.
func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// oneOff is a one-off window from start to end.
func oneOff(start, end string) *vigilv1.MaintenanceWindow {
	return &vigilv1.MaintenanceWindow{
		Id: "w", Name: "migration",
		Start: timestamppb.New(ts(start)), End: timestamppb.New(ts(end)),
	}
}

// recurring is a window on days at startTime in zone, lasting d.
func recurring(zone string, days []string, startTime string, d time.Duration) *vigilv1.MaintenanceWindow {
	return &vigilv1.MaintenanceWindow{
		Id: "w", Name: "deploy",
		Recurrence: &vigilv1.Recurrence{TimeZone: zone, Days: days, StartTime: startTime, Duration: durationpb.New(d)},
	}
}

// edit returns w after f changed it.
func edit(w *vigilv1.MaintenanceWindow, f func(w *vigilv1.MaintenanceWindow)) *vigilv1.MaintenanceWindow {
	f(w)
	return w
}

func TestValidateAccepts(t *testing.T) {
	for name, w := range map[string]*vigilv1.MaintenanceWindow{
		"one-off":              oneOff("2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z"),
		"one-off for 1ns":      oneOff("2026-12-01T22:00:00Z", "2026-12-01T22:00:00.000000001Z"),
		"one-off for checks":   edit(oneOff("2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z"), func(w *vigilv1.MaintenanceWindow) { w.CheckIds = []string{"checkout", "home"} }),
		"weekly in Berlin":     recurring("Europe/Berlin", []string{"tue", "thu"}, "02:00", time.Hour),
		"every day in UTC":     recurring("", nil, "00:00", time.Minute),
		"explicit UTC":         recurring("UTC", []string{"sun"}, "23:59", 7*24*time.Hour),
		"every day, all named": recurring("Asia/Kolkata", Days, "12:30", 30*time.Minute),
		"recurring from start": edit(recurring("America/New_York", []string{"mon"}, "09:00", time.Hour), func(w *vigilv1.MaintenanceWindow) {
			w.Start = timestamppb.New(ts("2026-07-01T00:00:00Z"))
		}),
	} {
		t.Run(name, func(t *testing.T) {
			if err := Validate(w); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	const (
		start = "2026-12-01T22:00:00Z"
		end   = "2026-12-02T01:00:00Z"
	)
	weekly := func(f func(w *vigilv1.MaintenanceWindow)) *vigilv1.MaintenanceWindow {
		return edit(recurring("Europe/Berlin", []string{"tue", "thu"}, "02:00", time.Hour), f)
	}
	for _, tc := range []struct {
		name string
		w    *vigilv1.MaintenanceWindow
		want string
	}{
		{"nil", nil, `window is nil`},
		{"no name", edit(oneOff(start, end), func(w *vigilv1.MaintenanceWindow) { w.Name = "" }), `name: is required`},
		{"blank name", edit(oneOff(start, end), func(w *vigilv1.MaintenanceWindow) { w.Name = "  " }), `name: is required`},
		{"empty check id", edit(oneOff(start, end), func(w *vigilv1.MaintenanceWindow) { w.CheckIds = []string{"home", ""} }), `check_ids[1]: must not be empty`},
		{"nothing", &vigilv1.MaintenanceWindow{Name: "x"}, `start: is required in a one-off window`},
		{"no end", edit(oneOff(start, end), func(w *vigilv1.MaintenanceWindow) { w.End = nil }), `end: is required in a one-off window`},
		{"no start", edit(oneOff(start, end), func(w *vigilv1.MaintenanceWindow) { w.Start = nil }), `start: is required in a one-off window`},
		{"end before start", oneOff(end, start), `end: must be after the window's start (2026-12-02T01:00:00Z), got 2026-12-01T22:00:00Z`},
		{"end at start", oneOff(start, start), `end: must be after the window's start (2026-12-01T22:00:00Z), got 2026-12-01T22:00:00Z`},
		{"recurring with end", weekly(func(w *vigilv1.MaintenanceWindow) { w.End = timestamppb.New(ts(end)) }), `end: must be unset in a recurring window`},
		{"unknown zone", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.TimeZone = "Europe/Berln" }), `recurrence.time_zone: unknown time zone "Europe/Berln" (want an IANA zone like Europe/Berlin)`},
		{"Local zone", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.TimeZone = "Local" }), `recurrence.time_zone: "Local" depends on the machine; name an IANA zone like Europe/Berlin`},
		{"unknown day", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.Days = []string{"mon", "tues"} }), `recurrence.days[1]: unknown day "tues" (want one of mon, tue, wed, thu, fri, sat, sun)`},
		{"capitalised day", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.Days = []string{"Mon"} }), `recurrence.days[0]: unknown day "Mon" (want one of mon, tue, wed, thu, fri, sat, sun)`},
		{"duplicate day", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.Days = []string{"tue", "thu", "tue"} }), `recurrence.days[2]: duplicate day "tue"`},
		{"no start time", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.StartTime = "" }), `recurrence.start_time: is required (HH:MM)`},
		{"hour 25", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.StartTime = "25:00" }), `recurrence.start_time: "25:00" is not a time of day (HH:MM)`},
		{"24:00", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.StartTime = "24:00" }), `recurrence.start_time: "24:00" is not a time of day (HH:MM)`},
		{"minute 60", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.StartTime = "12:60" }), `recurrence.start_time: "12:60" is not a time of day (HH:MM)`},
		{"one-digit hour", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.StartTime = "2:00" }), `recurrence.start_time: "2:00" is not a time of day (HH:MM)`},
		{"seconds", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.StartTime = "02:00:00" }), `recurrence.start_time: "02:00:00" is not a time of day (HH:MM)`},
		{"no duration", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.Duration = nil }), `recurrence.duration: is required`},
		{"zero duration", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.Duration = durationpb.New(0) }), `recurrence.duration: must be more than 0, got 0s`},
		{"negative duration", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.Duration = durationpb.New(-time.Hour) }), `recurrence.duration: must be more than 0, got -1h`},
		{"over a week", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.Duration = durationpb.New(8 * 24 * time.Hour) }), `recurrence.duration: must be at most 7 days (168h), got 192h`},
		{"a week and a minute", weekly(func(w *vigilv1.MaintenanceWindow) { w.Recurrence.Duration = durationpb.New(MaxDuration + time.Minute) }), `recurrence.duration: must be at most 7 days (168h), got 168h1m`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.w)
			if err == nil {
				t.Fatalf("Validate succeeded, want %s", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Validate:\n got: %s\nwant: %s", got, tc.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error is %T, want *FieldError", err)
			}
			if _, _, ok := ActiveAt(tc.w, ts(start)); ok {
				t.Errorf("an invalid window is active")
			}
			if _, _, ok := Next(tc.w, ts("2000-01-01T00:00:00Z")); ok {
				t.Errorf("an invalid window has a next occurrence")
			}
		})
	}
}

// TestValidateBadProtoValues covers values only a hand-made message can
// hold; the messages come from the protobuf library, so only their start is
// pinned.
func TestValidateBadProtoValues(t *testing.T) {
	for _, tc := range []struct {
		name, prefix string
		w            *vigilv1.MaintenanceWindow
	}{
		{"start", "start: invalid time: ", edit(oneOff("2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z"), func(w *vigilv1.MaintenanceWindow) { w.Start.Nanos = -1 })},
		{"end", "end: invalid time: ", edit(oneOff("2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z"), func(w *vigilv1.MaintenanceWindow) { w.End.Nanos = 2e9 })},
		{"duration", "recurrence.duration: invalid duration: ", edit(recurring("", nil, "02:00", time.Hour), func(w *vigilv1.MaintenanceWindow) { w.Recurrence.Duration.Nanos = -1 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.w)
			if err == nil || !strings.HasPrefix(err.Error(), tc.prefix) {
				t.Errorf("Validate = %v, want an error starting %q", err, tc.prefix)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	all := oneOff("2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z")
	some := edit(oneOff("2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z"), func(w *vigilv1.MaintenanceWindow) { w.CheckIds = []string{"checkout", "home"} })
	for _, tc := range []struct {
		w     *vigilv1.MaintenanceWindow
		check string
		want  bool
	}{
		{all, "checkout", true},
		{all, "anything", true},
		{some, "checkout", true},
		{some, "home", true},
		{some, "search", false},
		{some, "", false},
	} {
		if got := Covers(tc.w, tc.check); got != tc.want {
			t.Errorf("Covers(%v, %q) = %v, want %v", tc.w.GetCheckIds(), tc.check, got, tc.want)
		}
	}
}
