package incident

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/notify"
	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// openOutage opens a down or degraded incident, or upgrades an open
// degraded one to down.
func (m *Manager) openOutage(ctx context.Context, d quorum.Decision, cs *checkState, kind vigilv1.IncidentKind) {
	if o := cs.outage; o != nil {
		m.update(ctx, o, decisionEvent(d))
		if o.inc.GetKind() == vigilv1.IncidentKind_INCIDENT_KIND_DEGRADED && kind == vigilv1.IncidentKind_INCIDENT_KIND_DOWN {
			o.inc.Kind = kind
			o.inc.Title = m.title(d.CheckID, kind, d)
			o.inc.Regions, o.inc.Disagree = m.evidence(cs, d), d.Disagree
			m.update(ctx, o, event(d.At, "decision", "the degradation became an outage"))
			switch {
			case o.suppressed: // paged when the maintenance window ends
			case cs.flapping:
				m.pageFlapping(ctx, cs, o, d.At)
			default:
				m.page(ctx, cs, o, notify.EventTrigger, 0, d.At)
			}
		}
		return
	}
	inc := &vigilv1.Incident{
		CheckId:  d.CheckID,
		Kind:     kind,
		Status:   vigilv1.IncidentStatus_INCIDENT_STATUS_OPEN,
		Severity: m.severity(d.CheckID),
		Title:    m.title(d.CheckID, kind, d),
		OpenedAt: ts(d.At),
		Regions:  m.evidence(cs, d),
		Disagree: d.Disagree,
		Flapping: cs.flapping,
	}
	if !cs.firstFailure.IsZero() {
		inc.FirstFailureAt = ts(cs.firstFailure)
	}
	inc.Timeline = append(cs.pending, decisionEvent(d))
	if kind == vigilv1.IncidentKind_INCIDENT_KIND_DEGRADED {
		inc.Timeline = append(inc.Timeline, event(d.At, "decision", fmt.Sprintf("degraded since %s, longer than degraded_after", cs.since.UTC().Format(time.RFC3339))))
	}
	if d.Disagree {
		inc.Timeline = append(inc.Timeline, event(d.At, "decision", "the failing regions fail differently: "+classes(inc.Regions)+"; a hint about the cause"))
	}
	cs.pending = nil
	o := m.create(ctx, inc, d.At)
	if o == nil {
		return
	}
	cs.outage = o
	m.log.Warn("incident opened", "incident", inc.GetId(), "check", d.CheckID, "kind", kind.Short(), "title", inc.GetTitle())
	switch {
	case o.suppressed:
	case cs.flapping:
		m.pageFlapping(ctx, cs, o, d.At)
	default:
		m.page(ctx, cs, o, notify.EventTrigger, 0, d.At)
	}
}

// openImpaired opens a monitoring-impaired incident.
func (m *Manager) openImpaired(ctx context.Context, checkID string, cs *checkState, now time.Time) {
	st, _ := m.status(checkID, now)
	inc := &vigilv1.Incident{
		CheckId:  checkID,
		Kind:     vigilv1.IncidentKind_INCIDENT_KIND_MONITORING_IMPAIRED,
		Status:   vigilv1.IncidentStatus_INCIDENT_STATUS_OPEN,
		Severity: "warning",
		Title:    fmt.Sprintf("monitoring of %s is impaired: %d of %d regions eligible, %d needed", m.name(checkID), len(st.Eligible), len(st.Regions), st.MinRegions),
		OpenedAt: ts(now),
	}
	var why []string
	for _, r := range slices.Sorted(maps.Keys(st.Regions)) {
		if v := st.Regions[r].Verdict; v != quorum.VerdictUp && v != quorum.VerdictFailing {
			why = append(why, fmt.Sprintf("%s %s", r, v))
		}
	}
	inc.Timeline = []*vigilv1.TimelineEvent{event(now, "decision",
		fmt.Sprintf("unknown since %s: %s; the site may be fine, but Vigil cannot tell", cs.since.UTC().Format(time.RFC3339), strings.Join(why, ", ")))}
	o := m.create(ctx, inc, now)
	if o == nil {
		return
	}
	cs.impaired = o
	m.log.Warn("monitoring impaired", "incident", inc.GetId(), "check", checkID, "regions", why)
	if !o.suppressed {
		m.page(ctx, cs, o, notify.EventTrigger, 0, now)
	}
}

