package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/analytics"
	"github.com/vigilhq/vigil/analytics/analyticstest"
	"github.com/vigilhq/vigil/internal/report"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// generatedReport is a report as the coordinator computes it: the analytics
// service over a generated data set of a browser checkout and an http home
// page, every minute in three regions, with the data set's scripted
// outages and incidents, over span (hourly series up to 14 days, daily
// beyond).
func generatedReport(t testing.TB, span time.Duration) *vigilv1.Report {
	t.Helper()
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	to := from.Add(span)
	regions := []string{"ap-south", "eu-west", "us-east"}
	checks := []*vigilv1.Check{
		analyticstest.BrowserCheck("checkout", regions...),
		analyticstest.HTTPCheck("home", regions...),
	}
	data := analyticstest.Generate(7, checks, from, to)
	svc := analytics.New(analytics.Config{
		Source: analyticstest.NewMemory(data),
		Now:    func() time.Time { return to.Add(time.Minute) },
	})
	r, err := svc.Report(t.Context(), checks, from, to, 0)
	if err != nil {
		t.Fatalf("compute the report: %v", err)
	}
	return r
}

// TestGeneratedReport renders what the analytics service computes, so the
// renderers meet the real shapes (empty buckets, outages, open incidents)
// and not only the hand-made fixture.
func TestGeneratedReport(t *testing.T) {
	r := generatedReport(t, 3*24*time.Hour)
	var html, csv, js bytes.Buffer
	for name, err := range map[string]error{
		"html": report.HTML(&html, r), "csv": report.CSV(&csv, r), "json": report.JSON(&js, r),
	} {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	page := html.String()
	checkout := section(t, page, "checkout")
	for _, name := range []string{"uptime", "load", "vitals", "funnel"} {
		if n := len(markRE.FindAllString(figure(t, checkout, name), -1)); n == 0 {
			t.Errorf("checkout %s chart has no marks", name)
		}
	}
	if !strings.Contains(checkout, "class=\"mark state-down\"") {
		t.Error("the data set's outages do not show on the uptime timeline")
	}
	if strings.Contains(page, "NaN") || strings.Contains(page, "%!") {
		t.Error("page prints NaN or a format error")
	}
	if n := strings.Count(csv.String(), "\n"); n != 1+2*4 {
		t.Errorf("csv has %d lines, want a header and 4 rows per check", n)
	}
	// The data set is seeded and the service's clock fixed, so the figures
	// are too: any change in how analytics computes them shows here.
	golden(t, "generated.csv.golden", csv.Bytes())
	golden(t, "generated.json.golden", js.Bytes())
}
