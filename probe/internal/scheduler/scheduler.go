// Package scheduler runs every check of a probe at its staggered phase in
// each slot, one run of a check at a time, at most MaxConcurrent runs at
// once, each under a deadline derived from the check's timeout. It also
// runs, once on request, checks it does not schedule (guest runs: fast
// confirmation by a probe other than the check's owner).
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
	// Attempt is 0 for scheduled runs; run-now and guest requests in the
	// same slot count up 1, 2, ..., together and across Set calls, so a
	// (slot, attempt) pair is never used twice for a check on one
	// scheduler.
	Attempt uint32
	// ScheduledAt is when the run was due: the check's phase time in its
	// slot (before jitter), or when a run-now request was released.
	ScheduledAt time.Time
	// RunNow is true for runs requested with Scheduler.RunNow or
	// Scheduler.RunGuest.
	RunNow bool
	// Guest is true for runs requested with Scheduler.RunGuest of a check
	// the scheduler did not schedule at the time.
	Guest bool
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
// concurrent use; Set, RunNow and RunGuest work before, during and after
// Run.
type Scheduler struct {
	region string
	run    RunFunc
	max    int
	jitter time.Duration
	log    *slog.Logger

	wake    chan struct{} // capacity 1: something changed, the loop should look
	skipped atomic.Uint64
	jobs    sync.WaitGroup // job goroutines

	mu     sync.Mutex
	runCtx context.Context // non-nil while Run is driving
	checks map[string]*entry
	// guests are the entries of checks not in checks that have a run
	// requested, waiting or in progress: guest runs (RunGuest), and the
	// cancelled runs of removed checks winding down, so that the check's
	// next run on this probe waits for them. An entry leaves guests when it
	// becomes idle, or when Set adds its check. No id is in both maps.
	guests map[string]*entry
	// attempts holds the run-now attempt counter of each check that had a
	// run-now or guest run in its current slot. It outlives entries (an
	// ownership change must not reuse a slot and attempt); a counter is
	// dropped once its slot has passed, as it can never be used again.
	attempts map[string]attempts
	urgent   []*job // run-now jobs waiting for a concurrency slot, oldest first
	normal   []*job // scheduled jobs waiting for a concurrency slot, oldest first
	running  int
}

// attempts counts the run-now attempts of one check in one slot.
type attempts struct {
	interval time.Duration // slot numbers mean something only with it
	slot     int64
	n        uint32
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
}

type job struct {
	Job
	e      *entry
	cancel context.CancelFunc
}

// New returns a Scheduler with no checks. It does nothing until Run.
func New(cfg Config) *Scheduler {
	s := &Scheduler{
		region:   cfg.Region,
		run:      cfg.Run,
		max:      cfg.MaxConcurrent,
		jitter:   cfg.Jitter,
		log:      cfg.Logger,
		wake:     make(chan struct{}, 1),
		checks:   make(map[string]*entry),
		guests:   make(map[string]*entry),
		attempts: make(map[string]attempts),
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
//
// Guest runs (RunGuest) of checks not in checks are left alone. A check
// added while it has a guest run takes the guest run over as its run in
// progress (cancelled only if the Version differs) and its pending or
// waiting guest request as a run-now request.
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
			if e.running != nil {
				// Its cancelled run is winding down: a guest run or a
				// re-added check must wait for it.
				e.pendingRunNow = false
				s.guests[id] = e
			}
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
		guest := s.guests[id]
		switch {
		case old != nil:
			s.detach(old)
			e.inherit(old)
			s.log.Info("check changed", "check", id, "version", c.GetVersion())
		case guest != nil:
			delete(s.guests, id)
			if guest.check.GetVersion() != c.GetVersion() {
				s.detach(guest)
			}
			e.inherit(guest)
			s.log.Info("check added", "check", id, "version", c.GetVersion(), "phase", e.phase, "from_guest", true)
		default:
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
		check:    c,
		interval: interval,
		timeout:  timeout,
		phase:    Phase(c, s.region),
		lastSlot: math.MinInt64,
	}
}

// inherit carries over from the entry of the check's previous version, or
// from its guest entry, what keeps runs unique and non-overlapping: the run
// still winding down or going on (e waits for it), the last scheduled slot
// (so no slot is run twice, which would give two results one id; run-now
// attempts are counted in Scheduler.attempts), a guest request still
// waiting for a concurrency slot, and a pending run-now request.
func (e *entry) inherit(old *entry) {
	if old.running != nil {
		e.running = old.running
		e.running.e = e
	}
	if old.queued != nil { // only a guest's: detach dequeued the others
		e.queued = old.queued
		e.queued.e = e
	}
	if old.interval == e.interval {
		e.lastSlot = old.lastSlot
	}
	e.pendingRunNow = old.pendingRunNow
}

// detach stops e's runs: it drops e's waiting run and cancels the one in
// progress. A dropped run-now request becomes pending again, for the entry
// that inherits from e. The caller removes e from s.checks or s.guests.
func (s *Scheduler) detach(e *entry) {
	if e.queued != nil {
		if e.queued.RunNow {
			e.pendingRunNow = true
		}
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

// RunGuest runs c once, as RunNow does, although the scheduler may not
// schedule it: another probe owns it, and the coordinator asks this one to
// confirm a failure. The run is an extra attempt in c's current slot
// (Job.Guest and Job.RunNow set), counted with the check's run-now attempts,
// under c's timeout, within MaxConcurrent, never overlapping another run of
// the check on this scheduler; requests made while one is pending or
// waiting merge into it. Set calls that leave c out do not cancel the guest
// run; one that adds c takes it over (see Set). When the scheduler
// schedules c, RunGuest is RunNow(c.Id) and the scheduled definition runs;
// otherwise c replaces the definition of a pending guest request.
//
// A guest entry is kept only while its request is pending, waiting or
// running, so guests of checks no longer assigned cost nothing once idle.
// A check without an id or a positive interval is an error.
func (s *Scheduler) RunGuest(c *vigilv1.Check) error {
	if err := validate(c); err != nil {
		return fmt.Errorf("run guest: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.GetId()
	if e, ok := s.checks[id]; ok {
		e.pendingRunNow = true
		s.poke()
		return nil
	}
	g := s.guests[id]
	switch {
	case g == nil:
		g = s.newEntry(c)
		s.guests[id] = g
		s.log.Info("guest run requested", "check", id, "version", c.GetVersion())
	case g.check.GetVersion() != c.GetVersion():
		n := s.newEntry(c)
		g.check, g.interval, g.timeout, g.phase = n.check, n.interval, n.timeout, n.phase
	}
	g.pendingRunNow = true
	s.poke()
	return nil
}

// dropIdleGuest forgets e if it is a guest entry with nothing pending,
// waiting or running.
func (s *Scheduler) dropIdleGuest(e *entry) {
	id := e.check.GetId()
	if s.guests[id] == e && e.running == nil && e.queued == nil && !e.pendingRunNow {
		delete(s.guests, id)
	}
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
