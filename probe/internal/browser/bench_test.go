package browser

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// BenchmarkCheckoutFlow measures the demo checkout flow on a warm browser,
// a fresh incognito context per flow, and compares it with the same flow
// written as bare chromedp calls on the same browser (benchFlowBare). The
// two alternate, so that the machine's load drifts alike for both, and
// each starts once the other's background work (tab closing, the runner's
// next spare tab) is done.
//
// Metrics (medians):
//   - runner-ms/flow: Run, start to result. The runner opens the tab of the
//     next run ahead, so its tab is ready when Run starts.
//   - bare-ms/flow: the bare flow including opening its tab, as a program
//     that opens a context per flow pays it.
//   - bare-flow-ms/flow: the bare flow alone, on a tab opened off the clock.
//   - overhead-ms/flow = runner - bare-flow: what the runner adds beyond
//     driving the shop, tab for tab (health check, navigation and status
//     tracking, isolated-world lookups, the wait for the first page's LCP,
//     event recording, result assembly).
func BenchmarkCheckoutFlow(b *testing.B) {
	s, srv := newShop(b)
	r := newRunner(b, Config{})
	check := browserCheck(srv.URL, checkoutSteps()...)
	in, err := r.acquireHealthy(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	in.inflight.Done()
	settle := func() { // wait for the runner's background work
		for {
			in.spareMu.Lock()
			ready := in.spareTab != nil && !in.preparing
			in.spareMu.Unlock()
			if ready {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	var runner, bare, bareFlow []time.Duration
	for b.Loop() {
		settle()
		start := time.Now()
		res := r.Run(context.Background(), check)
		runner = append(runner, time.Since(start))
		if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			b.Fatalf("runner flow: %s", describe(res))
		}
		settle()

		start = time.Now()
		tab, closeTab, err := benchOpenTab(in.browserCtx)
		if err != nil {
			b.Fatalf("bare tab: %v", err)
		}
		flowStart := time.Now()
		err = benchFlowBare(tab, srv.URL)
		end := time.Now()
		closeTab()
		if err != nil {
			b.Fatalf("bare flow: %v", err)
		}
		bare = append(bare, end.Sub(start))
		bareFlow = append(bareFlow, end.Sub(flowStart))
	}
	if want := 2 * len(runner); s.Orders() != want {
		b.Fatalf("orders = %d, want %d", s.Orders(), want)
	}
	rm := median(runner)
	b.ReportMetric(ms(rm), "runner-ms/flow")
	b.ReportMetric(ms(median(bare)), "bare-ms/flow")
	b.ReportMetric(ms(median(bareFlow)), "bare-flow-ms/flow")
	b.ReportMetric(ms(rm-median(bareFlow)), "overhead-ms/flow")
	// ns/op is the time of one runner flow plus one bare flow.
}

// benchOpenTab opens a tab in a new incognito context, as a bare chromedp
// program does; the returned func closes it.
func benchOpenTab(browserCtx context.Context) (context.Context, func(), error) {
	tab, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tab); err != nil { // opens the tab; binds it to tab
		cancel()
		return nil, nil, err
	}
	return tab, cancel, nil
}

// benchFlowBare is the checkout flow as a minimal chromedp program in tab:
// the reference that the runner is judged against. It waits for each
// navigation with RunResponse, fills fields with focus + Input.insertText,
// and checks no statuses and collects nothing.
func benchFlowBare(tab context.Context, base string) error {
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	insert := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
			return err
		})
	}
	click := func(sel string) error {
		_, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
		return err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		return err
	}
	if err := click(`a.product[href="/product/coffee"]`); err != nil {
		return err
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("add-to-cart"))); err != nil {
		return err
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#cart-count').textContent.trim() === '1'`)); err != nil {
		return err
	}
	for _, sel := range []string{`a[href="/cart"]`, "#checkout"} {
		if err := click(sel); err != nil {
			return err
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Focus(chromedp.ID("email")), insert("synthetic@example.com"),
		chromedp.Focus(chromedp.ID("name")), insert("Synthetic Buyer"),
		chromedp.SetValue(chromedp.ID("shipping"), "express"),
	); err != nil {
		return err
	}
	if err := click("#place-order"); err != nil {
		return err
	}
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.innerText.includes('Order confirmed')`))
	return err
}

// BenchmarkConcurrentFlows runs the checkout flow at 1, 2 and 4 flows at a
// time on one warm browser, and reports flows/min and the peak memory of
// the probe process plus its Chromium process group (sum of PSS, sampled
// every 500 ms). For scale on a shared machine, it then runs as many bare
// chromedp flows (benchFlowBare, each opening and closing its own tab) at
// the same concurrency on the same browser: bare-flows/min.
func BenchmarkConcurrentFlows(b *testing.B) {
	for _, c := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			_, srv := newShop(b)
			r := newRunner(b, Config{})
			check := browserCheck(srv.URL, checkoutSteps()...)
			in, err := r.acquireHealthy(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			in.inflight.Done()
			peak := samplePeak(b, r)

			b.ResetTimer()
			elapsed := parallel(b, b.N, c, func() error {
				res := r.Run(context.Background(), check)
				if res.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
					return fmt.Errorf("flow: %s", describe(res))
				}
				return nil
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Minutes(), "flows/min")
			b.ReportMetric(float64(peak())/(1<<20), "peak-PSS-MB")

			bare := parallel(b, b.N, c, func() error {
				tab, closeTab, err := benchOpenTab(in.browserCtx)
				if err != nil {
					return err
				}
				defer closeTab()
				return benchFlowBare(tab, srv.URL)
			})
			b.ReportMetric(float64(b.N)/bare.Minutes(), "bare-flows/min")
		})
	}
}

// parallel runs flow n times on c goroutines and returns the wall time.
// It fails the benchmark with the first error.
func parallel(b *testing.B, n, c int, flow func() error) time.Duration {
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	start := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := flow(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		b.Fatal(first)
	}
	return elapsed
}

// samplePeak samples the PSS of this process plus the current browser's
// process group every 500 ms until the benchmark ends, and returns a func
// that reads the peak. (Reading smaps_rollup walks page tables: sampling
// faster would take CPU from the browser it measures.)
func samplePeak(b *testing.B, r *Runner) func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := pss(os.Getpid()) + groupPSS(r.browserPID()); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	var once sync.Once
	stop := func() { once.Do(func() { close(done); wg.Wait() }) }
	b.Cleanup(stop)
	return func() int64 { stop(); return peak.Load() }
}

// groupPSS sums the PSS of the processes of the group pgid.
func groupPSS(pgid int) int64 {
	if pgid <= 0 {
		return 0
	}
	entries, _ := os.ReadDir("/proc")
	var sum int64
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		f := bytes.Fields(stat[i+1:])
		if len(f) < 3 {
			continue
		}
		if g, _ := strconv.Atoi(string(f[2])); g == pgid {
			sum += pss(pid)
		}
	}
	return sum
}

// pss reads the proportional set size of pid in bytes (0 when gone).
func pss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if rest, ok := bytes.CutPrefix(line, []byte("Pss:")); ok {
			f := bytes.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
