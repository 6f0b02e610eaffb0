package uplink

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/vigilhq/vigil/internal/testwait"
	"github.com/vigilhq/vigil/probe/internal/uplink/uplinktest"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// wait is how long a test waits for something that takes milliseconds when
// all is well.
const wait = 15 * time.Second

func sendAll(u *Uplink, rs []*vigilv1.Result) {
	for _, r := range rs {
		u.Send(r)
	}
}

func waitDelivered(t *testing.T, u *Uplink) {
	t.Helper()
	testwait.Until(t, wait, func() bool { return u.Pending() == 0 }, "results still pending")
}

// sameSet checks that got holds each id of want exactly once.
func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestDeliversAndAcks(t *testing.T) {
	c := &uplinktest.Coordinator{}
	u := newTestUplink(t, c.Start(t), nil)
	start(t, u)
	rs := results("r", 250)
	sendAll(u, rs)
	waitDelivered(t, u)

	if got := c.Hellos(); len(got) != 1 || !proto.Equal(got[0], u.cfg.Hello) {
		t.Errorf("hellos = %v, want the config's hello once", got)
	}
	if v := c.Violations(); len(v) > 0 {
		t.Errorf("protocol violations: %v", v)
	}
	if got, want := c.Stored(), idsOf(rs); !slices.Equal(got, want) {
		t.Errorf("stored %d results out of order or incomplete", len(got))
	}
	if !u.Connected() {
		t.Error("not connected")
	}
	want := Stats{Sent: 250, Acked: 250, Sessions: 1}
	if got := u.Stats(); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

// gate is a listener that closes what it accepts until it is opened: a
// coordinator that is not up yet.
type gate struct {
	net.Listener
	open    atomic.Bool
	refused atomic.Int64
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		conn, err := g.Listener.Accept()
		if err != nil || g.open.Load() {
			return conn, err
		}
		g.refused.Add(1)
		conn.Close()
	}
}

func TestDeliversWhenCoordinatorComesUp(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{Listener: lis}
	c := &uplinktest.Coordinator{}
	c.Serve(t, g)
	u := newTestUplink(t, lis.Addr().String(), nil)
	rs := results("early", 20)
	sendAll(u, rs)
	start(t, u)

	testwait.Until(t, wait, func() bool { return g.refused.Load() >= 3 }, "the uplink did not retry")
	if u.Connected() || u.Pending() != len(rs) || u.Stats().Sessions != 0 {
		t.Fatalf("before the coordinator is up: connected %v, pending %d, stats %+v", u.Connected(), u.Pending(), u.Stats())
	}
	g.open.Store(true)
	waitDelivered(t, u)
	if got, want := c.Stored(), idsOf(rs); !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}

func TestDeliversAfterCoordinatorRestart(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	c := &uplinktest.Coordinator{}
	c.Serve(t, lis)
	u := newTestUplink(t, addr, nil)
	start(t, u)
	before := results("before", 5)
	sendAll(u, before)
	waitDelivered(t, u)

	c.Stop()
	testwait.Until(t, wait, func() bool { return !u.Connected() }, "still connected after the coordinator stopped")
	during := results("during", 5)
	sendAll(u, during)

	lis, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	c.Serve(t, lis)
	waitDelivered(t, u)
	if got, want := c.Stored(), append(idsOf(before), idsOf(during)...); !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	if s := u.Stats().Sessions; s < 2 {
		t.Errorf("sessions = %d, want at least 2", s)
	}
}

// TestResendsAfterStreamCut has the coordinator end the stream when the first
// of several batches arrives, without acking it.
func TestResendsAfterStreamCut(t *testing.T) {
	c := &uplinktest.Coordinator{
		Decide: func(n int, _ *vigilv1.ResultBatch) uplinktest.Action {
			if n == 1 {
				return uplinktest.Cut
			}
			return uplinktest.Ack
		},
	}
	u := newTestUplink(t, c.Start(t), func(cfg *Config) { cfg.MaxBatch = 3 })
	rs := results("r", 10)
	sendAll(u, rs) // queued before Run: the first session sends 4 batches
	start(t, u)
	waitDelivered(t, u)

	seen := c.Seen()
	for _, id := range idsOf(rs) {
		if !slices.Contains(seen, id) {
			t.Errorf("coordinator never saw %s", id)
		}
	}
	for _, id := range idsOf(rs[:3]) { // the cut batch
		if n := count(seen, id); n < 2 {
			t.Errorf("%s seen %d times, want a resend", id, n)
		}
	}
	sameSet(t, "stored", c.Stored(), idsOf(rs))
	if st := u.Stats(); st.Sessions < 2 || st.Resent < 3 || st.Acked != 10 {
		t.Errorf("stats = %+v, want 2+ sessions, 3+ resent, 10 acked", st)
	}
}

