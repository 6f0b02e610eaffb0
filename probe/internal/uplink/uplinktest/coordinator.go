// Package uplinktest is a small, real ProbeService server for tests of the
// probe's uplink and of code built on it. It stores results by id (so
// redelivery is counted once), acknowledges them, and lets a test decide,
// batch by batch, to hold, cut or reject instead.
package uplinktest

import (
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Action is what the coordinator does with a result batch.
type Action int

const (
	// Ack stores the batch's results and acknowledges them.
	Ack Action = iota
	// Hold drops the batch silently: no store, no ack, the stream goes on.
	Hold
	// Cut ends the stream with Unavailable, without storing or acking.
	Cut
	// Reject ends the stream with InvalidArgument, as for a malformed batch.
	Reject
	// Stall stops reading the stream until the client goes away, so the
	// client's sends block once flow control fills up.
	Stall
)

// maxBatch is ResultBatch's documented limit.
const maxBatch = 1000

// Coordinator is a ProbeService server. Set its fields before Start or
// Serve; read what it saw through its methods, which are safe for concurrent
// use.
type Coordinator struct {
	vigilv1.UnimplementedProbeServiceServer

	// Decide, when set, picks the action for each result batch; n counts
	// batches from 1 across all sessions. It is called from the stream's
	// goroutine. When nil every batch is acked.
	Decide func(n int, b *vigilv1.ResultBatch) Action
	// Assignment, when set, is sent at the start of every session, right
	// after the hello.
	Assignment *vigilv1.Assignment
	// Token, when set, is the probe token: a session without the metadata
	// "authorization: Bearer <Token>" ends with Unauthenticated.
	Token string
	// ServerOptions are passed to grpc.NewServer.
	ServerOptions []grpc.ServerOption

	srv *grpc.Server

	mu         sync.Mutex
	hellos     []*vigilv1.Hello
	auth       []string // authorization metadata, one per session
	seen       []string // result ids in arrival order, duplicates kept
	stored     []string // result ids stored, first arrival order
	storedSet  map[string]bool
	batches    int
	batchBytes []int // encoded size of each ConnectRequest carrying results
	heartbeats []*vigilv1.Heartbeat
	violations []string
	sessions   int
	refused    int
	streams    map[*stream]bool
}

// stream is one open session, with its sends serialized.
type stream struct {
	mu sync.Mutex
	s  grpc.BidiStreamingServer[vigilv1.ConnectRequest, vigilv1.ConnectResponse]
}

func (s *stream) send(resp *vigilv1.ConnectResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s.Send(resp)
}

// Start serves on a new 127.0.0.1 port and returns its address. The server
// stops when the test ends.
func (c *Coordinator) Start(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	c.Serve(t, lis)
	return lis.Addr().String()
}

// Serve serves on lis until Stop or the end of the test. After Stop, Serve
// may be called again, on a new listener, as a restarted coordinator that
// kept its store.
func (c *Coordinator) Serve(t testing.TB, lis net.Listener) {
	t.Helper()
	c.mu.Lock()
	if c.storedSet == nil { // the first Serve; a later one keeps what was stored
		c.storedSet = make(map[string]bool)
		c.streams = make(map[*stream]bool)
	}
	c.mu.Unlock()
	srv := grpc.NewServer(c.ServerOptions...)
	vigilv1.RegisterProbeServiceServer(srv, c)
	c.mu.Lock()
	c.srv = srv
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis) // returns when stopped
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
}

// Stop stops the server that Serve started last: it closes the listener and
// every connection at once, as a crashed coordinator would.
func (c *Coordinator) Stop() {
	c.mu.Lock()
	srv := c.srv
	c.mu.Unlock()
	srv.Stop()
}

