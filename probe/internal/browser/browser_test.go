package browser

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/vigilhq/vigil/internal/shop"
	"github.com/vigilhq/vigil/internal/testwait"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// flowDeadline is the flow deadline of the tests' runs: generous, because
// the tests share two cores with everything else; the tests assert
// outcomes, never speed.
const flowDeadline = 60 * time.Second

// TestFlows runs flows against the demo shop on one shared runner, as a
// probe does.
func TestFlows(t *testing.T) {
	r := newRunner(t, Config{})
	t.Run("checkout passes", func(t *testing.T) { testCheckoutPasses(t, r) })
	t.Run("concurrent runs", func(t *testing.T) { testConcurrentRuns(t, r) })
	t.Run("faults", func(t *testing.T) { testFaults(t, r) })
	t.Run("page details", func(t *testing.T) { testPageDetails(t, r) })
	t.Run("canceled run", func(t *testing.T) { testCanceledRun(t, r) })
}

// testCanceledRun checks that a run whose context is already over is a
// probe error that leaves the browser alone.
func testCanceledRun(t *testing.T, r *Runner) {
	_, srv := newShop(t)
	pid := r.browserPID()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := r.Run(ctx, browserCheck(srv.URL, gotoStep("/")))
	if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR {
		t.Errorf("run with a canceled context: %s, want PROBE_ERROR", describe(res))
	}
	res = runCheck(t, r, browserCheck(srv.URL, gotoStep("/")), flowDeadline)
	if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
		t.Errorf("the run after: %s", describe(res))
	}
	if got := r.browserPID(); got != pid {
		t.Errorf("browser pid %d, want %d: a canceled run must not restart the browser", got, pid)
	}
}

// detailsPage exercises what the shop does not: a field with a value to
// replace, a hidden element before the visible one, a select chosen by its
// label, an element that appears late, a covered button, a console error
// and a missing image.
const detailsPage = `<!doctype html><html><head><title>details</title></head><body>
<input id="f" value="old"><div id="mirror"></div>
<button class="b" style="display:none" onclick="out.textContent='hidden'">Go</button>
<button class="b" onclick="out.textContent='visible'">Go</button>
<select id="s"><option value="a">Alpha</option><option value="b">Beta</option></select>
<div id="out"></div><div id="sel"></div>
<div style="position:relative"><button id="under">Under</button>
<div id="overlay" style="position:absolute;inset:0;background:#fff"></div></div>
<img src="/missing.png" alt="">
<script>
f.addEventListener('input', () => { mirror.textContent = '[' + f.value + ']'; });
s.addEventListener('change', () => { sel.textContent = 'sel=' + s.value; });
setTimeout(() => { const p = document.createElement('p'); p.id = 'late'; p.textContent = 'late'; document.body.appendChild(p); }, 300);
console.error('boom', 42);
</script></body></html>`

func testPageDetails(t *testing.T, r *Runner) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/" {
			http.NotFound(w, req)
			return
		}
		_, _ = io.WriteString(w, detailsPage)
	}))
	t.Cleanup(srv.Close)

	res := runCheck(t, r, browserCheck(srv.URL,
		gotoStep("/"),
		fillStep("#f", "new"),
		expectText("#mirror", "[new]"),
		clickStep(".b", "Go"),
		expectText("#out", "visible"),
		selectStep("#s", "Beta"),
		expectText("#sel", "sel=b"),
		expectSelector("#late"),
	), flowDeadline)
	if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
		t.Fatalf("want PASS: %s", describe(res))
	}
	if got := strings.Join(res.GetConsoleErrors(), "|"); got != "boom 42" {
		t.Errorf("console_errors = %q, want the page's console.error", got)
	}
	if f := res.GetFailedRequests(); len(f) != 1 || f[0].GetStatus() != 404 || !strings.HasSuffix(f[0].GetUrl(), "/missing.png") {
		t.Errorf("failed_requests = %v, want the missing image", f)
	}

	res = runCheck(t, r, browserCheck(srv.URL, gotoStep("/"), withTimeout(clickStep("#under", ""), time.Second)), flowDeadline)
	if res.GetErrorClass() != vigilv1.ErrorClass_ERROR_CLASS_ASSERTION || !strings.Contains(res.GetError(), "covered by div#overlay") {
		t.Errorf("click on a covered button: %s", describe(res))
	}
}

