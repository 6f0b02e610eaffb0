// Package browser runs browser checks: a scripted flow (goto, click, fill,
// select, expect...) in a real Chromium, driven over the DevTools protocol
// with chromedp.
//
// A Runner keeps one warm Chromium and gives every run a fresh incognito
// browser context (no cookies or cache carried over) in a window of its
// own. Each step has a deadline, and the whole flow has the deadline of the
// run's context. The result carries per-step timings, the first page's
// navigation timing and Web Vitals (LCP, CLS), failed requests, console
// errors and uncaught exceptions, and a small JPEG of the page at the
// failing step.
//
// The browser is restarted after Config.RecycleAfter runs (Chromium's
// memory creeps), and whenever it stops answering, crashes or misbehaves at
// the protocol level. Failures of the browser are probe errors, never
// failures of the site.
//
// How a run works (files): launch.go starts Chromium in its own process
// group and kills the group; browser.go keeps the current browser and
// recycles it; tab.go opens each run's tab, one ahead of time; run.go runs
// the flow and assembles the result; steps.go and find.go do the steps:
// elements are found by a script in an isolated world of the page (find in
// js.go) and clicked with real mouse events; events.go records what the tab
// reports (navigations, statuses, failures, console, vitals), so that steps
// wait on events instead of polling the browser, and console.go and
// vitals.go turn it into result fields; classify.go and screenshot.go turn
// a failure into a class, a message and a picture.
package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/vigilhq/vigil/probe/internal/runner"
)

// Config configures a Runner. The zero value of each field means its
// default.
type Config struct {
	// ExecPath is the Chromium binary. Default: /usr/lib/chromium/chromium
	// (Debian's binary, without the wrapper script's ~25 ms and its extra
	// flags) when present, else "chromium" on PATH.
	ExecPath string
	// ProxyURL sends all browser traffic through this forward proxy (region
	// simulation), loopback included.
	ProxyURL string
	// RecycleAfter restarts the browser after this many runs. Default 50:
	// a long-lived Chromium grows even with its pages closed, and a restart
	// costs ~0.3 s once every 50 runs.
	RecycleAfter int
	// StepTimeout is the deadline of a step that has no timeout of its own.
	// Default 10s: long enough for a slow page, short enough to report a
	// missing element well within a typical 30 s check timeout.
	StepTimeout time.Duration
	// ScreenshotMaxBytes caps the failing step's JPEG. Default 200 KiB: a
	// readable 1280x800 page, far below gRPC's 4 MiB message limit.
	ScreenshotMaxBytes int
	// Logger receives the runner's logs; nil discards them.
	Logger *slog.Logger
	// ExtraHeaders are sent with every request of every run.
	ExtraHeaders map[string]string
}

// Defaults, see Config.
const (
	defaultExecPath           = "/usr/lib/chromium/chromium"
	defaultRecycleAfter       = 50
	defaultStepTimeout        = 10 * time.Second
	defaultScreenshotMaxBytes = 200 << 10
)

// withDefaults fills in the defaults and finds Chromium.
func (c Config) withDefaults() (Config, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RecycleAfter <= 0 {
		c.RecycleAfter = defaultRecycleAfter
	}
	if c.StepTimeout <= 0 {
		c.StepTimeout = defaultStepTimeout
	}
	if c.ScreenshotMaxBytes <= 0 {
		c.ScreenshotMaxBytes = defaultScreenshotMaxBytes
	}
	if c.ExecPath == "" {
		if _, err := os.Stat(defaultExecPath); err == nil {
			c.ExecPath = defaultExecPath
		} else if p, err := exec.LookPath("chromium"); err == nil {
			c.ExecPath = p
		} else {
			return c, errors.New("chromium not found: install Debian's chromium package or set the Chromium path")
		}
	} else if _, err := exec.LookPath(c.ExecPath); err != nil {
		return c, fmt.Errorf("chromium %q: %w", c.ExecPath, err)
	}
	return c, nil
}

// errClosed is the error of a run after Close.
var errClosed = errors.New("browser runner closed")

// Runner runs browser checks on one warm Chromium. It is safe for
// concurrent use: concurrent runs share the browser, each in its own
// browser context.
//
// Restarts: when the browser starts its Config.RecycleAfter-th run, the
// next browser starts in the background; later runs go to it, and the old
// one is killed once its last run ends, so a routine recycle neither fails
// nor delays a run. When the browser breaks (crash,
// failed health check, protocol error), it is killed at once; runs still on
// it end as probe errors, and the next run starts a new browser.
type Runner struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context // parent of every browser; canceled by Close
	cancel context.CancelFunc
	stop   func() bool // stops closing the runner when New's ctx ends; guarded by mu

	mu       sync.Mutex
	cur      *instance              // the browser that new runs use; nil until (re)started
	spare    *instance              // started ahead of cur's recycle, idle until then
	live     map[*instance]struct{} // every browser not yet killed
	retiring map[*instance]bool
	starting *start // a browser start in progress, nil when none
	gen      int
	closed   bool

	bg        sync.WaitGroup // starts and retirements in progress
	closeOnce sync.Once
	closeErr  error
}

var _ runner.Runner = (*Runner)(nil)

// start is a browser start that runs may wait for.
type start struct {
	done chan struct{}
	err  error
}

