// Package termview renders API objects (check status, results, probes, local
// runs) as plain-text tables for the CLI and the demo's live view.
package termview

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Render writes one row per check and region: the check's decided state
// (STATE), the region's verdict (VERDICT) and its latest result. now is used
// for the age column, so output is deterministic in tests.
func Render(w io.Writer, statuses []*vigilv1.GetCheckStatusResponse, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tTYPE\tSTATE\tREGION\tVERDICT\tSTATUS\tFLOW\tTTFB\tLOAD\tLCP\tAGE\tFAILING STEP / ERROR")
	for _, st := range statuses {
		c := st.GetCheck()
		for _, rs := range st.GetRegions() {
			fmt.Fprintln(tw, row(c, state(st), rs, now))
		}
	}
	return tw.Flush()
}

func row(c *vigilv1.Check, state string, rs *vigilv1.RegionStatus, now time.Time) string {
	cols := []string{c.GetName(), c.GetType().Capability(), orDash(state), rs.GetRegion(), verdict(rs)}
	r := rs.GetLast()
	if r == nil {
		return strings.Join(append(cols, "waiting", "-", "-", "-", "-", "-", ""), "\t")
	}
	cols = append(cols,
		statusName(r),
		micros(r.GetDurationUs()),
		micros(r.GetTtfbUs()),
		micros(r.GetLoadUs()),
		micros(r.GetLcpUs()),
		age(now, r.GetStartedAt().AsTime()),
		failure(r),
	)
	return strings.Join(cols, "\t")
}

// state is the check's decided state with what the on-call person needs
// next to it: its open incident, a maintenance window, flapping.
func state(st *vigilv1.GetCheckStatusResponse) string {
	parts := []string{orDash(st.GetState())}
	if id := st.GetOpenIncidentId(); id != "" {
		parts = append(parts, id)
	}
	if st.GetInMaintenance() {
		parts = append(parts, "maintenance")
	}
	if st.GetFlapping() {
		parts = append(parts, "flapping")
	}
	return strings.Join(parts, " ")
}

// verdict is the region's verdict, marked when it is an unconfirmed
// failure; "-" from a coordinator that does not decide verdicts.
func verdict(rs *vigilv1.RegionStatus) string {
	v := orDash(rs.GetVerdict())
	if rs.GetSuspect() {
		v += " (suspect)"
	}
	return v
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// statusName is the status word users see: pass, FAIL or probe_error, with
// the error class for failures.
func statusName(r *vigilv1.Result) string {
	switch r.GetStatus() {
	case vigilv1.ResultStatus_RESULT_STATUS_PASS:
		return "pass"
	case vigilv1.ResultStatus_RESULT_STATUS_FAIL:
		return "FAIL " + ClassName(r.GetErrorClass())
	case vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR:
		return "probe_error"
	default:
		return "?"
	}
}

// ClassName is the short name of an error class as users write it (dns,
// connect, tls, http_status, timeout, assertion, script, probe).
func ClassName(c vigilv1.ErrorClass) string { return c.Short() }

func failure(r *vigilv1.Result) string {
	if r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_PASS {
		return ""
	}
	msg := r.GetError()
	if len(msg) > 80 {
		msg = msg[:77] + "..."
	}
	if r.GetFailedStep() > 0 {
		return fmt.Sprintf("step %d %s: %s", r.GetFailedStep(), r.GetFailedStepName(), msg)
	}
	return msg
}

func micros(us int64) string {
	if us <= 0 {
		return "-"
	}
	d := time.Duration(us) * time.Microsecond
	if d < time.Millisecond {
		return fmt.Sprintf("%.1fms", float64(us)/1000)
	}
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String()
}

// IsTerminal reports whether w is a terminal (a character device), where
// tables are redrawn in place and progress bars drawn.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
