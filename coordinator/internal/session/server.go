// Package session serves ProbeService.Connect: one goroutine receives and
// validates a probe's messages, one waits for its batches to commit and
// queues acks, and one sends. The receive loop never blocks on the network
// write side, and a probe that stops reading is cut off.
package session

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vigilhq/vigil/coordinator/internal/catalog"
	"github.com/vigilhq/vigil/coordinator/internal/ingest"
	"github.com/vigilhq/vigil/coordinator/internal/probes"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// ErrShutdown ends every session when the coordinator stops.
var ErrShutdown = errors.New("coordinator shutting down")

// helloTimeout bounds how long a stream may stay open without saying hello,
// so a silent client cannot hold a session forever.
const helloTimeout = 30 * time.Second

// maxInFlight is how many batches of one stream may wait for commit at once.
// More than one lets a probe draining a backlog share group commits with
// itself; the bound is the stream's backpressure (Recv stops meanwhile).
const maxInFlight = 8

// Server implements vigilv1.ProbeServiceServer. It is safe for concurrent use.
type Server struct {
	vigilv1.UnimplementedProbeServiceServer

	reg *probes.Registry
	ing *ingest.Ingester
	cat *catalog.Catalog
	log *slog.Logger

	closing   chan struct{}
	closeOnce sync.Once

	droppedUnknown atomic.Uint64
}

// New returns a server; Close ends its sessions.
func New(reg *probes.Registry, ing *ingest.Ingester, cat *catalog.Catalog, log *slog.Logger) *Server {
	return &Server{reg: reg, ing: ing, cat: cat, log: log, closing: make(chan struct{})}
}

// Close ends every session, present and future, with codes.Unavailable. It
// does not wait for handlers to return; it is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.reg.Close(ErrShutdown)
	})
}

// DroppedUnknown counts results acknowledged without being stored because
// their check is not loaded.
func (s *Server) DroppedUnknown() uint64 { return s.droppedUnknown.Load() }

// Connect is one probe session. The handler only waits: it returns when the
// session ends (bad input, replaced, shut down, send failure, probe gone),
// which aborts the stream and so unblocks the goroutines' Recv and Send.
func (s *Server) Connect(stream grpc.BidiStreamingServer[vigilv1.ConnectRequest, vigilv1.ConnectResponse]) error {
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	c := newConn(ctx, cancel)
	go c.sendLoop(stream)
	go s.receive(ctx, c, stream)
	select {
	case <-ctx.Done():
	case <-s.closing:
		c.Close(ErrShutdown)
	}
	// Attach refuses an ended conn, so after the cancel above either the
	// receiver attached before (and this detaches) or it never will.
	if id := c.id(); id != "" {
		s.reg.Detach(id, c)
	}
	return toStatus(context.Cause(ctx))
}

// toStatus maps why a session ended to what the probe sees.
func toStatus(cause error) error {
	switch {
	case errors.Is(cause, errDone):
		return nil
	case errors.Is(cause, ErrShutdown), errors.Is(cause, ingest.ErrClosed):
		return status.Error(codes.Unavailable, ErrShutdown.Error())
	case errors.Is(cause, probes.ErrReplaced):
		return status.Error(codes.Aborted, cause.Error())
	case errors.Is(cause, errSendOverflow):
		return status.Error(codes.ResourceExhausted, cause.Error())
	}
	if st, ok := status.FromError(cause); ok {
		return st.Err()
	}
	return status.FromContextError(cause).Err()
}

// pendingAck is a received batch on its way to being acknowledged.
type pendingAck struct {
	ticket *ingest.Ticket // nil when nothing of the batch needed storing
	ids    []string
}

