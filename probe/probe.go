// Package probe runs a Vigil probe: it receives its checks from a
// coordinator, runs them on schedule with the http and browser runners, and
// streams the results back.
//
// The package's insides live under probe/internal; this file is the whole
// public surface.
package probe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/probe/internal/outbox"
	"github.com/vigilhq/vigil/probe/internal/runner"
	"github.com/vigilhq/vigil/probe/internal/scheduler"
	"github.com/vigilhq/vigil/probe/internal/uplink"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Config is a probe's configuration.
type Config struct {
	// ID names the probe; unique in the mesh and stable across restarts.
	ID string
	// Region is the region the probe runs in.
	Region string
	// Coordinator is the coordinator's gRPC address, host:port. Optional
	// with Gossip: the probe then connects to the coordinators it finds
	// among the mesh's members, and fails over between them.
	Coordinator string
	// Gossip, when set, makes the probe a member of the gossip mesh: it
	// runs only the checks it owns (probe/internal/ownership), and any
	// other check of its assignment once when the coordinator sends a
	// run-now for it (fast confirmation by a non-owner). NodeName
	// defaults to ID; Meta is filled in by Run. Nil: no mesh, the probe runs
	// every check it is assigned.
	Gossip *gossip.Config
	// Settle is how long a membership change must last before checks move
	// (see probe/internal/ownership); 0 means the gossip preset's.
	Settle time.Duration
	// Token authenticates the probe to the coordinator; empty for none.
	Token string
	// DataDir, when set, holds the outbox (DataDir/outbox.db): results not
	// yet acknowledged by the coordinator are kept there and sent after a
	// restart (DESIGN section 4). Empty keeps them in memory only, so a
	// restart loses them. Probes must not share one.
	DataDir string
	// Runners configures the check runners.
	Runners RunnerConfig
	// Concurrency is how many runs execute at once. Zero means cores - 1
	// (at least 1): Chromium can saturate every core, and the probe's own
	// gossip and stream need some CPU to stay responsive.
	Concurrency int
	// Version is the build version sent in the hello.
	Version string
	// Logger receives the probe's logs; nil discards them.
	Logger *slog.Logger
}

// ErrKilled, as the cause of Run's context (context.WithCancelCause),
// stops the probe the way kill -9 would as far as its peers can tell: it
// goes silent in gossip instead of leaving, so they must detect its death.
// Demos and tests use it to simulate a crash inside one process.
var ErrKilled = errors.New("probe killed")

