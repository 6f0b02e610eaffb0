package probe_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/internal/testlog"
	"github.com/vigilhq/vigil/internal/testnet"
	"github.com/vigilhq/vigil/internal/testwait"
	"github.com/vigilhq/vigil/probe"
	"github.com/vigilhq/vigil/probe/internal/outbox"
	"github.com/vigilhq/vigil/probe/internal/uplink/uplinktest"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// mesh is a coordinator's address and a client of its VigilService.
type mesh struct {
	addr   string
	client vigilv1.VigilServiceClient
}

// startProbe runs a probe with the http runner only until the test ends.
func startProbe(t *testing.T, ctx context.Context, id, region, coordAddr string) {
	t.Helper()
	startProbeIn(t, ctx, id, region, coordAddr, "")
}

// startProbeIn runs a probe with its outbox in dataDir ("": none) until
// the test ends or the returned func stops it.
func startProbeIn(t *testing.T, ctx context.Context, id, region, coordAddr, dataDir string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- probe.Run(ctx, probe.Config{
			ID: id, Region: region, Coordinator: coordAddr, Concurrency: 4, DataDir: dataDir,
			Runners: probe.RunnerConfig{NoBrowser: true}, Logger: testlog.New(t).With("node", id),
		})
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("probe %s: %v", id, err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// stored returns every stored result of probeID.
func (m *mesh) stored(t *testing.T, probeID string) []*vigilv1.Result {
	t.Helper()
	var mine []*vigilv1.Result
	for _, r := range allResults(t, m.client) {
		if r.GetProbeId() == probeID {
			mine = append(mine, r)
		}
	}
	return mine
}

func httpChecks(t *testing.T, target string, n int, regions ...string) []*vigilv1.Check {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "defaults: {interval: 1s, timeout: 900ms, regions: [%s]}\nchecks:\n", strings.Join(regions, ", "))
	for i := range n {
		fmt.Fprintf(&b, "  - {name: page-%d, type: http, target: %q, expect: {status: 200}}\n", i, target)
	}
	checks, err := coordinator.ParseChecks("e2e.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("parse checks: %v", err)
	}
	return checks
}

// TestResultsLandExactlyOnceAcrossStreamCuts runs a real probe against a
// real coordinator through a TCP proxy that cuts the stream, several times,
// in the middle of whatever is in flight. Every result the probe produced
// before the last one stored must be stored, and once: the probe's
// sequence numbers in the store are 1..max with no gap and no repeat.
func TestResultsLandExactlyOnceAcrossStreamCuts(t *testing.T) {
	ctx := t.Context()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(site.Close)
	m, _ := serveOn(t, ctx, t.TempDir(), httpChecks(t, site.URL, 8, "us-east"), "127.0.0.1:0")
	proxy := uplinktest.StartCutProxy(t, m.addr, 6000) // the first cut lands inside a write
	startProbe(t, ctx, "us-east-1", "us-east", proxy.Addr())

	const cuts = 4
	for i := range cuts {
		want := 10 * (i + 1)
		testwait.Until(t, 30*time.Second, func() bool { return len(m.stored(t, "us-east-1")) >= want },
			"at least %d results stored before cut %d", want, i+1)
		proxy.Cut()
	}
	testwait.Until(t, 30*time.Second, func() bool { return len(m.stored(t, "us-east-1")) >= 10*(cuts+1) },
		"results keep arriving after the cuts")
	if proxy.Cuts() < cuts {
		t.Fatalf("proxy cut %d times, want at least %d", proxy.Cuts(), cuts)
	}

	results := m.stored(t, "us-east-1")
	seqs := make([]int, 0, len(results))
	ids := map[string]bool{}
	for _, r := range results {
		if ids[r.GetId()] {
			t.Fatalf("result %s stored twice", r.GetId())
		}
		ids[r.GetId()] = true
		seqs = append(seqs, int(r.GetSeq()))
		if r.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Errorf("result %s of %s: %s %s", r.GetId(), r.GetCheckId(), r.GetStatus(), r.GetError())
		}
	}
	sort.Ints(seqs)
	for i, s := range seqs {
		if s != i+1 {
			t.Fatalf("stored sequence numbers have a gap or repeat at %d: got %d (of %d results)", i+1, s, len(seqs))
		}
	}
	t.Logf("%d results stored once each across %d cuts", len(seqs), proxy.Cuts())
}

