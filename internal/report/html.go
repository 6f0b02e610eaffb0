package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

//go:embed report.html.tmpl
var pageTemplate string

//go:embed report.css
var pageCSS string

// tmpl is parsed once; html/template escapes every value by its context
// (text, attribute), so names and titles from check files cannot inject
// markup.
var tmpl = template.Must(template.New("report").Parse(pageTemplate))

// HTML writes r as one self-contained HTML page: inline CSS, inline SVG
// charts drawn here, no JavaScript, and no reference to anything outside
// the page (fonts are the reader's system fonts). A first section lists
// the checks; then each check has its own section (a new page when
// printed) with its figures, charts, incidents and region tables. Times are
// in UTC.
//
// The page is rendered into memory first, so w receives all of it or, on
// error, nothing.
func HTML(w io.Writer, r *vigilv1.Report) error {
	p := newPage(r)
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// page is what the template renders.
type page struct {
	CSS       template.CSS
	Title     string
	Range     string
	Length    string
	Generated string
	Checks    []checkView
	Note      string // why there is nothing to show, when there is not
}

// checkView is one check's section.
type checkView struct {
	Anchor string // unique id of the section
	ID     string
	Name   string
	Type   string
	KPIs   []kpi

	// Summary cells for the overview table.
	Uptime, SloTarget, SloAchieved, Budget, Completion string
	SloBad, BudgetBad                                  bool
	IncidentCount                                      int

	Timeline    *uptimeChart
	UptimeNote  string
	Load        *loadChart
	LoadCaption string
	LoadNote    string
	Vitals      *vitalsChart
	VitalsNote  string
	Funnel      *funnelChart
	FunnelNote  string

	Incidents   []incidentRow
	Runs        []runsRow
	Percentiles []percentileRow
	HasPageCols bool // some region has page load, LCP or CLS values
}

// kpi is one headline figure.
type kpi struct {
	Label, Value, Detail string
	Bad                  bool
}

type incidentRow struct {
	ID, Kind, Status, Opened, Duration, Title string
	Open                                      bool // still open at the report's end: its duration is "so far"
	// The incident's cost to conversion (outage incidents only).
	Failed, Completion, Lost string
}

type runsRow struct {
	Region                              string
	Runs, Passes, Failures, ProbeErrors string
	Completion, Uptime, Unknown         string
	Overall                             bool
}

type percentileRow struct {
	Region                string
	Flow, TTFB, Load, LCP []string // p50, p75, p95, p99
	CLS                   string
	Overall               bool
}

func newPage(r *vigilv1.Report) page {
	p := page{CSS: template.CSS(pageCSS), Title: "Vigil report"}
	from, to, ok := reportRange(r)
	if ok {
		p.Range = fmt.Sprintf("%s – %s UTC", stamp(from), stamp(to))
		p.Length = span(to.Sub(from))
		p.Title = fmt.Sprintf("Vigil report %s – %s", from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))
	} else {
		p.Range = "range unknown"
	}
	asOf := to
	if r.GetGeneratedAt() != nil {
		asOf = r.GetGeneratedAt().AsTime()
		p.Generated = stamp(asOf) + " UTC"
	}
	if len(r.GetChecks()) == 0 {
		p.Note = "No checks in this report."
	}
	for i, c := range r.GetChecks() {
		p.Checks = append(p.Checks, newCheckView(i, c, from, to, ok, asOf))
	}
	return p
}

