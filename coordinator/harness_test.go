package coordinator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/internal/testlog"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// guard is how long a test waits for something that should happen at once
// before failing; it is a deadline for failure, never a pause.
const guard = 10 * time.Second

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testAdminToken is the harness's admin token; its client sends it.
const testAdminToken = "test-admin-token"

// withToken sends "authorization: Bearer token" with every unary call.
func withToken(token string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), method, req, reply, cc, opts...)
	}
}

// harness is a coordinator serving on 127.0.0.1:0 and a client connection.
type harness struct {
	t     testing.TB
	c     *coordinator.Coordinator
	addr  string
	conn  *grpc.ClientConn
	vigil vigilv1.VigilServiceClient
	dir   string

	cancel  context.CancelFunc
	served  chan error
	stopped bool
}

// start runs a coordinator until the test ends. cfg.DataDir defaults to a
// fresh temporary directory.
func start(t testing.TB, cfg coordinator.Config) *harness {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = testlog.New(t)
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = testAdminToken
	}
	c, err := coordinator.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, c: c, addr: lis.Addr().String(), dir: cfg.DataDir, cancel: cancel, served: make(chan error, 1)}
	go func() { h.served <- c.Serve(ctx, lis) }()
	h.conn, err = grpc.NewClient(h.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(withToken(cfg.AdminToken)))
	if err != nil {
		t.Fatal(err)
	}
	h.vigil = vigilv1.NewVigilServiceClient(h.conn)
	t.Cleanup(func() {
		h.conn.Close()
		if err := h.stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return h
}

// stop shuts the coordinator down and closes it; it returns Serve's error.
func (h *harness) stop() error {
	if h.stopped {
		return nil
	}
	h.stopped = true
	h.cancel()
	var err error
	select {
	case err = <-h.served:
	case <-time.After(guard):
		h.t.Fatalf("Serve did not return within %s of shutdown", guard)
	}
	if cerr := h.c.Close(); cerr != nil {
		h.t.Errorf("Close: %v", cerr)
	}
	return err
}

// probe is a fake probe: a Connect stream whose incoming messages are
// sorted by kind into channels.
type probe struct {
	t       testing.TB
	id      string
	region  string
	stream  grpc.BidiStreamingClient[vigilv1.ConnectRequest, vigilv1.ConnectResponse]
	cancel  context.CancelFunc
	assign  chan *vigilv1.Assignment
	runNow  chan *vigilv1.RunNow
	acks    chan *vigilv1.Ack
	end     chan error // the stream's final error (io.EOF for OK)
	nextSeq uint64
}

// dial opens a stream with optional metadata, without saying hello.
func (h *harness) dial(t testing.TB, md ...string) *probe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if len(md) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
	}
	stream, err := vigilv1.NewProbeServiceClient(h.conn).Connect(ctx)
	if err != nil {
		cancel()
		t.Fatalf("Connect: %v", err)
	}
	p := &probe{t: t, stream: stream, cancel: cancel,
		assign: make(chan *vigilv1.Assignment, 100), runNow: make(chan *vigilv1.RunNow, 100),
		acks: make(chan *vigilv1.Ack, 1000), end: make(chan error, 1)}
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				p.end <- err
				return
			}
			switch m := m.GetMsg().(type) {
			case *vigilv1.ConnectResponse_Assignment:
				p.assign <- m.Assignment
			case *vigilv1.ConnectResponse_RunNow:
				// A probe that is not asked about run-nows (the ingest
				// benchmark's, whose failures ask for confirmations) must
				// not stop reading acks: beyond 100 unread, drop them.
				select {
				case p.runNow <- m.RunNow:
				default:
				}
			case *vigilv1.ConnectResponse_Ack:
				p.acks <- m.Ack
			}
		}
	}()
	t.Cleanup(cancel)
	return p
}

// connect opens a stream and says hello as an http and browser probe.
func (h *harness) connect(t testing.TB, id, region string, md ...string) *probe {
	t.Helper()
	p := h.dial(t, md...)
	p.id, p.region = id, region
	p.send(&vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Hello{Hello: &vigilv1.Hello{
		ProbeId: id, Region: region, Version: "test", Capabilities: []string{"http", "browser"}, Capacity: 4}}})
	return p
}

func (p *probe) send(m *vigilv1.ConnectRequest) {
	p.t.Helper()
	// io.EOF means the server ended the stream; its status arrives on p.end.
	if err := p.stream.Send(m); err != nil && !errors.Is(err, io.EOF) {
		p.t.Fatalf("probe %s: Send: %v", p.id, err)
	}
}

func (p *probe) sendResults(rs ...*vigilv1.Result) {
	p.t.Helper()
	p.send(&vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Results{Results: &vigilv1.ResultBatch{Results: rs}}})
}

// result makes a result of this probe.
func (p *probe) result(check string, started time.Time, st vigilv1.ResultStatus) *vigilv1.Result {
	p.nextSeq++
	return &vigilv1.Result{
		Id:      fmt.Sprintf("%s-%s-%d-%d", p.id, check, started.UnixMicro(), p.nextSeq),
		CheckId: check, ProbeId: p.id, Region: p.region,
		Seq: p.nextSeq, CheckVersion: "v1", Slot: started.Unix() / 60,
		ScheduledAt: timestamppb.New(started), StartedAt: timestamppb.New(started),
		Status: st, DurationUs: 250_000, HttpStatus: 200,
	}
}

// next waits for the next value on ch, failing the test after guard.
func next[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("no %s within %s", what, guard)
		panic("unreachable")
	}
}

// acked collects acks until n result ids have been acknowledged.
func (p *probe) acked(n int) []string {
	p.t.Helper()
	var ids []string
	for len(ids) < n {
		select {
		case a := <-p.acks:
			ids = append(ids, a.GetResultIds()...)
		case err := <-p.end:
			p.t.Fatalf("probe %s: stream ended with %v after %d of %d acks", p.id, err, len(ids), n)
		case <-time.After(guard):
			p.t.Fatalf("probe %s: %d of %d results acknowledged within %s", p.id, len(ids), n, guard)
		}
	}
	return ids
}

// endCode waits for the stream to end and returns its status code.
func (p *probe) endCode() codes.Code {
	p.t.Helper()
	err := next(p.t, p.end, "stream end")
	if errors.Is(err, io.EOF) {
		return codes.OK
	}
	return status.Code(err)
}

func check(id string, typ vigilv1.CheckType, regions ...string) *vigilv1.Check {
	return &vigilv1.Check{
		Id: id, Name: id, Type: typ, Target: "https://shop.example", Regions: regions,
		Interval: durationpb.New(time.Minute), Timeout: durationpb.New(10 * time.Second), Version: "v1",
	}
}

// allResults pages through every stored result matching req.
func (h *harness) allResults(t testing.TB, req *vigilv1.ListResultsRequest) []*vigilv1.Result {
	t.Helper()
	var out []*vigilv1.Result
	for {
		resp, err := h.vigil.ListResults(t.Context(), req)
		if err != nil {
			t.Fatalf("ListResults: %v", err)
		}
		out = append(out, resp.GetResults()...)
		if resp.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func timestampAt(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
