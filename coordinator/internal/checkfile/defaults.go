package checkfile

import (
	"regexp"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	// defaultInterval: one run a minute per region. With three regions and
	// staggered phases an outage is first seen within 20s, at a load the
	// target does not notice.
	defaultInterval = 60 * time.Second
	// minInterval: below a second the runs of one region would overlap
	// their own timeouts and the probe's scheduler jitter.
	minInterval = time.Second
	// maxInterval: a check that runs less than daily is not monitoring; the
	// engine's staleness (2 x interval + timeout) would hide outages for days.
	maxInterval = 24 * time.Hour
	// defaultHTTPTimeout: a healthy page answers in well under a second;
	// 10s separates slow from dead without holding a probe slot long.
	defaultHTTPTimeout = 10 * time.Second
	// defaultBrowserTimeout: a checkout flow of ~8 steps with page loads
	// needs a few seconds; 30s leaves room for a slow but working shop.
	defaultBrowserTimeout = 30 * time.Second
	// defaultMinRegions: with fewer than two eligible regions, one region's
	// own network trouble would look like the site being down (DESIGN §3).
	defaultMinRegions = 2
	// maxProbesPerRegion caps probes_per_region: a check run by more
	// probes of one region than this loads the site without telling more.
	// Unset means 1 (ProbesPerRegion 0 on the wire).
	maxProbesPerRegion = 10
	// maxSteps bounds a flow: longer flows are slow to run and to debug,
	// and are better split into several checks.
	maxSteps = 100
	// maxWait bounds a wait step: a longer pause is a scheduling problem,
	// not a step.
	maxWait = 60 * time.Second
	// maxTLSExpiryDays: certificates live at most about a year, so a larger
	// threshold is a typo that would fail every run.
	maxTLSExpiryDays = 3650
)

var (
	// nameRE is the syntax of a check name, which is also its id: safe in
	// URLs, metric labels and file names.
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	// regionRE is the syntax of a region name, as probes announce it.
	regionRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
)

// setting is one value that a check either sets itself or inherits from
// defaults:.
type setting[T any] struct {
	v    T
	line int  // line of the value in the file
	set  bool // present in the file
	bad  bool // present but invalid (already reported)
	// from says where a check's value came from, for messages: "" when the
	// check sets it, fromDefaults or fromBuiltin.
	from string
}

const (
	fromDefaults = "defaults"
	fromBuiltin  = "builtin"
)

// note qualifies a value in a message with where it came from.
func (s setting[T]) note() string {
	switch s.from {
	case fromDefaults:
		return " (from defaults)"
	case fromBuiltin:
		return " (the default)"
	}
	return ""
}

// lineIn is the line to report a problem with the value at: its own line
// when the check sets it, else the check's line.
func (s setting[T]) lineIn(checkLine int) int {
	if s.from == "" && s.set {
		return s.line
	}
	return checkLine
}

// inherit returns own when the check sets it, else the defaults: value,
// else builtin.
func inherit[T any](own, def setting[T], builtin T) setting[T] {
	switch {
	case own.set:
		return own
	case def.set:
		def.from = fromDefaults
		return def
	}
	return setting[T]{v: builtin, from: fromBuiltin}
}

// defaults is the defaults: section, applied to checks that do not set the
// same field.
type defaults struct {
	interval   setting[time.Duration]
	timeout    setting[time.Duration]
	regions    setting[[]string]
	quorum     setting[int64]
	minRegions setting[int64]
	// alerting is defaults.alerting; never nil after defaults or
	// scheduleFields.
	alerting *alerting
}

var defaultsFields = []string{"interval", "timeout", "regions", "quorum", "min_regions", "alerting"}

func (p *parser) defaults(n *yaml.Node, path string) *defaults {
	fs, ok := p.fields(n, path, defaultsFields...)
	if !ok {
		return &defaults{alerting: &alerting{}}
	}
	d := p.scheduleFields(fs, path)
	if e, ok := fs["alerting"]; ok {
		d.alerting = p.alertingBlock(e.val, join(path, "alerting"))
	}
	return d
}

// scheduleFields parses the fields that a check and defaults: share; a
// field that is absent stays unset, so inherit can fall back.
func (p *parser) scheduleFields(fs map[string]entry, path string) *defaults {
	d := &defaults{alerting: &alerting{}}
	if e, ok := fs["interval"]; ok {
		d.interval = p.interval(e.val, join(path, "interval"))
	}
	if e, ok := fs["timeout"]; ok {
		d.timeout = settingOf(p.positiveDuration(e.val, join(path, "timeout")))(e.val)
	}
	if e, ok := fs["regions"]; ok {
		d.regions = p.regions(e.val, join(path, "regions"))
	}
	if e, ok := fs["quorum"]; ok {
		d.quorum = settingOf(p.integer(e.val, join(path, "quorum"), 0, noMax))(e.val)
	}
	if e, ok := fs["min_regions"]; ok {
		d.minRegions = settingOf(p.integer(e.val, join(path, "min_regions"), 1, noMax))(e.val)
	}
	return d
}

// settingOf wraps the result of an accessor as a setting of node n.
func settingOf[T any](v T, ok bool) func(n *yaml.Node) setting[T] {
	return func(n *yaml.Node) setting[T] {
		return setting[T]{v: v, line: n.Line, set: true, bad: !ok}
	}
}

// interval parses a check interval within [minInterval, maxInterval].
func (p *parser) interval(n *yaml.Node, path string) setting[time.Duration] {
	d, ok := p.duration(n, path)
	switch {
	case !ok:
	case d < minInterval:
		p.c.add(n.Line, path, "must be at least %s, got %s", minInterval, n.Value)
		ok = false
	case d > maxInterval:
		p.c.add(n.Line, path, "must be at most %s, got %s", fmtDuration(maxInterval), n.Value)
		ok = false
	}
	return settingOf(d, ok)(n)
}

// regions parses a non-empty list of unique region names.
func (p *parser) regions(n *yaml.Node, path string) setting[[]string] {
	items, ok := p.list(n, path)
	if !ok {
		return setting[[]string]{line: n.Line, set: true, bad: true}
	}
	if len(items) == 0 {
		p.c.add(n.Line, path, "must list at least one region")
		return setting[[]string]{line: n.Line, set: true, bad: true}
	}
	out := make([]string, 0, len(items))
	seen := make(map[string]int, len(items))
	bad := false
	for i, item := range items {
		ipath := index(path, i)
		r, ok := p.str(item, ipath)
		if !ok {
			bad = true
			continue
		}
		if !regionRE.MatchString(r) {
			p.c.add(item.Line, ipath, "invalid region %q: use 1-32 lowercase letters, digits and -, starting with a letter or digit", r)
			bad = true
			continue
		}
		if first, dup := seen[r]; dup {
			p.c.add(item.Line, ipath, "duplicate region %q (first at line %d)", r, first)
			bad = true
			continue
		}
		seen[r] = item.Line
		out = append(out, r)
	}
	if bad {
		return setting[[]string]{line: n.Line, set: true, bad: true}
	}
	return setting[[]string]{v: out, line: n.Line, set: true}
}

// fmtDuration prints whole hours and minutes without the trailing zero
// units of time.Duration.String ("24h", not "24h0m0s").
func fmtDuration(d time.Duration) string {
	s := d.String()
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}