func newCheckView(i int, c *vigilv1.CheckReport, from, to time.Time, haveRange bool, asOf time.Time) checkView {
	o := c.GetOverall()
	v := checkView{
		Anchor: fmt.Sprintf("check-%d-%s", i+1, slug(c.GetCheckId())),
		ID:     c.GetCheckId(),
		Name:   c.GetName(),
		Type:   c.GetType(),
	}
	if v.Name == "" {
		v.Name = v.ID
	}
	slo := c.GetSlo()
	v.Uptime, v.Completion = dash, dash
	if o != nil {
		v.Uptime, v.Completion = uptimePct(o.GetUptime()), completionPct(o)
	}
	v.SloTarget, v.SloAchieved, v.Budget = dash, dash, dash
	if slo != nil {
		v.SloTarget, v.SloAchieved, v.Budget = uptimePct(slo.GetTarget()), uptimePct(slo.GetAchieved()), pct(slo.GetBudgetRemaining(), 1)
		v.SloBad, v.BudgetBad = slo.GetAchieved() < slo.GetTarget(), slo.GetBudgetRemaining() < 0
	}
	v.IncidentCount = len(c.GetIncidents())
	v.KPIs = kpis(c, v)

	if haveRange {
		v.Timeline, v.UptimeNote = newUptimeChart(c, from, to)
		v.Load, v.LoadCaption, v.LoadNote = newLoadChart(c, from, to)
	} else {
		v.UptimeNote = "The report has no time range, so there is no timeline."
		v.LoadNote = v.UptimeNote
	}
	v.Vitals, v.VitalsNote = newVitalsChart(c)
	v.Funnel, v.FunnelNote = newFunnelChart(c)
	impacts := make(map[string]*vigilv1.IncidentImpact, len(c.GetIncidentImpacts()))
	for _, ii := range c.GetIncidentImpacts() {
		impacts[ii.GetIncidentId()] = ii
	}
	for _, inc := range c.GetIncidents() {
		v.Incidents = append(v.Incidents, newIncidentRow(inc, impacts[inc.GetId()], asOf))
	}
	for _, rr := range rows(c) {
		v.Runs = append(v.Runs, newRunsRow(rr, rr == o))
		v.Percentiles = append(v.Percentiles, newPercentileRow(rr, rr == o))
		for _, m := range []vigilv1.Measure{vigilv1.Measure_MEASURE_LOAD, vigilv1.Measure_MEASURE_LCP, vigilv1.Measure_MEASURE_CLS} {
			if summaryOf(rr, m).GetQuantiles().GetCount() > 0 {
				v.HasPageCols = true
			}
		}
	}
	return v
}

func kpis(c *vigilv1.CheckReport, v checkView) []kpi {
	o, slo := c.GetOverall(), c.GetSlo()
	out := []kpi{{Label: "Uptime", Value: v.Uptime}}
	if o.GetUnknown() > 0 {
		out[0].Detail = "unknown " + uptimePct(o.GetUnknown()) + " of the range"
	}
	if slo != nil {
		out = append(out,
			kpi{Label: "SLO", Value: v.SloAchieved, Detail: "target " + v.SloTarget, Bad: v.SloBad},
			kpi{Label: "Error budget left", Value: v.Budget, Detail: fmt.Sprintf("burn rate %s×", trimFloat(slo.GetBurnRate(), 2)), Bad: v.BudgetBad})
	}
	completion := kpi{Label: "Completion", Value: v.Completion}
	if o != nil {
		completion.Detail = fmt.Sprintf("%s of %s runs passed", count(o.GetPasses()), count(o.GetPasses()+o.GetFailures()))
		if o.GetProbeErrors() > 0 {
			completion.Detail += fmt.Sprintf("; %s probe errors not counted", count(o.GetProbeErrors()))
		}
	}
	incidents := fmt.Sprintf("%d incidents", v.IncidentCount)
	if v.IncidentCount == 1 {
		incidents = "1 incident"
	}
	out = append(out, completion)
	if imp := c.GetImpact(); imp != nil {
		out = append(out, impactKPI(imp))
	}
	return append(out,
		kpi{Label: "MTTD", Value: optSpan(c.GetMttd()), Detail: "first failure to incident"},
		kpi{Label: "MTTR", Value: optSpan(c.GetMttr()), Detail: incidents})
}

