// Package coordinator is Vigil's coordinator: it accepts probe sessions
// (ProbeService), stores their results exactly once in SQLite, assigns checks
// to probes, and serves VigilService to people and tools.
//
// The coordinator's parts live under internal/: store (SQLite), ingest
// (validation, group commit, result fan-out), probes (registry and
// assignment), session (ProbeService streams) and api (VigilService).
package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilhq/vigil/analytics"
	"github.com/vigilhq/vigil/analytics/rollup"
	"github.com/vigilhq/vigil/coordinator/internal/api"
	"github.com/vigilhq/vigil/coordinator/internal/catalog"
	"github.com/vigilhq/vigil/coordinator/internal/incident"
	"github.com/vigilhq/vigil/coordinator/internal/ingest"
	"github.com/vigilhq/vigil/coordinator/internal/notify"
	"github.com/vigilhq/vigil/coordinator/internal/probes"
	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	"github.com/vigilhq/vigil/coordinator/internal/session"
	"github.com/vigilhq/vigil/coordinator/internal/store"
	"github.com/vigilhq/vigil/internal/gossip"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Config configures a Coordinator.
type Config struct {
	// DataDir holds the SQLite file, DataDir/vigil.db; both are created if
	// missing.
	DataDir string
	// Checks are the checks to run, already validated, with unique ids.
	// They are shared and never modified.
	Checks []*vigilv1.Check
	// ProbeToken, when set, is required of probes as "authorization: Bearer
	// <token>" metadata. VigilService reads stay open.
	ProbeToken string
	// Logger receives the coordinator's logs; nil discards them.
	Logger *slog.Logger
	// Version is this build's version, logged at start.
	Version string
	// MaxRecvBytes caps one received gRPC message; 0 means DefaultMaxRecvBytes.
	MaxRecvBytes int
	// Gossip, when set, makes the coordinator a member of the probes'
	// gossip mesh (role coordinator) while Serve runs: probes find it
	// there, and ListProbes shows each probe's gossip state. Meta is
	// filled in by Serve.
	Gossip *gossip.Config
	// AdvertiseAPI is the gRPC address probes dial, advertised in gossip;
	// empty means the listener's address.
	AdvertiseAPI string
	// AdminToken guards VigilService's write calls (acknowledge, notes,
	// resolve, maintenance windows, run now); empty makes the API read-only.
	AdminToken string
	// Channels are the notification channels routes name.
	Channels []notify.Channel
	// Maintenance are the check file's maintenance windows.
	Maintenance []*vigilv1.MaintenanceWindow
	// NotifyBackoff is the first retry delay of a failed notification;
	// 0 means the dispatcher's default. Tests shorten it.
	NotifyBackoff time.Duration
	// RawRetention is how long raw results are kept; 0 means
	// DefaultRawRetention and a negative value keeps them forever. The
	// analytics rollups are kept regardless (see docs/analytics.md).
	RawRetention time.Duration
}

// DefaultMaxRecvBytes is gRPC's own default: it holds a full batch of 1,000
// typical results, or a few results with screenshots (probes keep
// screenshot batches small).
const DefaultMaxRecvBytes = 4 << 20

// Coordinator ties the parts together. Its methods are safe for concurrent
// use. Serve may be called once; call Close after Serve has returned.
type Coordinator struct {
	cfg Config
	log *slog.Logger

	store    *store.Store
	catalog  *catalog.Catalog
	reg      *probes.Registry
	watch    *ingest.Broadcaster
	ingest   *ingest.Ingester
	sessions *session.Server
	api      *api.Server
	decide   *decider
	notify   *notify.Dispatcher
	incident *incident.Manager

	serveMu sync.Mutex
	served  bool
	gossip  atomic.Pointer[gossip.Gossip]

	closeOnce sync.Once
	closeErr  error
}