func testCheckoutPasses(t *testing.T, r *Runner) {
	s, srv := newShop(t)

	res := runCheck(t, r, browserCheck(srv.URL, checkoutSteps()...), flowDeadline)

	if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
		t.Fatalf("checkout: %s", describe(res))
	}
	if got, want := len(res.GetSteps()), len(checkoutSteps()); got != want {
		t.Fatalf("got %d step results, want %d: %s", got, want, describe(res))
	}
	for i, st := range res.GetSteps() {
		if !st.GetOk() || st.GetDurationUs() <= 0 || st.GetName() == "" || st.GetUrl() == "" {
			t.Errorf("step %d = %+v, want ok, named, timed, with a URL", i+1, st)
		}
	}
	if got := res.GetSteps()[1].GetName(); got != `click a.product "Coffee"` {
		t.Errorf("default step name = %q", got)
	}
	if !strings.Contains(res.GetSteps()[len(res.GetSteps())-1].GetUrl(), "/order/") {
		t.Errorf("last step URL = %q, want the order page", res.GetSteps()[len(res.GetSteps())-1].GetUrl())
	}
	for name, v := range map[string]int64{
		"duration_us": res.GetDurationUs(), "ttfb_us": res.GetTtfbUs(),
		"dom_content_loaded_us": res.GetDomContentLoadedUs(), "load_us": res.GetLoadUs(), "lcp_us": res.GetLcpUs(),
	} {
		if v <= 0 {
			t.Errorf("%s = %d, want > 0", name, v)
		}
	}
	if res.GetTtfbUs() > res.GetLoadUs() || res.GetDomContentLoadedUs() > res.GetLoadUs() {
		t.Errorf("ttfb %d, dcl %d, load %d: want ttfb <= load and dcl <= load", res.GetTtfbUs(), res.GetDomContentLoadedUs(), res.GetLoadUs())
	}
	if res.GetHttpStatus() != 200 || res.GetTlsCertExpiryDays() != -1 {
		t.Errorf("http_status %d, tls_cert_expiry_days %d; want 200, -1", res.GetHttpStatus(), res.GetTlsCertExpiryDays())
	}
	if res.GetFailedStep() != 0 || len(res.GetScreenshot()) != 0 || res.GetStartedAt() == nil {
		t.Errorf("failed_step %d, screenshot %d bytes, started_at %v; want 0, 0, set", res.GetFailedStep(), len(res.GetScreenshot()), res.GetStartedAt())
	}
	if len(res.GetConsoleErrors()) != 0 || len(res.GetFailedRequests()) != 0 {
		t.Errorf("a healthy shop has no console errors or failed requests: %s", describe(res))
	}
	if got := s.Orders(); got != 1 {
		t.Errorf("orders = %d, want 1", got)
	}
}

