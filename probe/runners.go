package probe

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilhq/vigil/probe/internal/browser"
	"github.com/vigilhq/vigil/probe/internal/httpcheck"
	"github.com/vigilhq/vigil/probe/internal/runner"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// RunnerConfig configures the check runners of a probe.
type RunnerConfig struct {
	// ProxyURL sends all check traffic (browser and http) through this
	// forward proxy; empty means direct. The proxy is never taken from the
	// environment.
	ProxyURL string
	// NoBrowser leaves the browser runner out: the probe runs http checks
	// only and says so in its capabilities.
	NoBrowser bool
	// ChromiumPath is the Chromium binary; empty finds Debian's.
	ChromiumPath string
	// RecycleAfter restarts the browser after this many runs; zero means the
	// browser runner's default.
	RecycleAfter int
}

// newRegistry builds the one registry of runners a probe uses. The returned
// func stops them.
func newRegistry(ctx context.Context, cfg RunnerConfig, log *slog.Logger) (runner.Registry, func(), error) {
	hcfg := httpcheck.Config{ProxyURL: cfg.ProxyURL, Logger: log.With("runner", "http")}
	if err := hcfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("http runner: %w", err)
	}
	reg := runner.Registry{vigilv1.CheckType_CHECK_TYPE_HTTP: httpcheck.New(hcfg)}
	if cfg.NoBrowser {
		return reg, func() {}, nil
	}
	br, err := browser.New(ctx, browser.Config{
		ExecPath:     cfg.ChromiumPath,
		ProxyURL:     cfg.ProxyURL,
		RecycleAfter: cfg.RecycleAfter,
		Logger:       log.With("runner", "browser"),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("start browser runner: %w", err)
	}
	reg[vigilv1.CheckType_CHECK_TYPE_BROWSER] = br
	return reg, func() {
		if err := br.Close(); err != nil {
			log.Warn("close browser", "err", err)
		}
	}, nil
}

// RunOnce runs each check once, locally, one after the other, and returns
// their results in order. It is what `vigil check --run` does: no
// coordinator, no schedule, each run under its check's timeout.
func RunOnce(ctx context.Context, checks []*vigilv1.Check, cfg RunnerConfig, l *slog.Logger) ([]*vigilv1.Result, error) {
	log := logger(l)
	needBrowser := false
	for _, c := range checks {
		needBrowser = needBrowser || c.GetType() == vigilv1.CheckType_CHECK_TYPE_BROWSER
	}
	cfg.NoBrowser = cfg.NoBrowser || !needBrowser
	reg, closeRunners, err := newRegistry(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer closeRunners()

	results := make([]*vigilv1.Result, 0, len(checks))
	for _, c := range checks {
		runCtx, cancel := context.WithTimeout(ctx, c.GetTimeout().AsDuration())
		started := time.Now()
		res := reg.Run(runCtx, c)
		cancel()
		res.CheckId = c.GetId()
		if res.DurationUs == 0 {
			res.DurationUs = time.Since(started).Microseconds()
		}
		results = append(results, res)
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
	}
	return results, nil
}
