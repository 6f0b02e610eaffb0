package termview

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// RenderIncidents writes one row per incident.
func RenderIncidents(w io.Writer, incs []*vigilv1.Incident, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCHECK\tKIND\tSTATUS\tSEVERITY\tOPENED\tDURATION\tPAGES\tTITLE")
	for _, inc := range incs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", inc.GetId(), inc.GetCheckId(), inc.GetKind().Short(),
			inc.GetStatus().Short(), inc.GetSeverity(), stamp(inc.GetOpenedAt().AsTime()), incidentDuration(inc, now),
			inc.GetPages(), inc.GetTitle())
	}
	return tw.Flush()
}

// RenderIncident writes one incident: its summary, each failing region's
// evidence, and the timeline.
func RenderIncident(w io.Writer, inc *vigilv1.Incident, now time.Time) error {
	fmt.Fprintf(w, "%s  %s\n", inc.GetId(), inc.GetTitle())
	fmt.Fprintf(w, "  check %s, %s, %s, severity %s, %d pages\n", inc.GetCheckId(), inc.GetKind().Short(),
		inc.GetStatus().Short(), inc.GetSeverity(), inc.GetPages())
	fmt.Fprintf(w, "  opened %s, open for %s", stamp(inc.GetOpenedAt().AsTime()), incidentDuration(inc, now))
	if inc.GetFirstFailureAt() != nil {
		fmt.Fprintf(w, ", first failure %s", stamp(inc.GetFirstFailureAt().AsTime()))
	}
	fmt.Fprintln(w)
	if inc.GetAcknowledgedBy() != "" {
		fmt.Fprintf(w, "  acknowledged by %s at %s\n", inc.GetAcknowledgedBy(), stamp(inc.GetAcknowledgedAt().AsTime()))
	}
	if inc.GetResolvedAt() != nil {
		fmt.Fprintf(w, "  resolved by %s at %s\n", inc.GetResolvedBy(), stamp(inc.GetResolvedAt().AsTime()))
	}
	var flags []string
	if inc.GetDisagree() {
		flags = append(flags, "failing regions disagree on the cause")
	}
	if inc.GetFlapping() {
		flags = append(flags, "flapping")
	}
	if inc.GetInMaintenance() {
		flags = append(flags, "opened in a maintenance window")
	}
	if len(flags) > 0 {
		fmt.Fprintf(w, "  note: %s\n", strings.Join(flags, "; "))
	}
	if len(inc.GetRegions()) > 0 {
		fmt.Fprintln(w, "\nfailing regions:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  REGION\tPROBE\tCLASS\tSTEP\tSCREENSHOT\tERROR")
		for _, f := range inc.GetRegions() {
			step := "-"
			if f.GetFailedStep() > 0 {
				step = fmt.Sprintf("%d %s", f.GetFailedStep(), f.GetFailedStepName())
			}
			shot := "-"
			if f.GetHasScreenshot() {
				shot = f.GetResultId()
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", f.GetRegion(), f.GetProbeId(), f.GetErrorClass().Short(), step, shot, f.GetError())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(inc.GetTimeline()) > 0 {
		fmt.Fprintln(w, "\ntimeline:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, ev := range inc.GetTimeline() {
			mark := ""
			if ev.GetKind() == "notification" && !ev.GetOk() {
				mark = " (failed)"
			}
			fmt.Fprintf(tw, "  %s\t%s%s\t%s\t%s\n", stamp(ev.GetAt().AsTime()), ev.GetKind(), mark, ev.GetActor(), ev.GetMessage())
		}
		return tw.Flush()
	}
	return nil
}

// RenderWindows writes one row per maintenance window.
func RenderWindows(w io.Writer, ws []*vigilv1.MaintenanceWindow, active []string) error {
	on := make(map[string]bool, len(active))
	for _, id := range active {
		on[id] = true
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tACTIVE\tCHECKS\tWHEN")
	for _, mw := range ws {
		checks := strings.Join(mw.GetCheckIds(), ",")
		if checks == "" {
			checks = "all"
		}
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", mw.GetId(), mw.GetName(), on[mw.GetId()], checks, When(mw))
	}
	return tw.Flush()
}

// When describes when a window applies, e.g. "tue,thu 02:00 for 1h0m0s
// (Europe/Berlin)" or "2026-12-01 22:00 UTC until 2026-12-02 01:00 UTC".
func When(mw *vigilv1.MaintenanceWindow) string {
	if r := mw.GetRecurrence(); r != nil {
		days := strings.Join(r.GetDays(), ",")
		if days == "" {
			days = "daily"
		}
		tz := r.GetTimeZone()
		if tz == "" {
			tz = "UTC"
		}
		return fmt.Sprintf("%s %s for %s (%s)", days, r.GetStartTime(), r.GetDuration().AsDuration(), tz)
	}
	const layout = "2006-01-02 15:04 MST"
	return fmt.Sprintf("%s until %s", mw.GetStart().AsTime().UTC().Format(layout), mw.GetEnd().AsTime().UTC().Format(layout))
}

func incidentDuration(inc *vigilv1.Incident, now time.Time) string {
	end := now
	if inc.GetResolvedAt() != nil {
		end = inc.GetResolvedAt().AsTime()
	}
	return age(end, inc.GetOpenedAt().AsTime())
}

func stamp(t time.Time) string {
	return t.Local().Format(time.DateTime)
}
