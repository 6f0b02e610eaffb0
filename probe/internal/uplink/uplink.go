// Package uplink is the probe's side of the ProbeService.Connect stream: it
// keeps a session with the coordinator open, sends results until they are
// acknowledged, and hands assignments and run-now requests to the probe.
//
// Results stay pending, in memory, until the coordinator acknowledges them,
// and every new session resends what is pending, in order. With result ids
// that are deterministic, and a coordinator that dedupes by id, each result is
// stored exactly once. With Config.Outbox, the pending results are also on
// disk and survive the probe's restart (DESIGN section 4).
//
// A session the coordinator ends with InvalidArgument marks the oldest
// unacknowledged batch of that session as suspect. The next session sends
// the suspect batch alone and waits for its ack before sending more; if that
// session ends with InvalidArgument too, the batch's results are dropped and
// logged one by one, so one malformed result cannot block delivery forever.
// Any other status code is transient: the uplink reconnects and resends.
package uplink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Config configures an Uplink. Zero fields take the defaults named on them.
type Config struct {
	// Addr is the coordinator's gRPC address, host:port. One of Addr and
	// Resolve is required; Addr wins when both are set.
	Addr string
	// Resolve, used when Addr is empty, returns the address to dial for
	// the next session: it is called before every session, so a resolver
	// that returns another coordinator after a session ended gives
	// failover. An error counts as a failed session (backoff, then it is
	// called again). It must not block for long.
	Resolve func() (string, error)
	// Hello introduces the probe; it is the first message of every session.
	// Required. The uplink only reads it.
	Hello *vigilv1.Hello
	// Token, when set, is sent as "authorization: Bearer <token>" metadata
	// on every session. The transport is plaintext unless DialOptions bring
	// TLS credentials, so keep a token on plaintext to loopback and demos.
	Token string
	// Logger receives the uplink's logs, tagged component=uplink. Default:
	// discard.
	Logger *slog.Logger
	// OnAssignment is called with each assignment, from the receive loop:
	// it must not block for long, or acks and run-now requests wait.
	OnAssignment func(*vigilv1.Assignment)
	// OnRunNow is called with each run-now request, like OnAssignment.
	OnRunNow func(*vigilv1.RunNow)
	// MaxPending caps the unacknowledged results held in memory. Default
	// 10,000: over an hour of results for a busy probe, a few tens of MiB
	// without screenshots. When it is full, Send drops the oldest result,
	// counts it in Stats.Dropped and logs it: the scheduler never blocks.
	MaxPending int
	// MaxBatch is the most results per batch; default 100, at most 1,000
	// (the contract's limit). A batch is also cut at about 1 MiB encoded,
	// well below gRPC's 4 MiB receive limit, because browser results carry
	// screenshots.
	MaxBatch int
	// Heartbeat, when set, makes the heartbeat sent every HeartbeatEvery
	// during a session. It is called from the send loop and must be quick.
	Heartbeat func() *vigilv1.Heartbeat
	// HeartbeatEvery is the heartbeat period. Default 10s: the coordinator
	// sees a probe that is connected but not working within a few periods.
	HeartbeatEvery time.Duration
	// Backoff shapes the wait between sessions; see BackoffConfig.
	Backoff BackoffConfig
	// DialOptions are appended to the uplink's own dial options, so they
	// win: TLS credentials, or a custom dialer in tests.
	DialOptions []grpc.DialOption
	// Outbox, when set, keeps the pending results on disk: New restores
	// what it holds (oldest first, before anything new), Send puts a result
	// there before it becomes pending, and a result leaves it once
	// acknowledged or dropped. When a write fails, the uplink logs it and
	// keeps the result in memory: delivery goes on, without the restart
	// guarantee for that result. Nil keeps results in memory only.
	Outbox Outbox
}

// Outbox stores pending results across restarts; *outbox.Outbox (in
// probe/internal/outbox) implements it. Its methods must be safe for
// concurrent use.
type Outbox interface {
	// Put stores an encoded result under its id; a stored id is kept as is.
	Put(ctx context.Context, id string, encoded []byte) error
	// Delete removes the results of ids, ignoring ids not stored.
	Delete(ctx context.Context, ids []string) error
	// Load calls fn with each stored result, oldest first.
	Load(ctx context.Context, fn func(id string, encoded []byte) error) error
}

