package checkfile

import (
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var (
	alertingFields = []string{"severity", "degraded_after", "recover_after", "remind_every", "flapping", "routes"}
	flappingFields = []string{"changes", "window"}
	routeFields    = []string{"channels", "escalate_after"}
	severities     = []string{"critical", "warning", "info"}
)

const (
	// defaultSeverity: an incident means the site is down for customers in
	// a quorum of regions, which is worth waking someone for.
	defaultSeverity = "critical"
	// defaultRecoverAfter: one passing round can be luck in the middle of
	// an outage; two in a row say the site is back, and cost one extra
	// interval before the all-clear.
	defaultRecoverAfter = 2
	// maxRecoverAfter: more passing rounds keep an incident open for hours
	// after the site recovered, at the usual intervals.
	maxRecoverAfter = 100
	// minRemindEvery: reminders more often than a minute are noise, and run
	// into the rate limits of Slack and PagerDuty.
	minRemindEvery = time.Minute
	// minEscalateAfter: under a minute nobody can acknowledge a page before
	// the next route hears of it.
	minEscalateAfter = time.Minute
	// defaultFlapChanges and defaultFlapWindow: an outage and its recovery
	// are two state changes; more than five within half an hour is a check
	// that cannot make up its mind, not a series of outages.
	defaultFlapChanges = 5
	defaultFlapWindow  = 30 * time.Minute
	// maxFlapWindow: the engine remembers each check's state changes for
	// one window; a day is plenty and bounds that memory.
	maxFlapWindow = 24 * time.Hour
)

// alerting is an alerting: block as written, in a check or in defaults:.
// Each field is a setting, so that a check inherits the fields it does not
// set from defaults.alerting, field by field.
type alerting struct {
	severity      setting[string]
	degradedAfter setting[time.Duration]
	recoverAfter  setting[int64]
	remindEvery   setting[time.Duration]
	flapChanges   setting[int64]
	flapWindow    setting[time.Duration]
	routes        setting[[]*vigilv1.Route]
}

// alertingBlock parses an alerting: mapping; absent fields stay unset.
func (p *parser) alertingBlock(n *yaml.Node, path string) *alerting {
	a := &alerting{}
	fs, ok := p.fields(n, path, alertingFields...)
	if !ok {
		return a
	}
	if e, ok := fs["severity"]; ok {
		a.severity = settingOf(p.severity(e.val, join(path, "severity")))(e.val)
	}
	if e, ok := fs["degraded_after"]; ok {
		a.degradedAfter = settingOf(p.positiveDuration(e.val, join(path, "degraded_after")))(e.val)
	}
	if e, ok := fs["recover_after"]; ok {
		a.recoverAfter = settingOf(p.integer(e.val, join(path, "recover_after"), 1, maxRecoverAfter))(e.val)
	}
	if e, ok := fs["remind_every"]; ok {
		a.remindEvery = settingOf(p.durationAtLeast(e.val, join(path, "remind_every"), minRemindEvery))(e.val)
	}
	if e, ok := fs["flapping"]; ok {
		p.flapping(a, e.val, join(path, "flapping"))
	}
	if e, ok := fs["routes"]; ok {
		a.routes = p.routes(e.val, join(path, "routes"))
	}
	return a
}

func (p *parser) severity(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if !ok {
		return "", false
	}
	if !slices.Contains(severities, s) {
		p.c.add(n.Line, path, "must be critical, warning or info, got %q%s", s, suggest(s, severities))
		return "", false
	}
	return s, true
}

// flapping parses flapping: {changes, window} into a's settings; either
// may be left out.
func (p *parser) flapping(a *alerting, n *yaml.Node, path string) {
	fs, ok := p.fields(n, path, flappingFields...)
	if !ok {
		return
	}
	if e, ok := fs["changes"]; ok {
		a.flapChanges = settingOf(p.integer(e.val, join(path, "changes"), 1, noMax))(e.val)
	}
	if e, ok := fs["window"]; ok {
		d, ok := p.positiveDuration(e.val, join(path, "window"))
		if ok && d > maxFlapWindow {
			p.c.add(e.val.Line, join(path, "window"), "must be at most %s, got %s", fmtDuration(maxFlapWindow), e.val.Value)
			ok = false
		}
		a.flapWindow = settingOf(d, ok)(e.val)
	}
}

// routes parses the escalation routes. An empty list is allowed: it means
// no notifications, and lets a check turn off the routes of defaults:.
func (p *parser) routes(n *yaml.Node, path string) setting[[]*vigilv1.Route] {
	items, ok := p.list(n, path)
	if !ok {
		return setting[[]*vigilv1.Route]{line: n.Line, set: true, bad: true}
	}
	out := make([]*vigilv1.Route, 0, len(items))
	for i, item := range items {
		ipath := index(path, i)
		fs, ok := p.fields(item, ipath, routeFields...)
		if !ok {
			continue
		}
		r := &vigilv1.Route{}
		if e, ok := fs["channels"]; ok {
			r.Channels = p.channelRefs(e.val, join(ipath, "channels"))
		} else {
			p.c.add(item.Line, join(ipath, "channels"), "is required")
		}
		if e, ok := fs["escalate_after"]; ok {
			if d, ok := p.durationAtLeast(e.val, join(ipath, "escalate_after"), minEscalateAfter); ok {
				r.EscalateAfter = durationpb.New(d)
			}
		} else if i < len(items)-1 {
			p.c.add(item.Line, join(ipath, "escalate_after"), "is required on every route but the last; without it route %d is never reached", i+2)
		}
		out = append(out, r)
	}
	return setting[[]*vigilv1.Route]{v: out, line: n.Line, set: true}
}

// channelRefs parses a route's list of channel names, each defined under
// channels:.
func (p *parser) channelRefs(n *yaml.Node, path string) []string {
	items, ok := p.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.c.add(n.Line, path, "must list at least one channel")
		return nil
	}
	out := make([]string, 0, len(items))
	seen := make(map[string]int, len(items))
	for i, item := range items {
		ipath := index(path, i)
		name, ok := p.str(item, ipath)
		if !ok {
			continue
		}
		if !slices.Contains(p.channelNames, name) {
			hint := suggest(name, p.channelNames)
			if hint == "" {
				hint = "; define it under channels:"
			}
			p.c.add(item.Line, ipath, "unknown channel %q%s", name, hint)
			continue
		}
		if first, dup := seen[name]; dup {
			p.c.add(item.Line, ipath, "duplicate channel %q (first at line %d)", name, first)
			continue
		}
		seen[name] = item.Line
		out = append(out, name)
	}
	return out
}

