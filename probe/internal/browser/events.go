package browser

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Caps on what one run collects from a page, so that a noisy page cannot
// blow up the result (gRPC messages are capped at 4 MiB, and the coordinator
// stores every result).
const (
	maxEntries    = 20  // console errors, and failed requests, per run
	maxEntryChars = 300 // per console error or request URL
)

// recorder collects what the tab of one run reports: the state of the main
// frame's navigations, failed requests, console errors, uncaught exceptions
// and the first page's timings. It is the tab's listener.
//
// chromedp calls handle on the tab's read loop, in the order the browser sent
// the events. handle therefore only records, under mu, and never calls the
// browser: a protocol call from there would deadlock the tab. Waiters block
// in wait until the recorder changes. All methods are safe for concurrent use.
type recorder struct {
	world   string // name of the isolated world the runner's scripts run in
	binding string // name of the binding the vitals script reports through

	mu   sync.Mutex
	wake chan struct{} // closed and replaced on every recorded change

	mainFrame cdp.FrameID
	url       string // the main frame's URL

	navRequests int          // renderer-initiated navigations of the main frame
	navStarts   int          // cross-document navigations started in the main frame
	sameDoc     int          // same-document navigations started in the main frame
	loader      cdp.LoaderID // loader of the latest started cross-document navigation
	docs        map[cdp.LoaderID]*document
	current     cdp.LoaderID // loader of the main frame's committed document
	first       cdp.LoaderID // the first document committed in the run
	lastStatus  int          // status of the last main-frame document response

	worldCtx  string                                      // unique id of the main frame's isolated world, "" while there is none
	worldGen  int                                         // bumped whenever worldCtx changes
	ctxLoader map[runtime.ExecutionContextID]cdp.LoaderID // isolated world contexts -> their document

	requests map[network.RequestID]*request // in flight
	reqSeq   int
	failed   []*vigilv1.FailedRequest
	console  []string

	firstException string // the first uncaught exception, for SCRIPT failures

	crashed      chan struct{} // closed when the renderer crashes
	vitals       vitals        // of the first document
	firstPainted bool          // the flow waited for the first document's vitals once

	dialogs chan *page.EventJavascriptDialogOpening // handed to the run, which answers them
}

// document is what the recorder knows about one main-frame document load.
type document struct {
	url       string
	status    int
	errText   string
	canceled  bool
	committed bool
	dcl       bool
	loaded    bool
	painted   bool // the browser painted it at least once
	timing    *network.ResourceTiming
	certTo    float64 // certificate expiry, seconds since the epoch; 0 when not TLS
}

// request is a request in flight.
type request struct {
	seq    int // order of arrival
	url    string
	doc    bool         // a main-frame document
	loader cdp.LoaderID // its loader, for documents
}

// vitals are the first document's timings in milliseconds since its
// navigation started, as the vitals script reports them; cls is unitless.
type vitals struct {
	TTFB float64 `json:"ttfb"`
	DCL  float64 `json:"dcl"`
	Load float64 `json:"load"`
	LCP  float64 `json:"lcp"`
	CLS  float64 `json:"cls"`
}

func newRecorder(mainFrame cdp.FrameID, world, binding string) *recorder {
	return &recorder{
		world:     world,
		binding:   binding,
		wake:      make(chan struct{}),
		mainFrame: mainFrame,
		docs:      map[cdp.LoaderID]*document{},
		ctxLoader: map[runtime.ExecutionContextID]cdp.LoaderID{},
		requests:  map[network.RequestID]*request{},
		crashed:   make(chan struct{}),
		dialogs:   make(chan *page.EventJavascriptDialogOpening, 4),
	}
}

// setMainFrame sets the id of the main frame once the tab exists. Events
// that arrive before it are about about:blank and do not matter.
func (r *recorder) setMainFrame(id cdp.FrameID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mainFrame = id
}