func count(ids []string, id string) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

// TestDeliversThroughTCPCut cuts every TCP connection between the probe and
// the coordinator in the middle of a batch.
func TestDeliversThroughTCPCut(t *testing.T) {
	c := &uplinktest.Coordinator{}
	addr := c.Start(t)
	p := uplinktest.StartCutProxy(t, addr, 5<<19) // 2.5 MiB: within the third batch
	u := newTestUplink(t, p.Addr(), func(cfg *Config) { cfg.MaxBatch = 5 })
	rs := results("shot", 30)
	for _, r := range rs {
		r.Screenshot = make([]byte, 200<<10)
	}
	sendAll(u, rs)
	start(t, u)
	waitDelivered(t, u)

	if n := p.Cuts(); n != 1 {
		t.Errorf("proxy cut %d times, want 1", n)
	}
	sameSet(t, "stored", c.Stored(), idsOf(rs))
	if s := u.Stats().Sessions; s < 2 {
		t.Errorf("sessions = %d, want at least 2", s)
	}
}

func TestCallbacks(t *testing.T) {
	c := &uplinktest.Coordinator{Assignment: &vigilv1.Assignment{
		Version: "v7",
		Checks:  []*vigilv1.Check{{Id: "checkout"}},
	}}
	assignments := make(chan *vigilv1.Assignment, 10)
	runNows := make(chan *vigilv1.RunNow, 10)
	u := newTestUplink(t, c.Start(t), func(cfg *Config) {
		cfg.OnAssignment = func(a *vigilv1.Assignment) { assignments <- a }
		cfg.OnRunNow = func(r *vigilv1.RunNow) { runNows <- r }
	})
	start(t, u)

	select {
	case a := <-assignments:
		if a.GetVersion() != "v7" || len(a.GetChecks()) != 1 {
			t.Errorf("assignment = %v", a)
		}
	case <-time.After(wait):
		t.Fatal("no assignment")
	}
	testwait.Until(t, wait, func() bool { return c.Open() == 1 }, "no open session")
	if n := c.Push(&vigilv1.ConnectResponse{Msg: &vigilv1.ConnectResponse_RunNow{
		RunNow: &vigilv1.RunNow{CheckId: "checkout", Reason: "confirm"},
	}}); n != 1 {
		t.Fatalf("run-now pushed to %d sessions, want 1", n)
	}
	select {
	case r := <-runNows:
		if r.GetCheckId() != "checkout" {
			t.Errorf("run-now = %v", r)
		}
	case <-time.After(wait):
		t.Fatal("no run-now")
	}
}

func TestMaxPendingDropsOldest(t *testing.T) {
	c := &uplinktest.Coordinator{}
	log, logs := newLogs(t)
	u := newTestUplink(t, c.Start(t), func(cfg *Config) {
		cfg.MaxPending = 3
		cfg.Logger = log
	})
	rs := results("r", 5)
	sendAll(u, rs) // not running: nothing is acked
	if got := u.Pending(); got != 3 {
		t.Errorf("pending = %d, want 3", got)
	}
	if got := u.Stats().Dropped; got != 2 {
		t.Errorf("dropped = %d, want 2", got)
	}
	if !logs.has("oldest dropped") {
		t.Error("the drop was not logged")
	}
	start(t, u)
	waitDelivered(t, u)
	if got, want := c.Stored(), idsOf(rs[2:]); !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}

func TestBatchesCappedBySize(t *testing.T) {
	c := &uplinktest.Coordinator{}
	u := newTestUplink(t, c.Start(t), nil)
	rs := results("r", 8)
	for i, r := range rs {
		if i%2 == 0 {
			r.Screenshot = make([]byte, 600<<10)
		}
	}
	sendAll(u, rs)
	start(t, u)
	waitDelivered(t, u)

	sizes := c.BatchBytes()
	const overhead = 16 // the ConnectRequest around the batch
	for _, n := range sizes {
		if n > maxBatchBytes+overhead {
			t.Errorf("a batch is %d bytes, more than %d", n, maxBatchBytes+overhead)
		}
	}
	if len(sizes) < 4 {
		t.Errorf("%d batches, want at least 4: two 600 KiB screenshots do not fit one", len(sizes))
	}
	if got, want := c.Stored(), idsOf(rs); !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}