// New opens (creating and migrating when needed) the store and readies the
// services. It does not listen; see Serve.
func New(ctx context.Context, cfg Config) (*Coordinator, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("coordinator: DataDir is required")
	}
	if cfg.MaxRecvBytes <= 0 {
		cfg.MaxRecvBytes = DefaultMaxRecvBytes
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base := log
	log = log.With("component", "coordinator")
	st, err := store.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	c := &Coordinator{
		cfg:     cfg,
		log:     log,
		store:   st,
		catalog: catalog.New(cfg.Checks),
		reg:     probes.NewRegistry(cfg.Checks, log.With("subsystem", "probes")),
		watch:   ingest.NewBroadcaster(),
		decide:  newDecider(cfg.Checks, base.With("component", "quorum")),
	}
	notifiers := make(map[string]notify.Notifier, len(cfg.Channels))
	for _, ch := range cfg.Channels {
		n, err := notify.New(ch)
		if err != nil {
			st.Close()
			return nil, err // it names the channel
		}
		notifiers[ch.Name] = n
	}
	var mgr *incident.Manager
	c.notify = notify.NewDispatcher(notify.DispatcherConfig{
		Notifiers: notifiers,
		Backoff:   cfg.NotifyBackoff,
		OnAttempt: func(a notify.Attempt) { mgr.RecordAttempt(a) },
		OnDeadLetter: func(channel string, m notify.Message, err error) {
			mgr.DeadLetter(channel, m, err)
		},
		Logger: base.With("component", "notify"),
	})
	mgr, err = incident.New(ctx, incident.Config{
		Store: st, Sender: c.notify, Status: c.decide.engine.Status,
		Checks: cfg.Checks, Maintenance: cfg.Maintenance,
		Logger: base.With("component", "incident"),
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("incidents: %w", err)
	}
	c.incident = mgr
	c.decide.incidents = mgr
	// Analytics: rollups folded in the insert transaction, the decided
	// state history, and old data pruned from the decider's ticks.
	if cfg.RawRetention == 0 {
		cfg.RawRetention = DefaultRawRetention
	}
	hook, err := st.RollupHook(ctx, rollup.NewRoller(rollup.Config{MaxAge: cfg.RawRetention}))
	if err != nil {
		st.Close()
		return nil, err
	}
	st.SetInsertHook(hook)
	c.decide.history = st
	c.decide.retain = &retention{store: st, raw: cfg.RawRetention, log: base.With("component", "retention")}
	an := analytics.New(analytics.Config{Source: st, MinuteRollups: minuteRollupRetention, HourRollups: hourRollupRetention})
	c.markUnknown(time.Now())
	c.decide.confirm = func(x quorum.Decision) []string {
		check, ok := c.catalog.Get(x.CheckID)
		if !ok {
			return nil
		}
		asked := c.reg.RunNowIn(check, x.ConfirmRegions, "fast confirmation")
		// DESIGN section 3: the retry in the failing region is by another
		// probe where one is live; with none, its owner retries.
		if id, ok := c.reg.RunNowOther(check, x.Region, x.ProbeID, "fast confirmation: retry by another probe"); ok {
			return append(asked, id)
		}
		return append(asked, c.reg.RunNowIn(check, []string{x.Region}, "fast confirmation: retry")...)
	}
	// The engine observes a result before watchers see it, so a watcher
	// that asks for the check's status finds the result counted.
	c.ingest = ingest.New(st, fanout{c.decide, c.watch}, log.With("subsystem", "ingest"))
	c.sessions = session.New(c.reg, c.ingest, c.catalog, log.With("subsystem", "session"))
	c.api = api.New(c.catalog, st, c.reg, c.watch, c.decide.engine, mgr, an, log.With("subsystem", "api"))
	log.Info("coordinator ready", "version", cfg.Version, "data_dir", cfg.DataDir, "checks", len(cfg.Checks))
	return c, nil
}

// SetChecks replaces the loaded checks (a reload) and sends every probe
// whose set of checks changed its new assignment. Results of checks no
// longer loaded are acknowledged and dropped from then on.
func (c *Coordinator) SetChecks(checks []*vigilv1.Check) {
	c.catalog.Set(checks)
	c.reg.SetChecks(checks)
	c.decide.setChecks(checks)
	c.incident.SetChecks(checks)
	c.log.Info("checks reloaded", "checks", len(checks))
}

// checkRegions returns the regions of the loaded checks.
func (c *Coordinator) checkRegions() []string {
	var out []string
	for _, ch := range c.catalog.List() {
		out = append(out, ch.GetRegions()...)
	}
	return out
}

// Close flushes pending results and closes the store. It is idempotent.
func (c *Coordinator) Close() error {
	c.closeOnce.Do(func() {
		c.sessions.Close()
		c.watch.Close()
		c.ingest.Close()
		c.markUnknown(time.Now())
		c.closeErr = c.store.Close()
	})
	return c.closeErr
}