// handle records one event of the tab. See the type's comment: it must
// return fast and never call the browser.
func (r *recorder) handle(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := true
	switch ev := ev.(type) {
	case *page.EventFrameRequestedNavigation:
		if ev.FrameID != r.mainFrame || ev.Disposition != page.ClientNavigationDispositionCurrentTab {
			return
		}
		r.navRequests++
	case *page.EventFrameStartedNavigating:
		if ev.FrameID != r.mainFrame {
			return
		}
		switch ev.NavigationType {
		case page.FrameStartedNavigatingNavigationTypeSameDocument, page.FrameStartedNavigatingNavigationTypeHistorySameDocument:
			r.sameDoc++
		default:
			r.navStarts++
			r.loader = ev.LoaderID
			r.doc(ev.LoaderID).url = ev.URL
		}
	case *page.EventLifecycleEvent:
		if ev.FrameID != r.mainFrame {
			return
		}
		d := r.doc(ev.LoaderID)
		switch ev.Name {
		case "init":
			d.committed = true
			r.current = ev.LoaderID
			if r.first == "" && d.url != "" { // not the tab's initial about:blank
				r.first = ev.LoaderID
			}
		case "DOMContentLoaded":
			d.dcl = true
		case "load":
			d.loaded = true
		case "firstPaint", "firstContentfulPaint":
			d.painted = true
		default:
			return
		}
	case *page.EventFrameNavigated:
		if ev.Frame.ParentID != "" || ev.Frame.ID != r.mainFrame {
			return
		}
		r.url = ev.Frame.URL + ev.Frame.URLFragment
	case *page.EventNavigatedWithinDocument:
		if ev.FrameID != r.mainFrame {
			return
		}
		r.url = ev.URL
	case *page.EventJavascriptDialogOpening:
		select {
		case r.dialogs <- ev:
		default: // the run is busy with earlier dialogs; they block the page anyway
		}
		changed = false
	case *network.EventRequestWillBeSent:
		doc := ev.Type == network.ResourceTypeDocument && ev.FrameID == r.mainFrame
		if old := r.requests[ev.RequestID]; old == nil {
			r.reqSeq++
			r.requests[ev.RequestID] = &request{seq: r.reqSeq, url: ev.Request.URL, doc: doc, loader: ev.LoaderID}
		} else {
			old.url = ev.Request.URL // a redirect
		}
		if !doc {
			return
		}
		d := r.doc(ev.LoaderID)
		d.url = ev.Request.URL
		if r.loader != ev.LoaderID && !d.committed && ev.RedirectResponse == nil {
			// A navigation the browser did not announce with
			// frameStartedNavigating (older Chromium): count it here.
			r.navStarts++
			r.loader = ev.LoaderID
		}
	case *network.EventResponseReceived:
		req := r.requests[ev.RequestID]
		status := int(ev.Response.Status)
		if req != nil && req.doc {
			d := r.doc(ev.LoaderID)
			d.status = status
			d.url = ev.Response.URL
			d.timing = ev.Response.Timing
			if sd := ev.Response.SecurityDetails; sd != nil {
				d.certTo = sd.ValidTo.Float64()
			}
			r.lastStatus = status
			break
		}
		if status >= 400 && !browserOwn(ev.Type, ev.Response.URL) {
			r.addFailed(&vigilv1.FailedRequest{Url: clip(ev.Response.URL), Status: uint32(status)})
		}
		changed = false
	case *network.EventLoadingFinished:
		delete(r.requests, ev.RequestID)
		changed = false
	case *network.EventLoadingFailed:
		req := r.requests[ev.RequestID]
		delete(r.requests, ev.RequestID)
		if req == nil {
			return
		}
		if req.doc {
			d := r.doc(req.loader)
			d.errText, d.canceled = ev.ErrorText, ev.Canceled
			break
		}
		if !ev.Canceled && !browserOwn(ev.Type, req.url) {
			r.addFailed(&vigilv1.FailedRequest{Url: clip(req.url), Error: ev.ErrorText})
		}
		changed = false
	case *runtime.EventExecutionContextCreated:
		r.contextCreated(ev.Context)
	case *runtime.EventExecutionContextDestroyed:
		if ev.ExecutionContextUniqueID != r.worldCtx {
			return
		}
		r.worldCtx = ""
		r.worldGen++
	case *runtime.EventExecutionContextsCleared:
		r.worldCtx = ""
		r.worldGen++
	case *runtime.EventBindingCalled:
		if ev.Name != r.binding || r.first == "" || r.ctxLoader[ev.ExecutionContextID] != r.first {
			return
		}
		r.vitals.merge(ev.Payload)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		r.addConsole(consoleText(ev.Args))
		changed = false
	case *runtime.EventExceptionThrown:
		msg := exceptionText(ev.ExceptionDetails)
		if r.firstException == "" {
			r.firstException = clip(msg)
		}
		r.addConsole(msg)
	case *inspector.EventTargetCrashed:
		select {
		case <-r.crashed:
		default:
			close(r.crashed)
		}
	default:
		return
	}
	if changed {
		close(r.wake)
		r.wake = make(chan struct{})
	}
}