// create stores a new incident, marking it suppressed when a maintenance
// window covers its check. It returns nil when the store refused it.
func (m *Manager) create(ctx context.Context, inc *vigilv1.Incident, now time.Time) *open {
	o := &open{inc: inc, route: -1}
	if ws := m.wins.Active(inc.GetCheckId(), now); len(ws) > 0 {
		inc.InMaintenance = true
		o.suppressed = true
		inc.Timeline = append(inc.Timeline, event(now, "maintenance",
			fmt.Sprintf("opened during maintenance window %q: recorded, nobody paged", ws[0].GetName())))
	}
	if _, err := m.st.CreateIncident(ctx, inc); err != nil {
		m.log.Error("store incident", "check", inc.GetCheckId(), "err", err)
		return nil
	}
	inc.Timeline = nil
	m.byID[inc.GetId()] = o
	return o
}

// update stores o's fields and appends events to its timeline.
func (m *Manager) update(ctx context.Context, o *open, events ...*vigilv1.TimelineEvent) {
	if err := m.st.UpdateIncident(ctx, o.inc, events...); err != nil {
		m.log.Error("update incident", "incident", o.inc.GetId(), "err", err)
	}
}

// resolve ends o, tells the channels it paged, and forgets it.
func (m *Manager) resolve(ctx context.Context, cs *checkState, o *open, now time.Time, by string, ev *vigilv1.TimelineEvent) {
	o.inc.Status = vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED
	o.inc.ResolvedAt = ts(now)
	o.inc.ResolvedBy = by
	m.update(ctx, o, ev, event(now, "resolved", fmt.Sprintf("resolved by %s after %s", by, now.Sub(o.inc.GetOpenedAt().AsTime()).Round(time.Second))))
	m.log.Info("incident resolved", "incident", o.inc.GetId(), "check", o.inc.GetCheckId(), "by", by)
	if cs != nil {
		switch o {
		case cs.outage:
			cs.outage = nil
			cs.passRounds, cs.passes, cs.pending, cs.firstFailure = 0, nil, nil, time.Time{}
			clear(cs.failed)
		case cs.impaired:
			cs.impaired = nil
		}
	}
	m.tell(o, notify.EventResolve, now)
	if o.inFlight == 0 {
		delete(m.byID, o.inc.GetId())
	}
}

// follow sends what time asks for: the page of an incident whose
// maintenance window ended, escalation, reminders.
func (m *Manager) follow(ctx context.Context, o *open, now time.Time) {
	cs := m.byCheck[o.inc.GetCheckId()]
	if o.suppressed {
		if len(m.wins.Active(o.inc.GetCheckId(), now)) > 0 {
			return
		}
		o.suppressed = false
		msg := "the maintenance window ended with the incident still open"
		if !o.inc.GetInMaintenance() {
			msg = "not paged before the coordinator restarted: paging now"
		}
		m.update(ctx, o, event(now, "maintenance", msg))
		m.page(ctx, cs, o, notify.EventTrigger, 0, now)
		return
	}
	if o.inc.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_OPEN || o.route < 0 || (cs != nil && cs.flapping) {
		return
	}
	if o.routeAt.IsZero() {
		// Loaded at start (New): escalation and reminders count from now.
		o.routeAt, o.remindAt = now, now
		return
	}
	if len(m.wins.Active(o.inc.GetCheckId(), now)) > 0 {
		// A window that began after the page: nothing pages during it,
		// and escalation and reminders wait until it ends.
		o.routeAt, o.remindAt = now, now
		return
	}
	a := m.alerting(o.inc.GetCheckId())
	routes := a.GetRoutes()
	if o.route+1 < len(routes) {
		if after := routes[o.route].GetEscalateAfter().AsDuration(); after > 0 && now.Sub(o.routeAt) >= after {
			m.update(ctx, o, event(now, "escalation", fmt.Sprintf("not acknowledged within %s: escalating to route %d", after, o.route+2)))
			m.page(ctx, cs, o, notify.EventEscalation, o.route+1, now)
			return
		}
	}
	if every := a.GetRemindEvery().AsDuration(); every > 0 && now.Sub(o.remindAt) >= every {
		o.remindAt = now
		m.update(ctx, o, event(now, "reminder", fmt.Sprintf("still open after %s, not acknowledged", now.Sub(o.inc.GetOpenedAt().AsTime()).Round(time.Second))))
		m.tell(o, notify.EventReminder, now)
	}
}

