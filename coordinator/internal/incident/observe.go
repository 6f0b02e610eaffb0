package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/notify"
	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Observe records stored results: the first failure and each confirmation
// go into the timeline, and passing rounds count towards recovery. Call it
// with every newly stored result, before Decide with the decisions the
// same results caused.
func (m *Manager) Observe(ctx context.Context, results []*vigilv1.Result, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range results {
		if _, ok := m.checks[r.GetCheckId()]; !ok {
			continue
		}
		cs := m.checkState(r.GetCheckId())
		switch r.GetStatus() {
		case vigilv1.ResultStatus_RESULT_STATUS_FAIL:
			m.observeFailure(ctx, cs, r)
		case vigilv1.ResultStatus_RESULT_STATUS_PASS:
			m.observePass(ctx, cs, r, now)
		}
	}
}

func (m *Manager) observeFailure(ctx context.Context, cs *checkState, r *vigilv1.Result) {
	at := r.GetStartedAt().AsTime()
	f := failureOf(r)
	cs.failed[r.GetRegion()] = f
	cs.passRounds, cs.passes = 0, nil
	kind := "confirmation"
	if cs.firstFailure.IsZero() {
		cs.firstFailure = at
		kind = "first_failure"
	}
	ev := event(at, kind, fmt.Sprintf("%s: %s", r.GetRegion(), describeFailure(f)))
	ev.Region = r.GetRegion()
	if cs.outage != nil {
		// A long outage fails in every region every round: the timeline
		// keeps a region's first failure and its confirmation, and starts
		// again only after the region passed.
		if cs.logged[r.GetRegion()] >= 2 {
			return
		}
		cs.logged[r.GetRegion()]++
		m.update(ctx, cs.outage, ev)
		return
	}
	cs.pending = append(cs.pending, ev)
	if len(cs.pending) > maxPending {
		// Keep the first failure and the newest events, which led to the
		// decision; drop the oldest confirmations between them.
		cs.pending = slices.Delete(cs.pending, 1, 2)
	}
}

// observePass counts passing rounds while an outage is open: a round counts
// when a quorum of regions passed in it.
func (m *Manager) observePass(ctx context.Context, cs *checkState, r *vigilv1.Result, now time.Time) {
	delete(cs.logged, r.GetRegion())
	if cs.outage == nil {
		return
	}
	slot := r.GetSlot()
	if slot <= cs.lastRound {
		return
	}
	if cs.passes == nil {
		cs.passes = map[int64]map[string]bool{}
	}
	if cs.passes[slot] == nil {
		cs.passes[slot] = map[string]bool{}
	}
	cs.passes[slot][r.GetRegion()] = true
	quorumN := 1
	if st, ok := m.status(r.GetCheckId(), now); ok {
		quorumN = st.Quorum
		if st.State == quorum.StateUnknown {
			// Too few eligible regions for a quorum (the engine just
			// started, or probes are gone): ask for a majority of the
			// check's regions, so one region alone never makes a round.
			quorumN = len(st.Regions)/2 + 1
		}
	}
	if len(cs.passes[slot]) < quorumN {
		return
	}
	cs.passRounds++
	cs.lastRound = slot
	for s := range cs.passes {
		if s <= slot {
			delete(cs.passes, s)
		}
	}
	m.maybeRecover(ctx, r.GetCheckId(), cs, now)
}

// maybeRecover resolves the open outage once recover_after rounds passed in
// a quorum of regions and the check's state allows it: a down incident ends
// when the check is no longer down, a degraded one when it is up.
func (m *Manager) maybeRecover(ctx context.Context, checkID string, cs *checkState, now time.Time) {
	o := cs.outage
	if o == nil || cs.passRounds < m.recoverAfter(checkID) {
		return
	}
	switch {
	case cs.state == quorum.StateUp:
	case cs.state == quorum.StateDegraded && o.inc.GetKind() == vigilv1.IncidentKind_INCIDENT_KIND_DOWN:
	default:
		return
	}
	msg := fmt.Sprintf("recovered: %d consecutive rounds passed in a quorum of regions", cs.passRounds)
	m.resolve(ctx, cs, o, now, "vigil", event(now, "recovered", msg))
}

// Decide acts on the quorum engine's decisions.
func (m *Manager) Decide(ctx context.Context, ds []quorum.Decision) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range ds {
		if _, ok := m.checks[d.CheckID]; !ok || d.Kind != quorum.KindStateChanged {
			continue
		}
		m.stateChanged(ctx, d)
	}
}

func (m *Manager) stateChanged(ctx context.Context, d quorum.Decision) {
	cs := m.checkState(d.CheckID)
	cs.state, cs.since = d.To, d.At
	m.trackFlapping(ctx, d.CheckID, cs, d.At)
	switch d.To {
	case quorum.StateDown:
		cs.passRounds, cs.passes = 0, nil
		m.openOutage(ctx, d, cs, vigilv1.IncidentKind_INCIDENT_KIND_DOWN)
	case quorum.StateDegraded:
		if cs.outage != nil && cs.outage.inc.GetKind() == vigilv1.IncidentKind_INCIDENT_KIND_DEGRADED {
			cs.passRounds, cs.passes = 0, nil
		}
		if cs.outage != nil {
			m.update(ctx, cs.outage, decisionEvent(d))
		}
		m.maybeRecover(ctx, d.CheckID, cs, d.At)
	case quorum.StateUp:
		if cs.outage == nil {
			cs.pending, cs.firstFailure = nil, time.Time{}
			clear(cs.failed)
		} else {
			m.update(ctx, cs.outage, decisionEvent(d))
			m.maybeRecover(ctx, d.CheckID, cs, d.At)
		}
	case quorum.StateUnknown:
		if cs.outage != nil {
			m.update(ctx, cs.outage, decisionEvent(d))
		}
	}
	if d.To != quorum.StateUnknown && cs.impaired != nil {
		m.resolve(ctx, cs, cs.impaired, d.At, "vigil",
			event(d.At, "recovered", fmt.Sprintf("monitoring restored: %d of %d regions eligible", d.Eligible, len(d.Regions))))
	}
}