// testFaults checks that each way the shop breaks gives the right status,
// class and failing step.
func testFaults(t *testing.T, r *Runner) {
	short := 3 * time.Second // the failing steps' own timeout, to keep the test fast

	missingButton := checkoutSteps()
	withTimeout(missingButton[stepAddToCart-1], short)
	brokenScript := checkoutSteps()
	withTimeout(brokenScript[stepCartCount-1], short)

	cases := []struct {
		name      string
		faults    []shop.Fault
		steps     []*vigilv1.Step
		class     vigilv1.ErrorClass
		step      uint32
		errSubstr string
		status    uint32 // Result.http_status, when not 0
		noShot    bool   // Chromium's own error page: a screenshot is optional
	}{
		{
			name:   "outage 503",
			faults: []shop.Fault{{Kind: shop.FaultOutage, Mode: "503"}},
			class:  vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, step: stepHome, errSubstr: "HTTP 503", status: 503,
		},
		{
			name:   "outage refuse",
			faults: []shop.Fault{{Kind: shop.FaultOutage, Mode: "refuse"}},
			class:  vigilv1.ErrorClass_ERROR_CLASS_CONNECT, step: stepHome, errSubstr: "net::ERR_", noShot: true,
		},
		{
			name:   "checkout 500",
			faults: []shop.Fault{{Kind: shop.FaultCheckout500}},
			class:  vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, step: stepPlaceOrder, errSubstr: "HTTP 500", status: 500,
		},
		{
			name:   "missing add to cart",
			faults: []shop.Fault{{Kind: shop.FaultMissingAddToCart}},
			steps:  missingButton,
			class:  vigilv1.ErrorClass_ERROR_CLASS_ASSERTION, step: stepAddToCart, errSubstr: "selector #add-to-cart not found within 3s",
		},
		{
			name:   "product js error",
			faults: []shop.Fault{{Kind: shop.FaultProductJSError}},
			steps:  brokenScript,
			class:  vigilv1.ErrorClass_ERROR_CLASS_SCRIPT, step: stepCartCount, errSubstr: "page script error",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := newShop(t, tc.faults...)
			steps := tc.steps
			if steps == nil {
				steps = checkoutSteps()
			}

			res := runCheck(t, r, browserCheck(srv.URL, steps...), flowDeadline)

			if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_FAIL || res.GetErrorClass() != tc.class || res.GetFailedStep() != tc.step {
				t.Fatalf("got %s at step %d, want FAIL %s at step %d:\n%s", res.GetErrorClass(), res.GetFailedStep(), tc.class, tc.step, describe(res))
			}
			if !strings.Contains(res.GetError(), tc.errSubstr) {
				t.Errorf("error %q does not contain %q", res.GetError(), tc.errSubstr)
			}
			if got, want := res.GetFailedStepName(), res.GetSteps()[tc.step-1].GetName(); got != want || got == "" {
				t.Errorf("failed_step_name = %q, want %q", got, want)
			}
			if got := len(res.GetSteps()); got != int(tc.step) {
				t.Errorf("%d step results, want %d (the flow stops at the failing step)", got, tc.step)
			}
			if last := res.GetSteps()[len(res.GetSteps())-1]; last.GetOk() || last.GetDurationUs() <= 0 {
				t.Errorf("failing step result %+v, want not ok and timed", last)
			}
			if !tc.noShot || len(res.GetScreenshot()) > 0 {
				checkScreenshot(t, res, defaultScreenshotMaxBytes)
			}
			if tc.status != 0 && res.GetHttpStatus() != tc.status {
				t.Errorf("http_status = %d, want %d", res.GetHttpStatus(), tc.status)
			}
			if tc.class == vigilv1.ErrorClass_ERROR_CLASS_SCRIPT && len(res.GetConsoleErrors()) == 0 {
				t.Errorf("console_errors is empty, want the page's exception")
			}
		})
	}

	t.Run("untrusted certificate", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(shop.New(shop.Options{}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the browser's rejections
		srv.StartTLS()
		t.Cleanup(srv.Close)
		res := runCheck(t, r, browserCheck(srv.URL, gotoStep("/")), flowDeadline)
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_FAIL || res.GetErrorClass() != vigilv1.ErrorClass_ERROR_CLASS_TLS || res.GetFailedStep() != 1 {
			t.Fatalf("want FAIL TLS at step 1: %s", describe(res))
		}
		if len(res.GetScreenshot()) > 0 { // Chromium's error page, when it was shown in time
			checkScreenshot(t, res, defaultScreenshotMaxBytes)
		}
	})

	t.Run("slow product page within the deadline", func(t *testing.T) {
		s, srv := newShop(t, shop.Fault{Kind: shop.FaultSlow, Path: "/product/", Delay: shop.Duration(time.Second)})
		res := runCheck(t, r, browserCheck(srv.URL, checkoutSteps()...), flowDeadline)
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Fatalf("want PASS: %s", describe(res))
		}
		if d := res.GetSteps()[1].GetDurationUs(); d < time.Second.Microseconds() {
			t.Errorf("the click into the slow product page took %dus, want it to include the 1s delay", d)
		}
		if s.Orders() != 1 {
			t.Errorf("orders = %d, want 1", s.Orders())
		}
	})

	t.Run("hung third party hits the flow deadline", func(t *testing.T) {
		s, srv := newShop(t, shop.Fault{Kind: shop.FaultHungThirdParty})
		const deadline = 3 * time.Second
		start := time.Now()
		res := runCheck(t, r, browserCheck(srv.URL, checkoutSteps()...), deadline)
		elapsed := time.Since(start)

		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_FAIL || res.GetErrorClass() != vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT || res.GetFailedStep() != stepHome {
			t.Fatalf("want FAIL TIMEOUT at step 1: %s", describe(res))
		}
		if !strings.Contains(res.GetError(), "/thirdparty/widget.js") {
			t.Errorf("error %q does not name the request the page waits for", res.GetError())
		}
		// The contract of runner.Runner: back shortly after the deadline
		// (the page that never painted gets 1s for a screenshot). Not a
		// speed assertion.
		if limit := deadline + 3*time.Second; elapsed > limit {
			t.Errorf("Run returned %s after it started, want under %s", elapsed, limit)
		}

		s.SetFaults(nil)
		res = runCheck(t, r, browserCheck(srv.URL, checkoutSteps()...), flowDeadline)
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Fatalf("the run after the fault cleared: %s", describe(res))
		}
	})

	t.Run("steps", func(t *testing.T) {
		_, srv := newShop(t)
		res := runCheck(t, r, browserCheck(srv.URL,
			gotoStep("/product/tea"),
			expectSelector("#add-to-cart"),
			waitStep(10*time.Millisecond),
			clickStep("a.logo", ""),
			expectText("", "Coffee"),
		), flowDeadline)
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Fatalf("want PASS: %s", describe(res))
		}
		if u := res.GetSteps()[3].GetUrl(); !strings.HasSuffix(u, "/") || strings.Contains(u, "product") {
			t.Errorf("after clicking the logo the page is %q, want home", u)
		}
	})

	t.Run("invalid check is a probe error", func(t *testing.T) {
		res := runCheck(t, r, browserCheck("", gotoStep("/")), flowDeadline)
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR || res.GetErrorClass() != vigilv1.ErrorClass_ERROR_CLASS_PROBE {
			t.Fatalf("want PROBE_ERROR: %s", describe(res))
		}
	})
}

