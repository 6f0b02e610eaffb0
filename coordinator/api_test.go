package coordinator_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestListChecksSortedByName(t *testing.T) {
	a, b, c := check("c1", http, "eu"), check("c2", http, "eu"), check("c3", http, "eu")
	a.Name, b.Name, c.Name = "Zeta", "Alpha", "Mu"
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{a, b, c}})
	resp, err := h.vigil.ListChecks(t.Context(), &vigilv1.ListChecksRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range resp.GetChecks() {
		names = append(names, ch.GetName())
	}
	if fmt.Sprint(names) != "[Alpha Mu Zeta]" {
		t.Fatalf("ListChecks names = %v", names)
	}
}

func TestGetCheckStatus(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "us", "eu", "ap")}})
	eu, us := h.connect(t, "eu-1", "eu"), h.connect(t, "us-1", "us")
	eu.sendResults(eu.result("shop", t0, pass), eu.result("shop", t0.Add(time.Minute), fail),
		eu.result("shop", t0.Add(2*time.Minute), fail))
	eu.acked(3)
	us.sendResults(us.result("shop", t0.Add(time.Minute), pass))
	us.acked(1)
	// A late, older result must not replace the newest one.
	late := us.result("shop", t0, fail)
	late.Screenshot = []byte("jpeg")
	us.sendResults(late)
	us.acked(1)

	resp, err := h.vigil.GetCheckStatus(t.Context(), &vigilv1.GetCheckStatusRequest{CheckId: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetCheck().GetId() != "shop" {
		t.Fatalf("check = %v", resp.GetCheck())
	}
	var regions []string
	for _, r := range resp.GetRegions() {
		regions = append(regions, r.GetRegion())
	}
	if fmt.Sprint(regions) != "[ap eu us]" {
		t.Fatalf("regions = %v, want [ap eu us]", regions)
	}
	ap, euSt, usSt := resp.GetRegions()[0], resp.GetRegions()[1], resp.GetRegions()[2]
	if ap.GetLast() != nil || ap.GetLastPassAt() != nil {
		t.Errorf("ap has no results but status %v", ap)
	}
	if euSt.GetLast().GetStatus() != fail || !euSt.GetLast().GetStartedAt().AsTime().Equal(t0.Add(2*time.Minute)) ||
		euSt.GetConsecutiveFailures() != 2 || !euSt.GetLastPassAt().AsTime().Equal(t0) {
		t.Errorf("eu status = %v", euSt)
	}
	if usSt.GetLast().GetStatus() != pass || usSt.GetConsecutiveFailures() != 0 ||
		!usSt.GetLastPassAt().AsTime().Equal(t0.Add(time.Minute)) || usSt.GetLast().GetScreenshot() != nil {
		t.Errorf("us status = %v (the late fail must not replace the newer pass)", usSt)
	}
	_, err = h.vigil.GetCheckStatus(t.Context(), &vigilv1.GetCheckStatusRequest{CheckId: "nope"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("GetCheckStatus(unknown) = %v, want NotFound", err)
	}
}

func TestListResultsPages(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu", "us"), check("blog", http, "eu")}})
	eu, us := h.connect(t, "eu-1", "eu"), h.connect(t, "us-1", "us")
	var batch []*vigilv1.Result
	for i := range 60 {
		batch = append(batch, eu.result([]string{"shop", "blog"}[i%2], t0.Add(time.Duration(i/4)*time.Second), pass))
	}
	eu.sendResults(batch...)
	eu.acked(len(batch))
	us.sendResults(us.result("shop", t0, pass), us.result("shop", t0.Add(time.Second), pass))
	us.acked(2)

	var want []*vigilv1.Result
	for i, r := range batch {
		if r.GetCheckId() == "shop" && i/4 >= 2 && i/4 < 12 {
			want = append(want, r)
		}
	}
	slices.SortFunc(want, func(a, b *vigilv1.Result) int { // newest first, ties by id descending
		return cmp.Or(b.GetStartedAt().AsTime().Compare(a.GetStartedAt().AsTime()), cmp.Compare(b.GetId(), a.GetId()))
	})
	req := &vigilv1.ListResultsRequest{CheckId: "shop", Region: "eu", PageSize: 4,
		StartTime: timestamppb.New(t0.Add(2 * time.Second)), EndTime: timestamppb.New(t0.Add(12 * time.Second))}
	var got []string
	pages := 0
	for {
		resp, err := h.vigil.ListResults(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range resp.GetResults() {
			got = append(got, r.GetId())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if pages < 2 {
		t.Fatalf("got %d page(s); the test needs several", pages)
	}
	var wantIDs []string
	for _, r := range want {
		wantIDs = append(wantIDs, r.GetId())
	}
	if !slices.Equal(got, wantIDs) {
		t.Fatalf("paged ids:\n%v\nwant (no gaps, no repeats, newest first):\n%v", got, wantIDs)
	}

	for _, tt := range []struct {
		name string
		req  *vigilv1.ListResultsRequest
	}{
		{"bad token", &vigilv1.ListResultsRequest{PageToken: "not-a-token!"}},
		{"forged token", &vigilv1.ListResultsRequest{PageToken: "AAAA"}},
		{"page too big", &vigilv1.ListResultsRequest{PageSize: 1001}},
		{"end before start", &vigilv1.ListResultsRequest{StartTime: timestamppb.New(t0), EndTime: timestamppb.New(t0.Add(-time.Second))}},
		{"invalid time", &vigilv1.ListResultsRequest{StartTime: &timestamppb.Timestamp{Nanos: -5}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.vigil.ListResults(t.Context(), tt.req)
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("ListResults = %v, want InvalidArgument", err)
			}
		})
	}
}

func TestWatchResults(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu"), check("blog", http, "eu")}})
	w, err := h.vigil.WatchResults(t.Context(), &vigilv1.WatchResultsRequest{CheckId: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Header(); err != nil { // subscribed once headers arrive
		t.Fatal(err)
	}
	got := make(chan *vigilv1.Result, 100)
	go func() {
		for {
			m, err := w.Recv()
			if err != nil {
				close(got)
				return
			}
			got <- m.GetResult()
		}
	}()
	p := h.connect(t, "p1", "eu")
	shop1, blog, shop2 := p.result("shop", t0, pass), p.result("blog", t0, pass), p.result("shop", t0.Add(time.Second), fail)
	shop2.Screenshot = []byte("jpeg")
	p.sendResults(shop1, blog, shop2)
	p.acked(3)
	for _, want := range []*vigilv1.Result{shop1, shop2} {
		r := next(t, got, "watched result")
		if r.GetId() != want.GetId() {
			t.Fatalf("watched %s, want %s", r.GetId(), want.GetId())
		}
		if r.GetScreenshot() != nil {
			t.Fatal("watched result carries its screenshot")
		}
	}
	// A redelivered result is not shown again: the next one seen is new.
	shop3 := p.result("shop", t0.Add(2*time.Second), pass)
	p.sendResults(shop1, shop2)
	p.sendResults(shop3)
	p.acked(3)
	if r := next(t, got, "watched result"); r.GetId() != shop3.GetId() {
		t.Fatalf("after a resend, watched %s, want the new %s", r.GetId(), shop3.GetId())
	}
}

func TestHealthAndReflection(t *testing.T) {
	h := start(t, coordinator.Config{})
	hc := healthpb.NewHealthClient(h.conn)
	for _, svc := range []string{"", "vigil.v1.ProbeService", "vigil.v1.VigilService"} {
		resp, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %q = %v, %v; want SERVING", svc, resp, err)
		}
	}
	rc, err := reflectionpb.NewServerReflectionClient(h.conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{"vigil.v1.ProbeService", "vigil.v1.VigilService", "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
}
