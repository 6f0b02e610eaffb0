package coordinator_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilhq/vigil/coordinator"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestCheckStateFromQuorum sends results from probes in three regions and
// asks GetCheckStatus for the state the quorum engine decided. A region
// fails only when a second failure confirms the first.
func TestCheckStateFromQuorum(t *testing.T) {
	regions := []string{"ap", "eu", "us"}
	for _, tc := range []struct {
		name    string
		results map[string][]vigilv1.ResultStatus // by region, one per slot
		state   string
		// verdicts and suspects are in region order (ap, eu, us).
		verdicts string
		suspects string
	}{
		{"no results", nil, "unknown", "[stale stale stale]", "[false false false]"},
		{"all passing", map[string][]vigilv1.ResultStatus{
			"ap": {pass, pass}, "eu": {pass}, "us": {fail, pass},
		}, "up", "[up up up]", "[false false false]"},
		{"one unconfirmed failure", map[string][]vigilv1.ResultStatus{
			"ap": {pass}, "eu": {pass, fail}, "us": {pass},
		}, "up", "[up up up]", "[false true false]"},
		{"one region failing", map[string][]vigilv1.ResultStatus{
			"ap": {pass, pass}, "eu": {pass, fail, fail}, "us": {pass},
		}, "degraded", "[up failing up]", "[false false false]"},
		{"two of three failing", map[string][]vigilv1.ResultStatus{
			"ap": {fail, fail}, "eu": {pass, fail, fail}, "us": {pass, pass},
		}, "down", "[failing failing up]", "[false false false]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, regions...)}})
			for _, region := range regions {
				sts := tc.results[region]
				if len(sts) == 0 {
					continue
				}
				p := h.connect(t, region+"-1", region)
				var rs []*vigilv1.Result
				for i, st := range sts {
					rs = append(rs, p.result("shop", t0.Add(time.Duration(i)*time.Minute), st))
				}
				p.sendResults(rs...)
				p.acked(len(rs))
			}
			// An acked result has been observed by the engine already.
			resp, err := h.vigil.GetCheckStatus(t.Context(), &vigilv1.GetCheckStatusRequest{CheckId: "shop"})
			if err != nil {
				t.Fatal(err)
			}
			var verdicts []string
			var suspects []bool
			for _, rs := range resp.GetRegions() {
				verdicts = append(verdicts, rs.GetVerdict())
				suspects = append(suspects, rs.GetSuspect())
			}
			if resp.GetState() != tc.state || fmt.Sprint(verdicts) != tc.verdicts || fmt.Sprint(suspects) != tc.suspects {
				t.Errorf("state %q, verdicts %v, suspects %v; want %q, %s, %s",
					resp.GetState(), verdicts, suspects, tc.state, tc.verdicts, tc.suspects)
			}
		})
	}
}

// TestFastConfirmation: the first failure in one region makes the
// coordinator ask the owners in every other region, and the failing
// region's owner, to run the check now.
func TestFastConfirmation(t *testing.T) {
	regions := []string{"ap", "eu", "us"}
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, regions...)}})
	ps := map[string]*probe{}
	for _, region := range regions {
		p := h.connect(t, region+"-1", region)
		next(t, p.assign, "assignment")
		p.sendResults(p.result("shop", t0, pass))
		p.acked(1)
		ps[region] = p
	}
	eu := ps["eu"]
	eu.sendResults(eu.result("shop", t0.Add(time.Minute), fail))
	eu.acked(1)
	for _, region := range regions {
		if rn := next(t, ps[region].runNow, "run_now in "+region); rn.GetCheckId() != "shop" {
			t.Fatalf("%s asked to run %q, want shop", region, rn.GetCheckId())
		}
	}
}

// TestFastConfirmationRetriesByAnotherProbe: with two probes in the failing
// region, the retry goes to the one whose result is not the suspect, so a
// probe cannot confirm its own failure.
func TestFastConfirmationRetriesByAnotherProbe(t *testing.T) {
	regions := []string{"ap", "eu", "us"}
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, regions...)}})
	ps := map[string]*probe{}
	for _, id := range []string{"ap-1", "eu-1", "eu-2", "us-1"} {
		p := h.connect(t, id, id[:2])
		next(t, p.assign, "assignment")
		ps[id] = p
	}
	for _, id := range []string{"ap-1", "eu-1", "us-1"} {
		ps[id].sendResults(ps[id].result("shop", t0, pass))
		ps[id].acked(1)
	}
	for i, failing := range []string{"eu-1", "eu-2"} {
		at := t0.Add(time.Duration(2*i+1) * time.Minute)
		t.Run("suspect from "+failing, func(t *testing.T) {
			other := map[string]string{"eu-1": "eu-2", "eu-2": "eu-1"}[failing]
			p := ps[failing]
			p.sendResults(p.result("shop", at, fail))
			p.acked(1)
			next(t, ps[other].runNow, "run_now to "+other)
			select {
			case rn := <-p.runNow:
				t.Fatalf("%s, whose failure is the suspect, was asked to retry: %v", failing, rn)
			default:
			}
			for _, id := range []string{"ap-1", "us-1"} {
				next(t, ps[id].runNow, "run_now to "+id)
			}
			// The failing region passes again before the next case.
			p.sendResults(p.result("shop", at.Add(time.Minute), pass))
			p.acked(1)
		})
	}
}
