package maintenance

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// span is an expected occurrence, in RFC 3339; the zero span means none.
type span struct{ start, end string }

func (s span) String() string {
	if s == (span{}) {
		return "none"
	}
	return "[" + s.start + ", " + s.end + ")"
}

// spanOf formats what ActiveAt or Next returned like a span.
func spanOf(start, end time.Time, ok bool) span {
	if !ok {
		return span{}
	}
	return span{start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano)}
}

// from sets a recurring window's first start.
func from(w *vigilv1.MaintenanceWindow, start string) *vigilv1.MaintenanceWindow {
	w.Start = timestamppb.New(ts(start))
	return w
}

var (
	migration      = oneOff("2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z")
	dailyUTC       = recurring("", nil, "02:00", time.Hour)
	weeklyBerlin   = recurring("Europe/Berlin", []string{"tue", "thu"}, "02:00", time.Hour)
	berlin0230     = recurring("Europe/Berlin", nil, "02:30", time.Hour)
	berlin0100     = recurring("Europe/Berlin", nil, "01:00", 3*time.Hour)
	newYork0230    = recurring("America/New_York", nil, "02:30", time.Hour)
	newYork0130    = recurring("America/New_York", nil, "01:30", time.Hour)
	fridayNight    = recurring("UTC", []string{"fri"}, "23:00", 3*time.Hour)
	weekend        = recurring("UTC", []string{"sat"}, "22:00", 48*time.Hour)
	wholeWeek      = recurring("UTC", []string{"sun"}, "23:59", MaxDuration)
	overlapping    = recurring("UTC", nil, "12:00", 36*time.Hour)
	aucklandMonday = recurring("Pacific/Auckland", []string{"mon"}, "09:00", time.Hour)
	laMonday       = recurring("America/Los_Angeles", []string{"mon"}, "20:00", 2*time.Hour)
)

