package coordinator_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/internal/testlog"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	checks := []*vigilv1.Check{check("shop", http, "eu")}
	h := start(t, coordinator.Config{DataDir: dir, Checks: checks})
	p := h.connect(t, "p1", "eu")
	p.sendResults(p.result("shop", t0, pass), p.result("shop", t0.Add(time.Minute), fail))
	p.acked(2)
	if err := h.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}

	h2 := start(t, coordinator.Config{DataDir: dir, Checks: checks})
	if rs := h2.allResults(t, &vigilv1.ListResultsRequest{}); len(rs) != 2 {
		t.Fatalf("after restart, %d results, want 2", len(rs))
	}
	st, err := h2.vigil.GetCheckStatus(t.Context(), &vigilv1.GetCheckStatusRequest{CheckId: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if eu := st.GetRegions()[0]; eu.GetConsecutiveFailures() != 1 || eu.GetLast().GetStatus() != fail {
		t.Fatalf("after restart, eu status = %v", eu)
	}
	// Redelivery after a restart is still deduplicated.
	p2 := h2.connect(t, "p1", "eu")
	p2.sendResults(p.result("shop", t0, pass))
	p2.acked(1)
}

func TestGracefulShutdownWithOpenStreams(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu")}})
	p := h.connect(t, "p1", "eu")
	next(t, p.assign, "assignment")
	idle := h.dial(t) // connected, never said hello
	w, err := h.vigil.WatchResults(t.Context(), &vigilv1.WatchResultsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Header(); err != nil {
		t.Fatal(err)
	}
	if err := h.stop(); err != nil {
		t.Fatalf("Serve returned %v, want nil", err)
	}
	if code := p.endCode(); code != codes.Unavailable {
		t.Fatalf("probe stream ended with %v, want Unavailable", code)
	}
	if code := idle.endCode(); code != codes.Unavailable {
		t.Fatalf("pre-hello stream ended with %v, want Unavailable", code)
	}
	if _, err := w.Recv(); status.Code(err) != codes.Unavailable {
		t.Fatalf("watch stream ended with %v, want Unavailable", err)
	}
}

func TestNewAndCloseWithoutServe(t *testing.T) {
	dir := t.TempDir()
	for range 2 { // the second open finds the schema in place
		c, err := coordinator.New(t.Context(), coordinator.Config{DataDir: dir, Logger: testlog.New(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	if _, err := coordinator.New(t.Context(), coordinator.Config{}); err == nil {
		t.Fatal("New without DataDir succeeded")
	}
}

func TestServeTwice(t *testing.T) {
	h := start(t, coordinator.Config{})
	if _, err := h.vigil.ListChecks(t.Context(), &vigilv1.ListChecksRequest{}); err != nil {
		t.Fatal(err) // the first Serve is running
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := h.c.Serve(ctx, lis); err == nil || !strings.Contains(err.Error(), "Serve called twice") {
		t.Fatalf("second Serve = %v, want a refusal", err)
	}
}