// New starts the warm browser and returns a Runner. ctx owns the browser's
// lifetime: when it ends, the runner closes as if Close were called. New
// also removes the browser directories that dead probe processes left in
// os.TempDir, and kills their browsers.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if err := platformCheck(); err != nil {
		return nil, err
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With("component", "browser")
	sweepStale(log)
	rctx, cancel := context.WithCancel(ctx)
	r := &Runner{
		cfg:      cfg,
		log:      log,
		ctx:      rctx,
		cancel:   cancel,
		live:     map[*instance]struct{}{},
		retiring: map[*instance]bool{},
	}
	stop := context.AfterFunc(ctx, func() { _ = r.Close() })
	r.mu.Lock()
	r.stop = stop
	r.mu.Unlock()
	if err := r.warm(ctx); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// warm makes sure a browser is running, starting one when needed.
func (r *Runner) warm(ctx context.Context) error {
	_, err := r.get(ctx, false)
	return err
}

// acquire returns the browser for a new run, starting one when there is
// none or the current one is used up or broken. The caller owns one count
// of the browser's inflight group and releases it when the run (including
// its tab's clean-up) is over. acquire waits for a start no longer than ctx
// allows.
func (r *Runner) acquire(ctx context.Context) (*instance, error) {
	return r.get(ctx, true)
}

// get is acquire when run is true; otherwise it only makes sure that a
// usable browser is current, and counts nothing.
func (r *Runner) get(ctx context.Context, run bool) (*instance, error) {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, errClosed
		}
		if in := r.cur; in != nil {
			switch {
			case in.broken.Load() || in.dead():
				r.retireLocked(in, "broken")
			case in.runs >= r.cfg.RecycleAfter:
				r.retireLocked(in, "recycle")
			case !run:
				r.mu.Unlock()
				return in, nil
			default:
				in.runs++
				in.inflight.Add(1)
				if in.runs == r.cfg.RecycleAfter && r.spare == nil {
					// Its last run: start the next browser now, so that
					// no run waits for it.
					r.startLocked()
				}
				r.mu.Unlock()
				return in, nil
			}
			if r.spare != nil {
				r.cur, r.spare = r.spare, nil
				r.mu.Unlock()
				continue
			}
		}
		s := r.startLocked()
		r.mu.Unlock()
		select {
		case <-s.done:
			if s.err != nil {
				return nil, s.err
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for browser start: %w", ctx.Err())
		}
	}
}

// startLocked starts a browser in the background, unless one is starting
// already, and returns that start. Callers hold r.mu.
func (r *Runner) startLocked() *start {
	if r.starting != nil {
		return r.starting
	}
	s := &start{done: make(chan struct{})}
	r.starting = s
	r.gen++
	r.bg.Add(1)
	go r.startBrowser(s, r.gen)
	return s
}

// startBrowser starts browser number gen and makes it current, or the
// spare when the current one still serves runs. It does not depend on the
// run that asked for it: other runs may be waiting for it too.
func (r *Runner) startBrowser(s *start, gen int) {
	defer r.bg.Done()
	in, err := launch(r.ctx, r.cfg, gen, r.log)
	r.mu.Lock()
	r.starting = nil
	switch {
	case err != nil:
		s.err = err
	case r.closed:
		s.err = errClosed
	case r.cur == nil:
		r.cur = in
		r.live[in] = struct{}{}
		in.prepareSpare(r.cfg.ExtraHeaders)
	default:
		r.spare = in
		r.live[in] = struct{}{}
		in.prepareSpare(r.cfg.ExtraHeaders)
	}
	closed := r.closed
	close(s.done)
	r.mu.Unlock()
	if err == nil && closed {
		_ = in.kill()
	}
}

// retireLocked takes in out of service. A used-up browser is killed when
// its runs are over; a broken one at once. Callers hold r.mu.
func (r *Runner) retireLocked(in *instance, why string) {
	if r.cur == in {
		r.cur = nil
	}
	if r.retiring[in] {
		return
	}
	r.retiring[in] = true
	now := why != "recycle"
	r.log.Info("retiring browser", "browser", in.gen, "pid", in.pid, "runs", in.runs, "why", why)
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		var err error
		if now {
			err = in.kill()
			in.retireTabs()
		} else {
			in.retireTabs()
			in.inflight.Wait()
			err = in.kill()
		}
		if err != nil {
			r.log.Warn("kill browser", "browser", in.gen, "err", err)
		}
		r.mu.Lock()
		delete(r.live, in)
		delete(r.retiring, in)
		r.mu.Unlock()
	}()
}

// markBroken retires in at once because err showed it cannot be trusted.
func (r *Runner) markBroken(in *instance, err error) {
	if in.broken.Swap(true) {
		return
	}
	r.log.Warn("browser broken, restarting", "browser", in.gen, "pid", in.pid, "err", err)
	r.mu.Lock()
	r.retireLocked(in, "broken")
	r.mu.Unlock()
}

// Close kills every browser of the runner (whole process groups), waits
// until they are reaped, and removes their directories. Runs in progress
// end as probe errors; later runs return probe errors at once. Close is
// idempotent and safe for concurrent use; it may block a few seconds.
func (r *Runner) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		if r.stop != nil {
			r.stop()
		}
		r.closed = true
		r.cur, r.spare = nil, nil
		live := make([]*instance, 0, len(r.live))
		for in := range r.live {
			live = append(live, in)
		}
		r.mu.Unlock()
		r.cancel() // aborts a start in progress
		var errs []error
		for _, in := range live {
			errs = append(errs, in.kill())
		}
		r.bg.Wait()
		r.closeErr = errors.Join(errs...)
		r.log.Info("browser runner closed", "err", r.closeErr)
	})
	return r.closeErr
}

// browserPID returns the pid of the current browser's main process (the
// leader of its process group), 0 when none runs. For tests and
// diagnostics.
func (r *Runner) browserPID() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil {
		return 0
	}
	return r.cur.pid
}
