// Package scheduler runs every check of a probe at its staggered phase in
// each slot, one run of a check at a time, at most MaxConcurrent runs at
// once, each under a deadline derived from the check's timeout.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Job is one run of one check.
type Job struct {
	// Check is the check to run. It is shared: the RunFunc must not modify it.
	Check *vigilv1.Check
	// Slot is the round the run belongs to: floor(ScheduledAt / interval)
	// in Unix time.
	Slot int64
	// Attempt is 0 for scheduled runs; run-now requests in the same slot
	// count up 1, 2, ...
	Attempt uint32
	// ScheduledAt is when the run was due: the check's phase time in its
	// slot (before jitter), or when a run-now request was released.
	ScheduledAt time.Time
	// RunNow is true for runs requested with Scheduler.RunNow.
	RunNow bool
}

// RunFunc runs one job. ctx carries the run's deadline (the check's timeout,
// from when the run starts) and is cancelled early when the check is removed
// or changed, or the scheduler stops. It must return by then: the check's
// next run waits for it.
type RunFunc func(ctx context.Context, job Job)

// Config configures a Scheduler.
type Config struct {
	// Region is the probe's region; it picks the probe's staggered phase.
	Region string
	// Run runs each job. Required.
	Run RunFunc
	// MaxConcurrent caps the runs in progress across all checks. 0 means 1:
	// browser runs are CPU heavy, so the safe default is one at a time (the
	// probe's wiring passes cores-1).
	MaxConcurrent int
	// Jitter is the most random delay added to each scheduled start. 0 means
	// none: the phases already spread the runs over the interval.
	Jitter time.Duration
	// Logger receives the scheduler's logs; nil discards them.
	Logger *slog.Logger
}

// Scheduler runs a changing set of checks. Its methods are safe for
// concurrent use; Set and RunNow work before, during and after Run.
type Scheduler struct {
	region string
	run    RunFunc
	max    int
	jitter time.Duration
	log    *slog.Logger

	wake    chan struct{} // capacity 1: something changed, the loop should look
	skipped atomic.Uint64
	jobs    sync.WaitGroup // job goroutines

	mu      sync.Mutex
	runCtx  context.Context // non-nil while Run is driving
	checks  map[string]*entry
	urgent  []*job // run-now jobs waiting for a concurrency slot, oldest first
	normal  []*job // scheduled jobs waiting for a concurrency slot, oldest first
	running int
}

// entry is the scheduling state of one check. Guarded by Scheduler.mu.
type entry struct {
	check    *vigilv1.Check
	interval time.Duration
	timeout  time.Duration
	phase    time.Duration

	// nextSlot is the next slot to run, due at start (its phase time plus
	// jitter); start is zero until Run arms the entry.
	nextSlot int64
	start    time.Time
	// lastSlot is the last slot dispatched; a restarted entry never runs a
	// slot twice.
	lastSlot int64

	running *job // the run in progress, if any
	queued  *job // the run waiting for a concurrency slot, if any

	pendingRunNow bool
	runNowSlot    int64
	runNowCount   uint32
}

type job struct {
	Job
	e      *entry
	cancel context.CancelFunc
}

// New returns a Scheduler with no checks. It does nothing until Run.
func New(cfg Config) *Scheduler {
	s := &Scheduler{
		region: cfg.Region,
		run:    cfg.Run,
		max:    cfg.MaxConcurrent,
		jitter: cfg.Jitter,
		log:    cfg.Logger,
		wake:   make(chan struct{}, 1),
		checks: make(map[string]*entry),
	}
	if s.max <= 0 {
		s.max = 1
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Set makes checks the scheduler's set of checks: new ones start at their
// next phase time, removed ones stop (a run in progress is cancelled), and
// ones whose Version changed restart (a run in progress is cancelled; the
// new version runs from the next slot). Checks without an id or a positive
// interval are logged and left out. It never blocks on runs.
func (s *Scheduler) Set(checks []*vigilv1.Check) {
	want := make(map[string]*vigilv1.Check, len(checks))
	for _, c := range checks {
		if err := validate(c); err != nil {
			s.log.Error("check not scheduled", "check", c.GetId(), "err", err)
			continue
		}
		want[c.GetId()] = c
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.checks {
		if _, ok := want[id]; !ok {
			s.detach(e)
			delete(s.checks, id)
			s.log.Info("check removed", "check", id)
		}
	}
	now := time.Now()
	for id, c := range want {
		old := s.checks[id]
		if old != nil && old.check.GetVersion() == c.GetVersion() {
			continue
		}
		e := s.newEntry(c)
		if old != nil {
			s.detach(old)
			e.inherit(old)
			s.log.Info("check changed", "check", id, "version", c.GetVersion())
		} else {
			s.log.Info("check added", "check", id, "version", c.GetVersion(), "phase", e.phase)
		}
		s.checks[id] = e
		if s.runCtx != nil {
			s.arm(e, now)
		}
	}
	s.poke()
}

func validate(c *vigilv1.Check) error {
	switch {
	case c == nil:
		return errors.New("nil check")
	case c.GetId() == "":
		return errors.New("no id")
	case c.GetInterval().AsDuration() <= 0:
		return fmt.Errorf("interval %s is not positive", c.GetInterval().AsDuration())
	}
	return nil
}

func (s *Scheduler) newEntry(c *vigilv1.Check) *entry {
	interval := c.GetInterval().AsDuration()
	timeout := c.GetTimeout().AsDuration()
	if timeout <= 0 {
		timeout = interval // a run never needs longer than the gap between runs
	}
	return &entry{
		check:      c,
		interval:   interval,
		timeout:    timeout,
		phase:      Phase(c, s.region),
		lastSlot:   math.MinInt64,
		runNowSlot: math.MinInt64,
	}
}

// inherit carries over from the entry of the check's previous version what
// keeps runs unique and non-overlapping: the run still winding down (the new
// version waits for it), the slot and attempt counters (so no slot and
// attempt is used twice, which would give two results one id), and a
// pending run-now request.
func (e *entry) inherit(old *entry) {
	if old.running != nil {
		e.running = old.running
		e.running.e = e
	}
	if old.interval == e.interval {
		e.lastSlot = old.lastSlot
		e.runNowSlot, e.runNowCount = old.runNowSlot, old.runNowCount
	}
	e.pendingRunNow = old.pendingRunNow
}

// detach stops e's runs: it drops e's waiting run and cancels the one in
// progress. The caller removes e from s.checks.
func (s *Scheduler) detach(e *entry) {
	if e.queued != nil {
		s.dequeue(e.queued)
	}
	if e.running != nil {
		e.running.cancel()
	}
}

// RunNow runs the check once as soon as a concurrency slot is free, as an
// extra attempt in the current slot. When a run of the check is already in
// progress or waiting, the request runs right after it; requests made while
// one is pending are merged into it. Before Run, the request waits for Run.
// An unknown id is an error.
func (s *Scheduler) RunNow(checkID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.checks[checkID]
	if !ok {
		return fmt.Errorf("run now: unknown check %q", checkID)
	}
	e.pendingRunNow = true
	s.poke()
	return nil
}

// Running is the number of runs in progress, including cancelled runs that
// have not returned yet.
func (s *Scheduler) Running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Skipped is the number of scheduled slots not run because the check's
// previous run was still in progress, or because the run waited for a
// concurrency slot until the check's next slot was due.
func (s *Scheduler) Skipped() uint64 {
	return s.skipped.Load()
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