// checkScreenshot checks that a failing result has a JPEG within the cap,
// of the whole viewport under the default cap (a smaller cap may scale it).
func checkScreenshot(t *testing.T, res *vigilv1.Result, limit int) {
	t.Helper()
	shot := res.GetScreenshot()
	switch {
	case len(shot) == 0:
		t.Errorf("no screenshot of the failing step")
	case len(shot) > limit:
		t.Errorf("screenshot of %d bytes, over the cap of %d", len(shot), limit)
	default:
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(shot))
		if err != nil {
			t.Errorf("screenshot is not a JPEG: %v", err)
			return
		}
		if limit == defaultScreenshotMaxBytes && (cfg.Width != windowWidth || cfg.Height != windowHeight) {
			t.Errorf("full-size screenshot is %dx%d, want the %dx%d viewport", cfg.Width, cfg.Height, windowWidth, windowHeight)
		}
	}
}

// TestConfig covers the options the shared runner of TestFlows leaves at
// their defaults: a forward proxy (how probes simulate regions), extra
// headers, and a small screenshot cap.
func TestConfig(t *testing.T) {
	_, srv := newShop(t, shop.Fault{Kind: shop.FaultMissingAddToCart})
	var proxied, tagged atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// A plain-HTTP forward proxy: the browser sends absolute URLs. It
		// counts the shop's requests; Chromium's own calls home (once per
		// launch, to update.googleapis.com and accounts.google.com) are
		// refused, as the probes' networks may do.
		if req.URL.Host != strings.TrimPrefix(srv.URL, "http://") {
			http.Error(w, "not the shop", http.StatusForbidden)
			return
		}
		proxied.Add(1)
		if req.Header.Get("X-Vigil-Probe") == "test" {
			tagged.Add(1)
		}
		out := req.Clone(req.Context())
		out.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	const limit = 12 << 10 // forces lower quality and scaling
	r := newRunner(t, Config{
		ProxyURL:           proxy.URL,
		ExtraHeaders:       map[string]string{"X-Vigil-Probe": "test"},
		ScreenshotMaxBytes: limit,
		StepTimeout:        2 * time.Second,
	})

	res := runCheck(t, r, browserCheck(srv.URL, gotoStep("/product/coffee"), clickStep("#add-to-cart", "")), flowDeadline)

	if res.GetErrorClass() != vigilv1.ErrorClass_ERROR_CLASS_ASSERTION || res.GetFailedStep() != 2 {
		t.Fatalf("want ASSERTION at step 2: %s", describe(res))
	}
	checkScreenshot(t, res, limit)
	if proxied.Load() == 0 {
		t.Errorf("no request went through the proxy, though the shop is on loopback")
	}
	if tagged.Load() != proxied.Load() {
		t.Errorf("%d of %d proxied requests carried the extra header", tagged.Load(), proxied.Load())
	}
}

