package browser

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// spareTimeout bounds the background opening of a spare tab.
const spareTimeout = 30 * time.Second

// tab is the page of one run: a new tab in a new incognito browser context,
// with its recorder listening from its first event and the runner's
// vitals script and binding installed.
type tab struct {
	t        *chromedp.Target
	rec      *recorder
	detached <-chan struct{} // closed when the browser detaches the tab
	cancel   context.CancelFunc
	wait     context.CancelFunc // chromedp's cancel: waits until the tab and its context are gone
}

// close closes the tab and disposes of its browser context. It blocks
// until the browser confirms (~30 ms), at most a few seconds.
func (tb *tab) close() {
	tb.cancel()
	tb.wait()
}

// gone reports whether the browser already detached the tab or its
// renderer crashed.
func (tb *tab) gone() bool {
	select {
	case <-tb.detached:
		return true
	case <-tb.rec.crashed:
		return true
	default:
		return false
	}
}

// openTab opens a tab in a new incognito browser context of in and
// prepares it. ctx bounds the opening; the tab itself lives until close
// (or until the browser dies). On error, nothing is left open.
func (in *instance) openTab(ctx context.Context, headers map[string]string) (*tab, error) {
	rec := newRecorder("", worldName, bindingName)
	parent, cancel := context.WithCancel(in.browserCtx)
	tabCtx, wait := chromedp.NewContext(parent, chromedp.WithNewBrowserContext(), chromedp.WithListener(rec.handle))
	tb := &tab{rec: rec, cancel: cancel, wait: wait}

	// The first Do binds the tab's lifetime to the context it gets, so it
	// gets tabCtx, and ctx bounds the wait for it instead.
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(tabCtx) }()
	var err error
	select {
	case err = <-opened:
	case <-ctx.Done():
		err = fmt.Errorf("no tab in time: %w", ctx.Err())
	}
	if err == nil {
		tb.t = chromedp.FromContext(tabCtx).Target
		tb.detached, err = chromedp.Detached(tabCtx)
	}
	if err == nil {
		rec.setMainFrame(cdp.FrameID(tb.t.TargetID))
		err = setUp(ctx, tb.t, headers)
	}
	if err != nil {
		go tb.close()
		return nil, err
	}
	return tb, nil
}

// setUp prepares a new tab. The calls are independent, so they go out
// together.
func setUp(ctx context.Context, t *chromedp.Target, headers map[string]string) error {
	calls := []func() error{
		// chromedp enables the DOM and CSS domains for its node queries,
		// which the runner does not use: with them on, every document
		// costs a full DOM.getDocument and a stream of node events.
		func() error { _, err := cdp.Call(ctx, t, css.Disable, cdp.Empty{}); return wrap(err, "disable css") },
		func() error { _, err := cdp.Call(ctx, t, dom.Disable, cdp.Empty{}); return wrap(err, "disable dom") },
		// The window is 1280x800 with headless Chromium's window frame;
		// the page gets exactly 1280x800, whatever the frame.
		func() error {
			_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: windowWidth, Height: windowHeight, DeviceScaleFactor: 1,
			})
			return wrap(err, "set viewport")
		},
		func() error {
			_, err := cdp.Call(ctx, t, runtime.AddBinding, runtime.AddBindingParams{Name: bindingName, ExecutionContextName: worldName})
			return wrap(err, "add binding")
		},
		func() error {
			_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: vitalsScript, WorldName: worldName})
			return wrap(err, "add vitals script")
		},
	}
	if len(headers) > 0 {
		h := make(network.Headers, len(headers))
		for k, v := range headers {
			h[k] = v
		}
		calls = append(calls, func() error {
			_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: h})
			return wrap(err, "set extra headers")
		})
	}
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Go(func() { errs[i] = call() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// The spare tab: opening a tab costs ~13 protocol round trips and a new
// window (0.2-0.7 s on a busy 2-core machine), so each browser keeps one
// fresh tab open ahead of the next run. A run takes it and a new one is
// opened in the background. The spare has never loaded a page, so runs stay
// as isolated as with a tab opened on demand; its cost is one idle
// about:blank renderer.

// takeSpare returns the spare tab, or nil when there is none (or it died
// while it waited). When a spare is being opened, it waits for it, as long
// as ctx allows: under back-to-back runs that is sooner, and cheaper, than
// opening another tab next to it.
func (in *instance) takeSpare(ctx context.Context) *tab {
	in.spareMu.Lock()
	if in.spareTab == nil && in.preparing {
		ready := in.spareReady
		in.spareMu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return nil
		}
		in.spareMu.Lock()
	}
	tb := in.spareTab
	in.spareTab = nil
	in.spareMu.Unlock()
	if tb != nil && tb.gone() {
		go tb.close()
		return nil
	}
	return tb
}

// prepareSpare opens the next spare tab in the background, unless one is
// there or being opened, or in is retiring. The opening holds a count of
// in.inflight, so that a recycle does not kill in under it; the caller
// makes sure that count is not the first while a retirement waits (it holds
// a count itself, or in is not yet in service).
func (in *instance) prepareSpare(headers map[string]string) {
	in.spareMu.Lock()
	if in.spareTab != nil || in.preparing || in.retired {
		in.spareMu.Unlock()
		return
	}
	in.preparing = true
	ready := make(chan struct{})
	in.spareReady = ready
	in.inflight.Add(1)
	in.spareMu.Unlock()
	go func() {
		defer in.inflight.Done()
		ctx, cancel := context.WithTimeout(context.Background(), spareTimeout)
		defer cancel()
		tb, err := in.openTab(ctx, headers)
		in.spareMu.Lock()
		in.preparing = false
		keep := err == nil && !in.retired
		if keep {
			in.spareTab = tb
		}
		close(ready)
		in.spareMu.Unlock()
		if err != nil {
			in.log.Debug("spare tab", "err", err)
		} else if !keep {
			tb.close()
		}
	}()
}

// retireTabs stops preparing spare tabs for in and closes the spare.
func (in *instance) retireTabs() {
	in.spareMu.Lock()
	in.retired = true
	tb := in.spareTab
	in.spareTab = nil
	in.spareMu.Unlock()
	if tb != nil {
		tb.close()
	}
}
