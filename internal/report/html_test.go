package report_test

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/internal/report"
	"github.com/vigilhq/vigil/internal/report/reporttest"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func renderHTML(t *testing.T, r *vigilv1.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// section returns the HTML of the check section with data-check id.
func section(t *testing.T, html, id string) string {
	t.Helper()
	start := strings.Index(html, `data-check="`+id+`"`)
	if start < 0 {
		t.Fatalf("no section for check %q", id)
	}
	end := strings.Index(html[start:], "</section>")
	return html[start : start+end]
}

// figure returns the HTML of the chart figure of class chart-name in sec.
func figure(t *testing.T, sec, name string) string {
	t.Helper()
	start := strings.Index(sec, "chart chart-"+name)
	if start < 0 {
		t.Fatalf("no chart-%s figure", name)
	}
	end := strings.Index(sec[start:], "</figure>")
	return sec[start : start+end]
}

var markRE = regexp.MustCompile(`class="mark[ "]`)

func TestHTMLEscapesEverything(t *testing.T) {
	r := reporttest.Report()
	c := r.GetChecks()[0]
	c.Name = `<script>alert("x")</script>`
	c.CheckId = `a"b<c>&d`
	c.GetRegions()[0].Region = `<img src=x onerror=alert(1)>`
	c.GetFunnel()[0].Name = `</title><script>1</script>`
	c.GetIncidents()[0].Title = `<b>bold</b> & "quoted"`
	c.GetStates()[0].State = `up"><script>`
	c.GetLoadSeries()[0].Region = `"><svg onload=alert(1)>`
	html := renderHTML(t, r)
	for _, bad := range []string{"<script", "<img", "<b>", "<svg onload"} {
		if strings.Contains(html, bad) {
			i := strings.Index(html, bad)
			t.Errorf("unescaped %q in the page: ...%s...", bad, html[max(i-80, 0):min(i+80, len(html))])
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34;"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks the escaped text %q", want)
		}
	}
	// An unknown state draws in a class of its own, never in a class built
	// from the text.
	if !strings.Contains(html, `class="mark state-other"`) {
		t.Error("unknown state is not drawn as state-other")
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	html := renderHTML(t, reporttest.Report())
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script`),
		regexp.MustCompile(`(?i)<link`),
		regexp.MustCompile(`(?i)<img`),
		regexp.MustCompile(`(?i)\ssrc=`),
		regexp.MustCompile(`(?i)url\(`),
		regexp.MustCompile(`(?i)@import`),
		regexp.MustCompile(`(?i)@font-face`),
		regexp.MustCompile(`(?i)href="[^#]`),
	} {
		if loc := bad.FindStringIndex(html); loc != nil {
			t.Errorf("page matches %s: ...%s...", bad, html[max(loc[0]-60, 0):min(loc[1]+60, len(html))])
		}
	}
}

func TestHTMLCharts(t *testing.T) {
	html := renderHTML(t, reporttest.Report())
	checkout := section(t, html, "checkout")
	for name, want := range map[string]int{"uptime": 6, "load": 3 + 3*23, "vitals": 36, "funnel": 11} {
		if got := len(markRE.FindAllString(figure(t, checkout, name), -1)); got != want {
			t.Errorf("checkout %s chart: %d marks, want %d", name, got, want)
		}
	}
	home := section(t, html, "home")
	if f := figure(t, home, "funnel"); strings.Contains(f, "<svg") || !strings.Contains(f, "an http check is one request") {
		t.Errorf("http check's funnel figure should be a note, got:\n%s", f)
	}
	// The http check has TTFB ratings only: the chart shows them and says
	// why LCP and CLS are missing.
	vitals := figure(t, home, "vitals")
	if got := len(markRE.FindAllString(vitals, -1)); got != 4 {
		t.Errorf("http check's vitals chart: %d marks, want 4 (TTFB good for all and 3 regions)", got)
	}
	if !strings.Contains(vitals, "LCP and CLS: not measured by http checks") {
		t.Errorf("http check's vitals chart does not say why LCP and CLS are missing:\n%s", vitals)
	}
	if !strings.Contains(home, "None: no incidents opened in this range.") {
		t.Error("http check without incidents does not say none")
	}
	for _, want := range []string{"inc-7", "monitoring_impaired", "23m 00s", "1h 15m so far", "-1636.0%", "burn rate 17.36×", "1m 40s", "17m 30s"} {
		if !strings.Contains(checkout, want) {
			t.Errorf("checkout section lacks %q", want)
		}
	}
	for _, name := range []string{"chart-uptime", "chart-load", "chart-vitals", "chart-funnel"} {
		if n := strings.Count(html, `class="chart `+name); n != 2 {
			t.Errorf("%d figures of class %s, want one per check", n, name)
		}
	}
}

// TestHTMLEmptyData renders checks with nothing measured, a report without
// a range, and a report without checks: each says so instead of drawing
// empty charts (a report without a range still draws the charts that need
// no time axis), and nothing prints NaN.
func TestHTMLEmptyData(t *testing.T) {
	from := timestamppb.New(reporttest.From)
	to := timestamppb.New(reporttest.To)
	nan := math.NaN()
	for _, tc := range []struct {
		name    string
		r       *vigilv1.Report
		notes   []string
		charted bool // some charts need no range and are drawn
	}{
		{"bare browser check", &vigilv1.Report{From: from, To: to, Checks: []*vigilv1.CheckReport{{CheckId: "b", Type: "browser"}}},
			[]string{"No decided states in this range", "No load or flow time measured", "No Web Vitals measured", "No step data in this range", "None: no incidents"}, false},
		{"bare http check", &vigilv1.Report{From: from, To: to, Checks: []*vigilv1.CheckReport{{CheckId: "h", Type: "http"}}},
			[]string{"No Web Vitals: an http check loads no page", "No step funnel: an http check"}, false},
		{"no range", &vigilv1.Report{Checks: []*vigilv1.CheckReport{reporttest.Checkout()}},
			[]string{"no time range", "range unknown"}, true},
		{"no checks", &vigilv1.Report{From: from, To: to}, []string{"No checks in this report."}, false},
		{"not a number", &vigilv1.Report{From: from, To: to, Checks: []*vigilv1.CheckReport{{
			CheckId: "n", Type: "browser",
			Overall: &vigilv1.RegionReport{Uptime: nan, CompletionRate: nan, Measures: []*vigilv1.MeasureSummary{
				{Measure: vigilv1.Measure_MEASURE_LCP, Quantiles: &vigilv1.Quantiles{P50: nan, P75: nan, Count: 3},
					Rating: &vigilv1.Rating{Good: nan}},
			}},
			LoadSeries: []*vigilv1.Series{{Points: []*vigilv1.Point{{Start: from, Value: nan}}}},
			Slo:        &vigilv1.Slo{Target: 0.999, Achieved: nan, BudgetRemaining: math.Inf(-1)},
		}}}, []string{"No load or flow time measured", "No Web Vitals measured"}, false},
		{"steps nobody reached", &vigilv1.Report{From: from, To: to, Checks: []*vigilv1.CheckReport{{
			CheckId: "z", Type: "browser", Funnel: []*vigilv1.FunnelStep{{Index: 1, Name: "open"}},
		}}}, []string{"No run reached the first step"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			html := renderHTML(t, tc.r)
			for _, n := range tc.notes {
				if !strings.Contains(html, n) {
					t.Errorf("page lacks %q", n)
				}
			}
			if !tc.charted && markRE.MatchString(html) {
				t.Errorf("page draws marks: %s", markRE.FindString(html))
			}
			for _, bad := range []string{"NaN", "Inf", "%!"} {
				if strings.Contains(html, bad) {
					t.Errorf("page prints %q", bad)
				}
			}
		})
	}
}

// TestHTMLShortSpansVisible: a one-minute outage in a 30-day report is
// still drawn, at least 1.5 units wide, and inside the bar.
func TestHTMLShortSpansVisible(t *testing.T) {
	from := reporttest.From
	to := from.Add(30 * 24 * time.Hour)
	ts := func(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(from.Add(d)) }
	r := &vigilv1.Report{From: timestamppb.New(from), To: timestamppb.New(to), Checks: []*vigilv1.CheckReport{{
		CheckId: "c", Type: "http",
		States: []*vigilv1.StateSpan{
			{Start: ts(0), End: ts(10 * 24 * time.Hour), State: "up"},
			{Start: ts(10 * 24 * time.Hour), End: ts(10*24*time.Hour + time.Minute), State: "down"},
			{Start: ts(10*24*time.Hour + time.Minute), End: ts(30*24*time.Hour - time.Minute), State: "up"},
			{Start: ts(30*24*time.Hour - time.Minute), End: ts(30 * 24 * time.Hour), State: "down"},
		},
	}}}
	html := renderHTML(t, r)
	re := regexp.MustCompile(`class="mark state-down" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"`)
	m := re.FindAllStringSubmatch(html, -1)
	if len(m) != 2 {
		t.Fatalf("found %d down spans, want 2", len(m))
	}
	for _, s := range m {
		if s[2] != "1.5" {
			t.Errorf("down span x=%s is %s wide, want 1.5", s[1], s[2])
		}
	}
	if m[1][1] != "710.5" { // the last span ends at the bar's right edge, 712
		t.Errorf("last down span starts at %s, want 710.5 so it ends at the bar's edge", m[1][1])
	}
	if !strings.Contains(html, "02 Nov") || !strings.Contains(html, "down 0.005%") {
		t.Error("30-day axis has no day labels, or the legend lacks the down share")
	}
}
