package coordinator_test

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/internal/testwait"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func ids(cs []*vigilv1.Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.GetId())
	}
	return out
}

func manyChecks(n int, regions ...string) []*vigilv1.Check {
	var cs []*vigilv1.Check
	for i := range n {
		cs = append(cs, check(fmt.Sprintf("check-%02d", i), http, regions...))
	}
	return cs
}

func TestAssignmentArrivesAfterHello(t *testing.T) {
	browser := check("flow", vigilv1.CheckType_CHECK_TYPE_BROWSER, "eu")
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu", "us"), check("us-only", http, "us"), browser}})
	p := h.connect(t, "p1", "eu")
	a := next(t, p.assign, "assignment")
	if got := fmt.Sprint(ids(a.GetChecks())); got != "[flow shop]" {
		t.Fatalf("eu probe assigned %s, want [flow shop]", got)
	}
	if a.GetVersion() == "" {
		t.Fatal("assignment has no version")
	}
	// A probe with nothing to run still hears so, right away.
	q := h.connect(t, "q1", "ap")
	if a := next(t, q.assign, "assignment"); len(a.GetChecks()) != 0 || a.GetVersion() == "" {
		t.Fatalf("ap probe assignment = %v, want empty with a version", a)
	}
}

func TestProbesOfARegionGetEveryCheckOfTheRegion(t *testing.T) {
	h := start(t, coordinator.Config{Checks: manyChecks(20, "eu")})
	a := h.connect(t, "probe-a", "eu")
	if got := len(next(t, a.assign, "assignment").GetChecks()); got != 20 {
		t.Fatalf("single probe got %d checks, want 20", got)
	}
	b := h.connect(t, "probe-b", "eu")
	if got := len(next(t, b.assign, "assignment for b").GetChecks()); got != 20 {
		t.Fatalf("second probe got %d checks, want 20: probes pick what they own", got)
	}
}

func TestRunCheckReachesOwners(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu", "us", "ap")}})
	eu, us := h.connect(t, "eu-1", "eu"), h.connect(t, "us-1", "us")
	next(t, eu.assign, "eu assignment")
	next(t, us.assign, "us assignment")
	resp, err := h.vigil.RunCheck(t.Context(), &vigilv1.RunCheckRequest{CheckId: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	got := resp.GetProbeIds()
	slices.Sort(got)
	if fmt.Sprint(got) != "[eu-1 us-1]" {
		t.Fatalf("RunCheck asked %v, want [eu-1 us-1] (ap has no probe)", got)
	}
	for _, p := range []*probe{eu, us} {
		if rn := next(t, p.runNow, "run_now"); rn.GetCheckId() != "shop" {
			t.Fatalf("run_now for %q", rn.GetCheckId())
		}
	}
	_, err = h.vigil.RunCheck(t.Context(), &vigilv1.RunCheckRequest{CheckId: "nope"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("RunCheck(unknown) = %v, want NotFound", err)
	}
}

func TestSecondSessionReplacesFirst(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu")}})
	old := h.connect(t, "p1", "eu")
	next(t, old.assign, "assignment")
	cur := h.connect(t, "p1", "eu")
	next(t, cur.assign, "assignment on the new session")
	if code := old.endCode(); code != codes.Aborted {
		t.Fatalf("old session ended with %v, want Aborted", code)
	}
	cur.sendResults(cur.result("shop", t0, pass))
	cur.acked(1)
	ps, err := h.vigil.ListProbes(t.Context(), &vigilv1.ListProbesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.GetProbes()) != 1 || !ps.GetProbes()[0].GetConnected() {
		t.Fatalf("ListProbes = %v, want p1 connected once", ps.GetProbes())
	}
}

func TestSetChecksReassigns(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu")}})
	p := h.connect(t, "p1", "eu")
	first := next(t, p.assign, "assignment")
	h.c.SetChecks([]*vigilv1.Check{check("blog", http, "eu")})
	second := next(t, p.assign, "assignment after reload")
	if fmt.Sprint(ids(second.GetChecks())) != "[blog]" || second.GetVersion() == first.GetVersion() {
		t.Fatalf("after reload: %v (version %s, was %s)", ids(second.GetChecks()), second.GetVersion(), first.GetVersion())
	}
	// A result of the removed check is acknowledged and dropped.
	p.sendResults(p.result("shop", t0, pass))
	p.acked(1)
	if rs := h.allResults(t, &vigilv1.ListResultsRequest{}); len(rs) != 0 {
		t.Fatalf("stored %d results of a removed check", len(rs))
	}
}

func TestListProbes(t *testing.T) {
	h := start(t, coordinator.Config{Checks: manyChecks(3, "eu")})
	p := h.connect(t, "p1", "eu")
	next(t, p.assign, "assignment")
	p.send(&vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Heartbeat{Heartbeat: &vigilv1.Heartbeat{}}})
	p.sendResults(p.result("check-00", t0, pass))
	p.acked(1)
	listed := func() *vigilv1.ProbeInfo {
		ps, err := h.vigil.ListProbes(t.Context(), &vigilv1.ListProbesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps.GetProbes()) != 1 {
			t.Fatalf("ListProbes = %v, want one probe", ps.GetProbes())
		}
		return ps.GetProbes()[0]
	}
	testwait.Until(t, guard, func() bool { return listed().GetLastHeartbeatAt() != nil }, "heartbeat never recorded")
	info := listed()
	if !info.GetConnected() || info.GetRegion() != "eu" || info.GetVersion() != "test" ||
		info.GetAssignedChecks() != 3 || info.GetLastResultAt() == nil || info.GetConnectedAt() == nil {
		t.Fatalf("probe info = %v", info)
	}
	p.cancel()
	testwait.Until(t, guard, func() bool { return !listed().GetConnected() }, "probe still connected after it left")
}
