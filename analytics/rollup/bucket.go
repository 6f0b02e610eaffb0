package rollup

import (
	"fmt"

	"github.com/DataDog/sketches-go/ddsketch"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Sketch names one of a bucket's quantile sketches.
type Sketch int

// The sketches. Durations are milliseconds; CLS is the unitless score.
const (
	// Duration is a run's whole time at step 0 (passing runs only: a
	// failed run's time is how long it took to fail), and a step's time at
	// steps 1..n (steps that succeeded).
	Duration Sketch = iota
	// TTFB is the time to first byte of the (first) document.
	TTFB
	// Load is the load event time of a browser check's first page.
	Load
	// LCP is the Largest Contentful Paint of the first page.
	LCP
	// CLS is the Cumulative Layout Shift of the first page.
	CLS
	// NumSketches is the number of sketches a bucket holds.
	NumSketches
)

// SketchSet is a set of sketches, a bit per Sketch.
type SketchSet uint8

// AllSketches selects every sketch.
const AllSketches = SketchSet(1<<NumSketches - 1)

// Has reports whether s is in the set.
func (ss SketchSet) Has(s Sketch) bool { return ss&(1<<s) != 0 }

// Of returns the set holding ss.
func Of(ss ...Sketch) SketchSet {
	var out SketchSet
	for _, s := range ss {
		out |= 1 << s
	}
	return out
}

// Vital names a Core Web Vital that has a rating.
type Vital int

// The rated vitals.
const (
	VitalLCP Vital = iota
	VitalCLS
	VitalTTFB
	NumVitals
)

// Rating is a Core Web Vitals rating.
type Rating int

// The ratings.
const (
	Good Rating = iota
	NeedsImprovement
	Poor
	NumRatings
)

// The published Core Web Vitals thresholds (web.dev/articles/vitals): a
// value at or under the first is good, over the second poor, in between
// needs improvement. Kept in the results' integer units so a value on a
// threshold rates the same on every platform.
const (
	lcpGoodUs, lcpPoorUs   = 2_500_000, 4_000_000
	clsGoodMilli, clsPoorM = 100, 250
	ttfbGoodUs, ttfbPoorUs = 800_000, 1_800_000
)

func rate(v, good, poor int64) Rating {
	switch {
	case v <= good:
		return Good
	case v <= poor:
		return NeedsImprovement
	}
	return Poor
}

// Counts are a bucket's counters.
type Counts struct {
	// Pass, Fail and ProbeError count runs by status (step 0 only).
	Pass, Fail, ProbeError int64
	// Reached counts runs (pass or fail) that started the step and Failed
	// those that failed at it (steps 1..n only): the step funnel.
	Reached, Failed int64
	// Ratings count values per Core Web Vitals rating (step 0 only).
	Ratings [NumVitals][NumRatings]int64
}

// Add adds o to c.
func (c *Counts) Add(o *Counts) {
	c.Pass += o.Pass
	c.Fail += o.Fail
	c.ProbeError += o.ProbeError
	c.Reached += o.Reached
	c.Failed += o.Failed
	for v := range c.Ratings {
		for r := range c.Ratings[v] {
			c.Ratings[v][r] += o.Ratings[v][r]
		}
	}
}

// Bucket is one rollup bucket. The zero Bucket is empty and ready to use.
// A Bucket is not safe for concurrent use.
type Bucket struct {
	// StepName is the step's name (steps 1..n), from the last result
	// folded in, so a renamed step soon shows its current name.
	StepName string
	Counts
	// Sketches holds each sketch; nil means no value of that kind.
	Sketches [NumSketches]*ddsketch.DDSketch
}

// Merge adds o into b. Sketches of o are copied, never shared.
func (b *Bucket) Merge(o *Bucket) error {
	if o.StepName != "" {
		b.StepName = o.StepName
	}
	b.Counts.Add(&o.Counts)
	for i, s := range o.Sketches {
		if s == nil || s.IsEmpty() {
			continue
		}
		if b.Sketches[i] == nil {
			b.Sketches[i] = s.Copy()
			continue
		}
		if err := b.Sketches[i].MergeWith(s); err != nil {
			return fmt.Errorf("merge %v sketch: %w", Sketch(i), err)
		}
	}
	return nil
}

// Count returns the number of values in sketch s.
func (b *Bucket) Count(s Sketch) int64 {
	if b.Sketches[s] == nil {
		return 0
	}
	return int64(b.Sketches[s].GetCount())
}

func (b *Bucket) add(s Sketch, v float64) {
	if b.Sketches[s] == nil {
		b.Sketches[s] = NewSketch()
	}
	// Add fails only for values below the mapping's range (negative, NaN);
	// results are validated at ingest, and a stray one is better dropped
	// than failing the insert.
	_ = b.Sketches[s].Add(v)
}

// addRun folds a result into a step-0 bucket.
//
// Timings follow what they describe: the run's duration counts passing runs
// only; TTFB, load, LCP and CLS describe the first page and count for
// passing and failing runs alike (a checkout failing at step 5 loaded its
// first page fine). Probe errors say nothing of the site: counted, never
// measured.
func (b *Bucket) addRun(r *vigilv1.Result) {
	switch r.GetStatus() {
	case vigilv1.ResultStatus_RESULT_STATUS_PASS:
		b.Pass++
		b.add(Duration, ms(r.GetDurationUs()))
	case vigilv1.ResultStatus_RESULT_STATUS_FAIL:
		b.Fail++
	default:
		b.ProbeError++
		return
	}
	if v := r.GetTtfbUs(); v > 0 {
		b.add(TTFB, ms(v))
		b.Ratings[VitalTTFB][rate(v, ttfbGoodUs, ttfbPoorUs)]++
	}
	if v := r.GetLoadUs(); v > 0 {
		b.add(Load, ms(v))
	}
	if v := r.GetLcpUs(); v > 0 {
		b.add(LCP, ms(v))
		b.Ratings[VitalLCP][rate(v, lcpGoodUs, lcpPoorUs)]++
	}
	// CLS 0 is a real (perfect) score, so it counts whenever the page's
	// metrics were taken at all, which load or LCP being set tells.
	if r.GetLoadUs() > 0 || r.GetLcpUs() > 0 {
		v := max(r.GetClsMilli(), 0)
		b.add(CLS, float64(v)/1000)
		b.Ratings[VitalCLS][rate(v, clsGoodMilli, clsPoorM)]++
	}
}

// addStep folds step i (1-based) of a passing or failing result into a
// step bucket.
func (b *Bucket) addStep(r *vigilv1.Result, i uint32, st *vigilv1.StepResult) {
	b.StepName = st.GetName()
	b.Reached++
	if r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_FAIL && r.GetFailedStep() == i {
		b.Failed++
	}
	if st.GetOk() {
		b.add(Duration, ms(st.GetDurationUs()))
	}
}

func ms(us int64) float64 { return float64(us) / 1000 }

func (s Sketch) String() string {
	switch s {
	case Duration:
		return "duration"
	case TTFB:
		return "ttfb"
	case Load:
		return "load"
	case LCP:
		return "lcp"
	case CLS:
		return "cls"
	}
	return fmt.Sprintf("sketch(%d)", int(s))
}
