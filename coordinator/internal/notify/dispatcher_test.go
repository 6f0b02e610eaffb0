package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/testlog"
)

// deadLetter is one OnDeadLetter call.
type deadLetter struct {
	channel string
	m       Message
	err     error
}

// harness runs a Dispatcher for one test and records its callbacks.
type harness struct {
	d        *Dispatcher
	attempts chan Attempt
	dead     chan deadLetter
	cancel   context.CancelFunc
	stopped  chan struct{} // closed when Run returned
}

// startDispatcher runs a Dispatcher over cfg (its callbacks and logger are
// set here) until the test ends or h.stop.
func startDispatcher(t *testing.T, cfg DispatcherConfig) *harness {
	t.Helper()
	h := newHarness(t, cfg)
	h.run(t)
	return h
}

// newHarness builds the Dispatcher without running it.
func newHarness(t *testing.T, cfg DispatcherConfig) *harness {
	h := &harness{
		attempts: make(chan Attempt, 4096),
		dead:     make(chan deadLetter, 4096),
		stopped:  make(chan struct{}),
	}
	cfg.OnAttempt = func(a Attempt) { h.attempts <- a }
	cfg.OnDeadLetter = func(ch string, m Message, err error) { h.dead <- deadLetter{ch, m, err} }
	cfg.Logger = testlog.New(t)
	h.d = NewDispatcher(cfg)
	return h
}

func (h *harness) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.stopped)
		h.d.Run(ctx)
	}()
	t.Cleanup(func() { h.stop(t) })
}

// stop cancels Run's context and waits until Run returned.
func (h *harness) stop(t *testing.T) {
	t.Helper()
	h.cancel()
	select {
	case <-h.stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20s of its context's end")
	}
}

// flush waits for the Dispatcher to go idle.
func (h *harness) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// drainAttempts returns the attempts recorded so far.
func (h *harness) drainAttempts() []Attempt {
	var out []Attempt
	for {
		select {
		case a := <-h.attempts:
			out = append(out, a)
		default:
			return out
		}
	}
}

// drainDead returns the dead letters recorded so far.
func (h *harness) drainDead() []deadLetter {
	var out []deadLetter
	for {
		select {
		case d := <-h.dead:
			out = append(out, d)
		default:
			return out
		}
	}
}

// attemptSummary renders attempts one line each, for comparisons.
func attemptSummary(as []Attempt) []string {
	out := make([]string, len(as))
	for i, a := range as {
		res := "ok"
		if a.Err != nil {
			res = "err"
		}
		out[i] = fmt.Sprintf("%s %s %s try %d %s final=%v", a.Channel, a.IncidentID, a.Event, a.Try, res, a.Final)
	}
	return out
}

func assertAttempts(t *testing.T, got []Attempt, want ...string) {
	t.Helper()
	if g := attemptSummary(got); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("attempts:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

func TestDispatcherRetriesUntilDelivered(t *testing.T) {
	rc := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	const secret = "whsec-retry"
	hook := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL, Secret: secret})
	h := startDispatcher(t, DispatcherConfig{Notifiers: map[string]Notifier{"ops": hook}, Backoff: time.Millisecond})

	m := testMessage()
	if err := h.d.Send("ops", m); err != nil {
		t.Fatal(err)
	}
	m.Regions[0].Region = "changed-after-send" // Send must have taken a copy
	h.flush(t)

	as := h.drainAttempts()
	assertAttempts(t, as,
		"ops inc-42 trigger try 1 err final=false",
		"ops inc-42 trigger try 2 err final=false",
		"ops inc-42 trigger try 3 ok final=true",
	)
	for _, a := range as[:2] {
		if errors.Is(a.Err, ErrPermanent) || !strings.Contains(a.Err.Error(), "got HTTP 503") {
			t.Errorf("try %d error = %v, want a retryable HTTP 503", a.Try, a.Err)
		}
	}
	if dl := h.drainDead(); len(dl) != 0 {
		t.Errorf("dead letters %v, want none", dl)
	}
	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	id := reqs[0].Header.Get("X-Vigil-Delivery")
	for i, r := range reqs {
		if got := r.Header.Get("X-Vigil-Delivery"); got != id || got == "" {
			t.Errorf("request %d: X-Vigil-Delivery %q, want %q on every retry", i+1, got, id)
		}
		if !Verify(secret, r.Header.Get("X-Vigil-Timestamp"), r.Body, r.Header.Get("X-Vigil-Signature")) {
			t.Errorf("request %d: signature does not verify", i+1)
		}
		if !strings.Contains(string(r.Body), `"region":"eu-west"`) || strings.Contains(string(r.Body), "changed-after-send") {
			t.Errorf("request %d: body %s, want the message as it was sent", i+1, r.Body)
		}
	}

	// The next message is a new delivery.
	if err := h.d.Send("ops", m); err != nil {
		t.Fatal(err)
	}
	h.flush(t)
	if got := rc.requests()[3].Header.Get("X-Vigil-Delivery"); got == id {
		t.Errorf("second message reused delivery id %q", got)
	}
}

