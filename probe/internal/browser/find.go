package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

const (
	// findMargin makes the page give up on an element a little before the
	// step's deadline, so that it can say why (not visible, covered...).
	findMargin = 50 * time.Millisecond
	// worldGoneGrace is how long a failed evaluation waits for the
	// recorder to report that its isolated world went away with its
	// document; the evaluation is then retried in the new document.
	worldGoneGrace = 500 * time.Millisecond
)

// errEnded says that the step's context ended during an evaluation; the
// caller classifies it.
var errEnded = errors.New("step context ended")

// find waits in the page until the element spec describes is there and
// usable, and does the in-page part of the step (see findScript). It waits
// across navigations: when the document goes away, it starts over in the
// next one.
func (s *stepRun) find(spec findSpec) (*findResult, *failure) {
	deadline, _ := s.ctx.Deadline()
	var res findResult
	err := s.eval(func() string { return findExpression(spec, time.Until(deadline)-findMargin) }, &res)
	switch {
	case errors.Is(err, errEnded):
		return nil, s.notFound(spec, "not found")
	case err != nil:
		var f *failure
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, browserFailure(err)
	case res.Error != "":
		return nil, fail(vigilv1.ErrorClass_ERROR_CLASS_ASSERTION, "%s: %s", spec.subject(), res.Error)
	case res.Timeout:
		return nil, s.notFound(spec, res.Reason)
	}
	return &res, nil
}

// eval evaluates the expression that expr returns in the main frame's
// isolated world and decodes its value into out. It retries in the next
// document when the page navigates. It returns errEnded when the step's
// context ends, or a *failure when the browser fails.
func (s *stepRun) eval(expr func() string, out any) error {
	for {
		id, gen := s.rec.worldContext()
		if id == "" {
			// A new document is on its way.
			if err := s.rec.wait(s.ctx, func() bool { return s.rec.worldGen != gen }); err != nil {
				return errEnded
			}
			continue
		}
		res, err := cdp.Call(s.ctx, s.t, runtime.Evaluate, runtime.EvaluateParams{
			Expression:      expr(),
			UniqueContextID: id,
			ReturnByValue:   new(true),
			AwaitPromise:    new(true),
			Silent:          new(true),
		})
		if s.ctx.Err() != nil {
			return errEnded
		}
		if err == nil && res.ExceptionDetails == nil {
			if res.Result == nil {
				return browserFailure(errors.New("page script returned nothing"))
			}
			if err := json.Unmarshal(res.Result.Value, out); err != nil {
				return browserFailure(fmt.Errorf("decode page script result: %w", err))
			}
			return nil
		}
		// The world goes away with its document when the page navigates
		// (the evaluation fails with "context destroyed"). The recorder
		// decides: if it sees the world change, try again.
		wctx, cancel := context.WithTimeout(s.ctx, worldGoneGrace)
		werr := s.rec.wait(wctx, func() bool { return s.rec.worldGen != gen })
		cancel()
		if werr == nil {
			continue
		}
		if s.ctx.Err() != nil {
			return errEnded
		}
		if err == nil {
			err = errors.New(exceptionText(res.ExceptionDetails))
		}
		return browserFailure(fmt.Errorf("run script in page: %w", err))
	}
}

// notFound is the failure of a wait for an element or text that did not
// come, with reason from the page ("not found", "not visible", "covered by
// div.modal"...).
//
// The class is ASSERTION, or SCRIPT when the page threw an uncaught
// exception since the flow began (the page's own script most likely broke
// what the step waits for). When the flow's deadline, not the step's, ended
// the wait, it is TIMEOUT; when the browser went away, a probe error.
func (s *stepRun) notFound(spec findSpec, reason string) *failure {
	if s.flow.ctx.Err() != nil && !errors.Is(s.flow.ctx.Err(), context.DeadlineExceeded) {
		return s.ended("wait for "+spec.subject(), "")
	}
	what := spec.subject() + " " + reasonPhrase(spec.Kind, reason)
	if s.flowBound() {
		return fail(vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT, "flow deadline exceeded: %s", what)
	}
	what += " within " + s.timeout.String()
	if pe := s.rec.pageError(); pe != "" {
		return fail(vigilv1.ErrorClass_ERROR_CLASS_SCRIPT, "page script error %q; %s", pe, what)
	}
	return fail(vigilv1.ErrorClass_ERROR_CLASS_ASSERTION, "%s", what)
}

// reasonPhrase turns the page's reason into the end of a message.
func reasonPhrase(kind, reason string) string {
	switch {
	case kind == "text", reason == "", reason == "not found":
		return "not found"
	case reason == "not visible":
		return "not visible"
	default:
		return "not usable (" + reason + ")"
	}
}

// flowBound reports whether the flow's deadline comes no later than the
// step's, so that a wait that ran out ran out of flow time.
func (s *stepRun) flowBound() bool {
	fd, ok := s.flow.ctx.Deadline()
	if !ok {
		return false
	}
	sd, _ := s.ctx.Deadline()
	return !fd.After(sd)
}

// ended is the failure of a step whose context ended while it waited for
// what (a load, a navigation); detail says what it was still waiting for.
func (s *stepRun) ended(what, detail string) *failure {
	if detail != "" {
		detail = " (" + detail + ")"
	}
	if err := s.flow.ctx.Err(); err != nil {
		switch {
		case isGone(s.flow.ctx):
			return browserFailure(fmt.Errorf("%w during %s", context.Cause(s.flow.ctx), what))
		case errors.Is(err, context.DeadlineExceeded):
			return fail(vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT, "flow deadline exceeded: %s did not finish%s", what, detail)
		default:
			return probeFailure(fmt.Errorf("run canceled during %s", what))
		}
	}
	return fail(vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT, "%s did not finish within %s%s", what, s.timeout, detail)
}

// callFailed is the failure of a protocol call for what: a deadline when
// the step's context ended, else the browser's failure.
func (s *stepRun) callFailed(err error, what string) *failure {
	if s.ctx.Err() != nil {
		return s.ended(what, "")
	}
	return browserFailure(fmt.Errorf("%s: %w", what, err))
}

// subject names what a find waits for, in messages.
func (sp findSpec) subject() string {
	switch sp.Kind {
	case "click":
		if sp.Text != "" {
			return fmt.Sprintf("selector %s with text %q", sp.Selector, sp.Text)
		}
		return "selector " + sp.Selector
	case "text":
		if sp.Selector != "" {
			return fmt.Sprintf("text %q in %s", sp.Text, sp.Selector)
		}
		return fmt.Sprintf("text %q", sp.Text)
	case "fill":
		return "field " + sp.Selector
	case "select":
		return "select " + sp.Selector
	default:
		return "selector " + sp.Selector
	}
}
