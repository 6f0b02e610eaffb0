package browser

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/probe/internal/runner"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

const (
	// screenshotTimeout bounds the failing step's screenshot, which may be
	// taken after the flow's deadline: a hung renderer must not hold up the
	// result for longer than this.
	screenshotTimeout = 2 * time.Second
	// paintWait is how long the screenshot waits for a page that has not
	// been painted yet (Chromium's error page that is just being shown, an
	// error page of the site that is still parsing).
	paintWait = time.Second
)

// goneError is the cause of a run's context when the browser, the tab or
// its renderer went away under it.
type goneError struct{ what string }

func (e *goneError) Error() string { return e.what }

// Run runs check's flow once and returns its result; it implements
// runner.Runner. ctx carries the flow's deadline: Run returns at most about
// a second after it (the failing step's screenshot has a deadline of its
// own, and gives up on a page that was never painted after paintWait), even
// when the page hangs. The tab is closed after Run returns.
//
// Run fills the outcome, the timings and the diagnostics; the caller fills
// the identity fields. It is safe for concurrent use.
func (r *Runner) Run(ctx context.Context, check *vigilv1.Check) *vigilv1.Result {
	startedAt := time.Now()
	res := r.run(ctx, check)
	res.StartedAt = timestamppb.New(startedAt)
	if res.DurationUs == 0 {
		res.DurationUs = time.Since(startedAt).Microseconds()
	}
	return res
}

func (r *Runner) run(ctx context.Context, check *vigilv1.Check) *vigilv1.Result {
	p, err := planCheck(check, r.cfg.StepTimeout)
	if err != nil {
		return runner.ProbeError(fmt.Errorf("invalid browser check %q: %w", check.GetId(), err))
	}
	in, err := r.acquireHealthy(ctx)
	if err != nil {
		return runner.ProbeError(err)
	}
	return r.runOn(ctx, in, check, p)
}

// acquireHealthy returns a browser that just answered a health check. A
// browser found dead (crashed, OOM-killed) while idle is replaced and the run
// goes on on the new one: that cost the site nothing. A browser that hangs
// is replaced too, but the run ends as a probe error, since the health check
// used up time the flow was counting on.
func (r *Runner) acquireHealthy(ctx context.Context) (*instance, error) {
	for attempt := 0; ; attempt++ {
		in, err := r.acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("browser: %w", err)
		}
		err = in.check(ctx)
		if err == nil {
			return in, nil
		}
		in.inflight.Done()
		if ctx.Err() != nil {
			// The run's own deadline, not the browser: keep it.
			return nil, err
		}
		r.markBroken(in, err)
		if attempt > 0 || !diedIdle(in) {
			return nil, err
		}
		r.log.Warn("browser died between runs, starting another", "browser", in.gen, "err", err)
	}
}

// diedIdle reports whether in's connection dropped (its process died), as
// opposed to a browser that hangs. A dead process closes its pipe at once;
// the short wait covers the reader not having noticed yet.
func diedIdle(in *instance) bool {
	timer := time.NewTimer(200 * time.Millisecond)
	defer timer.Stop()
	select {
	case <-in.lost:
		return true
	case <-timer.C:
		return false
	}
}