func TestDispatcherPermanentErrorDeadLettersAtOnce(t *testing.T) {
	rc := newReceiver(t, always(http.StatusBadRequest))
	hook := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL})
	h := startDispatcher(t, DispatcherConfig{Notifiers: map[string]Notifier{"ops": hook}, Backoff: time.Millisecond})

	if err := h.d.Send("ops", testMessage()); err != nil {
		t.Fatal(err)
	}
	h.flush(t)

	as := h.drainAttempts()
	assertAttempts(t, as, "ops inc-42 trigger try 1 err final=true")
	dl := h.drainDead()
	if len(dl) != 1 {
		t.Fatalf("dead letters %v, want 1", dl)
	}
	if dl[0].channel != "ops" || dl[0].m.IncidentID != "inc-42" || !errors.Is(dl[0].err, ErrPermanent) {
		t.Errorf("dead letter %+v, want ops inc-42 with a permanent error", dl[0])
	}
	if got := len(rc.requests()); got != 1 {
		t.Errorf("receiver got %d requests, want 1", got)
	}
}

func TestDispatcherReceiverThatNeverAnswers(t *testing.T) {
	rc := newReceiver(t, always(hang))
	hook := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL, Timeout: 50 * time.Millisecond})
	h := startDispatcher(t, DispatcherConfig{Notifiers: map[string]Notifier{"ops": hook}, Tries: 3, Backoff: time.Millisecond})

	if err := h.d.Send("ops", testMessage()); err != nil {
		t.Fatal(err)
	}
	h.flush(t)

	as := h.drainAttempts()
	assertAttempts(t, as,
		"ops inc-42 trigger try 1 err final=false",
		"ops inc-42 trigger try 2 err final=false",
		"ops inc-42 trigger try 3 err final=true",
	)
	for _, a := range as {
		var ne net.Error
		if !errors.As(a.Err, &ne) || !ne.Timeout() {
			t.Errorf("try %d: error %v, want a timeout", a.Try, a.Err)
		}
	}
	dl := h.drainDead()
	if len(dl) != 1 || errors.Is(dl[0].err, ErrPermanent) || !strings.HasPrefix(dl[0].err.Error(), "gave up after 3 tries: ") {
		t.Fatalf("dead letters %v, want one that gave up after 3 tries", dl)
	}
	if got := len(rc.requests()); got != 3 {
		t.Errorf("receiver got %d requests, want 3", got)
	}
}

