package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	// dataDirPrefix names the user-data directories of the runner's
	// browsers under os.TempDir: vigil-chromium-<owner pid>-<random>. The
	// owner's pid lets New sweep the directories of dead probes.
	dataDirPrefix = "vigil-chromium-"
	// launchTimeout bounds a browser start. A cold start takes ~0.3 s here;
	// ten times that on a loaded 2-core machine is still a healthy browser.
	launchTimeout = 20 * time.Second
	// healthTimeout bounds the check that the browser answers before a run
	// (Runtime.evaluate("1") on its first tab, ~1 ms when healthy).
	healthTimeout = 2 * time.Second
	// reapTimeout bounds how long killing a browser waits for its process
	// group to disappear.
	reapTimeout = 5 * time.Second
)

// disabledFeatures is the one --disable-features list (a second
// Flag("disable-features") would replace it, not add to it).
// WebUIOmniboxPopup and WebUIOmniboxAimPopup stop headless Chromium 156 from
// loading an omnibox popup renderer for every new window (flows ~25% faster,
// ~70 MB less); the rest stop background work a monitor does not need.
var disabledFeatures = []string{
	"WebUIOmniboxPopup",
	"WebUIOmniboxAimPopup",
	"Translate",
	"OptimizationHints",
	"MediaRouter",
	"AutofillServerCommunication",
	"BackForwardCache",           // every run is a fresh context; keeps navigation events simple
	"NetworkTimeServiceQuerying", // else it asks clients2.google.com for the time, through the proxy
}

// instance is one running Chromium: its process group, the chromedp browser
// that drives it, and the count of the runs that use it.
type instance struct {
	gen     int    // 1 for the runner's first browser, then counting up
	pid     int    // the main process, which leads its own process group
	dataDir string // --user-data-dir, removed by kill
	log     *slog.Logger

	browserCtx    context.Context  // chromedp context of the browser; tabs are its children
	health        *chromedp.Target // the browser's first tab, used by check
	lost          <-chan struct{}  // closed when the connection to the browser drops
	cancelBrowser context.CancelFunc
	cancelAlloc   context.CancelFunc

	runs     int            // runs started on it; guarded by Runner.mu
	inflight sync.WaitGroup // runs in progress and their tab clean-ups
	broken   atomic.Bool    // set when a run saw the browser fail; no new runs

	spareMu    sync.Mutex
	spareTab   *tab          // a fresh tab for the next run; see tab.go
	preparing  bool          // a spare tab is being opened
	spareReady chan struct{} // closed when that opening ends
	retired    bool          // no more spare tabs

	killOnce sync.Once
	killErr  error
}

// launch starts a browser for cfg. ctx owns its lifetime: when ctx ends,
// chromedp kills the browser (the runner also kills its process group).
func launch(ctx context.Context, cfg Config, gen int, log *slog.Logger) (*instance, error) {
	dir, err := os.MkdirTemp("", dataDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("create user data dir: %w", err)
	}
	in := &instance{gen: gen, dataDir: dir, log: log.With("browser", gen)}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, allocatorOptions(cfg, dir)...)
	debugf := func(format string, args ...any) { in.log.Debug("chromedp: " + fmt.Sprintf(format, args...)) }
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx,
		chromedp.WithLogf(debugf), chromedp.WithErrorf(debugf))
	in.browserCtx, in.cancelBrowser, in.cancelAlloc = browserCtx, cancelBrowser, cancelAlloc

	// The first Do starts the browser and binds its lifetime to the context
	// it gets, so it gets browserCtx itself, never a context with a
	// deadline; the start is bounded here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browserCtx) }()
	timer := time.NewTimer(launchTimeout)
	defer timer.Stop()
	select {
	case err = <-started:
	case <-timer.C:
		cancelBrowser()
		<-started
		err = fmt.Errorf("no answer within %s", launchTimeout)
	}
	c := chromedp.FromContext(browserCtx)
	if c != nil && c.Browser != nil && c.Browser.Process() != nil {
		in.pid = c.Browser.Process().Pid
	}
	if err != nil {
		_ = in.kill()
		return nil, fmt.Errorf("start %s: %w", cfg.ExecPath, err)
	}
	in.health = c.Target
	in.lost = c.Browser.LostConnection
	in.log.Info("browser started", "pid", in.pid)
	return in, nil
}

