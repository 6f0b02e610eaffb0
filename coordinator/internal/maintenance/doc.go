// Package maintenance decides when maintenance windows apply (DESIGN §3:
// during a window the engine still records everything, shows the window on
// the status page, and sends no pages).
//
// A window (vigilv1.MaintenanceWindow) is either one-off, from start
// (inclusive) to end (exclusive), or recurring: it starts on each listed
// weekday at a local time of day in an IANA time zone and lasts a duration.
// Everything here is pure: no goroutines, no clock; the caller passes the
// time in. Validate a window before use; the other functions treat a window
// that does not validate as never active.
//
// # Recurring windows and the calendar
//
// An occurrence's start is time.Date(year, month, day, hh, mm, 0, 0, zone)
// for each listed weekday, so it follows the zone's daylight saving time:
// a 02:00 Europe/Berlin window starts at 01:00 UTC in winter and 00:00 UTC
// in summer. It then lasts duration of real (elapsed) time, so a 1h window
// across a DST change is still one hour long, and a window may run past
// midnight into the next local day (or days).
//
// On a day where the start time does not exist (it falls into the hour
// skipped by spring-forward) or exists twice (the hour repeated by
// fall-back), the start is what time.Date normalises it to, which Go only
// promises is correct in one of the two zone offsets involved. Today that
// means, pinned by the tests:
//
//   - Europe/Berlin, 02:30 on the spring-forward day: 03:30 CEST (01:30 UTC),
//     half an hour after the clocks jump.
//   - America/New_York, 02:30 on the spring-forward day: 01:30 EST
//     (06:30 UTC), half an hour before the clocks jump.
//   - Europe/Berlin, 02:30 on the fall-back day: the second 02:30 (CET,
//     01:30 UTC).
//   - America/New_York, 01:30 on the fall-back day: the first 01:30 (EDT,
//     05:30 UTC).
//
// Either way each listed day has exactly one occurrence, about when the
// local clock says; pick a start time outside 01:00-03:00 to avoid the
// question.
package maintenance