// TestKilledBrowser kills Chromium's whole process group with SIGKILL,
// between runs and during one, and crashes a renderer during a run. A
// browser that died while idle is replaced before the next run, which
// passes; a run whose browser or renderer dies under it is a probe error,
// never a failure of the site; the next run passes.
func TestKilledBrowser(t *testing.T) {
	s, srv := newShop(t)
	arrived := make(chan struct{}, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/product/") {
			select {
			case arrived <- struct{}{}:
			default:
			}
		}
		srv.Config.Handler.ServeHTTP(w, req)
	}))
	t.Cleanup(target.Close)
	r := newRunner(t, Config{})
	flow := browserCheck(target.URL, checkoutSteps()...)

	t.Run("between runs", func(t *testing.T) {
		pid := r.browserPID()
		killBrowser(t, pid)
		res := runCheck(t, r, flow, flowDeadline)
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Fatalf("the run after the browser died idle: %s", describe(res))
		}
		if got := r.browserPID(); got == pid || got == 0 {
			t.Errorf("browser pid %d after the kill, want a new browser (old %d)", got, pid)
		}
	})

	t.Run("during a run", func(t *testing.T) {
		s.SetFaults([]shop.Fault{{Kind: shop.FaultSlow, Path: "/product/", Delay: shop.Duration(30 * time.Second)}})
		pid := r.browserPID()
		select {
		case <-arrived: // from the run before
		default:
		}
		done := make(chan *vigilv1.Result, 1)
		go func() { done <- runCheck(t, r, flow, flowDeadline) }()
		select {
		case <-arrived:
		case <-time.After(flowDeadline):
			t.Fatal("the run never asked for the product page")
		}
		killBrowser(t, pid)
		res := <-done
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR || res.GetErrorClass() != vigilv1.ErrorClass_ERROR_CLASS_PROBE {
			t.Fatalf("the run whose browser was killed: %s", describe(res))
		}

		s.SetFaults(nil)
		res = runCheck(t, r, flow, flowDeadline)
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Fatalf("the run after: %s", describe(res))
		}
		if got := r.browserPID(); got == pid {
			t.Errorf("browser pid unchanged (%d) after the kill", got)
		}
	})

	t.Run("renderer crash during a run", func(t *testing.T) {
		done := make(chan *vigilv1.Result, 1)
		go func() {
			done <- runCheck(t, r, browserCheck(target.URL, gotoStep("/?crash-me"), withTimeout(expectText("", "never there"), flowDeadline)), flowDeadline)
		}()
		crashRenderer(t, r, target.URL+"/?crash-me")
		res := <-done
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR || !strings.Contains(res.GetError(), "renderer crashed") {
			t.Fatalf("the run whose renderer crashed: %s", describe(res))
		}
		res = runCheck(t, r, browserCheck(target.URL, gotoStep("/"), expectText("", "Coffee")), flowDeadline)
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Fatalf("the run after: %s", describe(res))
		}
	})
}

