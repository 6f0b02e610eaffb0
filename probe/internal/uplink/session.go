package uplink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// sessionResult is how a session ended.
type sessionResult struct {
	healthy bool  // it lasted healthyAfter or got an ack: the backoff resets
	err     error // why it ended; nil only when ctx was done
}

var (
	errOpenTimeout = fmt.Errorf("open session: no stream within %s", openTimeout)
	errSendStalled = errors.New("send stalled: the coordinator stopped reading")
	errEnded       = errors.New("coordinator ended the session")
)

// session opens a Connect stream, sends the hello, and then runs one sender
// and one receiver until either fails or ctx is done. Both have stopped when
// it returns.
func (u *Uplink) session(ctx context.Context, client vigilv1.ProbeServiceClient) sessionResult {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if u.cfg.Token != "" {
		sctx = metadata.AppendToOutgoingContext(sctx, "authorization", "Bearer "+u.cfg.Token)
	}
	stream, err := u.open(sctx, cancel, client)
	if err != nil {
		return sessionResult{err: err}
	}
	start := time.Now()
	u.sessions.Add(1)
	u.connected.Store(true)
	defer u.connected.Store(false)
	u.pending.startSession(u.suspect)
	u.log.Info("session open", "addr", u.Addr(), "pending", u.pending.len())

	var (
		wg               sync.WaitGroup
		gotAck, stalled  atomic.Bool
		sendErr, recvErr error
	)
	wg.Go(func() {
		if sendErr = u.sendLoop(sctx, stream, cancel, &stalled); sendErr != nil {
			cancel()
		}
	})
	wg.Go(func() {
		recvErr = u.recvLoop(stream, &gotAck)
		cancel()
	})
	wg.Wait()

	switch {
	case stalled.Load():
		err = errSendStalled
	case sendErr != nil:
		err = sendErr
	case errors.Is(recvErr, io.EOF):
		err = errEnded
	default:
		err = recvErr
	}
	if ctx.Err() != nil {
		err = nil
	}
	u.endSession(err)
	return sessionResult{
		healthy: gotAck.Load() || time.Since(start) >= healthyAfter,
		err:     err,
	}
}

// open opens the stream and sends the hello within openTimeout.
func (u *Uplink) open(ctx context.Context, cancel func(), client vigilv1.ProbeServiceClient) (vigilv1.ProbeService_ConnectClient, error) {
	timer := time.AfterFunc(openTimeout, cancel)
	stream, err := client.Connect(ctx)
	if err == nil {
		err = stream.Send(&vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Hello{Hello: u.cfg.Hello}})
		if errors.Is(err, io.EOF) {
			// The coordinator ended the stream at once; the receiver
			// reads why.
			err = nil
		}
	}
	if !timer.Stop() {
		return nil, errOpenTimeout
	}
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	return stream, nil
}

// endSession settles the pending set when a session ends with err: after an
// InvalidArgument, the batch in flight becomes the suspect, or is dropped
// when it was the suspect already.
func (u *Uplink) endSession(err error) {
	suspect, dropped := u.pending.endSession(code(err) == codes.InvalidArgument)
	if len(suspect) > 0 && !slices.Equal(suspect, u.suspect) {
		u.log.Warn("coordinator may have rejected a batch; it goes alone next session", "results", len(suspect), "first_result_id", suspect[0])
	}
	u.suspect = suspect
	gone := make([]string, 0, len(dropped))
	for _, e := range dropped {
		u.rejected.Add(1)
		u.log.Error("result dropped: coordinator rejected its batch twice", "result_id", e.id, "check_id", e.res.GetCheckId())
		gone = append(gone, e.id)
	}
	u.forget(gone)
}

// sendLoop sends result batches and heartbeats until ctx is done or a send
// fails. It returns nil when the stream ended or ctx is done: the receiver
// then reports why. A watchdog cancels the session when one Send blocks
// longer than sendTimeout.
func (u *Uplink) sendLoop(ctx context.Context, stream vigilv1.ProbeService_ConnectClient, cancel func(), stalled *atomic.Bool) error {
	var tick <-chan time.Time
	if u.cfg.Heartbeat != nil {
		t := time.NewTicker(u.cfg.HeartbeatEvery)
		defer t.Stop()
		tick = t.C
	}
	send := func(req *vigilv1.ConnectRequest) error {
		watchdog := time.AfterFunc(u.sendTimeout, func() {
			stalled.Store(true)
			cancel()
		})
		err := stream.Send(req)
		watchdog.Stop()
		return err
	}
	heartbeat := func() error {
		hb := u.cfg.Heartbeat()
		if hb == nil {
			return nil
		}
		return send(&vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Heartbeat{Heartbeat: hb}})
	}
	for {
		var err error
		if batch, resent := u.pending.next(u.cfg.MaxBatch, maxBatchBytes); len(batch) > 0 {
			err = send(&vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Results{
				Results: &vigilv1.ResultBatch{Results: batch},
			}})
			if err == nil {
				u.sent.Add(uint64(len(batch)))
				u.resent.Add(uint64(resent))
			}
		} else {
			// Nothing to send: flush as soon as something comes.
			select {
			case <-ctx.Done():
				return nil
			case <-u.notify:
			case <-tick:
				err = heartbeat()
			}
		}
		if err == nil {
			// A steady flow of batches does not starve heartbeats.
			select {
			case <-tick:
				err = heartbeat()
			default:
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("send: %w", err)
		}
	}
}

// recvLoop handles the coordinator's messages until the stream fails. It
// calls OnAssignment and OnRunNow itself.
func (u *Uplink) recvLoop(stream vigilv1.ProbeService_ConnectClient, gotAck *atomic.Bool) error {
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		switch m := resp.GetMsg().(type) {
		case *vigilv1.ConnectResponse_Ack:
			gotAck.Store(true)
			n, released := u.pending.ack(m.Ack.GetResultIds())
			u.acked.Add(uint64(n))
			u.forget(m.Ack.GetResultIds())
			if released {
				u.log.Info("coordinator accepted the batch it may have rejected before")
				select {
				case u.notify <- struct{}{}:
				default:
				}
			}
		case *vigilv1.ConnectResponse_Assignment:
			if u.cfg.OnAssignment != nil {
				u.cfg.OnAssignment(m.Assignment)
			}
		case *vigilv1.ConnectResponse_RunNow:
			if u.cfg.OnRunNow != nil {
				u.cfg.OnRunNow(m.RunNow)
			}
		default:
			u.log.Debug("unknown message from coordinator ignored")
		}
	}
}

// logSessionEnd logs why a session ended and when the next one starts.
// Codes that mean misconfiguration or a bug are errors; the rest, among them
// ResourceExhausted (the coordinator's queue to a slow probe overflowed) and
// Aborted (another session of the same probe id took over), are transient.
func (u *Uplink) logSessionEnd(res sessionResult, retryIn time.Duration) {
	c := code(res.err)
	attrs := []any{"err", res.err, "code", c.String(), "retry_in", retryIn.Round(time.Millisecond), "healthy", res.healthy, "pending", u.pending.len()}
	switch c {
	case codes.Unauthenticated, codes.PermissionDenied:
		u.log.Error("coordinator refused the probe: check the token", attrs...)
	case codes.InvalidArgument:
		u.log.Error("coordinator rejected a message from the probe", attrs...)
	case codes.Unimplemented:
		u.log.Error("address does not serve the probe service", attrs...)
	default:
		u.log.Warn("session ended", attrs...)
	}
}

// code is err's gRPC status code: Unknown for errors that carry none.
func code(err error) codes.Code {
	s, _ := status.FromError(err)
	return s.Code()
}