// Connect implements vigilv1.ProbeServiceServer.
func (c *Coordinator) Connect(s grpc.BidiStreamingServer[vigilv1.ConnectRequest, vigilv1.ConnectResponse]) error {
	md, _ := metadata.FromIncomingContext(s.Context())
	if c.Token != "" && firstOf(md.Get("authorization")) != "Bearer "+c.Token {
		c.mu.Lock()
		c.refused++
		c.mu.Unlock()
		return status.Error(codes.Unauthenticated, "uplinktest: bad probe token")
	}
	first, err := s.Recv()
	if err != nil {
		return err
	}
	hello := first.GetHello()
	if hello == nil {
		c.violation("first message is not a hello")
		return status.Error(codes.InvalidArgument, "first message must be a hello")
	}
	st := &stream{s: s}
	c.mu.Lock()
	c.sessions++
	c.hellos = append(c.hellos, hello)
	c.auth = append(c.auth, firstOf(md.Get("authorization")))
	c.streams[st] = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.streams, st)
		c.mu.Unlock()
	}()

	if c.Assignment != nil {
		if err := st.send(&vigilv1.ConnectResponse{Msg: &vigilv1.ConnectResponse_Assignment{Assignment: c.Assignment}}); err != nil {
			return err
		}
	}
	for {
		req, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch m := req.GetMsg().(type) {
		case *vigilv1.ConnectRequest_Hello:
			c.violation("hello again within a session")
		case *vigilv1.ConnectRequest_Heartbeat:
			c.mu.Lock()
			c.heartbeats = append(c.heartbeats, m.Heartbeat)
			c.mu.Unlock()
		case *vigilv1.ConnectRequest_Results:
			if err := c.batch(st, proto.Size(req), m.Results); err != nil {
				return err
			}
		}
	}
}

func (c *Coordinator) batch(st *stream, size int, b *vigilv1.ResultBatch) error {
	c.mu.Lock()
	c.batches++
	n := c.batches
	c.batchBytes = append(c.batchBytes, size)
	ids := make([]string, len(b.GetResults()))
	for i, r := range b.GetResults() {
		ids[i] = r.GetId()
	}
	c.seen = append(c.seen, ids...)
	if len(ids) > maxBatch {
		c.violations = append(c.violations, "batch larger than the contract's limit")
	}
	c.mu.Unlock()

	action := Ack
	if c.Decide != nil {
		action = c.Decide(n, b)
	}
	switch action {
	case Hold:
		return nil
	case Cut:
		return status.Error(codes.Unavailable, "uplinktest: stream cut")
	case Reject:
		return status.Error(codes.InvalidArgument, "uplinktest: batch rejected")
	case Stall:
		<-st.s.Context().Done()
		return st.s.Context().Err()
	}
	c.mu.Lock()
	for _, id := range ids {
		if !c.storedSet[id] {
			c.storedSet[id] = true
			c.stored = append(c.stored, id)
		}
	}
	c.mu.Unlock()
	return st.send(&vigilv1.ConnectResponse{Msg: &vigilv1.ConnectResponse_Ack{Ack: &vigilv1.Ack{ResultIds: ids}}})
}

func (c *Coordinator) violation(v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.violations = append(c.violations, v)
}

// Push sends resp on every open session and returns how many it reached.
func (c *Coordinator) Push(resp *vigilv1.ConnectResponse) int {
	c.mu.Lock()
	streams := make([]*stream, 0, len(c.streams))
	for s := range c.streams {
		streams = append(streams, s)
	}
	c.mu.Unlock()
	n := 0
	for _, s := range streams {
		if s.send(resp) == nil {
			n++
		}
	}
	return n
}

// Open is the number of open sessions.
func (c *Coordinator) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.streams)
}

// Sessions is the number of sessions that sent a hello.
func (c *Coordinator) Sessions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions
}

// Refused is the number of sessions refused for a bad token.
func (c *Coordinator) Refused() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused
}

// Hellos returns the hello of each session.
func (c *Coordinator) Hellos() []*vigilv1.Hello {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.hellos)
}

// Authorization returns each session's authorization metadata ("" when
// none came).
func (c *Coordinator) Authorization() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.auth)
}

// Seen returns the id of every result received, in order, duplicates kept.
func (c *Coordinator) Seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seen)
}

// Stored returns the ids of the results stored, each once, in the order they
// first arrived.
func (c *Coordinator) Stored() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.stored)
}

// BatchBytes returns the encoded size of each message that carried results.
func (c *Coordinator) BatchBytes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.batchBytes)
}

// Heartbeats returns the heartbeats received.
func (c *Coordinator) Heartbeats() []*vigilv1.Heartbeat {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.heartbeats)
}

// Violations returns the protocol errors seen: a session not opened by a
// hello, a second hello, a batch over the contract's limit.
func (c *Coordinator) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.violations)
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