// runOn runs the flow in a fresh tab of in (the spare, or a new one). It
// releases in's inflight count once the tab is closed, after it returns.
func (r *Runner) runOn(ctx context.Context, in *instance, check *vigilv1.Check, p *plan) *vigilv1.Result {
	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)

	tb := in.takeSpare(runCtx)
	if tb == nil {
		var err error
		if tb, err = in.openTab(runCtx, r.cfg.ExtraHeaders); err != nil {
			in.inflight.Done()
			if ctx.Err() == nil || in.dead() {
				r.markBroken(in, err)
			}
			return runner.ProbeError(fmt.Errorf("open tab: %w", err))
		}
	}
	// After the run, off its critical path: open the next run's spare tab
	// (not during the run, where it would compete for the CPU; at once, so
	// that a run that follows right away waits for it instead of opening a
	// second one), and close this tab and its browser context (~30 ms). The
	// browser is not retired before both are done.
	defer func() {
		go func() {
			r.mu.Lock()
			if r.cur == in && in.runs < r.cfg.RecycleAfter {
				in.prepareSpare(r.cfg.ExtraHeaders)
			}
			r.mu.Unlock()
			tb.close()
			in.inflight.Done()
		}()
	}()

	t, rec := tb.t, tb.rec
	go watchGone(runCtx, cancelRun, in, tb.detached, rec)
	go answerDialogs(runCtx, t, rec)

	f := &flow{t: t, rec: rec, ctx: runCtx}
	res := &vigilv1.Result{Status: vigilv1.ResultStatus_RESULT_STATUS_PASS}
	var failed *failure
	flowStart := time.Now()
	for i := range p.steps {
		sr, err := f.run(&p.steps[i])
		res.Steps = append(res.Steps, sr)
		if err != nil {
			failed = err
			res.FailedStep = uint32(i + 1)
			res.FailedStepName = p.steps[i].name
			break
		}
	}
	res.DurationUs = time.Since(flowStart).Microseconds()

	if failed != nil && !isProbe(failed) {
		res.Screenshot = r.shoot(ctx, tb, check)
	}
	rec.fill(res, check.GetTarget())

	if failed == nil {
		return res
	}
	var out *vigilv1.Result
	if isProbe(failed) {
		out = runner.ProbeError(failed)
		if failed.recycle {
			r.markBroken(in, failed)
		}
	} else {
		out = runner.Fail(failed.class, failed)
	}
	// Keep the outcome of runner.Fail/ProbeError, and everything measured.
	res.Status, res.ErrorClass, res.Error = out.Status, out.ErrorClass, out.Error
	r.log.Debug("flow failed", "check", check.GetId(), "step", res.FailedStep, "class", res.ErrorClass, "err", res.Error)
	return res
}

// shoot takes the failing step's screenshot, within screenshotTimeout even
// after the flow's deadline. A page that was never painted (its parser
// blocked by a hung script, say) gives no frame to capture: it gets
// paintWait to paint, and no screenshot when it does not.
func (r *Runner) shoot(ctx context.Context, tb *tab, check *vigilv1.Check) []byte {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), screenshotTimeout)
	defer cancel()
	pctx, pcancel := context.WithTimeout(ctx, paintWait)
	err := tb.rec.wait(pctx, tb.rec.paintedLocked)
	pcancel()
	if err != nil {
		r.log.Debug("no screenshot", "check", check.GetId(), "err", "the page was never painted")
		return nil
	}
	shot, err := screenshot(ctx, tb.t, r.cfg.ScreenshotMaxBytes)
	if err != nil {
		r.log.Debug("no screenshot", "check", check.GetId(), "err", err)
	}
	return shot
}

// watchGone cancels the run with a goneError when the browser connection
// drops, the tab is detached or its renderer crashes, so that no wait of
// the flow outlives them.
func watchGone(ctx context.Context, cancel context.CancelCauseFunc, in *instance, detached <-chan struct{}, rec *recorder) {
	select {
	case <-in.lost:
		cancel(&goneError{"browser connection lost"})
	case <-detached:
		cancel(&goneError{"tab closed by the browser"})
	case <-rec.crashed:
		cancel(&goneError{"renderer crashed"})
	case <-ctx.Done():
	}
}

// answerDialogs accepts the page's JavaScript dialogs (alert, confirm,
// prompt, beforeunload), which would otherwise block it.
func answerDialogs(ctx context.Context, t *chromedp.Target, rec *recorder) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-rec.dialogs:
			_, _ = cdp.Call(ctx, t, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}
}

// wrap annotates a non-nil err with what failed.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isGone reports whether the run's context ended because the browser went
// away.
func isGone(ctx context.Context) bool {
	var g *goneError
	return errors.As(context.Cause(ctx), &g)
}