// Every message fails once before it passes, so each one is retried; they
// must still arrive in the order they were sent, acknowledges and resolves
// after their triggers.
func TestDispatcherKeepsOrderPerChannel(t *testing.T) {
	rc := newReceiver(t, func(n int) int {
		if n%2 == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	hook := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL})
	h := startDispatcher(t, DispatcherConfig{Notifiers: map[string]Notifier{"ops": hook}, Backoff: time.Millisecond})

	events := []Event{EventTrigger, EventReminder, EventAcknowledge, EventResolve}
	var want []string
	for i := range 12 {
		m := testMessage()
		m.IncidentID = fmt.Sprintf("inc-%d", i/len(events))
		m.Event = events[i%len(events)]
		m.Title = fmt.Sprintf("message %02d", i)
		if err := h.d.Send("ops", m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m.IncidentID+" "+string(m.Event)+" "+m.Title)
	}
	h.flush(t)

	reqs := rc.requests()
	if len(reqs) != 2*len(want) {
		t.Fatalf("receiver got %d requests, want %d (each message twice)", len(reqs), 2*len(want))
	}
	for i, w := range want {
		for _, r := range reqs[2*i : 2*i+2] {
			var doc webhookPayload
			if err := json.Unmarshal(r.Body, &doc); err != nil {
				t.Fatal(err)
			}
			if got := doc.IncidentID + " " + string(doc.Event) + " " + doc.Title; got != w {
				t.Fatalf("message %d arrived as %q, want %q", i, got, w)
			}
		}
	}
	if dl := h.drainDead(); len(dl) != 0 {
		t.Errorf("dead letters %v, want none", dl)
	}
}

// A channel whose receiver hangs must not hold up another channel; when Run's
// context ends, the hung attempt is cancelled and its message dead-lettered.
func TestDispatcherDeadChannelDoesNotDelayOthers(t *testing.T) {
	dead := newReceiver(t, always(hang))
	live := newReceiver(t, always(http.StatusOK))
	h := startDispatcher(t, DispatcherConfig{
		Notifiers: map[string]Notifier{
			// The timeout outlasts every wait in this test: only Run's
			// context ending can stop this attempt.
			"dead": mustNew(t, Channel{Name: "dead", Type: "webhook", URL: dead.URL, Timeout: time.Hour}),
			"live": mustNew(t, Channel{Name: "live", Type: "slack", URL: live.URL}),
		},
		Backoff: time.Millisecond,
	})

	if err := h.d.Send("dead", testMessage()); err != nil {
		t.Fatal(err)
	}
	recv(t, dead.got, "request to the dead channel") // its attempt is now in flight
	for i := range 5 {
		m := testMessage()
		m.IncidentID = fmt.Sprintf("inc-%d", i)
		if err := h.d.Send("live", m); err != nil {
			t.Fatal(err)
		}
		// Blocks until delivered: it would never come if the live channel
		// waited behind the dead one.
		a := recv(t, h.attempts, "attempt on the live channel")
		if a.Channel != "live" || a.Err != nil || !a.Final {
			t.Fatalf("attempt %+v, want a delivery on live", a)
		}
	}
	if got := len(live.requests()); got != 5 {
		t.Errorf("live receiver got %d requests, want 5", got)
	}

	h.stop(t)
	dl := h.drainDead()
	if len(dl) != 1 || dl[0].channel != "dead" || !errors.Is(dl[0].err, ErrStopped) || !errors.Is(dl[0].err, context.Canceled) {
		t.Fatalf("dead letters %v, want the dead channel's message, stopped by cancellation", dl)
	}
	as := h.drainAttempts()
	assertAttempts(t, as, "dead inc-42 trigger try 1 err final=true")
}

// A cancelled context ends the wait between retries at once, even a long one.
func TestDispatcherCancelStopsRetries(t *testing.T) {
	rc := newReceiver(t, always(http.StatusServiceUnavailable))
	hook := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL})
	h := startDispatcher(t, DispatcherConfig{Notifiers: map[string]Notifier{"ops": hook}, Backoff: time.Hour})

	if err := h.d.Send("ops", testMessage()); err != nil {
		t.Fatal(err)
	}
	a := recv(t, h.attempts, "first attempt")
	if a.Final {
		t.Fatalf("first attempt %+v is final, want a retry to be pending", a)
	}
	h.stop(t) // fails the test if Run waits out the hour

	dl := h.drainDead()
	if len(dl) != 1 {
		t.Fatalf("dead letters %v, want 1", dl)
	}
	err := dl[0].err
	if !errors.Is(err, ErrStopped) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "got HTTP 503") {
		t.Errorf("dead letter error %q, want it stopped by cancellation, with the last HTTP 503", err)
	}
	if got := len(rc.requests()); got != 1 {
		t.Errorf("receiver got %d requests, want 1", got)
	}
	if err := h.d.Send("ops", testMessage()); !errors.Is(err, ErrStopped) {
		t.Errorf("Send after Run returned = %v, want ErrStopped", err)
	}
}

