package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

func TestExp(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><a id=l href="/b" style="display:block;width:100px;height:50px">go</a></body></html>`)
	})
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><form method=post action="/c"><button id=s style="width:100px;height:50px">go</button></form></body></html>`)
	})
	mux.HandleFunc("/c", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/d", http.StatusSeeOther)
	})
	mux.HandleFunc("/d", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body>done</body></html>`)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath("/usr/lib/chromium/chromium"),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "WebUIOmniboxPopup,WebUIOmniboxAimPopup"),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	var mu sync.Mutex
	var log []string
	rec := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		d := time.Since(t0).Milliseconds()
		switch ev := ev.(type) {
		case *page.EventFrameRequestedNavigation:
			log = append(log, fmt.Sprintf("%d requestedNav %s %s", d, ev.Reason, ev.URL))
		case *page.EventFrameStartedNavigating:
			log = append(log, fmt.Sprintf("%d startedNavigating %s %s %s", d, ev.URL, ev.LoaderID, ev.NavigationType))
		case *page.EventFrameStartedLoading:
			log = append(log, fmt.Sprintf("%d startedLoading", d))
		case *page.EventFrameNavigated:
			log = append(log, fmt.Sprintf("%d navigated %s %s", d, ev.Frame.URL, ev.Frame.LoaderID))
		case *page.EventLifecycleEvent:
			log = append(log, fmt.Sprintf("%d lifecycle %s %s", d, ev.Name, ev.LoaderID))
		case *network.EventRequestWillBeSent:
			log = append(log, fmt.Sprintf("%d request %s %s %s", d, ev.Type, ev.Request.URL, ev.LoaderID))
		case *network.EventResponseReceived:
			log = append(log, fmt.Sprintf("%d response %s %d %s", d, ev.Type, ev.Response.Status, ev.LoaderID))
		case *runtime.EventExecutionContextCreated:
			log = append(log, fmt.Sprintf("%d ctxCreated", d))
		}
	}
	for i := 0; i < 2; i++ {
		tctx, tcancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(rec))
		start := time.Now()
		if err := chromedp.Do(tctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("tab open %v", time.Since(start))
		t0 = time.Now()
		if err := chromedp.Do(tctx, chromedp.Navigate(ts.URL)); err != nil {
			t.Fatal(err)
		}
		for _, sel := range []string{"#l", "#s"} {
			if i == 1 && sel == "#l" {
				if err := chromedp.Do(tctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
					t.Fatal(err)
				}
			}
			pos, err := chromedp.Run(tctx, chromedp.Evaluate[[]float64](`(()=>{const r=document.querySelector('`+sel+`').getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2]})()`))
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			log = append(log, fmt.Sprintf("%d ---- click %s", time.Since(t0).Milliseconds(), sel))
			mu.Unlock()
			err = chromedp.Do(tctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				for _, typ := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
					if _, err := cdp.Call(ctx, tg, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: typ, X: pos[0], Y: pos[1], Button: input.MouseButtonLeft, ClickCount: 1}); err != nil {
						return err
					}
				}
				return nil
			}))
			mu.Lock()
			log = append(log, fmt.Sprintf("%d ---- click returned", time.Since(t0).Milliseconds()))
			mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
		}
		tcancel()
		mu.Lock()
		for _, l := range log {
			t.Log(l)
		}
		log = nil
		mu.Unlock()
	}
}
