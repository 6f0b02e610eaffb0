// Package analyticstest generates deterministic data sets for the tests and
// benchmarks of analytics and of the report renderers: results of checks
// over a range, with a scripted decided-state history (outages, a regional
// problem, impaired monitoring) and the incidents it opens.
//
// Everything is a function of the seed, the checks and the range: the same
// call returns the same data on every platform. The script (Outages) is
// fixed by the checks and the range alone; the seed varies the timings and
// the isolated failures between outages.
package analyticstest

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/analytics"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Outage is one scripted stretch of trouble of one check.
type Outage struct {
	CheckID string
	// State is the decided state it causes: "down" (every region fails),
	// "degraded" (one region fails) or "unknown" (every region but the
	// first reports probe errors, so too few are eligible).
	State string
	// Regions are the regions whose results fail (down, degraded) or
	// report probe errors (unknown).
	Regions  []string
	From, To time.Time
	// Step is the failing step of a browser check (1-based); 0 otherwise.
	Step  uint32
	Class vigilv1.ErrorClass
}

// The script, per day of the range (days count from the range's start):
// monitoring impaired 03:00-03:20, a global outage of 30 minutes starting
// 10:00 plus 10 minutes per check index (mod 6), and the last region failing
// alone 15:00-16:00. Outages are clipped to the range.
const (
	impairedAt, impairedFor = 3 * time.Hour, 20 * time.Minute
	downAt, downFor         = 10 * time.Hour, 30 * time.Minute
	degradedAt, degradedFor = 15 * time.Hour, time.Hour
)

// Incident timing: the engine opens a down incident 40 s after the first
// failure (fast confirmation) and resolves it two rounds after recovery; an
// impaired incident opens after 2 minutes and resolves with the recovery.
const (
	detectAfter   = 40 * time.Second
	recoverAfter  = 2 * time.Minute
	impairedAfter = 2 * time.Minute
)

// Outages returns the script of checks over [from, to), by check then time.
func Outages(checks []*vigilv1.Check, from, to time.Time) []Outage {
	var out []Outage
	for i, c := range checks {
		regions := c.GetRegions()
		browser := c.GetType() == vigilv1.CheckType_CHECK_TYPE_BROWSER
		steps := uint32(len(c.GetBrowser().GetSteps()))
		for day := from; day.Before(to); day = day.Add(24 * time.Hour) {
			d := uint32(day.Sub(from) / (24 * time.Hour))
			add := func(o Outage, at, dur time.Duration) {
				o.CheckID, o.From, o.To = c.GetId(), day.Add(at), day.Add(at+dur)
				if o.From.Before(from) {
					o.From = from
				}
				if o.To.After(to) {
					o.To = to
				}
				if o.To.After(o.From) {
					out = append(out, o)
				}
			}
			if len(regions) >= 2 {
				add(Outage{State: analytics.StateUnknown, Regions: regions[1:], Class: vigilv1.ErrorClass_ERROR_CLASS_PROBE},
					impairedAt, impairedFor)
			}
			down := Outage{State: analytics.StateDown, Regions: regions, Class: vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS}
			if browser && steps > 0 {
				// The checkout breaks at a late step, varying by day.
				down.Step = max(1, steps-d%2)
				down.Class = vigilv1.ErrorClass_ERROR_CLASS_ASSERTION
			}
			add(down, downAt+time.Duration(i%6)*10*time.Minute, downFor)
			if len(regions) >= 2 {
				deg := Outage{State: analytics.StateDegraded, Regions: regions[len(regions)-1:], Class: vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT}
				if browser && steps > 0 {
					deg.Step = min(2, steps)
				}
				add(deg, degradedAt, degradedFor)
			}
		}
	}
	return out
}

// StateKey names one decided state history: a check's (Region "") or one
// region's verdict on it.
type StateKey struct{ CheckID, Region string }