// page notifies route idx of o's check and remembers it as notified.
func (m *Manager) page(ctx context.Context, cs *checkState, o *open, ev notify.Event, idx int, now time.Time) {
	if idx > o.route {
		o.route, o.routeAt = idx, now
	}
	o.remindAt = now
	chans := m.routeChannels(o.inc.GetCheckId(), idx)
	for _, ch := range chans {
		if !slices.Contains(o.notified, ch) {
			o.notified = append(o.notified, ch)
		}
	}
	m.sendTo(o, chans, ev, now)
}

// pageFlapping sends a flapping episode's one notification.
func (m *Manager) pageFlapping(ctx context.Context, cs *checkState, o *open, now time.Time) {
	if cs.flapNotified || o.suppressed {
		return
	}
	cs.flapNotified = true
	if o.route >= 0 {
		return // already paged: that page is the episode's one notification
	}
	m.page(ctx, cs, o, notify.EventTrigger, 0, now)
}

// tell sends ev to every channel o already notified.
func (m *Manager) tell(o *open, ev notify.Event, now time.Time) {
	m.sendTo(o, o.notified, ev, now)
}

func (m *Manager) sendTo(o *open, chans []string, ev notify.Event, now time.Time) {
	if m.send == nil || len(chans) == 0 {
		return
	}
	msg := m.message(o, ev, now)
	for _, ch := range chans {
		if err := m.send.Send(ch, msg); err != nil {
			m.log.Error("queue notification", "incident", o.inc.GetId(), "channel", ch, "event", string(ev), "err", err)
			continue
		}
		o.inFlight++
	}
}

func (m *Manager) routeChannels(checkID string, idx int) []string {
	routes := m.alerting(checkID).GetRoutes()
	if idx < 0 || idx >= len(routes) {
		return nil
	}
	return routes[idx].GetChannels()
}

// RecordAttempt puts a delivery attempt into the incident's timeline and
// counts delivered pages. Pass it as the dispatcher's OnAttempt.
func (m *Manager) RecordAttempt(a notify.Attempt) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ctx := context.Background() // the dispatcher's goroutine has no request context; writes are short
	o := m.byID[a.IncidentID]
	if o == nil {
		inc, err := m.st.GetIncident(ctx, a.IncidentID)
		if err != nil {
			m.log.Error("record notification attempt", "incident", a.IncidentID, "err", err)
			return
		}
		inc.Timeline = nil
		o = &open{inc: inc}
	}
	ev := event(a.At, "notification", fmt.Sprintf("%s to %s: delivered (try %d)", a.Event, a.Channel, a.Try))
	ev.Channel, ev.Ok = a.Channel, a.Err == nil
	if a.Err != nil {
		ev.Message = fmt.Sprintf("%s to %s: try %d failed: %v", a.Event, a.Channel, a.Try, a.Err)
		if a.Final {
			ev.Message += "; gave up (dead letter)"
		}
	}
	if a.Final {
		// Pages are what wakes someone: the first trigger and each
		// escalation; reminders repeat a page already counted.
		if a.Err == nil && (a.Event == notify.EventTrigger || a.Event == notify.EventEscalation) {
			o.inc.Pages++
		}
		if o.inFlight > 0 {
			o.inFlight--
		}
		if o.inc.GetStatus() == vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED && o.inFlight == 0 {
			delete(m.byID, a.IncidentID)
		}
	}
	m.update(ctx, o, ev)
}

