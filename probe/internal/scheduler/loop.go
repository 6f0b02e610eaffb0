package scheduler

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"
)

// Run drives the checks until ctx is done, then cancels the runs in
// progress, waits for them to return, and returns nil. Runs that were
// waiting for a concurrency slot are dropped; pending run-now and guest
// requests stay pending for the next Run. Only one Run may drive the
// scheduler at a time.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.run == nil {
		return errors.New("scheduler: no RunFunc")
	}
	s.mu.Lock()
	if s.runCtx != nil {
		s.mu.Unlock()
		return errors.New("scheduler: already running")
	}
	s.runCtx = ctx
	now := time.Now()
	for _, e := range s.checks {
		s.arm(e, now)
	}
	s.mu.Unlock()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if next, ok := s.step(time.Now()); ok {
			timer.Reset(time.Until(next))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			s.stop()
			return nil
		case <-timer.C:
		case <-s.wake:
		}
	}
}

// stop ends a Run: it waits for the runs in progress (their contexts derive
// from Run's, so they are already cancelled) and drops the waiting ones.
func (s *Scheduler) stop() {
	s.jobs.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.urgent {
		j.e.queued = nil
	}
	for _, j := range s.normal {
		j.e.queued = nil
	}
	s.urgent, s.normal = nil, nil
	for _, e := range s.guests {
		s.dropIdleGuest(e)
	}
	s.runCtx = nil
}

// step dispatches what is due at now, starts waiting runs while concurrency
// allows, and returns when it next has something to do (ok is false when
// nothing is scheduled).
func (s *Scheduler) step(now time.Time) (next time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	var due []*entry
	for _, e := range s.checks {
		if !e.start.IsZero() && !e.start.After(now) {
			due = append(due, e)
		}
	}
	// Oldest first, then by id, so equal phases queue in a stable order.
	slices.SortFunc(due, func(a, b *entry) int {
		return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.check.GetId(), b.check.GetId()))
	})
	for _, e := range due {
		s.dispatch(e, now)
	}

	var asked []*entry
	for _, m := range []map[string]*entry{s.checks, s.guests} {
		for _, e := range m {
			if e.pendingRunNow && e.running == nil && e.queued == nil {
				asked = append(asked, e)
			}
		}
	}
	slices.SortFunc(asked, func(a, b *entry) int { return cmp.Compare(a.check.GetId(), b.check.GetId()) })
	for _, e := range asked {
		s.enqueue(s.runNowJob(e, now))
	}

	for s.running < s.max && len(s.urgent)+len(s.normal) > 0 {
		var j *job
		if len(s.urgent) > 0 {
			j = s.urgent[0]
		} else {
			j = s.normal[0]
		}
		s.dequeue(j)
		s.start(j)
	}

	for _, e := range s.checks {
		if !e.start.IsZero() && (!ok || e.start.Before(next)) {
			next, ok = e.start, true
		}
	}
	return next, ok
}

// arm sets e's next start: the first slot whose phase time is not before
// now and that e has not run yet.
func (s *Scheduler) arm(e *entry, now time.Time) {
	slot := max(firstSlotAtOrAfter(now, e.interval, e.phase), e.lastSlot+1)
	s.armSlot(e, slot)
}

func (s *Scheduler) armSlot(e *entry, slot int64) {
	e.nextSlot = slot
	e.start = slotTime(slot, e.interval, e.phase)
	// Jitter stays under the interval, so a run never starts in the next
	// slot's time.
	if j := min(s.jitter, e.interval); j > 0 {
		e.start = e.start.Add(rand.N(j))
	}
}

// dispatch handles e's scheduled slot coming due at now.
func (s *Scheduler) dispatch(e *entry, now time.Time) {
	slot := e.nextSlot
	// When the loop wakes late (a suspended machine), run the latest due
	// slot instead of replaying the missed ones.
	if latest := lastSlotAtOrBefore(now, e.interval, e.phase); latest > slot {
		s.log.Warn("slots missed: the scheduler woke late", "check", e.check.GetId(), "missed", latest-slot)
		slot = latest
	}
	e.lastSlot = slot
	s.armSlot(e, slot+1)

	switch {
	case e.running != nil:
		s.skip(e, slot, "previous run still in progress")
		return
	case e.queued != nil && e.queued.RunNow:
		s.skip(e, slot, "a run-now request is waiting for a concurrency slot")
		return
	case e.queued != nil:
		// It waited for a concurrency slot until this slot came due: the
		// fresher run takes its place.
		s.skip(e, e.queued.Slot, "waited for a concurrency slot until the next slot")
		s.dequeue(e.queued)
	}
	s.enqueue(&job{e: e, Job: Job{
		Check:       e.check,
		Slot:        slot,
		ScheduledAt: slotTime(slot, e.interval, e.phase),
	}})
}

func (s *Scheduler) skip(e *entry, slot int64, reason string) {
	s.skipped.Add(1)
	s.log.Debug("slot skipped", "check", e.check.GetId(), "slot", slot, "reason", reason)
}

// runNowJob consumes e's pending run-now (or guest) request: the next
// attempt of the check in the slot now falls in.
func (s *Scheduler) runNowJob(e *entry, now time.Time) *job {
	e.pendingRunNow = false
	id := e.check.GetId()
	slot := SlotOf(now, e.interval)
	a := s.attempts[id]
	if a.interval == e.interval && a.slot == slot {
		a.n++
	} else {
		a = attempts{interval: e.interval, slot: slot, n: 1}
	}
	s.attempts[id] = a
	for other, b := range s.attempts {
		if SlotOf(now, b.interval) > b.slot {
			delete(s.attempts, other)
		}
	}
	return &job{e: e, Job: Job{
		Check:       e.check,
		Slot:        slot,
		Attempt:     a.n,
		ScheduledAt: now,
		RunNow:      true,
		Guest:       s.guests[id] == e,
	}}
}

// enqueue makes j wait for a concurrency slot. Run-now jobs go before
// scheduled ones: they confirm a failure, and the decision waits on them.
func (s *Scheduler) enqueue(j *job) {
	j.e.queued = j
	if j.RunNow {
		s.urgent = append(s.urgent, j)
	} else {
		s.normal = append(s.normal, j)
	}
}

func (s *Scheduler) dequeue(j *job) {
	j.e.queued = nil
	s.urgent = slices.DeleteFunc(s.urgent, func(q *job) bool { return q == j })
	s.normal = slices.DeleteFunc(s.normal, func(q *job) bool { return q == j })
}

// start runs j in its own goroutine, under the check's timeout.
func (s *Scheduler) start(j *job) {
	ctx, cancel := context.WithTimeout(s.runCtx, j.e.timeout)
	j.cancel = cancel
	j.e.running = j
	s.running++
	s.log.Debug("run started", "check", j.Check.GetId(), "slot", j.Slot, "attempt", j.Attempt, "run_now", j.RunNow, "guest", j.Guest)
	s.jobs.Go(func() {
		defer cancel()
		s.run(ctx, j.Job)
		s.finish(j)
	})
}

func (s *Scheduler) finish(j *job) {
	s.mu.Lock()
	s.running--
	if j.e.running == j {
		j.e.running = nil
	}
	s.dropIdleGuest(j.e)
	s.mu.Unlock()
	s.poke()
}