// Defaults and limits; the reasons are on the Config fields.
const (
	defaultMaxPending     = 10_000
	defaultMaxBatch       = 100
	maxBatchResults       = 1_000 // ResultBatch's documented limit
	defaultHeartbeatEvery = 10 * time.Second

	// maxBatchBytes caps a batch's encoded size, unless one result alone
	// is larger.
	maxBatchBytes = 1 << 20
	// maxResultBytes is the largest result Send accepts: with the message
	// framing it must fit gRPC's default 4 MiB receive limit, or the
	// coordinator rejects it on every session and it blocks all that
	// follow.
	maxResultBytes = 4<<20 - 1<<10

	// openTimeout bounds opening a stream and sending the hello, so an
	// attempt never hangs on a connection that does not come up.
	openTimeout = 10 * time.Second
	// sendTimeout is how long a single Send may block (the coordinator
	// stopped reading) before the watchdog ends the session.
	sendTimeout = 30 * time.Second
	// healthyAfter is how long a session must last, when it got no ack,
	// for the backoff to reset.
	healthyAfter = 10 * time.Second
	// dropLogEvery limits the logs about results dropped from a full set.
	dropLogEvery = 10 * time.Second
	// outboxTimeout bounds one outbox write; restoreTimeout reading the
	// whole outbox at start.
	outboxTimeout  = 10 * time.Second
	restoreTimeout = time.Minute

	// Client keepalive: a ping after 20s of silence, the connection closed
	// when no answer comes in 10s, so Recv never blocks forever on a
	// half-open connection. The coordinator's enforcement allows pings
	// every 10s even without streams.
	keepaliveTime    = 20 * time.Second
	keepaliveTimeout = 10 * time.Second
)

// Stats counts what the uplink did since it was made.
type Stats struct {
	Sent     uint64 // results sent, resends included
	Acked    uint64 // results acknowledged
	Dropped  uint64 // results dropped, oldest first, because MaxPending was reached
	Rejected uint64 // results dropped as undeliverable: too large, no id, or a batch rejected twice
	Sessions uint64 // sessions opened (the hello went out)
	Resent   uint64 // results sent again after an earlier batch carried them
	Restored uint64 // results restored from the outbox at start
}

// Uplink sends results to the coordinator and receives its instructions. Its
// methods are safe for concurrent use.
type Uplink struct {
	cfg     Config
	log     *slog.Logger
	pending *pending
	notify  chan struct{} // capacity 1: wakes the sender when results arrive

	running   atomic.Bool
	connected atomic.Bool
	addr      atomic.Value // string: the coordinator of the current session

	sent, acked, dropped, rejected, sessions, resent, restored atomic.Uint64

	dropLogMu   sync.Mutex
	dropsNotLog int
	lastDropLog time.Time

	// Owned by the Run goroutine.
	suspect []string // ids of the batch the coordinator rejected last

	// Seams for tests in this package.
	sendTimeout time.Duration
	rand        func() float64
}

// New checks cfg, applies its defaults and returns an Uplink that is not
// connected yet; Run connects it.
func New(cfg Config) (*Uplink, error) {
	switch {
	case cfg.Addr == "" && cfg.Resolve == nil:
		return nil, errors.New("uplink config: addr is empty and there is no resolver")
	case cfg.Hello == nil:
		return nil, errors.New("uplink config: hello is missing")
	case cfg.MaxPending < 0:
		return nil, fmt.Errorf("uplink config: max pending %d is negative", cfg.MaxPending)
	case cfg.MaxBatch < 0 || cfg.MaxBatch > maxBatchResults:
		return nil, fmt.Errorf("uplink config: max batch %d is not within 1..%d", cfg.MaxBatch, maxBatchResults)
	case cfg.HeartbeatEvery < 0:
		return nil, fmt.Errorf("uplink config: heartbeat period %s is negative", cfg.HeartbeatEvery)
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = defaultMaxPending
	}
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = defaultMaxBatch
	}
	if cfg.HeartbeatEvery == 0 {
		cfg.HeartbeatEvery = defaultHeartbeatEvery
	}
	cfg.Backoff = cfg.Backoff.withDefaults()
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u := &Uplink{
		cfg:         cfg,
		log:         log.With("component", "uplink"),
		pending:     newPending(cfg.MaxPending),
		notify:      make(chan struct{}, 1),
		sendTimeout: sendTimeout,
		rand:        rand.Float64,
	}
	if err := u.restore(); err != nil {
		return nil, err
	}
	return u, nil
}

