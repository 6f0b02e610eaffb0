package analyticstest

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/analytics"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Data is a generated data set.
type Data struct {
	// Results are in generation order: by round of one minute, then check,
	// then region.
	Results []*vigilv1.Result
	// States are the decided state histories of each check and region (see
	// States).
	States map[StateKey][]analytics.StateChange
	// Incidents are the incidents the script opens (see Incidents).
	Incidents []*vigilv1.Incident
	// Outages is the script (see Outages).
	Outages []Outage
}

// Generate returns the data set of checks over [from, to): each check runs
// every interval of its own (1 minute when unset) in each of its regions,
// the regions staggered across the interval; results follow the script of
// Outages, with isolated failures (0.2%) and probe errors (0.1%) drawn from
// seed between outages.
func Generate(seed uint64, checks []*vigilv1.Check, from, to time.Time) *Data {
	return &Data{
		Results:   slices.Collect(Results(seed, checks, from, to)),
		States:    States(checks, from, to),
		Incidents: Incidents(checks, from, to),
		Outages:   Outages(checks, from, to),
	}
}

// Results yields Generate's results one at a time, for data sets too large
// to hold (a benchmark's millions). Each result is new; the consumer may
// keep or modify it.
func Results(seed uint64, checks []*vigilv1.Check, from, to time.Time) iter.Seq[*vigilv1.Result] {
	return func(yield func(*vigilv1.Result) bool) {
		outages := Outages(checks, from, to)
		gens := make([]*checkGen, len(checks))
		for i, c := range checks {
			gens[i] = newCheckGen(seed, i, c, from, outages)
		}
		for round := from; round.Before(to); round = round.Add(time.Minute) {
			for _, g := range gens {
				for g.next.Before(round.Add(time.Minute)) && g.next.Before(to) {
					for ri := range g.c.GetRegions() {
						scheduled := g.next.Add(g.interval * time.Duration(ri) / time.Duration(len(g.c.GetRegions())))
						if scheduled.Before(to) && !yield(g.result(ri, scheduled)) {
							return
						}
					}
					g.next = g.next.Add(g.interval)
				}
			}
		}
	}
}

// checkGen generates one check's results; its random stream is its own,
// so a check's results do not depend on the other checks.
type checkGen struct {
	c        *vigilv1.Check
	rng      *rand.Rand
	interval time.Duration
	next     time.Time // the next round's start
	outages  []Outage
	seq      map[string]uint64 // per probe
	slowness []float64         // per region: a factor on every timing
}

func newCheckGen(seed uint64, i int, c *vigilv1.Check, from time.Time, all []Outage) *checkGen {
	g := &checkGen{
		c: c, rng: rand.New(rand.NewPCG(seed, uint64(i)+1)),
		interval: c.GetInterval().AsDuration(), next: from, seq: map[string]uint64{},
	}
	if g.interval <= 0 {
		g.interval = time.Minute
	}
	for _, o := range all {
		if o.CheckID == c.GetId() {
			g.outages = append(g.outages, o)
		}
	}
	for ri := range c.GetRegions() {
		g.slowness = append(g.slowness, 1+0.15*float64(ri))
	}
	return g
}

// outageAt returns the outage affecting region at t, if any.
func (g *checkGen) outageAt(region string, t time.Time) (Outage, bool) {
	for _, o := range g.outages {
		if !t.Before(o.From) && t.Before(o.To) && slices.Contains(o.Regions, region) {
			return o, true
		}
	}
	return Outage{}, false
}

// lognormal draws a duration in microseconds with the given median (ms) and
// spread.
func (g *checkGen) lognormal(medianMs, sigma, factor float64) int64 {
	v := medianMs * factor * math.Exp(sigma*g.rng.NormFloat64())
	return int64(math.Round(v * 1000))
}

