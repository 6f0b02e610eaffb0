package browser

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// navStartGrace is how long a click that requested a navigation waits for
// the navigation to start before it decides the page canceled it. The
// browser starts a requested navigation within milliseconds.
const navStartGrace = 2 * time.Second

// vitalsWait bounds awaitFirstPaint. An image LCP usually follows the load
// event by tens of milliseconds; a page with no contentful element never
// reports one, and pays this once per run.
const vitalsWait = time.Second

// flow runs the steps of one run in its tab. Steps run one after the
// other; a flow is not safe for concurrent use.
type flow struct {
	t   *chromedp.Target
	rec *recorder
	// ctx is the run's context: the flow's deadline, canceled with a
	// goneError when the browser, the tab or the renderer goes away.
	ctx context.Context
}

// stepRun is one step in progress.
type stepRun struct {
	*flow
	ctx     context.Context // the step's deadline, under the flow's
	timeout time.Duration   // the step's own timeout, for messages
}

// run runs one step under its deadline and reports its timing.
func (f *flow) run(ps *plannedStep) (*vigilv1.StepResult, *failure) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(f.ctx, ps.timeout)
	s := &stepRun{flow: f, ctx: ctx, timeout: ps.timeout}
	err := s.do(ps)
	cancel()
	return &vigilv1.StepResult{
		Name:       ps.name,
		DurationUs: time.Since(start).Microseconds(),
		Ok:         err == nil,
		Url:        f.rec.currentURL(),
	}, err
}

func (s *stepRun) do(ps *plannedStep) *failure {
	switch ps.GetAction() {
	case vigilv1.StepAction_STEP_ACTION_GOTO:
		return s.gotoURL(ps.url)
	case vigilv1.StepAction_STEP_ACTION_CLICK:
		return s.click(ps.GetSelector(), ps.GetText())
	case vigilv1.StepAction_STEP_ACTION_FILL:
		for _, fv := range ps.GetFields() {
			if err := s.fill(fv.GetSelector(), fv.GetValue()); err != nil {
				return err
			}
		}
		return nil
	case vigilv1.StepAction_STEP_ACTION_SELECT:
		mark := s.rec.mark()
		if _, err := s.find(findSpec{Kind: "select", Selector: ps.GetSelector(), Value: ps.GetValue()}); err != nil {
			return err
		}
		return s.afterInput(mark) // a select may submit its form
	case vigilv1.StepAction_STEP_ACTION_EXPECT_TEXT:
		_, err := s.find(findSpec{Kind: "text", Selector: ps.GetSelector(), Text: ps.GetText()})
		return err
	case vigilv1.StepAction_STEP_ACTION_EXPECT_SELECTOR:
		_, err := s.find(findSpec{Kind: "visible", Selector: ps.GetSelector()})
		return err
	case vigilv1.StepAction_STEP_ACTION_WAIT:
		return s.pause(ps.GetWait().AsDuration())
	default:
		// planCheck accepts only the actions above.
		return probeFailure(fmt.Errorf("unknown action %s", ps.GetAction()))
	}
}

// gotoURL navigates to u and waits for its load event.
func (s *stepRun) gotoURL(u string) *failure {
	res, err := cdp.Call(s.ctx, s.t, page.Navigate, page.NavigateParams{URL: u})
	if err != nil {
		if s.ctx.Err() != nil {
			return s.ended("load of "+u, s.waitingFor())
		}
		return browserFailure(fmt.Errorf("navigate to %s: %w", u, err))
	}
	if res.ErrorText != "" {
		if d := s.rec.document(res.LoaderID); d.status >= 400 {
			return statusFailure(d.status, u)
		}
		return netFailure(res.ErrorText, u)
	}
	if res.LoaderID == "" {
		return nil // same-document navigation: nothing to load
	}
	if err := s.settle(res.LoaderID, u); err != nil {
		return err
	}
	s.awaitFirstPaint()
	return nil
}

// awaitFirstPaint waits, on the run's first document only, until the
// vitals script has reported its navigation timing and a Largest
// Contentful Paint, for at most vitalsWait. The page stops reporting LCP
// at the first input, and a script clicks faster than any user: without
// this wait the first page's LCP would depend on how fast the next step
// runs, and would mostly be missing. The wait is part of the goto step.
func (s *stepRun) awaitFirstPaint() {
	ctx, cancel := context.WithTimeout(s.ctx, vitalsWait)
	defer cancel()
	_ = s.rec.wait(ctx, func() bool {
		if s.rec.current != s.rec.first || s.rec.firstPainted {
			return true
		}
		return s.rec.vitals.Load > 0 && s.rec.vitals.LCP > 0
	})
	s.rec.mu.Lock()
	s.rec.firstPainted = true
	s.rec.mu.Unlock()
}

