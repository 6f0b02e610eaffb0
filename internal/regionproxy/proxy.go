// Package regionproxy is a forward HTTP proxy that stands for one cloud
// region: probes of a simulated region send their browser and HTTP traffic
// through it. It tags plain-HTTP requests with the region (so the demo shop
// can scope faults to it), adds latency, and can blackhole traffic.
//
// Failures look like network failures, never like proxy errors: when the
// upstream refuses or drops a connection the proxy drops the client's
// connection without a response, so a browser behind it sees the same class
// of error as one without a proxy, not a 502 page.
package regionproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// regionHeader carries the region to the upstream. It is the same string as
// shop.RegionHeader; the proxy does not import the shop.
const regionHeader = "X-Vigil-Region"

// Config configures a Proxy.
type Config struct {
	Region  string        // required; sent upstream as X-Vigil-Region
	Latency time.Duration // added once per request (plain HTTP) / per tunnel connection setup (CONNECT)
	Logger  *slog.Logger  // nil: discard; the caller tags it (component=regionproxy), the proxy adds region
}

// Proxy is a running region proxy. Its methods are safe for concurrent use.
type Proxy struct {
	region    string
	log       *slog.Logger
	latency   atomic.Int64 // time.Duration
	blackhole atomic.Bool
	held      atomic.Int32 // requests held by latency or the blackhole right now

	ln        net.Listener
	srv       *http.Server
	transport *http.Transport
	dialer    *net.Dialer

	// ctx is the base of every request's context; Close cancels it, which
	// releases requests held by latency or blackhole and aborts upstream
	// calls.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	tunnels map[net.Conn]struct{} // hijacked client and upstream conns of live tunnels
	// wg counts the serve loop, the server's connection goroutines (from
	// StateNew to StateClosed or StateHijacked), running handlers and
	// tunnel copiers. Close waits for it.
	wg sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Listen starts a proxy on addr (such as "127.0.0.1:0") serving in its own
// goroutine. Close stops it.
func Listen(addr string, cfg Config) (*Proxy, error) {
	if cfg.Region == "" {
		return nil, errors.New("regionproxy: empty region")
	}
	if cfg.Latency < 0 {
		return nil, fmt.Errorf("regionproxy: negative latency %s", cfg.Latency)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("regionproxy: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		region:  cfg.Region,
		log:     log.With("region", cfg.Region),
		ln:      ln,
		ctx:     ctx,
		cancel:  cancel,
		tunnels: map[net.Conn]struct{}{},
		dialer: &net.Dialer{
			// Bounds a connect to an address that drops SYNs; requests are
			// bounded by their own context first.
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		},
	}
	p.latency.Store(int64(cfg.Latency))
	p.transport = &http.Transport{
		Proxy:       nil, // never a proxy from the environment: this is the network
		DialContext: p.dialer.DialContext,
		// Pass Accept-Encoding and bodies through untouched.
		DisableCompression: true,
		// A proxy in front of a few targets: a small warm pool per host.
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	p.srv = &http.Server{
		Handler: p,
		// Clients send headers at once; this only bounds idle sockets that
		// never send a request.
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return p.ctx },
		ConnState:         p.trackConn,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("serve", "err", err)
		}
	}()
	p.log.Info("region proxy listening", "addr", ln.Addr().String(), "latency", cfg.Latency)
	return p, nil
}

// URL returns the proxy's URL, "http://127.0.0.1:PORT", for use as an
// HTTP(S) proxy.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Region returns the region the proxy stands for.
func (p *Proxy) Region() string { return p.region }

// SetLatency changes the latency added to requests and tunnel setups that
// start from now on. Negative values count as zero.
func (p *Proxy) SetLatency(d time.Duration) {
	p.latency.Store(int64(max(d, 0)))
	p.log.Info("latency changed", "latency", max(d, 0))
}

// SetBlackhole turns the blackhole on or off. While on, the proxy accepts
// connections and requests and never answers, as if the region's packets
// were dropped: held requests end only when their client gives up or the
// proxy closes (turning the blackhole off does not release them), and live
// tunnels silently drop the data they carry from then on.
func (p *Proxy) SetBlackhole(on bool) {
	p.blackhole.Store(on)
	p.log.Info("blackhole changed", "on", on)
}

// Close stops serving, closes every client, tunnel and upstream connection,
// and waits for the proxy's goroutines to finish. It is idempotent; every
// call returns the first call's result.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		tunnels := p.tunnels
		p.tunnels = nil
		p.mu.Unlock()

		p.cancel()
		// Close the listener and every connection the server still tracks;
		// hijacked ones are ours to close.
		if err := p.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			p.closeErr = fmt.Errorf("regionproxy: close: %w", err)
		}
		for c := range tunnels {
			_ = c.Close()
		}
		p.wg.Wait()
		// Handlers have returned their upstream connections to the pool.
		p.transport.CloseIdleConnections()
		p.log.Info("region proxy closed")
	})
	return p.closeErr
}

// trackConn counts the server's connection goroutines in wg. StateNew is
// reported by the serve loop (itself counted), so the count cannot be zero
// while Close waits.
func (p *Proxy) trackConn(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		p.wg.Add(1)
	case http.StateHijacked, http.StateClosed:
		p.wg.Done()
	}
}

// enter counts a handler or copier goroutine in wg, unless the proxy is
// closing. The caller must call p.wg.Done when enter returns true.
func (p *Proxy) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	return true
}

// ServeHTTP handles absolute-form requests (plain HTTP) and CONNECT.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.enter() {
		drop(w)
		return
	}
	defer p.wg.Done()

	if r.Method != http.MethodConnect && !r.URL.IsAbs() {
		http.Error(w, "vigil region proxy: send absolute-form requests or CONNECT", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	if !p.hold(ctx) {
		drop(w)
		return
	}
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	p.forward(w, r)
}

// hold delays a request by the current latency, then holds it for good
// while the blackhole is on. It reports whether the request may go on:
// false when ctx ended first (the client gave up, or Close).
func (p *Proxy) hold(ctx context.Context) bool {
	d := time.Duration(p.latency.Load())
	if d <= 0 && !p.blackhole.Load() {
		return ctx.Err() == nil
	}
	p.held.Add(1)
	defer p.held.Add(-1)
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	if p.blackhole.Load() {
		<-ctx.Done()
		return false
	}
	return true
}

// drop closes the client's connection without writing a response.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, which this server does not speak, or
		// already hijacked): abort, which also sends no response.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