// impactKPI is the conversion lost to outages: the outage time weighted by
// the drop in completion, with the completions compared.
func impactKPI(imp *vigilv1.Impact) kpi {
	k := kpi{Label: "Conversion lost", Value: "none", Detail: "no outage in the range"}
	outage := imp.GetOutageTime().AsDuration()
	if outage <= 0 {
		return k
	}
	k.Value = span(imp.GetLostTime().AsDuration())
	k.Bad = imp.GetLostTime().AsDuration() > 0
	k.Detail = fmt.Sprintf("%s of outages; completion %s during them, %s otherwise", span(outage),
		pct(imp.GetCompletionOutage(), 2), pct(imp.GetCompletionNormal(), 2))
	if imp.GetRunsOutage() == 0 {
		k.Detail = fmt.Sprintf("%s of outages without runs to measure", span(outage))
	}
	return k
}

func newIncidentRow(inc *vigilv1.Incident, imp *vigilv1.IncidentImpact, asOf time.Time) incidentRow {
	row := incidentRow{ID: inc.GetId(), Kind: inc.GetKind().Short(), Status: inc.GetStatus().Short(),
		Title: inc.GetTitle(), Opened: dash, Duration: dash, Failed: dash, Completion: dash, Lost: dash}
	if imp != nil && imp.GetRuns() > 0 {
		row.Failed = fmt.Sprintf("%s of %s", count(imp.GetFailures()), count(imp.GetRuns()))
		row.Completion = pct(imp.GetCompletionRate(), 2)
		row.Lost = span(imp.GetLostTime().AsDuration())
	}
	if inc.GetOpenedAt() == nil {
		return row
	}
	opened := inc.GetOpenedAt().AsTime()
	row.Opened = stamp(opened)
	switch {
	case inc.GetResolvedAt() != nil:
		row.Duration = span(inc.GetResolvedAt().AsTime().Sub(opened))
	case !asOf.IsZero():
		row.Open = true
		row.Duration = span(asOf.Sub(opened)) + " so far"
	}
	return row
}

func newRunsRow(rr *vigilv1.RegionReport, overall bool) runsRow {
	return runsRow{
		Region: regionName(rr), Overall: overall,
		Runs: count(rr.GetRuns()), Passes: count(rr.GetPasses()), Failures: count(rr.GetFailures()),
		ProbeErrors: count(rr.GetProbeErrors()),
		Completion:  completionPct(rr), Uptime: uptimePct(rr.GetUptime()), Unknown: uptimePct(rr.GetUnknown()),
	}
}

func newPercentileRow(rr *vigilv1.RegionReport, overall bool) percentileRow {
	qs := func(m vigilv1.Measure) []string {
		s := summaryOf(rr, m)
		if s.GetQuantiles().GetCount() == 0 {
			return []string{dash, dash, dash, dash}
		}
		q := s.GetQuantiles()
		return []string{msPlain(q.GetP50()), msPlain(q.GetP75()), msPlain(q.GetP95()), msPlain(q.GetP99())}
	}
	row := percentileRow{Region: regionName(rr), Overall: overall, CLS: dash,
		Flow: qs(vigilv1.Measure_MEASURE_FLOW), TTFB: qs(vigilv1.Measure_MEASURE_TTFB),
		Load: qs(vigilv1.Measure_MEASURE_LOAD), LCP: qs(vigilv1.Measure_MEASURE_LCP)}
	if s := summaryOf(rr, vigilv1.Measure_MEASURE_CLS); s.GetQuantiles().GetCount() > 0 {
		row.CLS = clsScore(s.GetQuantiles().GetP75())
	}
	return row
}

func completionPct(rr *vigilv1.RegionReport) string {
	if rate, ok := completion(rr); ok {
		return pct(rate, 2)
	}
	return dash
}

// slug keeps the letters, digits and dashes of s, for ids.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == ' ', r == '_', r == '.', r == '/':
			b.WriteByte('-')
		}
	}
	return b.String()
}