// click clicks the first visible element matching sel (containing text,
// when set) with real mouse events at its centre, and waits for the
// navigation the click causes, if any.
func (s *stepRun) click(sel, text string) *failure {
	spec := findSpec{Kind: "click", Selector: sel, Text: text}
	at, err := s.find(spec)
	if err != nil {
		return err
	}
	mark := s.rec.mark()
	// Pressing at a new position moves the pointer there first (Blink
	// updates hover and fires mouseover), so no separate move is sent.
	for _, ev := range []input.DispatchMouseEventParams{
		{Type: input.DispatchMouseEventTypeMousePressed, X: at.X, Y: at.Y, Button: input.MouseButtonLeft, Buttons: 1, ClickCount: 1},
		{Type: input.DispatchMouseEventTypeMouseReleased, X: at.X, Y: at.Y, Button: input.MouseButtonLeft, ClickCount: 1},
	} {
		if _, err := cdp.Call(s.ctx, s.t, input.DispatchMouseEvent, ev); err != nil {
			return s.callFailed(err, "click "+spec.subject())
		}
	}
	return s.afterInput(mark)
}

// fill replaces the content of the field matching sel with value: the page
// script focuses and selects it, and the browser inserts the text as if
// typed in one go (Input.insertText: input events, no per-key cost).
func (s *stepRun) fill(sel, value string) *failure {
	if _, err := s.find(findSpec{Kind: "fill", Selector: sel, Value: value}); err != nil {
		return err
	}
	if value == "" {
		return nil // the script cleared the field
	}
	if _, err := cdp.Call(s.ctx, s.t, input.InsertText, input.InsertTextParams{Text: value}); err != nil {
		return s.callFailed(err, "type into field "+sel)
	}
	return nil
}

// pause waits d.
func (s *stepRun) pause(d time.Duration) *failure {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-s.ctx.Done():
		return s.ended("wait of "+d.String(), "")
	}
}

// afterInput waits for the navigation that the input since mark requested,
// if any, to load. A navigation that the page starts later (after a fetch,
// say) is not waited for; the next step's wait for its element covers it.
func (s *stepRun) afterInput(mark navMark) *failure {
	// One round trip through the renderer's protocol session: a navigation
	// that the input requested is reported before its answer arrives.
	_, _ = cdp.Call(s.ctx, s.t, runtime.Evaluate, runtime.EvaluateParams{Expression: "0", Silent: new(true)})
	now := s.rec.mark()
	if now.requests == mark.requests && now.starts == mark.starts {
		return nil
	}
	if now.starts == mark.starts {
		wctx, cancel := context.WithTimeout(s.ctx, navStartGrace)
		err := s.rec.wait(wctx, func() bool {
			return s.rec.navStarts > mark.starts || s.rec.sameDoc > mark.sameDoc
		})
		cancel()
		if s.ctx.Err() != nil {
			return s.ended("navigation after input", "")
		}
		if err != nil || s.rec.mark().starts == mark.starts {
			return nil // canceled by the page, or within the document
		}
	}
	return s.settle("", "")
}

// settle waits until the main-frame navigation of loader l (or of the
// latest one, when l is empty or a newer navigation replaced it) has
// loaded, and checks how its document arrived. u names it in messages
// until its own URL is known.
func (s *stepRun) settle(l cdp.LoaderID, u string) *failure {
	var d document
	err := s.rec.wait(s.ctx, func() bool {
		if cur := s.rec.loader; cur != "" {
			l = cur
		}
		doc := s.rec.docs[l]
		if doc == nil {
			return false
		}
		d = *doc
		// An error page is done once it is parsed: it may load scripts
		// that hang, and its status is all that matters.
		return d.loaded || d.errText != "" || (d.status >= 400 && d.dcl)
	})
	if d.url != "" {
		u = d.url
	}
	switch {
	case d.status >= 400:
		return statusFailure(d.status, u)
	case err != nil:
		return s.ended("load of "+u, s.waitingFor())
	case d.errText != "" && d.canceled:
		return nil // the page canceled it (a download, a 204): nothing new loaded
	case d.errText != "":
		return netFailure(d.errText, u)
	}
	return nil
}

// waitingFor names the oldest request still in flight, for messages about
// loads that did not finish.
func (s *stepRun) waitingFor() string {
	url, n := s.rec.oldestPending()
	switch n {
	case 0:
		return ""
	case 1:
		return "waiting for " + url
	default:
		return fmt.Sprintf("waiting for %s and %d more", url, n-1)
	}
}