func TestToken(t *testing.T) {
	t.Run("sent as bearer metadata", func(t *testing.T) {
		c := &uplinktest.Coordinator{Token: "s3cret"}
		u := newTestUplink(t, c.Start(t), func(cfg *Config) { cfg.Token = "s3cret" })
		start(t, u)
		u.Send(result("r"))
		waitDelivered(t, u)
		if got := c.Authorization(); len(got) != 1 || got[0] != "Bearer s3cret" {
			t.Errorf("authorization = %q, want [\"Bearer s3cret\"]", got)
		}
	})
	t.Run("none without a token", func(t *testing.T) {
		c := &uplinktest.Coordinator{}
		u := newTestUplink(t, c.Start(t), nil)
		start(t, u)
		u.Send(result("r"))
		waitDelivered(t, u)
		if got := c.Authorization(); len(got) != 1 || got[0] != "" {
			t.Errorf("authorization = %q, want none", got)
		}
	})
	t.Run("wrong token keeps results and retries", func(t *testing.T) {
		c := &uplinktest.Coordinator{Token: "s3cret"}
		log, logs := newLogs(t)
		u := newTestUplink(t, c.Start(t), func(cfg *Config) {
			cfg.Token = "wrong"
			cfg.Logger = log
		})
		u.Send(result("r"))
		start(t, u)
		testwait.Until(t, wait, func() bool { return c.Refused() >= 3 }, "the uplink did not retry")
		if u.Pending() != 1 || len(c.Stored()) != 0 {
			t.Errorf("pending %d, stored %v; want the result kept", u.Pending(), c.Stored())
		}
		if !logs.has("level=ERROR") || !logs.has("code=Unauthenticated") {
			t.Error("the refusal was not logged as an error")
		}
	})
}

func TestPoisonBatchDroppedAfterSecondRejection(t *testing.T) {
	c := &uplinktest.Coordinator{
		Decide: func(_ int, b *vigilv1.ResultBatch) uplinktest.Action {
			for _, r := range b.GetResults() {
				if r.GetId() == "poison" {
					return uplinktest.Reject
				}
			}
			return uplinktest.Ack
		},
	}
	log, logs := newLogs(t)
	u := newTestUplink(t, c.Start(t), func(cfg *Config) {
		cfg.MaxBatch = 2
		cfg.Logger = log
	})
	for _, id := range []string{"a", "b", "poison", "c", "d"} {
		u.Send(result(id))
	}
	start(t, u)
	waitDelivered(t, u)

	if got, want := c.Stored(), []string{"a", "b", "d"}; !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	if got := u.Stats().Rejected; got != 2 {
		t.Errorf("rejected = %d, want 2 (poison and c, its batch mate)", got)
	}
	for _, id := range []string{"poison", "c"} {
		if !logs.has("result_id=" + id) {
			t.Errorf("the drop of %s was not logged", id)
		}
	}
}

func TestBatchRejectedOnceIsRetried(t *testing.T) {
	c := &uplinktest.Coordinator{
		Decide: func(n int, _ *vigilv1.ResultBatch) uplinktest.Action {
			if n == 1 {
				return uplinktest.Reject
			}
			return uplinktest.Ack
		},
	}
	u := newTestUplink(t, c.Start(t), func(cfg *Config) { cfg.MaxBatch = 2 })
	rs := results("r", 4)
	sendAll(u, rs)
	start(t, u)
	waitDelivered(t, u)
	if got, want := c.Stored(), idsOf(rs); !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	if got := u.Stats().Rejected; got != 0 {
		t.Errorf("rejected = %d, want 0", got)
	}
}

// TestWatchdogEndsStalledSession has the coordinator stop reading: the
// probe's sends block on flow control until the watchdog ends the session.
func TestWatchdogEndsStalledSession(t *testing.T) {
	c := &uplinktest.Coordinator{
		Decide: func(n int, _ *vigilv1.ResultBatch) uplinktest.Action {
			if n == 1 {
				return uplinktest.Stall
			}
			return uplinktest.Ack
		},
		// Fixed 64 KiB windows: no BDP growth to absorb the sends.
		ServerOptions: []grpc.ServerOption{grpc.InitialWindowSize(64 << 10), grpc.InitialConnWindowSize(64 << 10)},
	}
	log, logs := newLogs(t)
	u := newTestUplink(t, c.Start(t), func(cfg *Config) {
		cfg.MaxBatch = 1
		cfg.Logger = log
	})
	u.sendTimeout = 100 * time.Millisecond
	rs := results("shot", 6)
	for _, r := range rs {
		r.Screenshot = make([]byte, 300<<10)
	}
	sendAll(u, rs)
	start(t, u)
	waitDelivered(t, u)

	if !logs.has(errSendStalled.Error()) {
		t.Error("the session did not end on the watchdog")
	}
	sameSet(t, "stored", c.Stored(), idsOf(rs))
}

