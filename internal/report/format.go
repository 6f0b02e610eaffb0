package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Formatting for people (the HTML report). Every function is deterministic
// and shows a missing or non-finite value as dash.

const dash = "–"

// pct formats a 0..1 fraction as a percentage with the given decimals.
func pct(v float64, decimals int) string {
	if !finite(v) {
		return dash
	}
	return strconv.FormatFloat(v*100, 'f', decimals, 64) + "%"
}

// uptimePct formats an uptime or SLO fraction: three decimals, because the
// difference between 99.9% and 99.95% is the whole error budget.
func uptimePct(v float64) string { return pct(v, 3) }

// millis formats a duration in milliseconds: "840 ms", "2.41 s".
func millis(v float64) string {
	switch {
	case !finite(v):
		return dash
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
	case v < 10000:
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + " s"
	default:
		return strconv.FormatFloat(v/1000, 'f', 1, 64) + " s"
	}
}

// msPlain formats milliseconds as a bare integer, for dense tables.
func msPlain(v float64) string {
	if !finite(v) {
		return dash
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// clsScore formats a CLS score.
func clsScore(v float64) string {
	if !finite(v) {
		return dash
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// measureValue formats a value of measure m in its unit.
func measureValue(m vigilv1.Measure, v float64) string {
	switch m {
	case vigilv1.Measure_MEASURE_CLS:
		return clsScore(v)
	case vigilv1.Measure_MEASURE_COMPLETION, vigilv1.Measure_MEASURE_UPTIME:
		return pct(v, 1)
	default:
		return millis(v)
	}
}

// span formats a duration for people: "45s", "3m 20s", "2h 05m", "3d 4h".
func span(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// optSpan formats an optional duration; unset is dash (no incidents).
func optSpan(d *durationpb.Duration) string {
	if d == nil {
		return dash
	}
	return span(d.AsDuration())
}

// stamp formats an instant in UTC to the minute.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

// count formats an integer with thin thousands separators: 12 345.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// measureNames are the measures' names for people.
var measureNames = map[vigilv1.Measure]string{
	vigilv1.Measure_MEASURE_FLOW:       "flow time",
	vigilv1.Measure_MEASURE_TTFB:       "TTFB",
	vigilv1.Measure_MEASURE_LOAD:       "page load",
	vigilv1.Measure_MEASURE_LCP:        "LCP",
	vigilv1.Measure_MEASURE_CLS:        "CLS",
	vigilv1.Measure_MEASURE_STEP:       "step time",
	vigilv1.Measure_MEASURE_COMPLETION: "completion",
	vigilv1.Measure_MEASURE_UPTIME:     "uptime",
}

func measureName(m vigilv1.Measure) string {
	if n, ok := measureNames[m]; ok {
		return n
	}
	return strings.ToLower(strings.TrimPrefix(m.String(), "MEASURE_"))
}

// quantileName names a quantile: 0.75 is "p75".
func quantileName(q float64) string {
	if q <= 0 || q >= 1 || !finite(q) {
		return ""
	}
	return "p" + strconv.FormatFloat(q*100, 'f', -1, 64)
}
