package probe_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/internal/gossip/gossiptest"
	"github.com/vigilhq/vigil/internal/testlog"
	"github.com/vigilhq/vigil/probe"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// testSuspicionMult keeps members of a starved 2-core test machine from
// being declared dead falsely: with the local preset's 100ms probe
// interval, a 3s suspicion timeout. (At 1s, CI under -race saw a member
// die and come back during a 250ms pause.)
const testSuspicionMult = 30

// meshEnv is a gossip network on loopback with a site to check.
type meshEnv struct {
	t    *testing.T
	net  *gossiptest.Network
	site *httptest.Server
}

func newMeshEnv(t *testing.T) *meshEnv {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(site.Close)
	return &meshEnv{t: t, net: gossiptest.NewNetwork(), site: site}
}

// gossipConfig is a local-preset member on the env's network.
func (e *meshEnv) gossipConfig(seeds ...string) (*gossip.Config, string) {
	e.t.Helper()
	tr, err := e.net.NewTransport("127.0.0.1", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &gossip.Config{
		BindAddr: "127.0.0.1", Join: seeds, Label: "vigil-test", Preset: gossip.PresetLocal,
		SuspicionMult: testSuspicionMult, Transport: tr,
	}, tr.Addr()
}

// checks parses n http checks against the site, every interval, in regions.
func (e *meshEnv) checks(n int, interval string, regions ...string) []*vigilv1.Check {
	e.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "defaults: {interval: %s, timeout: 900ms, regions: [%s]}\nchecks:\n", interval, strings.Join(regions, ", "))
	for i := range n {
		fmt.Fprintf(&b, "  - {name: page-%03d, type: http, target: %q, expect: {status: 200}}\n", i, e.site.URL)
	}
	checks, err := coordinator.ParseChecks("mesh.yaml", []byte(b.String()))
	if err != nil {
		e.t.Fatalf("parse checks: %v", err)
	}
	return checks
}

// meshCoordinator is a coordinator in the mesh.
type meshCoordinator struct {
	c      *coordinator.Coordinator
	client vigilv1.VigilServiceClient
	stop   func()
}

func (e *meshEnv) startCoordinator(name string, checks []*vigilv1.Check, seeds ...string) *meshCoordinator {
	t := e.t
	t.Helper()
	gc, _ := e.gossipConfig(seeds...)
	gc.NodeName = name
	c, err := coordinator.New(t.Context(), coordinator.Config{DataDir: t.TempDir(), Checks: checks, Gossip: gc,
		Logger: testlog.New(t).With("node", name)})
	if err != nil {
		t.Fatalf("new coordinator: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, lis) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("coordinator %s: %v", name, err)
			}
			c.Close()
		})
	}
	t.Cleanup(stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	mc := &meshCoordinator{c: c, client: vigilv1.NewVigilServiceClient(conn), stop: stop}
	waitFor(t, func() bool { return c.GossipAddr() != "" }, "coordinator %s joined the mesh", name)
	return mc
}

// meshProbe is a running probe in the mesh.
type meshProbe struct {
	id, region, gossipAddr string
	stop                   func()
}

// startProbe runs a probe that knows only gossip seeds.
func (e *meshEnv) startProbe(id, region string, seeds ...string) *meshProbe {
	t := e.t
	t.Helper()
	gc, addr := e.gossipConfig(seeds...)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- probe.Run(ctx, probe.Config{ID: id, Region: region, Gossip: gc, Concurrency: 4,
			Runners: probe.RunnerConfig{NoBrowser: true}, Logger: testlog.New(t).With("node", id)})
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("probe %s: %v", id, err)
			}
		})
	}
	t.Cleanup(stop)
	return &meshProbe{id: id, region: region, gossipAddr: addr, stop: stop}
}

// kill stops p without a graceful leave: its gossip traffic is cut first,
// so the others see it die, not leave.
func (e *meshEnv) kill(p *meshProbe, others []string) {
	e.net.Partition([]string{p.gossipAddr}, others)
	p.stop()
	e.net.Heal()
}

// results returns every stored result.
func (m *meshCoordinator) results(t *testing.T) []*vigilv1.Result {
	t.Helper()
	return allResults(t, m.client)
}

// allResults pages through every result the coordinator has stored.
func allResults(t *testing.T, client vigilv1.VigilServiceClient) []*vigilv1.Result {
	t.Helper()
	var all []*vigilv1.Result
	req := &vigilv1.ListResultsRequest{PageSize: 1000}
	for {
		resp, err := client.ListResults(context.Background(), req)
		if err != nil {
			t.Fatalf("list results: %v", err)
		}
		all = append(all, resp.GetResults()...)
		if resp.GetNextPageToken() == "" {
			return all
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func (m *meshCoordinator) probes(t *testing.T) map[string]*vigilv1.ProbeInfo {
	t.Helper()
	resp, err := m.client.ListProbes(context.Background(), &vigilv1.ListProbesRequest{})
	if err != nil {
		t.Fatalf("list probes: %v", err)
	}
	out := map[string]*vigilv1.ProbeInfo{}
	for _, p := range resp.GetProbes() {
		out[p.GetProbeId()] = p
	}
	return out
}

// slotKey names one scheduled run of a check in a region.
type slotKey struct {
	check, region string
	slot          int64
}

// attempt0 counts attempt-0 results per (check, region, slot), and
// returns who ran each.
func attempt0(rs []*vigilv1.Result) (map[slotKey]int, map[slotKey]string) {
	n, by := map[slotKey]int{}, map[slotKey]string{}
	for _, r := range rs {
		if r.GetAttempt() != 0 {
			continue
		}
		k := slotKey{r.GetCheckId(), r.GetRegion(), r.GetSlot()}
		n[k]++
		by[k] = r.GetProbeId()
	}
	return n, by
}

// noDoubleRuns fails the test for any slot of a check run twice in a region.
func noDoubleRuns(t *testing.T, rs []*vigilv1.Result) {
	t.Helper()
	n, _ := attempt0(rs)
	for k, c := range n {
		if c > 1 {
			t.Errorf("check %s slot %d run %d times in %s", k.check, k.slot, c, k.region)
		}
	}
}

func slotStart(k slotKey, interval time.Duration) time.Time {
	return time.Unix(0, k.slot*int64(interval))
}