// TestProbeKeepsResultsWhileCoordinatorIsDown stops the coordinator, lets
// the probe keep running its checks, starts a new coordinator on the same
// data directory, and expects every result to arrive.
func TestProbeKeepsResultsWhileCoordinatorIsDown(t *testing.T) {
	ctx := t.Context()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(site.Close)
	checks := httpChecks(t, site.URL, 4, "eu-west")
	dataDir := t.TempDir()

	addr := testnet.FreeAddr(t)
	first, stopFirst := serveOn(t, ctx, dataDir, checks, addr)
	startProbe(t, ctx, "eu-west-1", "eu-west", addr)
	testwait.Until(t, 30*time.Second, func() bool { return len(first.stored(t, "eu-west-1")) >= 4 }, "first results stored")
	stopFirst()

	// The probe runs on while nobody listens; its results wait in memory.
	second, _ := serveOn(t, ctx, dataDir, checks, addr)
	testwait.Until(t, 60*time.Second, func() bool {
		rs := second.stored(t, "eu-west-1")
		return len(rs) >= 12 && contiguous(rs)
	}, "results produced while the coordinator was down arrive after it is back, without gaps")
}

// serveOn runs a real coordinator on addr (port 0: any) with its SQLite
// store in dataDir; the returned func stops it before the test ends.
func serveOn(t *testing.T, ctx context.Context, dataDir string, checks []*vigilv1.Check, addr string) (*mesh, func()) {
	t.Helper()
	c, err := coordinator.New(ctx, coordinator.Config{DataDir: dataDir, Checks: checks, Logger: testlog.New(t).With("node", "coordinator")})
	if err != nil {
		t.Fatalf("new coordinator: %v", err)
	}
	var lis net.Listener
	testwait.Until(t, 10*time.Second, func() bool {
		lis, err = net.Listen("tcp", addr)
		return err == nil
	}, "listen on %s again", addr)
	addr = lis.Addr().String()
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Serve(sctx, lis) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("coordinator serve: %v", err)
		}
		c.Close()
	}
	t.Cleanup(stop)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &mesh{addr: addr, client: vigilv1.NewVigilServiceClient(conn)}, stop
}

func contiguous(rs []*vigilv1.Result) bool {
	seqs := make([]int, len(rs))
	for i, r := range rs {
		seqs[i] = int(r.GetSeq())
	}
	sort.Ints(seqs)
	for i, s := range seqs {
		if s != i+1 {
			return false
		}
	}
	return true
}

// TestProbeRestartKeepsUnacknowledgedResults stops the coordinator, lets
// the probe measure while nobody listens, restarts the probe (its pending
// results are only in its outbox now), then brings the coordinator back:
// every result measured while it was away is stored, once.
func TestProbeRestartKeepsUnacknowledgedResults(t *testing.T) {
	ctx := t.Context()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(site.Close)
	checks := httpChecks(t, site.URL, 4, "eu-west")
	coordDir, probeDir := t.TempDir(), t.TempDir()

	addr := testnet.FreeAddr(t)
	first, stopFirst := serveOn(t, ctx, coordDir, checks, addr)
	stopProbe := startProbeIn(t, ctx, "eu-west-1", "eu-west", addr, probeDir)
	testwait.Until(t, 30*time.Second, func() bool { return len(first.stored(t, "eu-west-1")) >= 4 }, "first results stored")
	stopFirst()

	// Nobody listens: results pile up in the outbox.
	box, err := outbox.Open(ctx, probeDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	testwait.Until(t, 30*time.Second, func() bool {
		n, err := box.Len(ctx)
		return err == nil && n >= 8
	}, "results waiting in the outbox")
	stopProbe()
	var waiting []string
	if err := box.Load(ctx, func(id string, _ []byte) error { waiting = append(waiting, id); return nil }); err != nil {
		t.Fatal(err)
	}

	// The probe comes back first, then the coordinator.
	startProbeIn(t, ctx, "eu-west-1", "eu-west", addr, probeDir)
	second, _ := serveOn(t, ctx, coordDir, checks, addr)
	testwait.Until(t, 60*time.Second, func() bool {
		have := map[string]bool{}
		for _, r := range second.stored(t, "eu-west-1") {
			have[r.GetId()] = true
		}
		for _, id := range waiting {
			if !have[id] {
				return false
			}
		}
		return true
	}, "the %d results waiting when the probe stopped are stored after its restart", len(waiting))
	seen := map[string]bool{}
	for _, r := range second.stored(t, "eu-west-1") {
		if seen[r.GetId()] {
			t.Fatalf("result %s stored twice", r.GetId())
		}
		seen[r.GetId()] = true
	}
	t.Logf("%d results waited in the outbox across the restart", len(waiting))
}