// doc returns the state of the document of loader, creating it. Callers
// hold mu.
func (r *recorder) doc(loader cdp.LoaderID) *document {
	d, ok := r.docs[loader]
	if !ok {
		d = &document{}
		r.docs[loader] = d
	}
	return d
}

// contextCreated tracks the isolated world of the main frame. Callers hold
// mu.
func (r *recorder) contextCreated(c *runtime.ExecutionContextDescription) {
	if c == nil || c.Name != r.world {
		return
	}
	var aux struct {
		FrameID cdp.FrameID `json:"frameId"`
	}
	if err := json.Unmarshal(c.AuxData, &aux); err != nil || aux.FrameID != r.mainFrame {
		return
	}
	r.worldCtx = c.UniqueID
	r.worldGen++
	// The world is created as the new document starts, after its commit.
	if len(r.ctxLoader) < 64 {
		r.ctxLoader[c.ID] = r.current
	}
}

func (r *recorder) addFailed(f *vigilv1.FailedRequest) {
	if len(r.failed) < maxEntries {
		r.failed = append(r.failed, f)
	}
}

func (r *recorder) addConsole(msg string) {
	if len(r.console) < maxEntries {
		r.console = append(r.console, clip(msg))
	}
}

// wait blocks until cond, called under mu, returns true, or ctx ends.
func (r *recorder) wait(ctx context.Context, cond func() bool) error {
	for {
		r.mu.Lock()
		ok := cond()
		wake := r.wake
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// navMark is a point in the main frame's navigation history.
type navMark struct{ requests, starts, sameDoc int }

func (r *recorder) mark() navMark {
	r.mu.Lock()
	defer r.mu.Unlock()
	return navMark{r.navRequests, r.navStarts, r.sameDoc}
}

// world returns the unique id of the main frame's isolated world ("" while
// a new document is on its way) and its generation.
func (r *recorder) worldContext() (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.worldCtx, r.worldGen
}

// paintedLocked reports whether the current main-frame document was
// painted. Chromium's own error pages report no lifecycle events, but are
// shown at once. Callers hold mu.
func (r *recorder) paintedLocked() bool {
	if strings.HasPrefix(r.url, "chrome-error://") {
		return true
	}
	d, ok := r.docs[r.current]
	return ok && d.painted
}

// currentURL is the main frame's URL.
func (r *recorder) currentURL() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.url
}

// oldestPending returns the URL of the oldest request still in flight and
// the number of requests in flight.
func (r *recorder) oldestPending() (url string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var oldest *request
	for _, req := range r.requests {
		if oldest == nil || req.seq < oldest.seq {
			oldest = req
		}
	}
	if oldest == nil {
		return "", 0
	}
	return oldest.url, len(r.requests)
}

// document returns a copy of what is known about the document of loader.
func (r *recorder) document(loader cdp.LoaderID) document {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.docs[loader]; ok {
		return *d
	}
	return document{}
}

// pageError is the first uncaught exception of the run, "" when none.
func (r *recorder) pageError() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstException
}

// merge takes the non-zero fields of a report of the vitals script.
func (v *vitals) merge(payload string) {
	var in vitals
	if err := json.Unmarshal([]byte(payload), &in); err != nil {
		return
	}
	for _, f := range []struct{ dst, src *float64 }{
		{&v.TTFB, &in.TTFB}, {&v.DCL, &in.DCL}, {&v.Load, &in.Load}, {&v.LCP, &in.LCP}, {&v.CLS, &in.CLS},
	} {
		if *f.src > 0 {
			*f.dst = *f.src
		}
	}
}
