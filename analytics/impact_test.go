package analytics_test

import (
	"math"
	"testing"
	"time"

	"github.com/vigilhq/vigil/analytics"
	"github.com/vigilhq/vigil/analytics/analyticstest"
)

// TestConversionImpact checks the outages' cost against counts straight
// from the raw results: per day the checkout is down 30 minutes (every
// region fails at a late step) and degraded an hour (one region of three
// fails), so completion during outages is far below normal and the lost
// time is about 30 + 60/3 minutes a day.
func TestConversionImpact(t *testing.T) {
	checks, d := dataset()
	from, to := day0, day0.Add(48*time.Hour)
	svc := analytics.New(analytics.Config{Source: analyticstest.NewMemory(d), Now: func() time.Time { return to }})
	rep, err := svc.Report(t.Context(), checks[:1], from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	cr := rep.GetChecks()[0]
	imp := cr.GetImpact()

	var outages []analyticstest.Outage
	for _, o := range d.Outages {
		if o.CheckID == "checkout" && (o.State == analytics.StateDown || o.State == analytics.StateDegraded) {
			outages = append(outages, o)
		}
	}
	if len(outages) != 4 {
		t.Fatalf("script has %d outages of checkout, want 4", len(outages))
	}
	all := count(d, "checkout", from, to)
	var pass, fail int64
	var lost, outageTime float64 // minutes
	for _, o := range outages {
		e := count(d, "checkout", o.From, o.To)
		pass += e.pass[""]
		fail += e.fail[""]
		outageTime += o.To.Sub(o.From).Minutes()
	}
	normal := float64(all.pass[""]-pass) / float64(all.pass[""]-pass+all.fail[""]-fail)
	for _, o := range outages {
		// Failed runs beyond the normal rate, each a minute (the interval)
		// of one region of three.
		e := count(d, "checkout", o.From, o.To)
		excess := float64(e.pass[""]+e.fail[""]) - float64(e.pass[""])/normal
		lost += min(o.To.Sub(o.From).Minutes(), excess/3)
	}

	if imp.GetOutageTime().AsDuration() != time.Duration(outageTime)*time.Minute {
		t.Errorf("outage time = %v, want %v minutes", imp.GetOutageTime().AsDuration(), outageTime)
	}
	if imp.GetRunsOutage() != pass+fail || imp.GetFailuresOutage() != fail {
		t.Errorf("outage runs = %d (%d failed), want %d (%d)", imp.GetRunsOutage(), imp.GetFailuresOutage(), pass+fail, fail)
	}
	approx(t, "completion normal", imp.GetCompletionNormal(), normal)
	approx(t, "completion outage", imp.GetCompletionOutage(), float64(pass)/float64(pass+fail))
	if got := imp.GetLostTime().AsDuration().Minutes(); math.Abs(got-lost) > 1.0/60 {
		t.Errorf("lost time = %.2f minutes, want %.2f", got, lost)
	}
	// About (30 + 60/3) minutes a day: all of the down time, a third of
	// the degraded hour.
	if got := imp.GetLostTime().AsDuration(); got < 95*time.Minute || got > 105*time.Minute {
		t.Errorf("lost time = %v, want about 100 minutes", got)
	}

	// One impact per down incident (the impaired ones are about Vigil),
	// from the first failure to the resolution.
	var downs int
	for _, inc := range cr.GetIncidents() {
		if inc.GetKind().Short() == "down" {
			downs++
		}
	}
	if len(cr.GetIncidentImpacts()) != downs || downs != 2 {
		t.Fatalf("%d incident impacts for %d down incidents, want 2", len(cr.GetIncidentImpacts()), downs)
	}
	for _, ii := range cr.GetIncidentImpacts() {
		var inc = cr.GetIncidents()[0]
		for _, x := range cr.GetIncidents() {
			if x.GetId() == ii.GetIncidentId() {
				inc = x
			}
		}
		a, b := inc.GetFirstFailureAt().AsTime(), inc.GetResolvedAt().AsTime()
		e := count(d, "checkout", a, b)
		if ii.GetDuration().AsDuration() != b.Sub(a) || ii.GetRuns() != e.pass[""]+e.fail[""] || ii.GetFailures() != e.fail[""] {
			t.Errorf("%s: %v, %d runs, %d failed; want %v, %d, %d", ii.GetIncidentId(), ii.GetDuration().AsDuration(),
				ii.GetRuns(), ii.GetFailures(), b.Sub(a), e.pass[""]+e.fail[""], e.fail[""])
		}
		if ii.GetCompletionRate() >= 0.2 || ii.GetLostTime().AsDuration() < 25*time.Minute {
			t.Errorf("%s: completion %v, lost %v; want the checkout mostly lost", ii.GetIncidentId(), ii.GetCompletionRate(), ii.GetLostTime().AsDuration())
		}
	}
}

func TestLostTime(t *testing.T) {
	const minute = time.Minute
	for _, tt := range []struct {
		name       string
		baseline   float64
		perRun, d  time.Duration
		pass, fail int64
		want       time.Duration
	}{
		// 16 s down, every run failing, counted in whole minutes: the
		// passes of the minutes around it cancel out.
		{"short outage in whole minutes", 1, 2 * time.Second, 16 * time.Second, 24, 9, 16 * time.Second},
		{"one region of three for an hour", 1, minute / 3, 60 * minute, 120, 60, 20 * minute},
		{"failures at the normal rate lose nothing", 0.9, minute, 10 * minute, 9, 1, 0},
		{"better than normal", 0.9, minute, 10 * minute, 10, 0, 0},
		{"no runs", 1, minute, 10 * minute, 0, 0, 0},
		{"retries cannot lose more than the outage", 1, minute, 5 * minute, 0, 9, 5 * minute},
		{"without an interval: time by completion drop", 1, 0, 30 * minute, 10, 30, 22*minute + 30*time.Second},
	} {
		if got := analytics.LostTime(tt.baseline, tt.perRun, tt.d, tt.pass, tt.fail); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
