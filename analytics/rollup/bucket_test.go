package rollup

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func steps(ok ...bool) []*vigilv1.StepResult {
	var out []*vigilv1.StepResult
	for i, o := range ok {
		out = append(out, &vigilv1.StepResult{Name: []string{"home", "cart", "pay"}[i], DurationUs: int64(i+1) * 100_000, Ok: o})
	}
	return out
}

// TestGroupCountsFunnelAndRatings folds a pass, a fail at step 2 and a
// probe error, and checks the run and step buckets at each resolution.
func TestGroupCountsFunnelAndRatings(t *testing.T) {
	at := timestamppb.New(t0.Add(30 * time.Second))
	rs := []*vigilv1.Result{
		{CheckId: "c", Region: "eu", StartedAt: at, Status: vigilv1.ResultStatus_RESULT_STATUS_PASS, DurationUs: 900_000,
			TtfbUs: 800_000, LoadUs: 1_000_000, LcpUs: 2_500_000, ClsMilli: 0, Steps: steps(true, true, true)},
		{CheckId: "c", Region: "eu", StartedAt: at, Status: vigilv1.ResultStatus_RESULT_STATUS_FAIL, DurationUs: 5_000_000,
			TtfbUs: 800_001, LoadUs: 1_000_000, LcpUs: 4_000_001, ClsMilli: 250, FailedStep: 2, Steps: steps(true, false)},
		{CheckId: "c", Region: "eu", StartedAt: at, Status: vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR, Steps: steps(true)},
	}
	g := Group(rs)
	if len(g) != 3*4 { // 3 resolutions x (run + 3 steps)
		t.Fatalf("%d buckets, want 12", len(g))
	}
	for _, res := range Resolutions {
		run := g[Key{CheckID: "c", Region: "eu", Res: res, Start: Floor(res, t0.Unix())}]
		if run == nil {
			t.Fatalf("%v: no run bucket", res)
		}
		want := Counts{Pass: 1, Fail: 1, ProbeError: 1}
		// On a threshold is the better rating: 800 ms TTFB and 2.5 s LCP
		// are good, CLS 0.25 needs improvement.
		want.Ratings[VitalTTFB] = [3]int64{1, 1, 0}
		want.Ratings[VitalLCP] = [3]int64{1, 0, 1}
		want.Ratings[VitalCLS] = [3]int64{1, 1, 0}
		if run.Counts != want {
			t.Errorf("%v run counts = %+v, want %+v", res, run.Counts, want)
		}
		// Flow time counts the passing run only; page timings both.
		if run.Count(Duration) != 1 || run.Count(Load) != 2 || run.Count(CLS) != 2 {
			t.Errorf("%v sketch counts: duration %d load %d cls %d", res, run.Count(Duration), run.Count(Load), run.Count(CLS))
		}
		for i, w := range []struct {
			reached, failed, timed int64
			name                   string
		}{{2, 0, 2, "home"}, {2, 1, 1, "cart"}, {1, 0, 1, "pay"}} {
			b := g[Key{CheckID: "c", Region: "eu", Step: uint32(i + 1), Res: res, Start: Floor(res, t0.Unix())}]
			if b.Reached != w.reached || b.Failed != w.failed || b.Count(Duration) != w.timed || b.StepName != w.name {
				t.Errorf("%v step %d: reached %d failed %d timed %d name %q, want %+v", res, i+1, b.Reached, b.Failed, b.Count(Duration), b.StepName, w)
			}
		}
	}
}

func TestFloorAndCeil(t *testing.T) {
	for _, tt := range []struct {
		res        vigilv1.Resolution
		sec        int64
		floor, cei int64
	}{
		{vigilv1.Resolution_RESOLUTION_MINUTE, 119, 60, 120},
		{vigilv1.Resolution_RESOLUTION_MINUTE, 120, 120, 120},
		{vigilv1.Resolution_RESOLUTION_HOUR, -1, -3600, 0},
		{vigilv1.Resolution_RESOLUTION_DAY, 86400*3 + 5, 86400 * 3, 86400 * 4},
	} {
		if f, c := Floor(tt.res, tt.sec), Ceil(tt.res, tt.sec); f != tt.floor || c != tt.cei {
			t.Errorf("%v %d: floor %d ceil %d, want %d %d", tt.res, tt.sec, f, c, tt.floor, tt.cei)
		}
	}
}
