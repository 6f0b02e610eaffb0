package checkfile

import (
	"fmt"
	"net/url"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var (
	commonFields  = []string{"name", "type", "target", "interval", "timeout", "regions", "quorum", "min_regions", "probes_per_region", "alerting"}
	httpFields    = []string{"method", "headers", "body", "expect", "follow_redirects"}
	browserFields = []string{"steps", "budget"}
	checkFields   = concat(commonFields, httpFields, browserFields)
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// check decodes and validates one item of checks:. It returns nil when the
// item is not a mapping, and the line of the check's name for the
// uniqueness check across checks.
func (p *parser) check(n *yaml.Node, path string, d *defaults) (*vigilv1.Check, int) {
	fs, ok := p.fields(n, path, checkFields...)
	if !ok {
		return nil, 0
	}
	ch := &vigilv1.Check{}
	nameLine := n.Line

	if e, ok := fs["name"]; ok {
		nameLine = e.val.Line
		if s, ok := p.str(e.val, join(path, "name")); ok {
			if nameRE.MatchString(s) {
				ch.Name = s
				ch.Id = s // The id is the name: stable as long as the name is.
			} else {
				p.c.add(e.val.Line, join(path, "name"), "invalid name %q: use 1-63 lowercase letters, digits, - and _, starting with a letter or digit", s)
			}
		}
	} else {
		p.c.add(n.Line, join(path, "name"), "is required")
	}

	if e, ok := fs["type"]; ok {
		if s, ok := p.str(e.val, join(path, "type")); ok {
			switch s {
			case "http":
				ch.Type = vigilv1.CheckType_CHECK_TYPE_HTTP
			case "browser":
				ch.Type = vigilv1.CheckType_CHECK_TYPE_BROWSER
			default:
				p.c.add(e.val.Line, join(path, "type"), "must be http or browser, got %q", s)
			}
		}
	} else {
		p.c.add(n.Line, join(path, "type"), "is required (http or browser)")
	}

	if e, ok := fs["target"]; ok {
		if s, ok := p.str(e.val, join(path, "target")); ok {
			if msg := checkURL(s); msg != "" {
				p.c.add(e.val.Line, join(path, "target"), "%s", msg)
			} else {
				ch.Target = s
			}
		}
	} else {
		p.c.add(n.Line, join(path, "target"), "is required")
	}

	timeout := p.schedule(ch, fs, n.Line, path, d)

	own := &alerting{}
	if e, ok := fs["alerting"]; ok {
		own = p.alertingBlock(e.val, join(path, "alerting"))
	}
	ch.Alerting = resolveAlerting(own, d.alerting)

	switch ch.Type {
	case vigilv1.CheckType_CHECK_TYPE_HTTP:
		p.forbid(fs, path, browserFields, "http")
		ch.Http = p.httpSpec(fs, path)
	case vigilv1.CheckType_CHECK_TYPE_BROWSER:
		p.forbid(fs, path, httpFields, "browser")
		ch.Browser, ch.Budget = p.browserSpec(fs, n.Line, path, timeout)
	default:
		// The type is missing or wrong (already reported): still check
		// whatever the item holds, so one run shows every problem.
		p.httpSpec(fs, path)
		p.browserSpec(fs, 0, path, timeout)
	}
	return ch, nameLine
}

// schedule resolves interval, timeout, regions, quorum and min_regions from
// the check, then defaults:, then the built-in defaults, checks how they fit
// together, and sets them on ch. It returns the timeout (bad when invalid)
// for the checks on steps.
func (p *parser) schedule(ch *vigilv1.Check, fs map[string]entry, line int, path string, d *defaults) setting[time.Duration] {
	own := p.scheduleFields(fs, path)

	interval := inherit(own.interval, d.interval, defaultInterval)

	// The type's default timeout, but never longer than the interval, so
	// that setting a short interval alone gives a valid check.
	builtinTimeout := defaultHTTPTimeout
	if ch.Type == vigilv1.CheckType_CHECK_TYPE_BROWSER {
		builtinTimeout = defaultBrowserTimeout
	}
	if !interval.bad {
		builtinTimeout = min(builtinTimeout, interval.v)
	}
	timeout := inherit(own.timeout, d.timeout, builtinTimeout)
	if !interval.bad && !timeout.bad && timeout.v > interval.v {
		at := timeout.lineIn(interval.lineIn(line))
		p.c.add(at, join(path, "timeout"), "%s%s is longer than interval %s%s", fmtDuration(timeout.v), timeout.note(), fmtDuration(interval.v), interval.note())
	}

	regions := inherit(own.regions, d.regions, nil)
	if regions.from == fromBuiltin {
		p.c.add(line, join(path, "regions"), "is required (set it here or in defaults.regions)")
		regions.bad = true
	}

	// Quorum 0 asks the engine for a majority of the eligible regions,
	// which adapts when a region is excluded.
	quorum := inherit(own.quorum, d.quorum, 0)
	// Two regions, or every region when there are fewer: see
	// defaultMinRegions.
	minRegs := inherit(own.minRegions, d.minRegions, int64(min(defaultMinRegions, len(regions.v))))
	if !regions.bad {
		n := int64(len(regions.v))
		if !quorum.bad && quorum.v > n {
			p.c.add(quorum.lineIn(line), join(path, "quorum"), "%d%s is more than the %d regions", quorum.v, quorum.note(), n)
		}
		if !minRegs.bad && minRegs.v > n {
			p.c.add(minRegs.lineIn(line), join(path, "min_regions"), "%d%s is more than the %d regions", minRegs.v, minRegs.note(), n)
		}
	}

	ch.Interval = durationpb.New(interval.v)
	ch.Timeout = durationpb.New(timeout.v)
	ch.Regions = regions.v
	ch.Quorum = uint32(min(max(quorum.v, 0), noMax))
	ch.MinRegions = uint32(min(max(minRegs.v, 0), noMax))
	if e, ok := fs["probes_per_region"]; ok {
		// More than maxProbesPerRegion probes running one check in one
		// region adds load on the site and no information.
		if v, ok := p.integer(e.val, join(path, "probes_per_region"), 1, maxProbesPerRegion); ok {
			ch.ProbesPerRegion = uint32(v)
		}
	}
	return timeout
}

// forbid reports each field of the other check type that the check sets.
func (p *parser) forbid(fs map[string]entry, path string, fields []string, typ string) {
	for _, f := range fields {
		if e, ok := fs[f]; ok {
			p.c.add(e.key.Line, join(path, f), "not allowed in %s checks", typ)
		}
	}
}

// checkURL returns why s is not an absolute http or https URL with a host,
// or "" when it is one.
func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("invalid URL %q", s)
	case u.Scheme == "":
		return fmt.Sprintf("must be an absolute URL like https://shop.example.com, got %q", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("scheme must be http or https, got %q", u.Scheme)
	case u.Hostname() == "":
		return fmt.Sprintf("must have a host, got %q", s)
	}
	return ""
}