func TestActiveAt(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    *vigilv1.MaintenanceWindow
		at   string
		want span
	}{
		// One-off: start inclusive, end exclusive.
		{"one-off just before", migration, "2026-12-01T21:59:59.999999999Z", span{}},
		{"one-off at start", migration, "2026-12-01T22:00:00Z", span{"2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z"}},
		{"one-off inside", migration, "2026-12-02T00:59:59.999999999Z", span{"2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z"}},
		{"one-off at end", migration, "2026-12-02T01:00:00Z", span{}},

		// Daily in UTC, the same boundaries.
		{"daily before", dailyUTC, "2026-06-10T01:59:59.999999999Z", span{}},
		{"daily at start", dailyUTC, "2026-06-10T02:00:00Z", span{"2026-06-10T02:00:00Z", "2026-06-10T03:00:00Z"}},
		{"daily at end", dailyUTC, "2026-06-10T03:00:00Z", span{}},

		// Weekly on Tuesday and Thursday, 02:00 Berlin summer time (00:00 UTC).
		{"weekly tuesday", weeklyBerlin, "2026-06-09T00:30:00Z", span{"2026-06-09T00:00:00Z", "2026-06-09T01:00:00Z"}},
		{"weekly wednesday", weeklyBerlin, "2026-06-10T00:30:00Z", span{}},
		{"weekly thursday", weeklyBerlin, "2026-06-11T00:59:59Z", span{"2026-06-11T00:00:00Z", "2026-06-11T01:00:00Z"}},
		{"weekly monday", weeklyBerlin, "2026-06-08T00:30:00Z", span{}},
		// In winter (CET) the same local time is an hour later in UTC.
		{"weekly in winter", weeklyBerlin, "2026-12-01T01:00:00Z", span{"2026-12-01T01:00:00Z", "2026-12-01T02:00:00Z"}},
		{"weekly in winter, summer hour", weeklyBerlin, "2026-12-01T00:30:00Z", span{}},

		// Past midnight: Friday 23:00 for 3h is still on early Saturday,
		// though Saturday is not listed.
		{"friday night", fridayNight, "2026-06-12T23:00:00Z", span{"2026-06-12T23:00:00Z", "2026-06-13T02:00:00Z"}},
		{"friday night on saturday", fridayNight, "2026-06-13T01:59:59Z", span{"2026-06-12T23:00:00Z", "2026-06-13T02:00:00Z"}},
		{"friday night over", fridayNight, "2026-06-13T02:00:00Z", span{}},
		{"saturday night", fridayNight, "2026-06-13T23:30:00Z", span{}},
		{"weekend on monday", weekend, "2026-06-15T21:59:59Z", span{"2026-06-13T22:00:00Z", "2026-06-15T22:00:00Z"}},
		{"weekend over", weekend, "2026-06-15T22:00:00Z", span{}},
		// A whole week: the longest lookback.
		{"week, last minute", wholeWeek, "2026-06-14T23:58:59Z", span{"2026-06-07T23:59:00Z", "2026-06-14T23:59:00Z"}},
		{"week, next one", wholeWeek, "2026-06-14T23:59:00Z", span{"2026-06-14T23:59:00Z", "2026-06-21T23:59:00Z"}},
		// Overlapping occurrences: the later one.
		{"overlap, both", overlapping, "2026-06-10T13:00:00Z", span{"2026-06-10T12:00:00Z", "2026-06-12T00:00:00Z"}},
		{"overlap, earlier only", overlapping, "2026-06-10T11:00:00Z", span{"2026-06-09T12:00:00Z", "2026-06-11T00:00:00Z"}},

		// Europe/Berlin springs forward on Sunday 2026-03-29, 02:00 CET ->
		// 03:00 CEST. 02:30 does not exist that day: time.Date makes it
		// 03:30 CEST (01:30 UTC), the same instant as 02:30 CET.
		{"berlin saturday before", berlin0230, "2026-03-28T01:30:00Z", span{"2026-03-28T01:30:00Z", "2026-03-28T02:30:00Z"}},
		{"berlin spring-forward, before", berlin0230, "2026-03-29T01:29:59Z", span{}},
		{"berlin spring-forward", berlin0230, "2026-03-29T01:30:00Z", span{"2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z"}},
		{"berlin spring-forward, after", berlin0230, "2026-03-29T02:30:00Z", span{}},
		{"berlin monday after", berlin0230, "2026-03-30T00:30:00Z", span{"2026-03-30T00:30:00Z", "2026-03-30T01:30:00Z"}},
		{"berlin monday after, winter hour", berlin0230, "2026-03-30T01:30:00Z", span{}},
		// A window over the change lasts its duration in real time: 3h
		// from 01:00 CET ends at 05:00 CEST.
		{"berlin across spring-forward", berlin0100, "2026-03-29T02:59:59Z", span{"2026-03-29T00:00:00Z", "2026-03-29T03:00:00Z"}},

		// Europe/Berlin falls back on Sunday 2026-10-25, 03:00 CEST ->
		// 02:00 CET. 02:30 happens twice: time.Date takes the second (CET).
		{"berlin saturday before fall-back", berlin0230, "2026-10-24T00:30:00Z", span{"2026-10-24T00:30:00Z", "2026-10-24T01:30:00Z"}},
		{"berlin fall-back, first 02:30", berlin0230, "2026-10-25T00:30:00Z", span{}},
		{"berlin fall-back, second 02:30", berlin0230, "2026-10-25T01:30:00Z", span{"2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z"}},
		{"berlin monday after fall-back", berlin0230, "2026-10-26T01:30:00Z", span{"2026-10-26T01:30:00Z", "2026-10-26T02:30:00Z"}},
		{"berlin across fall-back", berlin0100, "2026-10-25T01:59:59Z", span{"2026-10-24T23:00:00Z", "2026-10-25T02:00:00Z"}},
		{"berlin across fall-back, over", berlin0100, "2026-10-25T02:00:00Z", span{}},

		// America/New_York springs forward on Sunday 2026-03-08, 02:00 EST
		// -> 03:00 EDT. time.Date makes the missing 02:30 01:30 EST
		// (06:30 UTC), the same instant as 02:30 EDT.
		{"new york saturday before", newYork0230, "2026-03-07T07:30:00Z", span{"2026-03-07T07:30:00Z", "2026-03-07T08:30:00Z"}},
		{"new york spring-forward, before", newYork0230, "2026-03-08T06:29:59Z", span{}},
		{"new york spring-forward", newYork0230, "2026-03-08T06:30:00Z", span{"2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"}},
		{"new york spring-forward, winter hour", newYork0230, "2026-03-08T07:30:00Z", span{}},
		{"new york monday after", newYork0230, "2026-03-09T06:30:00Z", span{"2026-03-09T06:30:00Z", "2026-03-09T07:30:00Z"}},

		// America/New_York falls back on Sunday 2026-11-01, 02:00 EDT ->
		// 01:00 EST. 01:30 happens twice: time.Date takes the first (EDT).
		{"new york saturday before fall-back", newYork0130, "2026-10-31T05:30:00Z", span{"2026-10-31T05:30:00Z", "2026-10-31T06:30:00Z"}},
		{"new york fall-back, first 01:30", newYork0130, "2026-11-01T05:30:00Z", span{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"}},
		{"new york fall-back, second 01:30", newYork0130, "2026-11-01T06:30:00Z", span{}},
		{"new york monday after fall-back", newYork0130, "2026-11-02T06:30:00Z", span{"2026-11-02T06:30:00Z", "2026-11-02T07:30:00Z"}},

		// Zones a day away from UTC: Monday 09:00 in Auckland (NZST, +12)
		// is Sunday 21:00 UTC; Monday 20:00 in Los Angeles (PDT, -7) is
		// Tuesday 03:00 UTC.
		{"auckland monday on utc sunday", aucklandMonday, "2026-06-07T21:30:00Z", span{"2026-06-07T21:00:00Z", "2026-06-07T22:00:00Z"}},
		{"auckland on utc monday", aucklandMonday, "2026-06-08T21:30:00Z", span{}},
		{"los angeles monday on utc tuesday", laMonday, "2026-06-09T04:00:00Z", span{"2026-06-09T03:00:00Z", "2026-06-09T05:00:00Z"}},
		{"los angeles on utc monday", laMonday, "2026-06-08T04:00:00Z", span{}},

		// No occurrence starts before w.start; one that would is dropped,
		// not cut short.
		{"before first start", from(recurring("", nil, "02:00", time.Hour), "2026-06-10T02:30:00Z"), "2026-06-10T02:45:00Z", span{}},
		{"after first start", from(recurring("", nil, "02:00", time.Hour), "2026-06-10T02:30:00Z"), "2026-06-11T02:00:00Z", span{"2026-06-11T02:00:00Z", "2026-06-11T03:00:00Z"}},
		{"at first start", from(recurring("", nil, "02:00", time.Hour), "2026-06-10T02:00:00Z"), "2026-06-10T02:00:00Z", span{"2026-06-10T02:00:00Z", "2026-06-10T03:00:00Z"}},
		{"first start 1ns late", from(recurring("", nil, "02:00", time.Hour), "2026-06-10T02:00:00.000000001Z"), "2026-06-10T02:30:00Z", span{}},
		{"long before first start", from(recurring("", nil, "02:00", time.Hour), "2026-06-10T02:00:00Z"), "2020-01-01T02:30:00Z", span{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := spanOf(ActiveAt(tc.w, ts(tc.at))); got != tc.want {
				t.Errorf("ActiveAt(%s) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name  string
		w     *vigilv1.MaintenanceWindow
		after string
		want  span
	}{
		{"one-off ahead", migration, "2026-12-01T21:59:59.999999999Z", span{"2026-12-01T22:00:00Z", "2026-12-02T01:00:00Z"}},
		{"one-off started", migration, "2026-12-01T22:00:00Z", span{}},
		{"one-off past", migration, "2026-12-03T00:00:00Z", span{}},

		{"daily, before today's", dailyUTC, "2026-06-10T01:59:59Z", span{"2026-06-10T02:00:00Z", "2026-06-10T03:00:00Z"}},
		{"daily, at today's start", dailyUTC, "2026-06-10T02:00:00Z", span{"2026-06-11T02:00:00Z", "2026-06-11T03:00:00Z"}},
		{"weekly, tuesday to thursday", weeklyBerlin, "2026-06-09T12:00:00Z", span{"2026-06-11T00:00:00Z", "2026-06-11T01:00:00Z"}},
		{"weekly, thursday to tuesday", weeklyBerlin, "2026-06-11T00:00:00Z", span{"2026-06-16T00:00:00Z", "2026-06-16T01:00:00Z"}},
		{"weekly, into winter time", weeklyBerlin, "2026-10-23T00:00:00Z", span{"2026-10-27T01:00:00Z", "2026-10-27T02:00:00Z"}},
		{"sunday only, from monday", wholeWeek, "2026-06-08T00:00:00Z", span{"2026-06-14T23:59:00Z", "2026-06-21T23:59:00Z"}},

		{"berlin spring-forward", berlin0230, "2026-03-28T12:00:00Z", span{"2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z"}},
		{"berlin fall-back", berlin0230, "2026-10-24T12:00:00Z", span{"2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z"}},
		{"new york spring-forward", newYork0230, "2026-03-07T12:00:00Z", span{"2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"}},
		{"new york fall-back", newYork0130, "2026-10-31T12:00:00Z", span{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"}},
		{"new york after fall-back", newYork0130, "2026-11-01T05:30:00Z", span{"2026-11-02T06:30:00Z", "2026-11-02T07:30:00Z"}},
		{"auckland, from utc sunday", aucklandMonday, "2026-06-07T00:00:00Z", span{"2026-06-07T21:00:00Z", "2026-06-07T22:00:00Z"}},

		{"first start ahead", from(recurring("", nil, "02:00", time.Hour), "2026-07-01T00:00:00Z"), "2026-06-01T00:00:00Z", span{"2026-07-01T02:00:00Z", "2026-07-01T03:00:00Z"}},
		{"first start on an occurrence", from(recurring("", nil, "02:00", time.Hour), "2026-07-01T02:00:00Z"), "2026-06-01T00:00:00Z", span{"2026-07-01T02:00:00Z", "2026-07-01T03:00:00Z"}},
		{"first start just after an occurrence", from(recurring("", nil, "02:00", time.Hour), "2026-07-01T02:00:00.000000001Z"), "2026-06-01T00:00:00Z", span{"2026-07-02T02:00:00Z", "2026-07-02T03:00:00Z"}},
		{"first start passed", from(recurring("", nil, "02:00", time.Hour), "2026-07-01T00:00:00Z"), "2026-08-01T12:00:00Z", span{"2026-08-02T02:00:00Z", "2026-08-02T03:00:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := spanOf(Next(tc.w, ts(tc.after))); got != tc.want {
				t.Errorf("Next(%s) = %v, want %v", tc.after, got, tc.want)
			}
		})
	}
}