// Tick opens degraded and impaired incidents that have waited long enough,
// sends reminders and escalations, pages incidents whose maintenance window
// ended, and ends flapping. Call it every second or so.
func (m *Manager) Tick(ctx context.Context, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.checks {
		cs := m.checkState(id)
		if cs.since.IsZero() {
			// No decision yet: the check has been unknown since the first
			// Tick, when the manager started or the check was added.
			cs.since = now
		}
		a := m.alerting(id)
		if cs.state == quorum.StateDegraded && cs.outage == nil && a.GetDegradedAfter() != nil &&
			now.Sub(cs.since) >= a.GetDegradedAfter().AsDuration() {
			if st, ok := m.status(id, now); ok {
				d := quorum.Decision{Kind: quorum.KindStateChanged, CheckID: id, At: now, From: quorum.StateDegraded, To: quorum.StateDegraded,
					Regions: st.Regions, Quorum: st.Quorum, Eligible: len(st.Eligible), Failing: len(st.Failing), Disagree: st.Disagree}
				m.openOutage(ctx, d, cs, vigilv1.IncidentKind_INCIDENT_KIND_DEGRADED)
			}
		}
		if cs.state == quorum.StateUnknown && cs.impaired == nil && !cs.since.IsZero() && now.Sub(cs.since) >= m.impairedAfter(id) {
			m.openImpaired(ctx, id, cs, now)
		}
		if cs.flapping {
			n, w := m.flapLimits(id)
			cs.changes = pruneBefore(cs.changes, now.Add(-w))
			if len(cs.changes) <= n/2 {
				cs.flapping, cs.flapNotified = false, false
				m.log.Info("check stopped flapping", "check", id)
				if o := cs.outage; o != nil {
					m.update(ctx, o, event(now, "flapping", "the check stopped flapping"))
					if o.route < 0 && !o.suppressed {
						// Opened during the episode and not paged (its one
						// notification went out before): it outlasted the
						// flapping, so page it now.
						m.page(ctx, cs, o, notify.EventTrigger, 0, now)
					}
				}
			}
		}
		for _, o := range []*open{cs.outage, cs.impaired} {
			if o != nil {
				m.follow(ctx, o, now)
			}
		}
	}
}

// trackFlapping records a state change and starts a flapping episode when
// the check changed state more than its limit within its window.
func (m *Manager) trackFlapping(ctx context.Context, checkID string, cs *checkState, now time.Time) {
	n, w := m.flapLimits(checkID)
	cs.changes = append(pruneBefore(cs.changes, now.Add(-w)), now)
	if cs.flapping || len(cs.changes) <= n {
		return
	}
	cs.flapping = true
	m.log.Warn("check is flapping", "check", checkID, "changes", len(cs.changes), "window", w)
	if o := cs.outage; o != nil {
		o.inc.Flapping = true
		m.update(ctx, o, event(now, "flapping", fmt.Sprintf("the check changed state %d times in %s: flapping; one notification, then quiet until it settles", len(cs.changes), w)))
		m.pageFlapping(ctx, cs, o, now)
	}
}

func pruneBefore(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(cutoff) {
		i++
	}
	return slices.Delete(ts, 0, i)
}

func failureOf(r *vigilv1.Result) *vigilv1.RegionFailure {
	return &vigilv1.RegionFailure{
		Region: r.GetRegion(), ProbeId: r.GetProbeId(), ResultId: r.GetId(),
		ErrorClass: r.GetErrorClass(), FailedStep: r.GetFailedStep(), FailedStepName: r.GetFailedStepName(),
		Error: r.GetError(), HasScreenshot: len(r.GetScreenshot()) > 0,
	}
}

func describeFailure(f *vigilv1.RegionFailure) string {
	var b strings.Builder
	b.WriteString(f.GetErrorClass().Short())
	if f.GetFailedStep() > 0 {
		fmt.Fprintf(&b, " at step %d", f.GetFailedStep())
		if f.GetFailedStepName() != "" {
			fmt.Fprintf(&b, " %q", f.GetFailedStepName())
		}
	}
	if f.GetError() != "" {
		fmt.Fprintf(&b, ": %s", f.GetError())
	}
	if f.GetProbeId() != "" {
		fmt.Fprintf(&b, " (probe %s)", f.GetProbeId())
	}
	return b.String()
}

func decisionEvent(d quorum.Decision) *vigilv1.TimelineEvent {
	msg := fmt.Sprintf("decision: %s -> %s (%d of %d eligible regions failing, quorum %d)", d.From, d.To, d.Failing, d.Eligible, d.Quorum)
	return event(d.At, "decision", msg)
}
