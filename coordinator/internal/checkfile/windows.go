package checkfile

import (
	"errors"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator/internal/maintenance"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var (
	windowFields    = []string{"name", "checks", "recurring", "from", "until"}
	recurringFields = []string{"time_zone", "days", "start_time", "duration"}
)

// windowIDPrefix marks the ids of windows from the check file, apart from
// those created through the API.
const windowIDPrefix = "file:"

// windowKeys maps the fields of vigilv1.MaintenanceWindow, as
// maintenance.Validate names them, to the keys of the check file.
var windowKeys = map[string]string{
	"name":       "name",
	"check_ids":  "checks",
	"start":      "from",
	"end":        "until",
	"recurrence": "recurring",
}

// windows parses maintenance:. checks are the names of the file's checks,
// which a window's checks: may refer to; nil when checks: itself is broken,
// and then references are not checked.
func (p *parser) windows(n *yaml.Node, path string, checks []string) []*vigilv1.MaintenanceWindow {
	items, ok := p.list(n, path)
	if !ok {
		return nil
	}
	out := make([]*vigilv1.MaintenanceWindow, 0, len(items))
	names := make(map[string]int, len(items))
	for i, item := range items {
		ipath := index(path, i)
		w, nameLine := p.window(item, ipath, checks)
		if w == nil {
			continue
		}
		if w.Name != "" {
			if first, dup := names[w.Name]; dup {
				p.c.add(nameLine, join(ipath, "name"), "duplicate name %q (first at line %d)", w.Name, first)
			} else {
				names[w.Name] = nameLine
			}
		}
		out = append(out, w)
	}
	return out
}

// window decodes one maintenance window, then has maintenance.Validate
// check it, so the file accepts exactly the windows the API does. It
// returns nil when the item is not a mapping, and the line of the name.
func (p *parser) window(n *yaml.Node, path string, checks []string) (*vigilv1.MaintenanceWindow, int) {
	errsBefore := len(p.c.errs)
	fs, ok := p.fields(n, path, windowFields...)
	if !ok {
		return nil, 0
	}
	w := &vigilv1.MaintenanceWindow{}
	// lines maps each field as Validate names it to its line.
	lines := map[string]int{}
	nameLine := n.Line

	if e, ok := fs["name"]; ok {
		nameLine = e.val.Line
		if s, ok := p.str(e.val, join(path, "name")); ok {
			if nameRE.MatchString(s) {
				w.Name = s
				w.Id = windowIDPrefix + s
			} else {
				p.c.add(e.val.Line, join(path, "name"), "invalid name %q: use 1-63 lowercase letters, digits, - and _, starting with a letter or digit", s)
			}
		}
	} else {
		p.c.add(n.Line, join(path, "name"), "is required")
	}
	if e, ok := fs["checks"]; ok {
		w.CheckIds = p.checkRefs(e.val, join(path, "checks"), checks)
	}
	if e, ok := fs["from"]; ok {
		lines["start"] = e.val.Line
		if t, ok := p.timestamp(e.val, join(path, "from")); ok {
			w.Start = timestamppb.New(t)
		}
	}
	if e, ok := fs["until"]; ok {
		lines["end"] = e.val.Line
		if t, ok := p.timestamp(e.val, join(path, "until")); ok {
			w.End = timestamppb.New(t)
		}
	}
	if e, ok := fs["recurring"]; ok {
		lines["recurrence"] = e.val.Line
		w.Recurrence = p.recurrence(e.val, join(path, "recurring"), lines)
	}

	if len(p.c.errs) > errsBefore {
		// Validate would only repeat what is wrong, in other words.
		return w, nameLine
	}
	if w.Start == nil && w.End == nil && w.Recurrence == nil {
		p.c.add(n.Line, path, "needs from and until (a one-off window) or recurring: (a repeating one)")
		return w, nameLine
	}
	if err := maintenance.Validate(w); err != nil {
		var fe *maintenance.FieldError
		if !errors.As(err, &fe) {
			p.c.add(n.Line, path, "%v", err)
			return w, nameLine
		}
		field, line := windowField(fe.Field, lines, n.Line)
		if field != "" {
			field = join(path, field)
		} else {
			field = path
		}
		p.c.add(line, field, "%s", fe.Msg)
	}
	return w, nameLine
}

