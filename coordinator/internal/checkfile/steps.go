package checkfile

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// actions are the step actions, in the order the docs and messages list them.
var actions = []string{"goto", "click", "fill", "select", "expect_text", "expect_selector", "wait"}

// stepOptions are the keys a step may have beside its action.
var stepOptions = []string{"name", "timeout"}

var budgetFields = []string{"load_p75", "lcp_p75", "flow_p75"}

// browserSpec decodes the browser-only fields of a check. line is the
// check's line, or 0 when the check's type is unknown and missing steps are
// not worth reporting.
func (p *parser) browserSpec(fs map[string]entry, line int, path string, timeout setting[time.Duration]) (*vigilv1.BrowserSpec, *vigilv1.Budget) {
	var spec *vigilv1.BrowserSpec
	if e, ok := fs["steps"]; ok {
		spec = &vigilv1.BrowserSpec{Steps: p.steps(e.val, join(path, "steps"), timeout)}
	} else if line > 0 {
		p.c.add(line, join(path, "steps"), "is required in browser checks")
	}
	var budget *vigilv1.Budget
	if e, ok := fs["budget"]; ok {
		budget = p.budget(e.val, join(path, "budget"))
	}
	return spec, budget
}

func (p *parser) steps(n *yaml.Node, path string, timeout setting[time.Duration]) []*vigilv1.Step {
	items, ok := p.list(n, path)
	if !ok {
		return nil
	}
	switch {
	case len(items) == 0:
		p.c.add(n.Line, path, "must list at least one step")
		return nil
	case len(items) > maxSteps:
		p.c.add(n.Line, path, "has %d steps, more than the limit of %d; split the flow into several checks", len(items), maxSteps)
		return nil
	}
	out := make([]*vigilv1.Step, 0, len(items))
	for i, item := range items {
		if s := p.step(item, index(path, i), timeout); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// step decodes one step: a mapping with exactly one action key, and
// optionally name and timeout.
func (p *parser) step(n *yaml.Node, path string, checkTimeout setting[time.Duration]) *vigilv1.Step {
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
		p.c.add(n.Line, path, "must be a mapping with one action, like {goto: /}, got %q", n.Value)
		return nil
	}
	es, ok := p.entries(n, path)
	if !ok {
		return nil
	}
	var act []entry
	var name, timeout *entry
	unknown := false
	for _, e := range es {
		switch k := e.key.Value; {
		case contains(actions, k):
			act = append(act, e)
		case k == "name":
			name = &e
		case k == "timeout":
			timeout = &e
		default:
			p.c.add(e.key.Line, path, "unknown action %q%s", k, suggest(k, concat(actions, stepOptions)))
			unknown = true
		}
	}
	switch {
	case len(act) == 0 && !unknown:
		p.c.add(n.Line, path, "has no action; want one of %s", strings.Join(actions, ", "))
		return nil
	case len(act) == 0:
		return nil
	case len(act) > 1:
		keys := make([]string, len(act))
		for i, e := range act {
			keys[i] = e.key.Value
		}
		p.c.add(act[1].key.Line, path, "has %d actions (%s); use one step per action", len(act), strings.Join(keys, ", "))
		return nil
	}

	s := p.action(act[0], join(path, act[0].key.Value), checkTimeout)
	if s == nil {
		return nil
	}
	if name != nil {
		if v, ok := p.nonEmpty(name.val, join(path, "name")); ok {
			s.Name = v
		}
	}
	if timeout != nil {
		tpath := join(path, "timeout")
		if d, ok := p.positiveDuration(timeout.val, tpath); ok {
			if !checkTimeout.bad && d > checkTimeout.v {
				p.c.add(timeout.val.Line, tpath, "%s is longer than the check's timeout %s%s", fmtDuration(d), fmtDuration(checkTimeout.v), checkTimeout.note())
			}
			s.Timeout = durationpb.New(d)
		}
	}
	return s
}

// action decodes the action of a step and gives the step its default name.
// It returns nil when the action is invalid (already reported).
func (p *parser) action(e entry, path string, checkTimeout setting[time.Duration]) *vigilv1.Step {
	v := e.val
	switch e.key.Value {
	case "goto":
		u, ok := p.nonEmpty(v, path)
		if !ok {
			return nil
		}
		if msg := checkGoto(u); msg != "" {
			p.c.add(v.Line, path, "%s", msg)
			return nil
		}
		return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_GOTO, Url: u, Name: "goto " + u}

	case "click":
		var sel, text string
		if v.Kind == yaml.MappingNode {
			fs, ok := p.fields(v, path, "selector", "text")
			if !ok {
				return nil
			}
			sel, ok = p.requiredSelector(fs, v, path)
			if e, has := fs["text"]; has {
				var tok bool
				text, tok = p.nonEmpty(e.val, join(path, "text"))
				ok = ok && tok
			}
			if !ok {
				return nil
			}
		} else {
			var ok bool
			if sel, ok = p.selector(v, path); !ok {
				return nil
			}
		}
		name := "click " + sel
		if text != "" {
			name += fmt.Sprintf(" %q", text)
		}
		return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Selector: sel, Text: text, Name: name}

	case "fill":
		fields, ok := p.fill(v, path)
		if !ok {
			return nil
		}
		sels := make([]string, len(fields))
		for i, f := range fields {
			sels[i] = f.Selector
		}
		return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_FILL, Fields: fields, Name: "fill " + strings.Join(sels, ", ")}

	case "select":
		fs, ok := p.fields(v, path, "selector", "value")
		if !ok {
			return nil
		}
		sel, ok := p.requiredSelector(fs, v, path)
		var value string
		if e, has := fs["value"]; has {
			var vok bool
			// An empty value is allowed: it picks a placeholder option.
			value, vok = p.str(e.val, join(path, "value"))
			ok = ok && vok
		} else {
			p.c.add(v.Line, join(path, "value"), "is required")
			ok = false
		}
		if !ok {
			return nil
		}
		return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_SELECT, Selector: sel, Value: value, Name: fmt.Sprintf("select %s %q", sel, value)}

	case "expect_text":
		var sel, text string
		if v.Kind == yaml.MappingNode {
			fs, ok := p.fields(v, path, "text", "selector")
			if !ok {
				return nil
			}
			if e, has := fs["text"]; has {
				text, ok = p.nonEmpty(e.val, join(path, "text"))
			} else {
				p.c.add(v.Line, join(path, "text"), "is required")
				ok = false
			}
			if e, has := fs["selector"]; has {
				var sok bool
				sel, sok = p.selector(e.val, join(path, "selector"))
				ok = ok && sok
			}
			if !ok {
				return nil
			}
		} else {
			var ok bool
			if text, ok = p.nonEmpty(v, path); !ok {
				return nil
			}
		}
		name := fmt.Sprintf("expect_text %q", text)
		if sel != "" {
			name = fmt.Sprintf("expect_text %s %q", sel, text)
		}
		return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_EXPECT_TEXT, Selector: sel, Text: text, Name: name}

	case "expect_selector":
		sel, ok := p.selector(v, path)
		if !ok {
			return nil
		}
		return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_EXPECT_SELECTOR, Selector: sel, Name: "expect_selector " + sel}

	case "wait":
		d, ok := p.positiveDuration(v, path)
		switch {
		case !ok:
			return nil
		case d > maxWait:
			p.c.add(v.Line, path, "must be at most %s, got %s", fmtDuration(maxWait), v.Value)
			return nil
		case !checkTimeout.bad && d >= checkTimeout.v:
			p.c.add(v.Line, path, "%s is not shorter than the check's timeout %s%s", fmtDuration(d), fmtDuration(checkTimeout.v), checkTimeout.note())
			return nil
		}
		return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_WAIT, Wait: durationpb.New(d), Name: "wait " + fmtDuration(d)}
	}
	panic("checkfile: unhandled action " + e.key.Value) // actions and this switch disagree
}

