package coordinator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/vigilhq/vigil/coordinator/internal/session"
	"github.com/vigilhq/vigil/internal/gossip"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// gracePeriod bounds GracefulStop: by then sessions and watchers were told to
// end, so only a handler stuck on a peer that stopped reading is left, and
// Stop cuts it off.
const gracePeriod = 5 * time.Second

// Keepalive. Probes ping every 20 s (RELIABILITY-NOTES); the server allows
// pings down to 10 s, even without active streams, instead of the default 5
// minutes that answers faster pings with GOAWAY too_many_pings. The server
// pings an idle connection after 30 s and drops it 10 s later, so a
// half-open probe connection is noticed within a minute.
var (
	enforcement = keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}
	serverPings = keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}
)

// Serve serves gRPC on lis (ProbeService, VigilService, health, reflection)
// until ctx is done, then shuts down: health turns NOT_SERVING, probe
// sessions and watch streams end with codes.Unavailable, GracefulStop runs
// for at most gracePeriod before Stop, and results already received are
// committed. It returns nil after a clean shutdown, or the error that
// stopped serving. It closes lis. Serve may be called once.
func (c *Coordinator) Serve(ctx context.Context, lis net.Listener) error {
	if lis == nil {
		return errors.New("coordinator: Serve needs a listener")
	}
	c.serveMu.Lock()
	if c.served {
		c.serveMu.Unlock()
		return errors.New("coordinator: Serve called twice")
	}
	c.served = true
	c.serveMu.Unlock()

	unaryAuth, streamAuth := session.TokenInterceptors(session.Tokens{Probe: c.cfg.ProbeToken, Admin: c.cfg.AdminToken})
	srv := grpc.NewServer(
		grpc.MaxRecvMsgSize(c.cfg.MaxRecvBytes),
		grpc.KeepaliveEnforcementPolicy(enforcement),
		grpc.KeepaliveParams(serverPings),
		grpc.ChainUnaryInterceptor(unaryAuth),
		grpc.ChainStreamInterceptor(streamAuth),
	)
	vigilv1.RegisterProbeServiceServer(srv, c.sessions)
	vigilv1.RegisterVigilServiceServer(srv, c.api)
	hs := health.NewServer()
	for _, name := range []string{"", vigilv1.ProbeService_ServiceDesc.ServiceName, vigilv1.VigilService_ServiceDesc.ServiceName} {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(lis) }()
	if c.cfg.Gossip != nil {
		if err := c.joinMesh(ctx, lis); err != nil {
			c.shutdown(srv, hs)
			return err
		}
	}
	// The quorum engine's clock: Tick every second, and gossip's live probe
	// counts when the coordinator is in a mesh. Stopped before shutdown.
	var members func() []gossip.Member
	if g := c.gossip.Load(); g != nil {
		members = g.Members
	}
	tickCtx, stopTick := context.WithCancel(context.Background())
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		c.decide.run(tickCtx, members, c.checkRegions)
	}()
	// Notifications are delivered until the very end: the dispatcher stops
	// after a last flush, once nothing can queue more.
	notifyCtx, stopNotify := context.WithCancel(context.Background())
	notified := make(chan struct{})
	go func() {
		defer close(notified)
		c.notify.Run(notifyCtx)
	}()
	c.log.Info("serving gRPC", "addr", lis.Addr().String())

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("serve gRPC: %w", err)
	}
	stopTick()
	<-ticked
	c.shutdown(srv, hs)
	flushCtx, cancel := context.WithTimeout(context.Background(), notifyFlushTimeout)
	if ferr := c.notify.Flush(flushCtx); ferr != nil {
		c.log.Warn("notifications still queued at shutdown", "err", ferr)
	}
	cancel()
	stopNotify()
	<-notified
	return err
}

// notifyFlushTimeout bounds how long shutdown waits for queued
// notifications (a resolve sent as the coordinator stops, say).
const notifyFlushTimeout = 5 * time.Second

// shutdown stops input first (sessions, so no new results arrive), then the
// watchers, then the server, and finally commits what ingest holds.
func (c *Coordinator) shutdown(srv *grpc.Server, hs *health.Server) {
	c.log.Info("shutting down")
	c.leaveMesh()
	hs.Shutdown()
	c.sessions.Close()
	c.watch.Close()
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	timer := time.NewTimer(gracePeriod)
	defer timer.Stop()
	select {
	case <-stopped:
	case <-timer.C:
		c.log.Warn("graceful stop timed out; closing connections", "after", gracePeriod)
		srv.Stop()
		<-stopped
	}
	c.ingest.Close()
	c.log.Info("stopped")
}