// States returns the decided state histories over [from, to), of each
// check and of each of its regions: up at from, then each outage's state
// from its start and up again at its end. A region whose results fail is
// "down" in the region's history (the check is "degraded" when only that
// region fails); a region reporting probe errors is "unknown". The engine
// decides a little after the results show it; the script switches exactly
// at the outage's bounds, which keeps expected uptimes simple.
func States(checks []*vigilv1.Check, from, to time.Time) map[StateKey][]analytics.StateChange {
	out := make(map[StateKey][]analytics.StateChange, len(checks))
	for _, c := range checks {
		out[StateKey{CheckID: c.GetId()}] = []analytics.StateChange{{At: from, State: analytics.StateUp}}
		for _, r := range c.GetRegions() {
			out[StateKey{c.GetId(), r}] = []analytics.StateChange{{At: from, State: analytics.StateUp}}
		}
	}
	add := func(k StateKey, o Outage, state string) {
		h := append(out[k], analytics.StateChange{At: o.From, State: state})
		if o.To.Before(to) {
			h = append(h, analytics.StateChange{At: o.To, State: analytics.StateUp})
		}
		out[k] = h
	}
	for _, o := range Outages(checks, from, to) {
		add(StateKey{CheckID: o.CheckID}, o, o.State)
		regional := o.State
		if regional == analytics.StateDegraded {
			regional = analytics.StateDown
		}
		for _, r := range o.Regions {
			add(StateKey{o.CheckID, r}, o, regional)
		}
	}
	return out
}

// Incidents returns the incidents the script opens, by check then time: a
// down incident per global outage (opened 40 s after its start, resolved 2
// minutes after its end) and a monitoring-impaired one per impaired stretch.
// A degraded hour is shorter than a check's default degraded_after and
// opens none. Incidents still open at to are left open.
func Incidents(checks []*vigilv1.Check, from, to time.Time) []*vigilv1.Incident {
	var out []*vigilv1.Incident
	for _, o := range Outages(checks, from, to) {
		inc := &vigilv1.Incident{
			Id: fmt.Sprintf("inc-%d", len(out)+1), CheckId: o.CheckID, Severity: "critical",
			FirstFailureAt: timestamppb.New(o.From),
		}
		var opened, resolved time.Time
		switch o.State {
		case analytics.StateDown:
			inc.Kind = vigilv1.IncidentKind_INCIDENT_KIND_DOWN
			inc.Title = fmt.Sprintf("%s is down in %d of %d regions", o.CheckID, len(o.Regions), len(o.Regions))
			opened, resolved = o.From.Add(detectAfter), o.To.Add(recoverAfter)
			for _, r := range o.Regions {
				inc.Regions = append(inc.Regions, &vigilv1.RegionFailure{Region: r, ErrorClass: o.Class, FailedStep: o.Step})
			}
		case analytics.StateUnknown:
			inc.Kind = vigilv1.IncidentKind_INCIDENT_KIND_MONITORING_IMPAIRED
			inc.Title = fmt.Sprintf("monitoring of %s is impaired", o.CheckID)
			inc.FirstFailureAt = nil
			opened, resolved = o.From.Add(impairedAfter), o.To
		default:
			continue
		}
		if !opened.Before(to) {
			continue
		}
		inc.OpenedAt = timestamppb.New(opened)
		inc.Status = vigilv1.IncidentStatus_INCIDENT_STATUS_OPEN
		if resolved.Before(to) {
			inc.Status = vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED
			inc.ResolvedAt, inc.ResolvedBy = timestamppb.New(resolved), "vigil"
		}
		out = append(out, inc)
	}
	return out
}

// CheckoutSteps are the steps of BrowserCheck's flow.
var CheckoutSteps = []string{"goto /", "click a.product", "click #add-to-cart", "click #checkout", "click #place-order"}

// BrowserCheck returns a browser check of the five CheckoutSteps, run every
// minute from regions.
func BrowserCheck(id string, regions ...string) *vigilv1.Check {
	c := baseCheck(id, vigilv1.CheckType_CHECK_TYPE_BROWSER, regions)
	c.Browser = &vigilv1.BrowserSpec{}
	for _, name := range CheckoutSteps {
		c.Browser.Steps = append(c.Browser.Steps, &vigilv1.Step{Name: name})
	}
	return c
}

// HTTPCheck returns an http check run every minute from regions.
func HTTPCheck(id string, regions ...string) *vigilv1.Check {
	return baseCheck(id, vigilv1.CheckType_CHECK_TYPE_HTTP, regions)
}

func baseCheck(id string, t vigilv1.CheckType, regions []string) *vigilv1.Check {
	return &vigilv1.Check{
		Id: id, Name: id, Type: t, Target: "https://shop.example.com", Regions: regions,
		Interval: durationpb.New(time.Minute), Timeout: durationpb.New(30 * time.Second), Version: "gen",
	}
}
