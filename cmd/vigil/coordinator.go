package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/internal/buildinfo"
	"github.com/vigilhq/vigil/internal/gossip"
)

func runCoordinator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("coordinator", stderr)
	listen := fs.String("listen", "127.0.0.1:7070", "gRPC listen address (ProbeService and VigilService)")
	dataDir := fs.String("data-dir", "data", "directory for the SQLite store")
	checksFile := fs.String("checks", "checks.yaml", "check file to load")
	tokenFile := fs.String("probe-token-file", "", "file holding the token probes must present (else $VIGIL_PROBE_TOKEN; empty: no auth)")
	adminFile := fs.String("admin-token-file", "", "file holding the admin token write calls must present (else $VIGIL_ADMIN_TOKEN; empty: the API is read-only)")
	advertiseAPI := fs.String("advertise-api", "", "gRPC address advertised to probes in gossip (default: the listen address)")
	rawRetention := fs.Duration("raw-retention", 0, "keep raw results (and screenshots) this long: 0 means 30 days, negative forever; rollups for reports are kept for years")
	var lf logFlags
	lf.register(fs, "info")
	var gf gossipFlags
	gf.register(fs, gossip.PresetWAN)
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _ := os.Hostname()
	gcfg, err := gf.config(cmp.Or(host, "coordinator"))
	if err != nil {
		return err
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	file, err := coordinator.LoadCheckFile(*checksFile, nil)
	if err != nil {
		return err
	}
	checks := file.Checks
	token, err := secret(*tokenFile, "VIGIL_PROBE_TOKEN")
	if err != nil {
		return err
	}
	adminToken, err := secret(*adminFile, "VIGIL_ADMIN_TOKEN")
	if err != nil {
		return err
	}
	c, err := coordinator.New(ctx, coordinator.Config{
		DataDir:    *dataDir,
		Checks:     checks,
		ProbeToken: token,
		AdminToken: adminToken,
		Channels:   file.Channels,

		Maintenance: file.Maintenance,
		Logger:      log,
		Version:     buildinfo.Version,
		Gossip:      gcfg,

		AdvertiseAPI: *advertiseAPI,
		RawRetention: *rawRetention,
	})
	if err != nil {
		return err
	}
	defer c.Close()
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("coordinator listening", "addr", lis.Addr().String(), "checks", len(checks), "data_dir", *dataDir)
	return c.Serve(ctx, lis)
}
