package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Dispatcher defaults; DispatcherConfig's zero fields take them.
const (
	// defaultTries is 5: with the default backoff, retries span about 15s
	// (1+2+4+8s), which rides over a receiver's restart or a brief outage
	// without holding a channel's queue for minutes.
	defaultTries = 5
	// defaultBackoff is 1s: a second try soon after a dropped connection,
	// without hammering a receiver that answered 503.
	defaultBackoff = time.Second
	// defaultMaxBackoff is 1m, which only matters when Tries is raised.
	defaultMaxBackoff = time.Minute
	// queueSize bounds each channel's queue. A channel that has been down
	// long enough to queue 1024 messages is better told "queue full" than
	// left to grow memory.
	queueSize = 1024
	// backoffJitter is how much shorter than the nominal delay a retry may
	// come (20%), so channels that failed together do not retry in step.
	backoffJitter = 0.2
	// maxRetryAfter caps how long a receiver's Retry-After may hold the
	// channel's queue: a page must not wait an hour behind one answer.
	maxRetryAfter = 5 * time.Minute
)

var (
	// ErrQueueFull is returned by Send when the channel's queue is full.
	ErrQueueFull = errors.New("queue full")
	// ErrUnknownChannel is returned by Send for a channel the Dispatcher
	// has no Notifier for.
	ErrUnknownChannel = errors.New("unknown channel")
	// ErrStopped is returned by Send once Run has returned, and wrapped in
	// the dead-letter error of a message that Run's end cut short.
	ErrStopped = errors.New("dispatcher stopped")
)

// Attempt reports one delivery attempt to DispatcherConfig.OnAttempt.
type Attempt struct {
	Channel    string
	IncidentID string
	Event      Event
	// Try counts from 1.
	Try int
	// At is when the attempt started.
	At time.Time
	// Err is nil when the message was delivered.
	Err error
	// Final is true on the last attempt for this message: it was delivered,
	// or it failed for good and goes to OnDeadLetter.
	Final bool
}

// DispatcherConfig configures a Dispatcher. Zero fields take defaults.
type DispatcherConfig struct {
	// Notifiers maps channel names to their notifiers; none may be nil.
	Notifiers map[string]Notifier
	// Tries is how many attempts a message gets; 0 means 5.
	Tries int
	// Backoff is the delay before the first retry, doubling before each
	// next one, up to MaxBackoff; a retry may come up to 20% sooner
	// (jitter). 0 means 1s.
	Backoff time.Duration
	// MaxBackoff caps the delay between two tries; 0 means 1m.
	MaxBackoff time.Duration
	// OnAttempt, when set, is called after every attempt, from the channel's
	// goroutine: it must not block long, or it delays that channel, and it
	// must be safe for concurrent use, as channels run side by side.
	OnAttempt func(Attempt)
	// OnDeadLetter, when set, is called once for every message that was not
	// delivered: after its last try failed, after a permanent error, or when
	// Run stopped before it was delivered (err then wraps the context's
	// error). Same goroutine rule as OnAttempt.
	OnDeadLetter func(channel string, m Message, err error)
	// Logger receives the dispatcher's logs, already tagged by the caller
	// (component=notify); nil discards them.
	Logger *slog.Logger
}

// Dispatcher delivers messages to channels with retries. Each channel has
// its own bounded queue and goroutine: messages to one channel go out one
// at a time, in the order Send took them, so an acknowledge never overtakes
// its trigger, and a channel that is down and retrying delays only itself.
// Its methods are safe for concurrent use.
type Dispatcher struct {
	tries        int
	backoff      time.Duration
	maxBackoff   time.Duration
	onAttempt    func(Attempt)
	onDeadLetter func(string, Message, error)
	log          *slog.Logger
	rand         func() float64 // in [0, 1), for jitter
	lanes        map[string]*lane

	mu      sync.Mutex
	pending int           // messages queued or in delivery
	idle    chan struct{} // closed while pending == 0
	started bool
	stopped bool
}

// lane is one channel's queue; its goroutine is the only reader.
type lane struct {
	name string
	n    Notifier
	q    chan queued
}

// queued is a message waiting for delivery, with the delivery id that all
// its attempts share.
type queued struct {
	m  Message
	id string
}

// NewDispatcher returns a Dispatcher for cfg's channels. Nothing is
// delivered until Run is called. It panics when a Notifier is nil.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	d := &Dispatcher{
		tries:        orDefault(cfg.Tries, defaultTries),
		backoff:      orDefault(cfg.Backoff, defaultBackoff),
		maxBackoff:   orDefault(cfg.MaxBackoff, defaultMaxBackoff),
		onAttempt:    cfg.OnAttempt,
		onDeadLetter: cfg.OnDeadLetter,
		log:          cfg.Logger,
		rand:         rand.Float64,
		lanes:        make(map[string]*lane, len(cfg.Notifiers)),
		idle:         make(chan struct{}),
	}
	close(d.idle)
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.maxBackoff < d.backoff {
		d.maxBackoff = d.backoff
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Notifiers)) {
		n := cfg.Notifiers[name]
		if n == nil {
			panic(fmt.Sprintf("notify: NewDispatcher: channel %q has a nil Notifier", name))
		}
		d.lanes[name] = &lane{name: name, n: n, q: make(chan queued, queueSize)}
	}
	return d
}