// Run runs the probe until ctx is done. It returns an error only when the
// probe cannot start (for example Chromium is missing); a coordinator that
// cannot be reached is retried with backoff while cached checks keep running.
func Run(ctx context.Context, cfg Config) error {
	if cfg.ID == "" || cfg.Region == "" || (cfg.Coordinator == "" && cfg.Gossip == nil) {
		return errors.New("probe: id, region and a coordinator address or gossip seeds are required")
	}
	log := logger(cfg.Logger).With("component", "probe", "probe", cfg.ID, "region", cfg.Region)
	concurrency := cfg.Concurrency
	if concurrency <= 0 {
		concurrency = max(1, runtime.NumCPU()-1)
	}

	reg, closeRunners, err := newRegistry(ctx, cfg.Runners, log)
	if err != nil {
		return err
	}
	defer closeRunners()

	p := &prober{id: cfg.ID, region: cfg.Region, registry: reg, log: log}
	sched := scheduler.New(scheduler.Config{
		Region:        cfg.Region,
		Run:           p.run,
		MaxConcurrent: concurrency,
		Logger:        log,
	})
	var assignmentVersion atomic.Value
	assignmentVersion.Store("")
	var m *mesh
	if cfg.Gossip != nil {
		m, err = joinMesh(ctx, cfg, reg.Capabilities(), concurrency, sched, log)
		if err != nil {
			return err
		}
		defer m.leave(ctx)
	}
	var box uplink.Outbox // an interface: never a typed nil
	if cfg.DataDir != "" {
		ob, err := outbox.Open(ctx, cfg.DataDir)
		if err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		defer ob.Close()
		box = ob
	}
	up, err := uplink.New(uplink.Config{
		Addr:    cfg.Coordinator,
		Resolve: m.resolver(),
		Token:   cfg.Token,
		Outbox:  box,
		Hello: &vigilv1.Hello{
			ProbeId:      cfg.ID,
			Region:       cfg.Region,
			Version:      cfg.Version,
			Capabilities: reg.Capabilities(),
			Capacity:     uint32(concurrency),
		},
		Logger: log,
		OnAssignment: func(a *vigilv1.Assignment) {
			log.Info("assignment", "checks", len(a.GetChecks()), "version", a.GetVersion())
			assignmentVersion.Store(a.GetVersion())
			if m != nil {
				m.setAssignment(a.GetChecks())
				return
			}
			sched.Set(a.GetChecks())
		},
		OnRunNow: func(rn *vigilv1.RunNow) {
			err := sched.RunNow(rn.GetCheckId())
			if err != nil && m != nil {
				// Not ours to schedule, but in the region's assignment:
				// the coordinator wants another probe than the owner to
				// confirm a failure, so run it once as a guest.
				if c, ok := m.assignedCheck(rn.GetCheckId()); ok {
					if err = sched.RunGuest(c); err == nil {
						log.Info("run-now as a guest", "check", rn.GetCheckId(), "reason", rn.GetReason())
					}
				}
			}
			if err != nil {
				log.Warn("run-now refused", "check", rn.GetCheckId(), "err", err)
			}
		},
		Heartbeat: func() *vigilv1.Heartbeat {
			return &vigilv1.Heartbeat{
				AssignmentVersion: assignmentVersion.Load().(string),
				LastSeq:           p.seq.Load(),
				Running:           uint32(sched.Running()),
			}
		},
	})
	if err != nil {
		return fmt.Errorf("probe: uplink: %w", err)
	}
	p.sink = up.Send

	log.Info("probe starting", "coordinator", cfg.Coordinator, "capabilities", reg.Capabilities(), "concurrency", concurrency,
		"data_dir", cfg.DataDir, "restored", up.Stats().Restored)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return up.Run(gctx) })
	g.Go(func() error { return sched.Run(gctx) })
	if m != nil {
		g.Go(func() error { m.run(gctx); return nil })
	}
	err = g.Wait()
	log.Info("probe stopped", "pending", up.Pending())
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("probe: %w", err)
	}
	return nil
}

// prober turns scheduled jobs into identified results.
type prober struct {
	id, region string
	registry   runner.Registry
	log        *slog.Logger
	seq        atomic.Uint64
	sink       func(*vigilv1.Result)
}

// run executes one job under the deadline the scheduler put on ctx and hands
// the result to the uplink.
func (p *prober) run(ctx context.Context, job scheduler.Job) {
	started := time.Now()
	res := p.registry.Run(ctx, job.Check)
	if errors.Is(ctx.Err(), context.Canceled) {
		// The scheduler gave the run up (shutdown, check removed or
		// changed): its outcome says nothing about the site.
		p.log.Debug("run cancelled", "check", job.Check.GetId(), "slot", job.Slot)
		return
	}
	p.identify(res, job, started)
	p.log.Debug("run done", "check", res.GetCheckId(), "slot", res.GetSlot(), "attempt", res.GetAttempt(),
		"status", res.GetStatus(), "class", res.GetErrorClass(), "duration", time.Duration(res.GetDurationUs())*time.Microsecond)
	p.sink(res)
}

// identify fills the fields that say who ran what and when.
func (p *prober) identify(res *vigilv1.Result, job scheduler.Job, started time.Time) {
	res.Id = ResultID(p.id, job.Check.GetId(), job.Check.GetVersion(), job.Slot, job.Attempt)
	res.CheckId = job.Check.GetId()
	res.CheckVersion = job.Check.GetVersion()
	res.ProbeId = p.id
	res.Region = p.region
	res.Slot = job.Slot
	res.Attempt = job.Attempt
	res.RunNow = job.RunNow
	res.Seq = p.seq.Add(1)
	res.ScheduledAt = timestamppb.New(job.ScheduledAt)
	res.StartedAt = timestamppb.New(started)
	if res.DurationUs == 0 {
		res.DurationUs = time.Since(started).Microseconds()
	}
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