// crashRenderer crashes the renderer of the page target showing a URL
// under prefix, once there is one.
func crashRenderer(t *testing.T, r *Runner, prefix string) {
	t.Helper()
	r.mu.Lock()
	in := r.cur
	r.mu.Unlock()
	var id target.ID
	testwait.Until(t, flowDeadline, func() bool {
		infos, err := chromedp.Targets(in.browserCtx)
		if err != nil {
			return false
		}
		for _, ti := range infos {
			if ti.Type == "page" && strings.HasPrefix(ti.URL, prefix) {
				id = ti.TargetID
				return true
			}
		}
		return false
	}, "no page shows %s", prefix)
	ctx, cancel := chromedp.NewContext(in.browserCtx, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	defer cancel()
	// The call itself fails: its renderer is gone before it can answer.
	_, _ = chromedp.Call(ctx, page.Crash, cdp.Empty{})
}

// killBrowser kills the process group of the browser led by pid, as the
// OOM killer or an operator might, and waits until it is gone.
func killBrowser(t *testing.T, pid int) {
	t.Helper()
	if pid <= 0 {
		t.Fatal("no browser running")
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill browser group %d: %v", pid, err)
	}
	testwait.Until(t, 10*time.Second, func() bool { return !groupAlive(pid) }, "browser group %d still alive", pid)
}

func TestRecycle(t *testing.T) {
	_, srv := newShop(t)
	r := newRunner(t, Config{RecycleAfter: 2})
	flow := browserCheck(srv.URL, gotoStep("/"), expectText("", "Coffee"))

	var pids []int
	for i := range 5 {
		res := runCheck(t, r, flow, flowDeadline)
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Fatalf("run %d: %s", i+1, describe(res))
		}
		pids = append(pids, r.browserPID())
	}
	// Runs 1-2 on the first browser, 3-4 on the second, 5 on the third.
	if pids[0] != pids[1] || pids[1] == pids[2] || pids[2] != pids[3] || pids[3] == pids[4] {
		t.Errorf("browser pids by run %v, want a new browser every 2 runs", pids)
	}
	for _, pid := range []int{pids[0], pids[2]} {
		testwait.Until(t, 10*time.Second, func() bool { return !groupAlive(pid) }, "recycled browser group %d still alive", pid)
	}
}

func testConcurrentRuns(t *testing.T, r *Runner) {
	s, srv := newShop(t)
	flow := browserCheck(srv.URL, checkoutSteps()...)

	var wg sync.WaitGroup
	results := make([]*vigilv1.Result, 2)
	for i := range results {
		wg.Go(func() { results[i] = runCheck(t, r, flow, flowDeadline) })
	}
	wg.Wait()
	for i, res := range results {
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			t.Errorf("run %d: %s", i+1, describe(res))
		}
	}
	if s.Orders() != 2 {
		t.Errorf("orders = %d, want 2 (each run its own cart)", s.Orders())
	}
}

func TestCloseKillsTheBrowser(t *testing.T) {
	r, err := New(context.Background(), Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("start the browser runner (is Debian's chromium installed?): %v", err)
	}
	pid := r.browserPID()
	r.mu.Lock()
	dir := r.cur.dataDir
	r.mu.Unlock()
	if !groupAlive(pid) {
		t.Fatalf("browser group %d not running after New", pid)
	}

	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := groupLive(pid); n > 0 {
		t.Errorf("browser process group %d still has %d live processes after Close", pid, n)
	}
	// The killed helpers are zombies until init reaps them.
	testwait.Until(t, 10*time.Second, func() bool { return !groupAlive(pid) }, "browser process group %d not reaped", pid)
	if n := countUsing(dir); n != 0 {
		t.Errorf("%d processes still use the browser's data dir", n)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("data dir %s still there after Close (err %v)", dir, err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	res := r.Run(context.Background(), browserCheck("http://127.0.0.1:1", gotoStep("/")))
	if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR {
		t.Errorf("Run after Close: %s, want PROBE_ERROR", describe(res))
	}
}

func TestNewContextOwnsTheBrowser(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := New(ctx, Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("start the browser runner: %v", err)
	}
	pid := r.browserPID()
	cancel()
	testwait.Until(t, 10*time.Second, func() bool { return !groupAlive(pid) }, "browser group %d alive after New's context ended", pid)
	if err := r.Close(); err != nil {
		t.Errorf("Close after the context ended: %v", err)
	}
}

// countUsing counts the live processes whose command line names dir: the
// browser's and its crashpad handlers.
func countUsing(dir string) int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), dir) {
			n++
		}
	}
	return n
}
