package browser

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// plan is a validated browser check, ready to run.
type plan struct {
	steps []plannedStep
}

// plannedStep is one step with its defaults resolved.
type plannedStep struct {
	*vigilv1.Step
	name    string
	url     string        // absolute, for goto
	timeout time.Duration // the step's deadline
}

// planCheck validates check and resolves its step URLs, names and
// deadlines. A check that does not validate is the check's fault, not the
// site's: the caller reports a probe error.
func planCheck(check *vigilv1.Check, defaultTimeout time.Duration) (*plan, error) {
	steps := check.GetBrowser().GetSteps()
	if len(steps) == 0 {
		return nil, errors.New("browser check has no steps")
	}
	var base *url.URL
	if t := check.GetTarget(); t != "" {
		u, err := url.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", t, err)
		}
		base = u
	}
	p := &plan{steps: make([]plannedStep, 0, len(steps))}
	for i, s := range steps {
		ps, err := planStep(s, base, defaultTimeout)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
		p.steps = append(p.steps, ps)
	}
	return p, nil
}

func planStep(s *vigilv1.Step, base *url.URL, defaultTimeout time.Duration) (plannedStep, error) {
	ps := plannedStep{Step: s, name: s.GetName(), timeout: defaultTimeout}
	if d := s.GetTimeout().AsDuration(); s.GetTimeout() != nil && d > 0 {
		ps.timeout = d
	}
	switch s.GetAction() {
	case vigilv1.StepAction_STEP_ACTION_GOTO:
		u, err := resolve(base, s.GetUrl())
		if err != nil {
			return ps, err
		}
		ps.url = u
	case vigilv1.StepAction_STEP_ACTION_CLICK, vigilv1.StepAction_STEP_ACTION_EXPECT_SELECTOR:
		if s.GetSelector() == "" {
			return ps, errors.New("no selector")
		}
	case vigilv1.StepAction_STEP_ACTION_SELECT:
		if s.GetSelector() == "" {
			return ps, errors.New("no selector")
		}
	case vigilv1.StepAction_STEP_ACTION_EXPECT_TEXT:
		if s.GetText() == "" {
			return ps, errors.New("no text")
		}
	case vigilv1.StepAction_STEP_ACTION_FILL:
		if len(s.GetFields()) == 0 {
			return ps, errors.New("no fields")
		}
		for _, f := range s.GetFields() {
			if f.GetSelector() == "" {
				return ps, errors.New("a field has no selector")
			}
		}
	case vigilv1.StepAction_STEP_ACTION_WAIT:
		if s.GetWait().AsDuration() < 0 {
			return ps, errors.New("negative wait")
		}
		// A wait step may take its wait plus the usual margin.
		if s.GetTimeout() == nil || s.GetTimeout().AsDuration() <= 0 {
			ps.timeout = s.GetWait().AsDuration() + defaultTimeout
		}
	default:
		return ps, fmt.Errorf("unknown action %s", s.GetAction())
	}
	if ps.name == "" {
		ps.name = defaultName(s)
	}
	return ps, nil
}

// resolve makes ref absolute against base. Only http and https are
// allowed: a check must not read the probe's files.
func resolve(base *url.URL, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("url %q: %w", ref, err)
	}
	if base != nil {
		r = base.ResolveReference(r)
	}
	if r.Scheme != "http" && r.Scheme != "https" {
		return "", fmt.Errorf("url %q: want an http or https URL, or a path with an http(s) target", ref)
	}
	return r.String(), nil
}

// defaultName names a step that the check file did not name, e.g.
// `click a.product "Coffee"`.
func defaultName(s *vigilv1.Step) string {
	switch s.GetAction() {
	case vigilv1.StepAction_STEP_ACTION_GOTO:
		return "goto " + s.GetUrl()
	case vigilv1.StepAction_STEP_ACTION_CLICK:
		if s.GetText() != "" {
			return fmt.Sprintf("click %s %q", s.GetSelector(), s.GetText())
		}
		return "click " + s.GetSelector()
	case vigilv1.StepAction_STEP_ACTION_FILL:
		sels := make([]string, 0, len(s.GetFields()))
		for _, f := range s.GetFields() {
			sels = append(sels, f.GetSelector())
		}
		return "fill " + strings.Join(sels, ", ")
	case vigilv1.StepAction_STEP_ACTION_SELECT:
		return fmt.Sprintf("select %s %q", s.GetSelector(), s.GetValue())
	case vigilv1.StepAction_STEP_ACTION_EXPECT_TEXT:
		if s.GetSelector() != "" {
			return fmt.Sprintf("expect_text %s %q", s.GetSelector(), s.GetText())
		}
		return fmt.Sprintf("expect_text %q", s.GetText())
	case vigilv1.StepAction_STEP_ACTION_EXPECT_SELECTOR:
		return "expect_selector " + s.GetSelector()
	case vigilv1.StepAction_STEP_ACTION_WAIT:
		return "wait " + s.GetWait().AsDuration().String()
	default:
		return s.GetAction().String()
	}
}