func TestHeartbeats(t *testing.T) {
	c := &uplinktest.Coordinator{}
	u := newTestUplink(t, c.Start(t), nil)
	u.cfg.HeartbeatEvery = 10 * time.Millisecond
	u.cfg.Heartbeat = func() *vigilv1.Heartbeat {
		return &vigilv1.Heartbeat{AssignmentVersion: "v1", Pending: uint32(u.Pending())}
	}
	start(t, u)
	testwait.Until(t, wait, func() bool { return len(c.Heartbeats()) >= 3 }, "fewer than 3 heartbeats")
	if hb := c.Heartbeats()[0]; hb.GetAssignmentVersion() != "v1" {
		t.Errorf("heartbeat = %v", hb)
	}
}

func TestRunStopsOnCancelWithoutLeaks(t *testing.T) {
	c := &uplinktest.Coordinator{}
	u := newTestUplink(t, c.Start(t), func(cfg *Config) {
		cfg.Heartbeat = func() *vigilv1.Heartbeat { return &vigilv1.Heartbeat{} }
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	u.Send(result("r"))
	testwait.Until(t, wait, func() bool { return u.Connected() && u.Pending() == 0 }, "not connected")

	if len(leaked(clientMarks...)) == 0 {
		t.Fatal("the leak check sees no uplink goroutines while Run runs: its marks are stale")
	}
	if err := u.Run(ctx); err == nil {
		t.Error("a second concurrent Run did not fail")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
	if u.Connected() {
		t.Error("connected after Run returned")
	}
	var left []string
	testwait.Until(t, wait, func() bool {
		left = leaked(clientMarks...)
		return len(left) == 0
	}, "goroutines left after Run returned:\n%s", strings.Join(left, "\n\n"))
}

func TestNewChecksConfig(t *testing.T) {
	hello := &vigilv1.Hello{ProbeId: "p"}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no addr", Config{Hello: hello}, "uplink config: addr is empty and there is no resolver"},
		{"no hello", Config{Addr: "x:1"}, "uplink config: hello is missing"},
		{"negative max pending", Config{Addr: "x:1", Hello: hello, MaxPending: -1}, "uplink config: max pending -1 is negative"},
		{"batch too large", Config{Addr: "x:1", Hello: hello, MaxBatch: 1001}, "uplink config: max batch 1001 is not within 1..1000"},
		{"negative heartbeat", Config{Addr: "x:1", Hello: hello, HeartbeatEvery: -time.Second}, "uplink config: heartbeat period -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New() error = %v, want %q", err, tt.want)
			}
		})
	}
	u, err := New(Config{Addr: "x:1", Hello: hello})
	if err != nil {
		t.Fatal(err)
	}
	if u.cfg.MaxPending != 10_000 || u.cfg.MaxBatch != 100 || u.cfg.HeartbeatEvery != 10*time.Second ||
		u.cfg.Backoff != (BackoffConfig{Base: 200 * time.Millisecond, Max: 15 * time.Second, Jitter: 0.2}) {
		t.Errorf("defaults = %+v", u.cfg)
	}
}

func TestSendDropsUndeliverable(t *testing.T) {
	u := newTestUplink(t, "127.0.0.1:1", nil)
	huge := result("huge")
	huge.Screenshot = make([]byte, 5<<20)
	badUTF8 := result("bad-utf8")
	badUTF8.Error = "\xff\xfe"
	for _, r := range []*vigilv1.Result{result(""), huge, badUTF8} {
		u.Send(r)
	}
	u.Send(result("ok"))
	u.Send(result("ok")) // pending already: ignored
	if got := u.Pending(); got != 1 {
		t.Errorf("pending = %d, want 1", got)
	}
	if got := u.Stats().Rejected; got != 3 {
		t.Errorf("rejected = %d, want 3", got)
	}
}
