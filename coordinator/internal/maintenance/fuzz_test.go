package maintenance

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// fuzzZones include the awkward ones: half-hour DST (Lord Howe), DST at
// midnight (Havana, Santiago), a +12:45 offset (Chatham), and a date-line
// jump (Apia skipped 2011-12-30).
var fuzzZones = []string{
	"", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe",
	"America/Havana", "America/Santiago", "Pacific/Chatham", "Asia/Kolkata", "Pacific/Apia",
}

// FuzzNextActiveAt checks that Next and ActiveAt agree on what the
// occurrences are: the occurrence Next finds after t is active from its
// start and not a nanosecond before, no occurrence starts between t and it,
// and every occurrence ActiveAt reports is one Next finds.
func FuzzNextActiveAt(f *testing.F) {
	const march29 = 1774746000 // 2026-03-29T01:00:00Z, Berlin springs forward
	const nov1 = 1793509200    // 2026-11-01T05:00:00Z, New York falls back
	f.Add(uint8(1), uint8(0x7f), uint8(2), uint8(30), uint32(60), int64(0), int64(march29), int64(0))
	f.Add(uint8(2), uint8(0x7f), uint8(1), uint8(30), uint32(60), int64(0), int64(nov1), int64(0))
	f.Add(uint8(2), uint8(0x01), uint8(2), uint8(30), uint32(60*24*7), int64(-3600), int64(march29), int64(59))
	f.Add(uint8(4), uint8(0x22), uint8(0), uint8(0), uint32(90), int64(86400*3), int64(nov1), int64(0))
	f.Add(uint8(5), uint8(0x40), uint8(0), uint8(15), uint32(30), int64(0), int64(march29), int64(1))
	f.Add(uint8(9), uint8(0x7f), uint8(23), uint8(59), uint32(1), int64(0), int64(1325203200), int64(0))
	f.Fuzz(func(t *testing.T, zone, days, hour, minute uint8, minutes uint32, firstOffset, at, nanos int64) {
		var names []string
		for i, d := range Days {
			if days&(1<<i) != 0 {
				names = append(names, d)
			}
		}
		// Instants between 1970 and about 2100, where zone data is
		// meaningful, at any nanosecond.
		tt := time.Unix(int64(uint64(at)%(130*365*86400)), int64(uint64(nanos)%1e9)).UTC()
		w := &vigilv1.MaintenanceWindow{
			Id: "w", Name: "fuzz",
			Recurrence: &vigilv1.Recurrence{
				TimeZone:  fuzzZones[int(zone)%len(fuzzZones)],
				Days:      names,
				StartTime: time.Date(2000, 1, 1, int(hour%24), int(minute%60), 0, 0, time.UTC).Format("15:04"),
				Duration:  durationpb.New(time.Duration(1+minutes%uint32(MaxDuration/time.Minute)) * time.Minute),
			},
		}
		if firstOffset != 0 {
			w.Start = timestamppb.New(tt.Add(time.Duration(firstOffset%(30*86400)) * time.Second))
		}
		if err := Validate(w); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		dur := w.Recurrence.Duration.AsDuration()

		s, e, ok := Next(w, tt)
		if !ok {
			t.Fatalf("Next(%s): none", tt)
		}
		if !s.After(tt) || e.Sub(s) != dur {
			t.Fatalf("Next(%s) = [%s, %s)", tt, s, e)
		}
		if w.Start != nil && s.Before(w.Start.AsTime()) {
			t.Fatalf("Next(%s) = %s, before the window's start %s", tt, s, w.Start.AsTime())
		}
		if as, ae, ok := ActiveAt(w, s); !ok || !as.Equal(s) || !ae.Equal(e) {
			t.Fatalf("Next(%s) = [%s, %s) but ActiveAt(%s) = [%s, %s) %v", tt, s, e, s, as, ae, ok)
		}
		// An occurrence active just before s started at or before t, or
		// Next skipped it.
		if as, _, ok := ActiveAt(w, s.Add(-time.Nanosecond)); ok && as.After(tt) {
			t.Fatalf("Next(%s) = %s but an occurrence from %s is active at %s", tt, s, as, s.Add(-time.Nanosecond))
		}

		if as, ae, ok := ActiveAt(w, tt); ok {
			if tt.Before(as) || !tt.Before(ae) || ae.Sub(as) != dur {
				t.Fatalf("ActiveAt(%s) = [%s, %s)", tt, as, ae)
			}
			if ns, _, ok := Next(w, as.Add(-time.Nanosecond)); !ok || !ns.Equal(as) {
				t.Fatalf("ActiveAt(%s) starts at %s, but Next just before it gives %s", tt, as, ns)
			}
		}
	})
}