func (g *checkGen) result(ri int, scheduled time.Time) *vigilv1.Result {
	c := g.c
	region := c.GetRegions()[ri]
	probe := region + "-1"
	g.seq[probe]++
	slot := scheduled.Unix() / int64(g.interval/time.Second)
	started := scheduled.Add(time.Duration(g.rng.IntN(500)) * time.Millisecond)
	r := &vigilv1.Result{
		Id:      fmt.Sprintf("%s-%s-%d-0", c.GetId(), region, slot),
		CheckId: c.GetId(), ProbeId: probe, Region: region, Slot: slot, Seq: g.seq[probe],
		CheckVersion: c.GetVersion(), ScheduledAt: timestamppb.New(scheduled), StartedAt: timestamppb.New(started),
		Status: vigilv1.ResultStatus_RESULT_STATUS_PASS, TlsCertExpiryDays: 60,
	}
	f := g.slowness[ri]
	u := g.rng.Float64()
	failStep := uint32(0)
	class := vigilv1.ErrorClass_ERROR_CLASS_UNSPECIFIED
	o, out := g.outageAt(region, scheduled)
	switch {
	case out && o.State == analytics.StateUnknown:
		r.Status, class = vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR, o.Class
	case out:
		r.Status, class, failStep = vigilv1.ResultStatus_RESULT_STATUS_FAIL, o.Class, o.Step
	case u < 0.002:
		r.Status, class = vigilv1.ResultStatus_RESULT_STATUS_FAIL, vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT
		if n := len(c.GetBrowser().GetSteps()); n > 0 {
			failStep = uint32(1 + int(u*1e6)%n)
		}
	case u < 0.003:
		r.Status, class = vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR, vigilv1.ErrorClass_ERROR_CLASS_PROBE
	}
	r.ErrorClass = class

	ttfb := g.lognormal(120, 0.35, f)
	if c.GetType() == vigilv1.CheckType_CHECK_TYPE_BROWSER {
		g.browser(r, ttfb, f, failStep)
	} else {
		g.http(r, ttfb, f)
	}
	switch r.GetStatus() {
	case vigilv1.ResultStatus_RESULT_STATUS_FAIL:
		r.Error = fmt.Sprintf("%s failed (%s)", c.GetId(), class)
		if failStep > 0 {
			r.Error = fmt.Sprintf("step %d %q failed (%s)", failStep, r.GetFailedStepName(), class)
		}
	case vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR:
		r.Error = "browser crashed"
		r.Steps, r.FailedStep, r.FailedStepName = nil, 0, ""
		r.TtfbUs, r.LoadUs, r.LcpUs, r.ClsMilli, r.DomContentLoadedUs, r.HttpStatus = 0, 0, 0, 0, 0, 0
	}
	return r
}

func (g *checkGen) http(r *vigilv1.Result, ttfb int64, f float64) {
	r.DnsUs, r.ConnectUs, r.TlsUs = g.lognormal(2, 0.5, 1), g.lognormal(8, 0.3, f), g.lognormal(25, 0.3, f)
	r.TtfbUs = ttfb
	r.DurationUs = r.DnsUs + r.ConnectUs + r.TlsUs + ttfb + g.lognormal(40, 0.4, f)
	r.HttpStatus = 200
	if r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_FAIL {
		r.HttpStatus = 503
	}
}

func (g *checkGen) browser(r *vigilv1.Result, ttfb int64, f float64, failStep uint32) {
	r.TtfbUs = ttfb + g.lognormal(60, 0.3, f)
	r.DomContentLoadedUs = r.TtfbUs + g.lognormal(500, 0.3, f)
	r.LoadUs = r.DomContentLoadedUs + g.lognormal(600, 0.45, f)
	// LCP sits near load with a tail into "needs improvement" and "poor";
	// CLS is mostly good with a few janky runs.
	r.LcpUs = r.DomContentLoadedUs + g.lognormal(900, 0.6, f)
	switch cls := g.rng.Float64(); {
	case cls < 0.75:
		r.ClsMilli = int64(cls * 120) // 0 .. 0.09
	case cls < 0.93:
		r.ClsMilli = 100 + int64((cls-0.75)*800) // 0.1 .. 0.24
	default:
		r.ClsMilli = 260 + int64((cls-0.93)*3000)
	}
	r.HttpStatus = 200
	var total int64
	steps := g.c.GetBrowser().GetSteps()
	for i, st := range steps {
		d := g.lognormal(250+100*float64(i), 0.4, f)
		if i == 0 {
			d = r.GetLoadUs()
		}
		if r.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_FAIL || failStep == 0 || uint32(i+1) < failStep {
			r.Steps = append(r.Steps, &vigilv1.StepResult{Name: st.GetName(), DurationUs: d, Ok: true, Url: "https://shop.example.com/"})
			total += d
			continue
		}
		// The failing step waits out its timeout.
		d = 5_000_000
		r.Steps = append(r.Steps, &vigilv1.StepResult{Name: st.GetName(), DurationUs: d, Url: "https://shop.example.com/"})
		total += d
		r.FailedStep, r.FailedStepName = uint32(i+1), st.GetName()
		break
	}
	r.DurationUs = total + g.lognormal(80, 0.3, 1)
}
