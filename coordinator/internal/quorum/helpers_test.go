package quorum_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// t0 is the start of every scenario; offsets are relative to it.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	interval = 60 * time.Second
	timeout  = 10 * time.Second
	// window is 2 x interval + timeout: silence longer than this is stale.
	window = 2*interval + timeout
)

// checkOpt adjusts the default check of a scenario.
type checkOpt func(*vigilv1.Check)

func withQuorum(n uint32) checkOpt     { return func(c *vigilv1.Check) { c.Quorum = n } }
func withMinRegions(n uint32) checkOpt { return func(c *vigilv1.Check) { c.MinRegions = n } }
func withRegions(r ...string) checkOpt { return func(c *vigilv1.Check) { c.Regions = r } }
func withLoadBudget(d time.Duration) checkOpt {
	return func(c *vigilv1.Check) { c.Budget = &vigilv1.Budget{LoadP75: durationpb.New(d)} }
}

// newCheck is check c1: 60 s interval, 10 s timeout, regions ap, eu, us.
func newCheck(opts ...checkOpt) *vigilv1.Check {
	c := &vigilv1.Check{
		Id:       "c1",
		Interval: durationpb.New(interval),
		Timeout:  durationpb.New(timeout),
		Regions:  []string{"eu", "us", "ap"},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// res builds a result of check c1; probe is "<region>-<n>".
func res(status vigilv1.ResultStatus, region string, probe int, slot int64, attempt uint32) *vigilv1.Result {
	r := &vigilv1.Result{
		CheckId:   "c1",
		Region:    region,
		ProbeId:   fmt.Sprintf("%s-%d", region, probe),
		Slot:      slot,
		Attempt:   attempt,
		StartedAt: timestamppb.New(t0.Add(time.Duration(slot)*interval + time.Duration(attempt)*time.Second)),
		Status:    status,
	}
	r.Id = fmt.Sprintf("%s/%d/%d", r.ProbeId, slot, attempt)
	return r
}

func pass(region string, probe int, slot int64, attempt uint32) *vigilv1.Result {
	return res(vigilv1.ResultStatus_RESULT_STATUS_PASS, region, probe, slot, attempt)
}

func passLoad(region string, slot int64, load time.Duration) *vigilv1.Result {
	r := pass(region, 1, slot, 0)
	r.LoadUs = load.Microseconds()
	r.DurationUs = 2 * load.Microseconds()
	return r
}

// fail is a failure of class http_status at step 2, "checkout".
func fail(region string, probe int, slot int64, attempt uint32) *vigilv1.Result {
	return failClass(vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, region, probe, slot, attempt)
}

func failClass(class vigilv1.ErrorClass, region string, probe int, slot int64, attempt uint32) *vigilv1.Result {
	r := res(vigilv1.ResultStatus_RESULT_STATUS_FAIL, region, probe, slot, attempt)
	r.ErrorClass = class
	r.FailedStep = 2
	r.FailedStepName = "checkout"
	return r
}

func probeErr(region string, probe int, slot int64, attempt uint32) *vigilv1.Result {
	r := res(vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR, region, probe, slot, attempt)
	r.ErrorClass = vigilv1.ErrorClass_ERROR_CLASS_PROBE
	return r
}

// render turns decisions into short strings so tables read like timelines:
// "c1 up->down", "c1 up->down disagree", "confirm c1 eu others=ap,us".
func render(ds []quorum.Decision) []string {
	var out []string
	for _, d := range ds {
		var s string
		switch d.Kind {
		case quorum.KindStateChanged:
			s = fmt.Sprintf("%s %s->%s", d.CheckID, d.From, d.To)
			if d.Disagree {
				s += " disagree"
			}
		case quorum.KindConfirmRequested:
			s = fmt.Sprintf("confirm %s %s others=%s", d.CheckID, d.Region, strings.Join(d.ConfirmRegions, ","))
		default:
			s = fmt.Sprintf("kind %q", d.Kind)
		}
		out = append(out, s)
	}
	return out
}

// warm makes every region of c1 pass slot 1, so the check is up.
func warm() []step {
	return []step{
		{obs: pass("eu", 1, 1, 0)},
		{obs: pass("us", 1, 1, 0), want: []string{"c1 unknown->up"}},
		{obs: pass("ap", 1, 1, 0), state: quorum.StateUp},
	}
}

// step is one input of a scenario and what must come out of it.
type step struct {
	at     time.Duration    // offset from t0 of the input
	obs    *vigilv1.Result  // Observe
	live   *liveEvent       // SetRegionLive
	tick   bool             // Tick
	checks []*vigilv1.Check // SetChecks (non-nil)

	want  []string     // rendered decisions; nil means none
	state quorum.State // when set, Status(c1).State after the step
	check func(*testing.T, quorum.CheckStatus)
}

type liveEvent struct {
	region string
	n      int
}

func seq(parts ...[]step) []step { return slices.Concat(parts...) }

// run plays steps against an engine holding check.
func run(t *testing.T, check *vigilv1.Check, steps []step) {
	t.Helper()
	e := quorum.New([]*vigilv1.Check{check})
	for i, s := range steps {
		now := t0.Add(s.at)
		var got []quorum.Decision
		switch {
		case s.obs != nil:
			got = e.Observe(s.obs, now)
		case s.live != nil:
			got = e.SetRegionLive(s.live.region, s.live.n, now)
		case s.tick:
			got = e.Tick(now)
		case s.checks != nil:
			got = e.SetChecks(s.checks, now)
		}
		for _, d := range got {
			if !d.At.Equal(now) {
				t.Errorf("step %d: decision at %v, want %v", i, d.At, now)
			}
		}
		if r := render(got); !slices.Equal(r, s.want) {
			t.Fatalf("step %d: decisions %q, want %q", i, r, s.want)
		}
		st, ok := e.Status("c1", now)
		if s.state != "" {
			if !ok || st.State != s.state {
				t.Fatalf("step %d: state %q (known %v), want %q; status %+v", i, st.State, ok, s.state, st)
			}
		}
		if s.check != nil {
			s.check(t, st)
		}
	}
}

// verdicts asserts the region verdicts of a status.
func verdicts(want map[string]quorum.RegionVerdict) func(*testing.T, quorum.CheckStatus) {
	return func(t *testing.T, st quorum.CheckStatus) {
		t.Helper()
		for r, v := range want {
			if got := st.Regions[r].Verdict; got != v {
				t.Errorf("region %s verdict %q, want %q", r, got, v)
			}
		}
	}
}
