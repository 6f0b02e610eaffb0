// Package demo runs the whole Vigil mesh on one machine: the demo shop, one
// forward proxy per simulated region, a coordinator on an embedded SQLite
// file, and one probe per region, with a live table of what the probes see.
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/internal/httpserve"
	"github.com/vigilhq/vigil/internal/regionproxy"
	"github.com/vigilhq/vigil/internal/shop"
	"github.com/vigilhq/vigil/probe"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Region is one simulated cloud region.
type Region struct {
	Name    string
	Latency time.Duration // added by the region's proxy to each request
}

// DefaultRegions are three regions with the extra latency a shop hosted in
// North America would see from them.
var DefaultRegions = []Region{
	{Name: "us-east", Latency: 10 * time.Millisecond},
	{Name: "eu-west", Latency: 40 * time.Millisecond},
	{Name: "ap-south", Latency: 90 * time.Millisecond},
}

// Config configures the demo.
type Config struct {
	DataDir         string        // SQLite store, generated check file and the log live here
	ShopAddr        string        // the shop's listen address
	CoordinatorAddr string        // the coordinator's gRPC listen address
	GossipAddr      string        // the coordinator's gossip address, the probes' seed; default 127.0.0.1:7946
	Duration        time.Duration // 0: until ctx is done
	Regions         []Region      // default DefaultRegions
	BrowserInterval time.Duration // default 30s
	HTTPInterval    time.Duration // default 10s
	Refresh         time.Duration // live table refresh; default 1s on a terminal, 10s otherwise
	Out             io.Writer     // the live table; the log goes to DataDir/vigil.log
	ChromiumPath    string
	Version         string
	// Scenario, when set, names one of Scenarios: after a warm-up the demo
	// injects that fault, reports what the coordinator decided and when,
	// prints the scenario's final line, and returns.
	Scenario string
	// Repeat runs a detection scenario (global-outage, checkout-broken)
	// this many times in one mesh and reports the median and p95 time to
	// detect; the final line's mttd is the median.
	Repeat int
	// Outcome, when set, receives the scenario's outcome.
	Outcome func(Outcome)
}