// message renders o for the channels.
func (m *Manager) message(o *open, ev notify.Event, now time.Time) notify.Message {
	inc := o.inc
	msg := notify.Message{
		Event: ev, IncidentID: inc.GetId(), DedupKey: "vigil/" + inc.GetId(),
		Kind: inc.GetKind().Short(), CheckID: inc.GetCheckId(), CheckName: m.name(inc.GetCheckId()),
		Severity: inc.GetSeverity(), Title: inc.GetTitle(), Disagree: inc.GetDisagree(), At: now,
	}
	if cs := m.byCheck[inc.GetCheckId()]; cs != nil {
		msg.State, msg.Flapping = string(cs.state), cs.flapping
	}
	switch ev {
	case notify.EventResolve:
		msg.Title = "resolved: " + inc.GetTitle()
	case notify.EventAcknowledge:
		msg.Title = fmt.Sprintf("acknowledged by %s: %s", inc.GetAcknowledgedBy(), inc.GetTitle())
	case notify.EventReminder:
		msg.Title = "still open: " + inc.GetTitle()
	}
	if msg.Flapping && ev == notify.EventTrigger {
		msg.Title = "flapping: " + inc.GetTitle()
	}
	var lines []string
	for _, f := range inc.GetRegions() {
		msg.Regions = append(msg.Regions, notify.RegionFailure{
			Region: f.GetRegion(), ProbeID: f.GetProbeId(), ErrorClass: f.GetErrorClass().Short(),
			FailedStep: f.GetFailedStepName(), Error: f.GetError(),
		})
		lines = append(lines, f.GetRegion()+": "+describeFailure(f))
	}
	if inc.GetDisagree() {
		lines = append(lines, "The failing regions fail differently ("+classes(inc.GetRegions())+"): a hint about the cause.")
	}
	if inc.GetFirstFailureAt() != nil {
		lines = append(lines, "First failure: "+inc.GetFirstFailureAt().AsTime().UTC().Format(time.RFC3339))
	}
	lines = append(lines, "Incident: "+inc.GetId())
	msg.Summary = strings.Join(lines, "\n")
	return msg
}

// evidence is each failing region's latest failure at the decision.
func (m *Manager) evidence(cs *checkState, d quorum.Decision) []*vigilv1.RegionFailure {
	var out []*vigilv1.RegionFailure
	for _, r := range slices.Sorted(maps.Keys(d.Regions)) {
		rd := d.Regions[r]
		if rd.Verdict != quorum.VerdictFailing && !rd.Suspect && !rd.BudgetBreach {
			continue
		}
		if f := cs.failed[r]; f != nil {
			out = append(out, f)
			continue
		}
		out = append(out, &vigilv1.RegionFailure{Region: r, ProbeId: rd.ProbeID, ResultId: rd.ResultID, ErrorClass: rd.ErrorClass,
			FailedStep: rd.FailedStep, FailedStepName: rd.FailedStepName, Error: rd.Error})
	}
	return out
}

func (m *Manager) title(checkID string, kind vigilv1.IncidentKind, d quorum.Decision) string {
	name := m.name(checkID)
	switch kind {
	case vigilv1.IncidentKind_INCIDENT_KIND_DOWN:
		return fmt.Sprintf("%s is down: failing in %d of %d regions", name, d.Failing, len(d.Regions))
	case vigilv1.IncidentKind_INCIDENT_KIND_DEGRADED:
		if d.Failing > 0 {
			return fmt.Sprintf("%s is degraded: failing in %d of %d regions", name, d.Failing, len(d.Regions))
		}
		return fmt.Sprintf("%s is degraded: over its performance budget in a quorum of regions", name)
	}
	return name
}

func (m *Manager) name(checkID string) string {
	if n := m.checks[checkID].GetName(); n != "" {
		return n
	}
	return checkID
}

func (m *Manager) severity(checkID string) string {
	if s := m.alerting(checkID).GetSeverity(); s != "" {
		return s
	}
	return "critical"
}

// classes lists the distinct error classes of the failing regions.
func classes(fs []*vigilv1.RegionFailure) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.GetRegion()+" "+f.GetErrorClass().Short())
	}
	return strings.Join(parts, ", ")
}