// receive reads the hello, attaches the session, then handles messages
// until the stream ends. Every exit closes c.
func (s *Server) receive(ctx context.Context, c *conn, stream grpc.BidiStreamingServer[vigilv1.ConnectRequest, vigilv1.ConnectResponse]) {
	helloTimer := time.AfterFunc(helloTimeout, func() {
		c.Close(status.Errorf(codes.DeadlineExceeded, "no hello within %s", helloTimeout))
	})
	req, err := stream.Recv()
	if !helloTimer.Stop() {
		return // the hello deadline passed first and closed the session
	}
	if errors.Is(err, io.EOF) {
		c.Close(errDone) // the probe left before saying anything
		return
	}
	if err != nil {
		c.Close(err)
		return
	}
	hello := req.GetHello()
	if hello == nil {
		c.Close(status.Error(codes.InvalidArgument, "the first message of a session must be hello"))
		return
	}
	if err := ingest.ValidateHello(hello); err != nil {
		c.Close(status.Errorf(codes.InvalidArgument, "invalid hello: %v", err))
		return
	}
	id := hello.GetProbeId()
	c.probeID.Store(&id)
	if err := s.reg.Attach(hello, c); err != nil {
		c.Close(err)
		return
	}
	log := s.log.With("probe", id, "region", hello.GetRegion())
	acks := make(chan pendingAck, maxInFlight)
	go s.acknowledge(ctx, c, log, id, acks)
	for {
		req, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				close(acks) // the acker sends what is pending, then ends the session
				return
			}
			c.Close(err)
			return
		}
		switch m := req.GetMsg().(type) {
		case *vigilv1.ConnectRequest_Results:
			p, err := s.accept(ctx, hello, m.Results, log)
			if err != nil {
				c.Close(err)
				return
			}
			if p.ids == nil {
				continue
			}
			select {
			case acks <- p:
			case <-ctx.Done():
				return
			}
		case *vigilv1.ConnectRequest_Heartbeat:
			s.reg.Heartbeat(id, c, m.Heartbeat)
		case *vigilv1.ConnectRequest_Hello:
			c.Close(status.Error(codes.InvalidArgument, "hello sent twice in one session"))
			return
		default:
			c.Close(status.Error(codes.InvalidArgument, "empty message"))
			return
		}
	}
}

// accept validates a batch and hands the results of loaded checks to ingest.
// Results of checks that are not loaded are acknowledged without being
// stored, so probes holding them after a reload do not resend them forever.
func (s *Server) accept(ctx context.Context, hello *vigilv1.Hello, b *vigilv1.ResultBatch, log *slog.Logger) (pendingAck, error) {
	if err := ingest.ValidateBatch(hello, b); err != nil {
		log.Warn("rejected result batch", "err", err)
		return pendingAck{}, status.Errorf(codes.InvalidArgument, "invalid result batch: %v", err)
	}
	rs := b.GetResults()
	if len(rs) == 0 {
		return pendingAck{}, nil
	}
	p := pendingAck{ids: make([]string, len(rs))}
	allKnown := true
	for i, r := range rs {
		p.ids[i] = r.GetId()
		if _, ok := s.cat.Get(r.GetCheckId()); !ok {
			allKnown = false
		}
	}
	known := rs
	if !allKnown {
		known = nil
		for _, r := range rs {
			if _, ok := s.cat.Get(r.GetCheckId()); ok {
				known = append(known, r)
			}
		}
	}
	if unknown := len(rs) - len(known); unknown > 0 {
		s.droppedUnknown.Add(uint64(unknown))
		log.Warn("dropped results of checks that are not loaded", "results", unknown)
	}
	if len(known) == 0 {
		return p, nil
	}
	t, err := s.ing.Enqueue(ctx, known)
	if err != nil {
		return pendingAck{}, err
	}
	p.ticket = t
	return p, nil
}

// acknowledge waits, in order, for each batch to commit and then queues its
// ack. An ack is never sent before the batch's transaction committed.
func (s *Server) acknowledge(ctx context.Context, c *conn, log *slog.Logger, id string, acks <-chan pendingAck) {
	for {
		var (
			p  pendingAck
			ok bool
		)
		select {
		case p, ok = <-acks:
		case <-ctx.Done():
			return
		}
		if !ok {
			c.finish()
			return
		}
		if p.ticket != nil {
			if _, err := s.ing.Wait(ctx, p.ticket); err != nil {
				if ctx.Err() == nil && !errors.Is(err, ingest.ErrClosed) {
					log.Error("results not stored", "err", err)
					err = status.Error(codes.Unavailable, "storing results failed; resend later")
				}
				c.Close(err)
				return
			}
			s.reg.ResultsStored(id)
		}
		c.Send(&vigilv1.ConnectResponse{Msg: &vigilv1.ConnectResponse_Ack{Ack: &vigilv1.Ack{ResultIds: p.ids}}})
	}
}
