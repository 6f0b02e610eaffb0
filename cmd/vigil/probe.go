package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/vigilhq/vigil/internal/buildinfo"
	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/probe"
)

func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("probe", stderr)
	var cfg probe.Config
	fs.StringVar(&cfg.ID, "id", "", "probe id, unique in the mesh and stable across restarts (required)")
	fs.StringVar(&cfg.Region, "region", "", "region this probe runs in (required)")
	fs.StringVar(&cfg.Coordinator, "coordinator", "127.0.0.1:7070", "coordinator gRPC address; with --join and no --coordinator, coordinators are found through gossip")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "runs at once (0: cores - 1)")
	dataDir := fs.String("data-dir", "data", "directory for the outbox (in probe-<id>/), where results wait for the coordinator's acknowledgement across restarts; empty keeps them in memory only")
	fs.StringVar(&cfg.Runners.ProxyURL, "proxy", "", "forward proxy for all check traffic")
	fs.StringVar(&cfg.Runners.ChromiumPath, "chromium", "", "Chromium binary (default: Debian's)")
	fs.BoolVar(&cfg.Runners.NoBrowser, "no-browser", false, "run http checks only")
	fs.IntVar(&cfg.Runners.RecycleAfter, "browser-recycle-after", 0, "restart Chromium after this many runs (0: default)")
	tokenFile := fs.String("token-file", "", "file holding the coordinator's probe token (else $VIGIL_PROBE_TOKEN)")
	var lf logFlags
	lf.register(fs, "info")
	var gf gossipFlags
	gf.register(fs, gossip.PresetWAN)
	if err := fs.Parse(args); err != nil {
		return err
	}
	coordSet := false
	fs.Visit(func(f *flag.Flag) { coordSet = coordSet || f.Name == "coordinator" })
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	if cfg.Token, err = secret(*tokenFile, "VIGIL_PROBE_TOKEN"); err != nil {
		return err
	}
	if cfg.Gossip, err = gf.config(cfg.ID); err != nil {
		return err
	}
	if cfg.Gossip != nil && !coordSet {
		cfg.Coordinator = "" // discover coordinators in the mesh
	}
	if *dataDir != "" {
		if strings.ContainsAny(cfg.ID, `/\`) {
			return fmt.Errorf("probe id %q: must not contain a path separator, it names the outbox directory", cfg.ID)
		}
		cfg.DataDir = filepath.Join(*dataDir, "probe-"+cfg.ID)
	}
	cfg.Version = buildinfo.Version
	cfg.Logger = log
	return probe.Run(ctx, cfg)
}