func TestDispatcherSendErrorsAndShutdownDrain(t *testing.T) {
	rc := newReceiver(t, always(http.StatusOK))
	hook := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL})
	h := newHarness(t, DispatcherConfig{Notifiers: map[string]Notifier{"ops": hook}})

	if err := h.d.Send("nope", testMessage()); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("Send to an unknown channel = %v, want ErrUnknownChannel", err)
	}
	// Not running yet: the queue fills, and Send says so instead of blocking.
	for i := range queueSize {
		if err := h.d.Send("ops", testMessage()); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	err := h.d.Send("ops", testMessage())
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Send to a full queue = %v, want ErrQueueFull", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.d.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush with a cancelled context = %v, want context.Canceled", err)
	}

	// Run with an ended context delivers nothing and dead-letters the queue.
	h.d.Run(ctx)
	if err := h.d.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Run: %v", err)
	}
	if got := len(h.drainDead()); got != queueSize {
		t.Errorf("%d dead letters, want %d", got, queueSize)
	}
	if got := len(rc.requests()); got != 0 {
		t.Errorf("receiver got %d requests, want 0", got)
	}
	if err := h.d.Send("ops", testMessage()); !errors.Is(err, ErrStopped) {
		t.Errorf("Send after Run returned = %v, want ErrStopped", err)
	}
}

func TestDispatcherDefaultsAndBackoff(t *testing.T) {
	d := NewDispatcher(DispatcherConfig{})
	if d.tries != 5 || d.backoff != time.Second || d.maxBackoff != time.Minute {
		t.Errorf("defaults: tries %d, backoff %s, max %s; want 5, 1s, 1m", d.tries, d.backoff, d.maxBackoff)
	}

	d = NewDispatcher(DispatcherConfig{Backoff: time.Second, MaxBackoff: 5 * time.Second})
	tests := []struct {
		rand float64
		want []time.Duration // after tries 1..6
	}{
		{0, []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}},
		{0.5, []time.Duration{900 * time.Millisecond, 1800 * time.Millisecond, 3600 * time.Millisecond, 4500 * time.Millisecond, 4500 * time.Millisecond, 4500 * time.Millisecond}},
	}
	for _, tt := range tests {
		d.rand = func() float64 { return tt.rand }
		for i, want := range tt.want {
			if got := d.delay(i + 1); got != want {
				t.Errorf("rand %v: delay after try %d = %s, want %s", tt.rand, i+1, got, want)
			}
		}
	}
	d.rand = func() float64 { return 0.999999 }
	if got := d.delay(1); got <= 800*time.Millisecond || got > time.Second {
		t.Errorf("largest jitter: delay %s, want in (800ms, 1s]", got)
	}
}

// TestDispatcherHonoursRetryAfter: a receiver that is rate limiting says
// when to come back; the next try waits at least that long, not the short
// backoff.
func TestDispatcherHonoursRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	hook := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: srv.URL})
	h := startDispatcher(t, DispatcherConfig{Notifiers: map[string]Notifier{"ops": hook}, Backoff: time.Millisecond})
	if err := h.d.Send("ops", testMessage()); err != nil {
		t.Fatal(err)
	}
	h.flush(t)
	as := h.drainAttempts()
	assertAttempts(t, as, "ops inc-42 trigger try 1 err final=false", "ops inc-42 trigger try 2 ok final=true")
	if after, ok := RetryAfter(as[0].Err); !ok || after != time.Second {
		t.Errorf("first error %v: Retry-After %v, %v; want 1s", as[0].Err, after, ok)
	}
	if gap := as[1].At.Sub(as[0].At); gap < time.Second {
		t.Errorf("second try %v after the first, want at least the 1s the receiver asked for", gap)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"Sun, 29 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sun, 29 Nov 2026 11:00:00 GMT", 0, true}, // in the past: now
	} {
		got, ok := retryAfter(tt.v, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}
