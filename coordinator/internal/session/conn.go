package session

import (
	"context"
	"errors"
	"sync/atomic"

	"google.golang.org/grpc"

	"github.com/vigilhq/vigil/coordinator/internal/probes"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// sendQueueLen bounds the messages waiting to be sent on one stream. Acks are
// bounded by maxInFlight and assignments are rare, so a full queue means the
// probe stopped reading: the stream is cancelled rather than left to block.
const sendQueueLen = 256

var (
	errSendOverflow = errors.New("send queue full: probe is not reading")
	// errDone ends a stream cleanly, after the probe closed its side and
	// every ack was sent.
	errDone = errors.New("session done")
)

// conn is one probe stream. Its outgoing messages go through a bounded
// queue drained by sendLoop, so no one ever blocks on the network to talk to
// a probe. It implements probes.Conn.
type conn struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	out     chan *vigilv1.ConnectResponse // nil message: flush, then end with errDone
	probeID atomic.Pointer[string]        // set once hello is valid, before Attach
}

var _ probes.Conn = (*conn)(nil)

func newConn(ctx context.Context, cancel context.CancelCauseFunc) *conn {
	return &conn{ctx: ctx, cancel: cancel, out: make(chan *vigilv1.ConnectResponse, sendQueueLen)}
}

// Send queues m without blocking; on overflow it cancels the stream.
func (c *conn) Send(m *vigilv1.ConnectResponse) {
	select {
	case c.out <- m:
	default:
		c.cancel(errSendOverflow)
	}
}

// finish ends the stream with errDone once everything queued before it is
// sent.
func (c *conn) finish() {
	select {
	case c.out <- nil:
	default:
		c.cancel(errSendOverflow)
	}
}

// Close ends the stream with err; the first cause wins.
func (c *conn) Close(err error) { c.cancel(err) }

// Done is closed once the stream has ended.
func (c *conn) Done() <-chan struct{} { return c.ctx.Done() }

// sendLoop is the only caller of stream.Send. It returns when the stream
// ends; a Send error ends the stream.
func (c *conn) sendLoop(stream grpc.ServerStreamingServer[vigilv1.ConnectResponse]) {
	for {
		select {
		case <-c.ctx.Done():
			return
		case m := <-c.out:
			if m == nil {
				c.cancel(errDone)
				return
			}
			if err := stream.Send(m); err != nil {
				c.cancel(err)
				return
			}
		}
	}
}

func (c *conn) id() string {
	if p := c.probeID.Load(); p != nil {
		return *p
	}
	return ""
}