// selector decodes a CSS selector given as a scalar. The browser is the
// judge of its syntax; here it only has to be there.
func (p *parser) selector(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if ok && strings.TrimSpace(s) == "" {
		p.c.add(n.Line, path, "selector must not be empty")
		return "", false
	}
	return s, ok
}

// requiredSelector decodes the selector: key of an action's mapping.
func (p *parser) requiredSelector(fs map[string]entry, n *yaml.Node, path string) (string, bool) {
	e, ok := fs["selector"]
	if !ok {
		p.c.add(n.Line, join(path, "selector"), "is required")
		return "", false
	}
	return p.selector(e.val, join(path, "selector"))
}

// fill decodes a mapping of selectors to values, keeping the file's order:
// forms often react to the order they are filled in.
func (p *parser) fill(n *yaml.Node, path string) ([]*vigilv1.FieldValue, bool) {
	es, ok := p.entries(n, path)
	if !ok {
		return nil, false
	}
	if len(es) == 0 {
		if len(n.Content) == 0 {
			p.c.add(n.Line, path, "must list at least one field")
		}
		return nil, false
	}
	out := make([]*vigilv1.FieldValue, 0, len(es))
	for _, e := range es {
		if strings.TrimSpace(e.key.Value) == "" || e.key.ShortTag() == "!!null" {
			p.c.add(e.key.Line, path, "selector must not be empty")
			ok = false
			continue
		}
		// An empty value is allowed: it clears the field.
		v, vok := p.str(e.val, fmt.Sprintf("%s[%q]", path, e.key.Value))
		if !vok {
			ok = false
			continue
		}
		out = append(out, &vigilv1.FieldValue{Selector: e.key.Value, Value: v})
	}
	return out, ok && len(es)*2 == len(n.Content)
}

// checkGoto returns why s is neither a path nor an absolute http(s) URL, or
// "" when it is one.
func checkGoto(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("invalid URL %q", s)
	case u.Scheme != "":
		return checkURL(s)
	case !strings.HasPrefix(s, "/") || u.Host != "":
		return fmt.Sprintf("must be a path starting with / or an absolute http or https URL, got %q", s)
	}
	return ""
}

// budget decodes a performance budget; it must set at least one limit.
func (p *parser) budget(n *yaml.Node, path string) *vigilv1.Budget {
	fs, ok := p.fields(n, path, budgetFields...)
	if !ok {
		return nil
	}
	b := &vigilv1.Budget{}
	limit := func(key string) *durationpb.Duration {
		e, ok := fs[key]
		if !ok {
			return nil
		}
		d, ok := p.positiveDuration(e.val, join(path, key))
		if !ok {
			return nil
		}
		return durationpb.New(d)
	}
	b.LoadP75, b.LcpP75, b.FlowP75 = limit("load_p75"), limit("lcp_p75"), limit("flow_p75")
	if len(fs) == 0 && len(n.Content) == 0 {
		p.c.add(n.Line, path, "must set at least one of %s", strings.Join(budgetFields, ", "))
		return nil
	}
	return b
}