// restore makes the outbox's results pending, oldest first. A stored result
// that no longer decodes is logged and deleted: it could never be sent.
func (u *Uplink) restore() error {
	if u.cfg.Outbox == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
	defer cancel()
	var gone []string
	err := u.cfg.Outbox.Load(ctx, func(id string, encoded []byte) error {
		r := &vigilv1.Result{}
		if err := proto.Unmarshal(encoded, r); err != nil || r.GetId() != id {
			u.rejected.Add(1)
			u.log.Error("undecodable result in the outbox dropped", "result_id", id, "err", err)
			gone = append(gone, id)
			return nil
		}
		dropped, ok := u.pending.push(r, len(encoded))
		if ok {
			u.restored.Add(1)
		}
		if dropped != nil {
			u.dropped.Add(1)
			gone = append(gone, dropped.id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("uplink: restore pending results: %w", err)
	}
	if n := u.restored.Load(); n > 0 {
		u.log.Info("pending results restored from the outbox", "results", n, "dropped", len(gone))
	}
	u.forget(gone)
	return nil
}

// forget deletes ids from the outbox, if there is one, logging a failure:
// the results would be sent again after a restart, which the coordinator's
// dedupe makes harmless.
func (u *Uplink) forget(ids []string) {
	if u.cfg.Outbox == nil || len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), outboxTimeout)
	defer cancel()
	if err := u.cfg.Outbox.Delete(ctx, ids); err != nil {
		u.log.Warn("outbox delete failed; the results may be sent again after a restart", "results", len(ids), "err", err)
	}
}

// Send queues r for delivery. It never waits for the coordinator (it blocks
// only to write r to the outbox, when there is one): when MaxPending results
// are waiting, the oldest is dropped. A result whose id is pending already
// is ignored. r belongs to the uplink from now on; the caller must not
// change it.
func (u *Uplink) Send(r *vigilv1.Result) {
	if r.GetId() == "" {
		u.rejected.Add(1)
		u.log.Error("result without id dropped", "check_id", r.GetCheckId())
		return
	}
	// Marshal once to learn the size and to catch what gRPC would refuse
	// to marshal on every session (invalid UTF-8 in a string).
	b, err := proto.Marshal(r)
	if err != nil {
		u.rejected.Add(1)
		u.log.Error("result that does not marshal dropped", "result_id", r.GetId(), "check_id", r.GetCheckId(), "err", err)
		return
	}
	size := len(b)
	if size > maxResultBytes {
		u.rejected.Add(1)
		u.log.Error("result too large to deliver dropped", "result_id", r.GetId(), "check_id", r.GetCheckId(), "bytes", size, "max_bytes", maxResultBytes)
		return
	}
	if u.cfg.Outbox != nil {
		ctx, cancel := context.WithTimeout(context.Background(), outboxTimeout)
		err := u.cfg.Outbox.Put(ctx, r.GetId(), b)
		cancel()
		if err != nil {
			u.log.Warn("outbox write failed; the result is kept in memory only", "result_id", r.GetId(), "err", err)
		}
	}
	dropped, ok := u.pending.push(r, size)
	if !ok {
		u.log.Debug("result pending already", "result_id", r.GetId())
		return
	}
	if dropped != nil {
		u.dropped.Add(1)
		u.logDrop(dropped)
		u.forget([]string{dropped.id})
	}
	select {
	case u.notify <- struct{}{}:
	default:
	}
}

// logDrop logs a drop from a full pending set, at most once per dropLogEvery.
func (u *Uplink) logDrop(e *entry) {
	u.dropLogMu.Lock()
	u.dropsNotLog++
	now := time.Now()
	if now.Sub(u.lastDropLog) < dropLogEvery {
		u.dropLogMu.Unlock()
		return
	}
	n := u.dropsNotLog
	u.dropsNotLog, u.lastDropLog = 0, now
	u.dropLogMu.Unlock()
	u.log.Warn("pending results full, oldest dropped", "dropped", n, "dropped_total", u.dropped.Load(),
		"result_id", e.id, "check_id", e.res.GetCheckId(), "max_pending", u.cfg.MaxPending)
}

// Pending returns the number of unacknowledged results.
func (u *Uplink) Pending() int { return u.pending.len() }

// Connected reports whether a session is open.
func (u *Uplink) Connected() bool { return u.connected.Load() }

// Stats returns the counters.
func (u *Uplink) Stats() Stats {
	return Stats{
		Sent:     u.sent.Load(),
		Acked:    u.acked.Load(),
		Dropped:  u.dropped.Load(),
		Rejected: u.rejected.Load(),
		Sessions: u.sessions.Load(),
		Resent:   u.resent.Load(),
		Restored: u.restored.Load(),
	}
}

// Run keeps a session with the coordinator open until ctx is done, opening a
// new one after a jittered, exponential backoff whenever it ends. It returns
// nil once ctx is done and all its goroutines have stopped, or an error when
// it cannot start. Run may be called again after it returns, not while it
// runs.
func (u *Uplink) Run(ctx context.Context) error {
	if !u.running.CompareAndSwap(false, true) {
		return errors.New("uplink: run is running already")
	}
	defer u.running.Store(false)

	if u.cfg.Addr != "" {
		conn, err := grpc.NewClient(u.cfg.Addr, u.dialOptions()...)
		if err != nil {
			return fmt.Errorf("create client for %s: %w", u.cfg.Addr, err)
		}
		defer conn.Close()
		client := vigilv1.NewProbeServiceClient(conn)
		u.addr.Store(u.cfg.Addr)
		bo := &backoff{cfg: u.cfg.Backoff, rand: u.rand}
		u.loop(ctx, bo, func(ctx context.Context) sessionResult { return u.session(ctx, client) })
		return nil
	}

	// Resolved: one client per address, replaced when the resolver moves
	// to another coordinator.
	var (
		conn     *grpc.ClientConn
		connAddr string
	)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	bo := &backoff{cfg: u.cfg.Backoff, rand: u.rand}
	u.loop(ctx, bo, func(ctx context.Context) sessionResult {
		addr, err := u.cfg.Resolve()
		if err != nil {
			return sessionResult{err: fmt.Errorf("resolve coordinator: %w", err)}
		}
		if conn == nil || addr != connAddr {
			if conn != nil {
				conn.Close()
			}
			c, err := grpc.NewClient(addr, u.dialOptions()...)
			if err != nil {
				conn = nil
				return sessionResult{err: fmt.Errorf("create client for %s: %w", addr, err)}
			}
			conn, connAddr = c, addr
		}
		u.addr.Store(addr)
		return u.session(ctx, vigilv1.NewProbeServiceClient(conn))
	})
	return nil
}

// Addr returns the address of the coordinator of the current (or last)
// session; empty before the first.
func (u *Uplink) Addr() string {
	a, _ := u.addr.Load().(string)
	return a
}

func (u *Uplink) dialOptions() []grpc.DialOption {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                keepaliveTime,
			Timeout:             keepaliveTimeout,
			PermitWithoutStream: true,
		}),
		// gRPC's own reconnect backoff (up to 120s by default) would hold
		// the connection down long after the coordinator is back: keep it
		// in step with the session backoff.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: grpcbackoff.Config{
				BaseDelay:  u.cfg.Backoff.Base,
				Multiplier: 1.6,
				Jitter:     u.cfg.Backoff.Jitter,
				MaxDelay:   u.cfg.Backoff.Max,
			},
			MinConnectTimeout: openTimeout,
		}),
	}
	return append(opts, u.cfg.DialOptions...)
}

// loop runs sessions until ctx is done, waiting bo's delay between them.
func (u *Uplink) loop(ctx context.Context, bo *backoff, session func(context.Context) sessionResult) {
	for {
		res := session(ctx)
		if ctx.Err() != nil {
			return
		}
		if res.healthy {
			bo.reset()
		}
		d := bo.next()
		u.logSessionEnd(res, d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