func (c *Config) defaults() {
	if len(c.Regions) == 0 {
		c.Regions = DefaultRegions
	}
	// A scenario wants decisions within a minute or two: shorter intervals.
	if c.BrowserInterval == 0 {
		c.BrowserInterval = 30 * time.Second
		if c.Scenario != "" {
			c.BrowserInterval = 15 * time.Second
		}
	}
	if c.HTTPInterval == 0 {
		c.HTTPInterval = 10 * time.Second
		if c.Scenario != "" {
			c.HTTPInterval = 5 * time.Second
		}
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.GossipAddr == "" {
		c.GossipAddr = "127.0.0.1:7946"
	}
}

// gossipConfig is a member of the demo's mesh on loopback. The lan preset
// fits: every member is on this machine, and its suspicion timeout leaves
// room for the CPU that three Chromiums take.
func gossipConfig(name, addr string, seeds ...string) (*gossip.Config, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("gossip address %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("gossip address %q: bad port", addr)
	}
	return &gossip.Config{NodeName: name, BindAddr: host, BindPort: p, Join: seeds, Label: "vigil-demo", Preset: gossip.PresetLAN}, nil
}

func (c *Config) regionNames() []string {
	names := make([]string, len(c.Regions))
	for i, r := range c.Regions {
		names[i] = r.Name
	}
	return names
}

// Run runs the demo until ctx is done or cfg.Duration passes, then stops the
// probes, prints the final table, and stops the rest.
func Run(ctx context.Context, cfg Config) error {
	cfg.defaults()
	if cfg.Scenario != "" && !slices.Contains(Scenarios, cfg.Scenario) {
		return fmt.Errorf("unknown scenario %q (want one of %s)", cfg.Scenario, strings.Join(Scenarios, ", "))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	logPath := filepath.Join(cfg.DataDir, "vigil.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

	shopLis, err := net.Listen("tcp", cfg.ShopAddr)
	if err != nil {
		return fmt.Errorf("listen for the shop (try --shop-addr 127.0.0.1:0): %w", err)
	}
	shopURL := "http://" + shopLis.Addr().String()
	coordLis, err := net.Listen("tcp", cfg.CoordinatorAddr)
	if err != nil {
		shopLis.Close()
		return fmt.Errorf("listen for the coordinator (try --coordinator-addr 127.0.0.1:0): %w", err)
	}
	pagerSecret := rand.Text()
	pagerLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		shopLis.Close()
		coordLis.Close()
		return fmt.Errorf("listen for the pager: %w", err)
	}
	checksPath, file, err := writeChecks(cfg.DataDir, cfg, shopURL, "http://"+pagerLis.Addr().String()+"/", pagerSecret)
	if err != nil {
		shopLis.Close()
		coordLis.Close()
		pagerLis.Close()
		return err
	}

	// The mesh's services live until the probes have stopped and the final
	// table is printed; the probes live until ctx is done or time is up.
	svcCtx, stopSvcs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSvcs()
	svcs, svcCtx := errgroup.WithContext(svcCtx)

	theShop := shop.New(shop.Options{Logger: log.With("component", "shop")})
	svcs.Go(func() error { return httpserve.Serve(svcCtx, shopLis, theShop) })
	pgr := &pager{secret: pagerSecret, log: log.With("component", "pager")}
	svcs.Go(func() error { return httpserve.Serve(svcCtx, pagerLis, pgr) })
	adminToken, tokenPath, err := writeAdminToken(cfg.DataDir)
	if err != nil {
		stopSvcs()
		coordLis.Close()
		return errors.Join(err, svcs.Wait())
	}

	coordGossip, err := gossipConfig("coordinator", cfg.GossipAddr)
	if err != nil {
		stopSvcs()
		coordLis.Close()
		return errors.Join(err, svcs.Wait())
	}
	coord, err := coordinator.New(svcCtx, coordinator.Config{
		DataDir: cfg.DataDir, Checks: file.Checks, Channels: file.Channels, Maintenance: file.Maintenance,
		AdminToken: adminToken, Logger: log, Version: cfg.Version, Gossip: coordGossip,
	})
	if err != nil {
		stopSvcs()
		coordLis.Close()
		return errors.Join(err, svcs.Wait())
	}
	defer coord.Close()
	svcs.Go(func() error { return coord.Serve(svcCtx, coordLis) })

	proxies := make([]*regionproxy.Proxy, 0, len(cfg.Regions))
	defer func() {
		for _, p := range proxies {
			p.Close()
		}
	}()
	for _, r := range cfg.Regions {
		p, err := regionproxy.Listen("127.0.0.1:0", regionproxy.Config{Region: r.Name, Latency: r.Latency, Logger: log.With("component", "regionproxy")})
		if err != nil {
			stopSvcs()
			return errors.Join(fmt.Errorf("start %s proxy: %w", r.Name, err), svcs.Wait())
		}
		proxies = append(proxies, p)
	}

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	if cfg.Duration > 0 && cfg.Scenario == "" {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	probes, probesCtx := errgroup.WithContext(runCtx)
	kill := make(map[string]func(), len(cfg.Regions))
	for i, r := range cfg.Regions {
		id := r.Name + "-1"
		g, err := gossipConfig(id, "127.0.0.1:0", cfg.GossipAddr)
		if err != nil {
			return err
		}
		pcfg := probe.Config{
			Gossip:      g,
			ID:          id,
			Region:      r.Name,
			Coordinator: coordLis.Addr().String(),
			Concurrency: 1,
			DataDir:     filepath.Join(cfg.DataDir, "probes", id),
			Runners:     probe.RunnerConfig{ProxyURL: proxies[i].URL(), ChromiumPath: cfg.ChromiumPath},
			Version:     cfg.Version,
			Logger:      log,
		}
		pctx, crash := context.WithCancelCause(probesCtx)
		defer crash(nil)
		kill[r.Name] = func() { crash(probe.ErrKilled) }
		probes.Go(func() error { return probe.Run(pctx, pcfg) })
	}

	// One client for the view's lifetime; it reads the public API like
	// any other tool.
	conn, err := grpc.NewClient(coordLis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial coordinator: %w", err)
	}
	defer conn.Close()
	client := vigilv1.NewVigilServiceClient(conn)
	v := &view{
		out: cfg.Out, client: client, refresh: cfg.Refresh,
		header: fmt.Sprintf("Vigil demo: shop %s, coordinator %s, regions %v\n"+
			"checks %s, log %s\n"+
			"break checkout: curl -X POST %s/admin/faults -d '{\"kind\":\"checkout_500\"}'   heal: curl -X DELETE %s/admin/faults\n"+
			"incidents: vigil incidents --coordinator %s   acknowledge: vigil ack --admin-token-file %s --coordinator %s ID\n",
			shopURL, coordLis.Addr(), cfg.regionNames(), checksPath, logPath, shopURL, shopURL,
			coordLis.Addr(), tokenPath, coordLis.Addr()),
	}
	viewDone := make(chan error, 1)
	if cfg.Scenario != "" {
		st := &stage{client: client, shop: theShop, proxies: proxies, kill: kill, regions: cfg.regionNames(), cfg: cfg, out: cfg.Out, pager: pgr, admin: adminToken}
		go func() {
			defer stopRun() // the scenario is over: stop the mesh
			fmt.Fprint(cfg.Out, v.header)
			o, err := runScenario(probesCtx, st, cfg.Scenario)
			if err == nil {
				if cfg.Outcome != nil {
					cfg.Outcome(o)
				}
				if others := o.Others(); others != "" {
					fmt.Fprintln(cfg.Out, "other checks: "+others)
				}
				fmt.Fprintln(cfg.Out, o.Line())
			}
			viewDone <- err
		}()
	} else {
		go func() { viewDone <- v.live(probesCtx) }()
	}

	probeErr := probes.Wait()
	viewErr := <-viewDone
	var finalErr error
	if cfg.Scenario == "" {
		finalErr = v.final(ctx)
	}
	stopSvcs()
	svcErr := svcs.Wait()
	if probeErr != nil && runCtx.Err() == nil {
		return errors.Join(fmt.Errorf("probe: %w", probeErr), svcErr)
	}
	return errors.Join(viewErr, finalErr, svcErr)
}

// writeAdminToken creates (once) the demo coordinator's admin token in
// dataDir/admin-token, readable only by its owner, so `vigil ack
// --admin-token-file` works against the demo.
func writeAdminToken(dataDir string) (token, path string, err error) {
	path = filepath.Join(dataDir, "admin-token")
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return strings.TrimSpace(string(b)), path, nil
	}
	token = rand.Text()
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("write admin token: %w", err)
	}
	return token, path, nil
}