// windowField turns a field path of maintenance.Validate, like
// recurrence.days[1], into the check file's words (recurring.days[1]) and
// the line of the value, or of its closest enclosing value that has one.
func windowField(field string, lines map[string]int, windowLine int) (string, int) {
	line := windowLine
	for f := field; f != ""; f = f[:max(strings.LastIndexAny(f, ".["), 0)] {
		if l, ok := lines[f]; ok {
			line = l
			break
		}
	}
	head, rest := field, ""
	if i := strings.IndexAny(field, ".["); i >= 0 {
		head, rest = field[:i], field[i:]
	}
	if k, ok := windowKeys[head]; ok {
		head = k
	}
	return head + rest, line
}

// recurrence decodes recurring:; maintenance.Validate checks the values.
// It records the line of each field in lines, under Validate's names.
func (p *parser) recurrence(n *yaml.Node, path string, lines map[string]int) *vigilv1.Recurrence {
	fs, ok := p.fields(n, path, recurringFields...)
	if !ok {
		return nil
	}
	r := &vigilv1.Recurrence{}
	if e, ok := fs["time_zone"]; ok {
		lines["recurrence.time_zone"] = e.val.Line
		r.TimeZone, _ = p.str(e.val, join(path, "time_zone"))
	}
	if e, ok := fs["days"]; ok {
		lines["recurrence.days"] = e.val.Line
		if items, ok := p.list(e.val, join(path, "days")); ok {
			if len(items) == 0 {
				p.c.add(e.val.Line, join(path, "days"), "must list at least one day; leave days out for every day")
			}
			for i, item := range items {
				lines[index("recurrence.days", i)] = item.Line
				if d, ok := p.str(item, index(join(path, "days"), i)); ok {
					r.Days = append(r.Days, d)
				}
			}
		}
	}
	if e, ok := fs["start_time"]; ok {
		lines["recurrence.start_time"] = e.val.Line
		r.StartTime, _ = p.str(e.val, join(path, "start_time"))
	}
	if e, ok := fs["duration"]; ok {
		lines["recurrence.duration"] = e.val.Line
		if d, ok := p.duration(e.val, join(path, "duration")); ok {
			r.Duration = durationpb.New(d)
		}
	}
	return r
}

// checkRefs parses a window's list of check names; each must be a check of
// the file. The names are the checks' ids.
func (p *parser) checkRefs(n *yaml.Node, path string, checks []string) []string {
	items, ok := p.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.c.add(n.Line, path, "must list at least one check; leave checks out to cover every check")
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
		if checks != nil && !slices.Contains(checks, name) {
			p.c.add(item.Line, ipath, "unknown check %q%s", name, suggest(name, checks))
			continue
		}
		if first, dup := seen[name]; dup {
			p.c.add(item.Line, ipath, "duplicate check %q (first at line %d)", name, first)
			continue
		}
		seen[name] = item.Line
		out = append(out, name)
	}
	return out
}

// timestamp parses an RFC 3339 time with a zone, like 2026-12-01T22:00:00Z
// or 2026-12-01T23:00:00+01:00.
func (p *parser) timestamp(n *yaml.Node, path string) (time.Time, bool) {
	if isAlias(n) {
		return time.Time{}, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.c.add(n.Line, path, "must be a time like 2026-12-01T22:00:00Z, got %s", describe(n))
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, n.Value)
	if err != nil {
		p.c.add(n.Line, path, "invalid time %q (want RFC 3339 with a zone, like 2026-12-01T22:00:00Z)", n.Value)
		return time.Time{}, false
	}
	return t, true
}