// resolveAlerting applies inheritance: each field from the check's own
// block, else from defaults.alerting, else the built-in default. The result
// always has severity, recover_after and flapping set, so consumers never
// apply defaults of their own; degraded_after and remind_every stay unset
// when nobody sets them, which means never.
func resolveAlerting(own, def *alerting) *vigilv1.Alerting {
	a := &vigilv1.Alerting{
		Severity:     inherit(own.severity, def.severity, defaultSeverity).v,
		RecoverAfter: uint32(min(max(inherit(own.recoverAfter, def.recoverAfter, defaultRecoverAfter).v, 0), noMax)),
		Flapping: &vigilv1.Flapping{
			Changes: uint32(min(max(inherit(own.flapChanges, def.flapChanges, defaultFlapChanges).v, 0), noMax)),
			Window:  durationpb.New(inherit(own.flapWindow, def.flapWindow, defaultFlapWindow).v),
		},
	}
	if d := inherit(own.degradedAfter, def.degradedAfter, 0).v; d > 0 {
		a.DegradedAfter = durationpb.New(d)
	}
	if d := inherit(own.remindEvery, def.remindEvery, 0).v; d > 0 {
		a.RemindEvery = durationpb.New(d)
	}
	// Routes from defaults: are shared by many checks: each check gets its
	// own copies, so that a consumer changing one changes only that check.
	for _, r := range inherit(own.routes, def.routes, nil).v {
		a.Routes = append(a.Routes, proto.CloneOf(r))
	}
	return a
}