// allocatorOptions are the Chromium flags of the runner. The default
// allocator options of chromedp are not used: the list is spelled out so
// that every flag is deliberate.
func allocatorOptions(cfg Config, dataDir string) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(cfg.ExecPath),
		chromedp.UserDataDir(dataDir),
		chromedp.ModifyCmdFunc(ownProcessGroup),
		// Debian's Chromium starts two crashpad handlers that leave the
		// process group (they setsid). With the config home inside the data
		// dir their command lines name it, so kill finds them (killUsing),
		// and nothing is written to the probe user's ~/.config.
		chromedp.Env("XDG_CONFIG_HOME=" + filepath.Join(dataDir, "config")),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // probes run as root in containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), // region proxies speak TCP only
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		// Without these Chromium keeps calling home, which probe networks
		// may refuse, and which is not the site's traffic.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-pings", true),                   // no <a ping> reports
		chromedp.Flag("disable-domain-reliability", true), // no error beacons to Google
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		// Every run's tab must run at full speed, even when it is not the
		// focused window.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("disable-ipc-flooding-protection", true),
		chromedp.Flag("disable-popup-blocking", true),
		chromedp.Flag("disable-prompt-on-repost", true),
		// Container /dev/shm is often 64 MB; Chromium crashes when it fills.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("disable-features", strings.Join(disabledFeatures, ",")),
		chromedp.WindowSize(windowWidth, windowHeight),
	}
	if cfg.ProxyURL != "" {
		// Chromium bypasses proxies for loopback unless told otherwise, and
		// the tests and the demo serve the shop on loopback.
		opts = append(opts,
			chromedp.ProxyServer(cfg.ProxyURL),
			chromedp.Flag("proxy-bypass-list", "<-loopback>"))
	}
	return opts
}

// Window size of every run's page: a common laptop viewport.
const (
	windowWidth  = 1280
	windowHeight = 800
)

// check reports whether the browser answers Runtime.evaluate("1") on its
// first tab within healthTimeout.
func (in *instance) check(ctx context.Context) error {
	if in.dead() {
		return errors.New("browser connection lost")
	}
	hctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	res, err := cdp.Call(hctx, in.health, runtime.Evaluate, runtime.EvaluateParams{Expression: "1", ReturnByValue: new(true)})
	if err != nil {
		return fmt.Errorf("browser health check: %w", err)
	}
	if res.ExceptionDetails != nil {
		return fmt.Errorf("browser health check: %s", exceptionText(res.ExceptionDetails))
	}
	return nil
}

// dead reports whether the connection to the browser dropped (the process
// died or closed its pipe).
func (in *instance) dead() bool {
	select {
	case <-in.lost:
		return true
	default:
		return false
	}
}

// kill stops the browser at once: SIGKILL to its whole process group, then
// it waits until chromedp reaped the main process and the group is gone, and
// removes the user data directory. Runs still using it fail with
// probe errors. It is idempotent and safe for concurrent use; it may block
// up to reapTimeout.
func (in *instance) kill() error {
	in.killOnce.Do(func() {
		var errs []error
		t0 := time.Now()
		if in.pid > 0 {
			if err := killGroup(in.pid); err != nil {
				errs = append(errs, err)
			}
		}
		in.cancelBrowser() // waits until the main process is reaped
		in.cancelAlloc()
		if in.pid > 0 {
			if err := waitGroupGone(in.pid, reapTimeout); err != nil {
				errs = append(errs, err)
			}
		}
		// The crashpad handlers left the group; they and anything else
		// that did have the data dir on their command lines.
		if n := killUsing(in.dataDir); n > 0 {
			in.log.Debug("killed browser processes outside the process group", "count", n)
		}
		if err := removeAllRetry(in.dataDir); err != nil {
			errs = append(errs, fmt.Errorf("remove user data dir: %w", err))
		}
		in.killErr = errors.Join(errs...)
		in.log.Info("browser stopped", "pid", in.pid, "took", time.Since(t0), "err", in.killErr)
	})
	return in.killErr
}

// removeAllRetry removes dir, retrying for a moment: a dying Chromium
// child can still be writing into it.
func removeAllRetry(dir string) error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := os.RemoveAll(dir)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sweepStale removes the user-data directories that browsers of dead probe
// processes left behind (a probe killed with SIGKILL cannot clean up), and
// kills any Chromium still using them. Directories of live processes,
// including this one's other runners, are left alone.
func sweepStale(log *slog.Logger) {
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), dataDirPrefix+"*"))
	if err != nil {
		return
	}
	for _, dir := range dirs {
		rest := strings.TrimPrefix(filepath.Base(dir), dataDirPrefix)
		owner, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(owner)
		if !ok || err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		n := killUsing(dir)
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("remove stale browser dir", "dir", dir, "err", err)
			continue
		}
		log.Info("removed stale browser dir", "dir", dir, "killed", n)
	}
}
