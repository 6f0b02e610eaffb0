package main

import (
	"context"
	"io"
	"strings"

	"github.com/vigilhq/vigil/internal/buildinfo"
	"github.com/vigilhq/vigil/internal/demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	cfg := demo.Config{Out: stdout, Version: buildinfo.Version}
	fs.StringVar(&cfg.DataDir, "data-dir", "data", "directory for the store, the generated check file and the log")
	fs.StringVar(&cfg.ShopAddr, "shop-addr", "127.0.0.1:8080", "demo shop listen address")
	fs.StringVar(&cfg.CoordinatorAddr, "coordinator-addr", "127.0.0.1:7070", "coordinator gRPC listen address")
	fs.StringVar(&cfg.GossipAddr, "gossip-addr", "127.0.0.1:7946", "coordinator's gossip address (the probes' seed)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "run this long, print the final table and exit (0: until Ctrl-C)")
	fs.DurationVar(&cfg.BrowserInterval, "browser-interval", 0, "interval of the checkout flow (0: 30s, 15s with --scenario)")
	fs.DurationVar(&cfg.HTTPInterval, "http-interval", 0, "interval of the http check (0: 10s, 5s with --scenario)")
	fs.StringVar(&cfg.Scenario, "scenario", "", "inject a fault after a warm-up, report what the coordinator decided, and exit: "+strings.Join(demo.Scenarios, ", "))
	fs.DurationVar(&cfg.Refresh, "refresh", 0, "table refresh (0: 1s on a terminal, 10s otherwise)")
	fs.StringVar(&cfg.ChromiumPath, "chromium", "", "Chromium binary (default: Debian's)")
	fs.IntVar(&cfg.Repeat, "repeat", 0, "with --scenario global-outage or checkout-broken: inject the fault this many times and report the median and p95 time to detect")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return demo.Run(ctx, cfg)
}