// orDefault returns v, or def when v is not positive.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Send queues m for channel and returns at once; it never blocks. It fails
// with ErrUnknownChannel, ErrQueueFull or ErrStopped (wrapped). Send takes
// a copy of m, so the caller may reuse m.Regions afterwards.
func (d *Dispatcher) Send(channel string, m Message) error {
	l, ok := d.lanes[channel]
	if !ok {
		return fmt.Errorf("send to channel %q: %w", channel, ErrUnknownChannel)
	}
	m.Regions = slices.Clone(m.Regions)
	q := queued{m: m, id: newDeliveryID()}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return fmt.Errorf("send to channel %q: %w", channel, ErrStopped)
	}
	select {
	case l.q <- q:
	default:
		return fmt.Errorf("send to channel %q: %w (%d messages)", channel, ErrQueueFull, queueSize)
	}
	if d.pending == 0 {
		d.idle = make(chan struct{})
	}
	d.pending++
	return nil
}

// Flush waits until every message queued so far has been delivered or
// dead-lettered, or until ctx is done. Run must be running (or have
// returned) for Flush to return nil.
func (d *Dispatcher) Flush(ctx context.Context) error {
	d.mu.Lock()
	idle := d.idle
	d.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush notifications: %w", ctx.Err())
	}
}

// Run delivers messages until ctx is done, then dead-letters what is still
// queued and returns once all its goroutines have stopped. A cancelled ctx
// stops retries at once and cancels attempts in flight. Call Run once; a
// second call returns at once.
func (d *Dispatcher) Run(ctx context.Context) {
	d.mu.Lock()
	if d.started {
		d.mu.Unlock()
		d.log.Error("dispatcher Run called twice; the second call does nothing")
		return
	}
	d.started = true
	d.mu.Unlock()

	var wg sync.WaitGroup
	for _, l := range d.lanes {
		wg.Go(func() { d.work(ctx, l) })
	}
	<-ctx.Done()
	wg.Wait()

	d.mu.Lock()
	d.stopped = true // Send queues nothing more, so the drain below is complete
	d.mu.Unlock()
	for _, l := range d.lanes {
		for drained := false; !drained; {
			select {
			case q := <-l.q:
				d.deadLetter(l, q, stoppedError(ctx, 0, nil))
			default:
				drained = true
			}
		}
	}
}

// work is channel l's goroutine.
func (d *Dispatcher) work(ctx context.Context, l *lane) {
	for {
		select {
		case <-ctx.Done():
			return
		case q := <-l.q:
			d.deliver(ctx, l, q)
		}
	}
}

// deliver tries q until it is delivered, fails for good, or ctx is done.
func (d *Dispatcher) deliver(ctx context.Context, l *lane, q queued) {
	log := d.log.With("channel", l.name, "incident", q.m.IncidentID, "event", q.m.Event, "delivery", q.id)
	sendCtx := WithDeliveryID(ctx, q.id)
	var err error
	for try := 1; ; try++ {
		if ctx.Err() != nil {
			d.deadLetter(l, q, stoppedError(ctx, try-1, err))
			return
		}
		at := time.Now()
		err = l.n.Send(sendCtx, q.m)
		final := err == nil || errors.Is(err, ErrPermanent) || try >= d.tries || ctx.Err() != nil
		if d.onAttempt != nil {
			d.onAttempt(Attempt{Channel: l.name, IncidentID: q.m.IncidentID, Event: q.m.Event, Try: try, At: at, Err: err, Final: final})
		}
		switch {
		case err == nil:
			log.Info("notification delivered", "try", try)
			d.done()
			return
		case ctx.Err() != nil:
			d.deadLetter(l, q, stoppedError(ctx, try, err))
			return
		case errors.Is(err, ErrPermanent):
			d.deadLetter(l, q, fmt.Errorf("refused on try %d: %w", try, err))
			return
		case final:
			d.deadLetter(l, q, fmt.Errorf("gave up after %d tries: %w", try, err))
			return
		}
		wait := d.delay(try)
		if after, ok := RetryAfter(err); ok {
			// The receiver asked to wait (rate limited or in
			// maintenance): at least that long, within reason.
			wait = max(wait, min(after, maxRetryAfter))
		}
		log.Warn("notification attempt failed, will retry", "try", try, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// stoppedError is the dead-letter error of a message that Run's end cut
// short after tries attempts, the last failing with last.
func stoppedError(ctx context.Context, tries int, last error) error {
	if last == nil {
		return fmt.Errorf("%w after %d tries: %w", ErrStopped, tries, context.Cause(ctx))
	}
	return fmt.Errorf("%w after %d tries: %w (last error: %w)", ErrStopped, tries, context.Cause(ctx), last)
}

// delay is the wait after failed try number try (1 for the first): Backoff
// doubled try-1 times, capped at MaxBackoff, then up to 20% shorter.
func (d *Dispatcher) delay(try int) time.Duration {
	b := d.backoff
	for i := 1; i < try && b < d.maxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.maxBackoff)
	return b - time.Duration(d.rand()*backoffJitter*float64(b))
}

// deadLetter gives q up with err and counts it done.
func (d *Dispatcher) deadLetter(l *lane, q queued, err error) {
	d.log.Error("notification not delivered", "channel", l.name, "incident", q.m.IncidentID,
		"event", q.m.Event, "delivery", q.id, "err", err)
	if d.onDeadLetter != nil {
		d.onDeadLetter(l.name, q.m, err)
	}
	d.done()
}

// done counts one message delivered or dead-lettered.
func (d *Dispatcher) done() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pending--
	if d.pending == 0 {
		close(d.idle)
	}
}
