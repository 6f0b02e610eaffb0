package report_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vigilhq/vigil/internal/report"
	"github.com/vigilhq/vigil/internal/report/reporttest"
)

// This file drives a real Chromium: the package belongs in the Makefile's
// CHROMIUM_PKGS, whose packages run one at a time. It uses one browser and
// one page.

// chromiumPath finds Debian's Chromium binary (not the wrapper script,
// which adds ~25 ms and /etc/chromium.d flags), or fails the test: the
// report's charts are only proven by drawing them.
func chromiumPath(t *testing.T) string {
	t.Helper()
	const binary = "/usr/lib/chromium/chromium"
	if _, err := os.Stat(binary); err == nil {
		return binary
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("chromium not found: this test renders the HTML report in a real browser; " +
		"install Debian's chromium package (make chromium does it as root)")
	return ""
}

// chartStats is what the page reports about one chart figure.
type chartStats struct {
	Marks   int     `json:"marks"`   // elements of class mark
	Empty   int     `json:"empty"`   // marks with a zero-width or zero-height box
	Outside int     `json:"outside"` // marks drawn outside their SVG's box
	Unpaint int     `json:"unpaint"` // marks with neither fill nor stroke
	SVG     bool    `json:"svg"`
	Note    string  `json:"note"` // the "no data" note, when the chart is not drawn
	W       float64 `json:"w"`
	H       float64 `json:"h"`
}

type pageStats struct {
	External  []string `json:"external"`  // elements or rules that could load something
	Resources []string `json:"resources"` // resource timing entries
	Checks    []struct {
		ID     string                 `json:"id"`
		Type   string                 `json:"type"`
		Charts map[string]*chartStats `json:"charts"`
	} `json:"checks"`
}

const statsJS = `(() => {
  const out = {external: [], resources: performance.getEntriesByType('resource').map(e => e.name), checks: []};
  for (const el of document.querySelectorAll('script, [src], link, object, embed, iframe, image, use, img, video, audio'))
    out.external.push(el.outerHTML.slice(0, 120));
  for (const a of document.querySelectorAll('[href]'))
    if (!a.getAttribute('href').startsWith('#')) out.external.push(a.outerHTML.slice(0, 120));
  for (const s of document.styleSheets)
    for (const r of s.cssRules)
      if (/url\(|@import|@font-face/.test(r.cssText)) out.external.push(r.cssText.slice(0, 120));
  for (const sec of document.querySelectorAll('section.check')) {
    const c = {id: sec.dataset.check, type: sec.dataset.type, charts: {}};
    for (const name of ['uptime', 'load', 'vitals', 'funnel']) {
      const fig = sec.querySelector('figure.chart-' + name);
      if (!fig) continue;
      const svg = fig.querySelector('svg');
      const sr = svg ? svg.getBoundingClientRect() : null;
      const st = {marks: 0, empty: 0, outside: 0, unpaint: 0, svg: !!svg,
        note: (fig.querySelector('p.empty') || {}).textContent || '', w: sr ? sr.width : 0, h: sr ? sr.height : 0};
      for (const m of fig.querySelectorAll('.mark')) {
        st.marks++;
        const r = m.getBoundingClientRect();
        if (!(r.width > 0 && r.height > 0)) st.empty++;
        if (!sr || r.right < sr.left - 1 || r.left > sr.right + 1 || r.bottom < sr.top - 1 || r.top > sr.bottom + 1) st.outside++;
        const cs = getComputedStyle(m);
        if ((cs.fill === 'none' || cs.fill === 'rgb(136, 136, 136)') && cs.stroke === 'none') st.unpaint++;
      }
      c.charts[name] = st;
    }
    out.checks.push(c);
  }
  return out;
})()`

// printJS reports, under print media, the page-break of each check section
// and any element with a dark background.
const printJS = `(() => {
  const out = {breaks: [], dark: []};
  for (const sec of document.querySelectorAll('section.check')) out.breaks.push(getComputedStyle(sec).breakBefore);
  for (const el of document.querySelectorAll('*')) {
    const m = getComputedStyle(el).backgroundColor.match(/rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)/);
    if (!m || (m[4] !== undefined && +m[4] === 0)) continue;
    const lum = (0.2126 * m[1] + 0.7152 * m[2] + 0.0722 * m[3]) / 255;
    if (lum < 0.85) out.dark.push(el.tagName + '.' + el.className + ' ' + m[0]);
  }
  return out;
})()`

// TestHTMLInChromium renders the fixture report, opens it from a file in
// Chromium, and checks that every chart of every browser check drew marks
// inside its SVG, that the http check says why it has no funnel, that the
// page loads nothing but itself, and that printed it breaks before each
// check and has no dark backgrounds. It leaves a full-page screenshot and a
// PDF in the test's temp dir and artifact dir (go test -artifacts keeps
// them).
func TestHTMLInChromium(t *testing.T) {
	exe := chromiumPath(t)
	dir := t.TempDir()
	rep := reporttest.Report()
	var html bytes.Buffer
	if err := report.HTML(&html, rep); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, html.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + file

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	userData := filepath.Join(dir, "chromium")
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(userData),
		// Keeps crash handlers and config writes inside the temp dir.
		chromedp.Env("XDG_CONFIG_HOME="+filepath.Join(userData, "config")),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // tests run as root in containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		// Without these Chromium keeps calling home, which this network
		// refuses, and the request log below would show it.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("disable-features", "WebUIOmniboxPopup,WebUIOmniboxAimPopup,Translate,OptimizationHints,MediaRouter"),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()

	var mu sync.Mutex
	var requests []string
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}))
	defer cancelTab()

	enableNetwork := chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return chromedp.Void{}, err
	})
	if err := chromedp.Do(tabCtx, enableNetwork, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open the report in chromium: %v", err)
	}

	stats, err := chromedp.Run(tabCtx, chromedp.Evaluate[pageStats](statsJS))
	if err != nil {
		t.Fatalf("evaluate chart stats: %v", err)
	}
	shot, err := chromedp.Run(tabCtx, fullPage())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	keep(t, dir, "report.png", shot)
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 2500 {
		t.Errorf("screenshot is %dx%d, want the whole page (at least 1000x2500)", b.Dx(), b.Dy())
	}

	// Every chart of a browser check has marks, each with a box, inside its
	// SVG, painted; the http check says why it has no funnel.
	if len(stats.Checks) != len(rep.GetChecks()) {
		t.Fatalf("page has %d check sections, want %d", len(stats.Checks), len(rep.GetChecks()))
	}
	checkout := reporttest.Checkout()
	checkCharts(t, "fixture", stats, map[string]int{
		"uptime": len(checkout.GetStates()),
		"load":   3 + 3*23,  // a line and 23 points per region (one bucket each is left out)
		"vitals": 3 * 4 * 3, // LCP, CLS, TTFB x all + 3 regions x good, needs improvement, poor
		"funnel": 5 + 5 + 1, // reached and failed per step, and completed
	})

	// Nothing but the page itself is loaded.
	if len(stats.External) > 0 {
		t.Errorf("the page references outside resources: %q", stats.External)
	}
	if len(stats.Resources) > 0 {
		t.Errorf("the page loaded resources: %q", stats.Resources)
	}
	mu.Lock()
	for _, u := range requests {
		if u != url {
			t.Errorf("the page requested %s", u)
		}
	}
	mu.Unlock()

	// Printed: each check starts a page, no dark backgrounds, A4 pages.
	if err := chromedp.Do(tabCtx, emulateMedia("print")); err != nil {
		t.Fatalf("emulate print media: %v", err)
	}
	printed, err := chromedp.Run(tabCtx, chromedp.Evaluate[struct {
		Breaks []string `json:"breaks"`
		Dark   []string `json:"dark"`
	}](printJS))
	if err != nil {
		t.Fatalf("evaluate print styles: %v", err)
	}
	for i, b := range printed.Breaks {
		if b != "page" {
			t.Errorf("printed, check section %d has break-before %q, want page", i+1, b)
		}
	}
	if len(printed.Dark) > 0 {
		t.Errorf("printed, elements have dark backgrounds: %q", printed.Dark)
	}
	pdf, err := chromedp.Run(tabCtx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		t.Fatalf("print to pdf: %v", err)
	}
	keep(t, dir, "report.pdf", pdf)
	pages := len(regexp.MustCompile(`/Type\s*/Page\b[^s]`).FindAll(pdf, -1))
	if pages < 1+len(rep.GetChecks()) {
		t.Errorf("printed report has %d pages, want at least %d (the overview, then a page per check)", pages, 1+len(rep.GetChecks()))
	}
	t.Logf("printed report: %d A4 pages", pages)

	// A week of a generated data set as the analytics service reports it,
	// in the same page.
	gen := generatedReport(t, 7*24*time.Hour)
	html.Reset()
	if err := report.HTML(&html, gen); err != nil {
		t.Fatal(err)
	}
	genFile := filepath.Join(dir, "generated.html")
	if err := os.WriteFile(genFile, html.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tabCtx, chromedp.Navigate("file://"+genFile)); err != nil {
		t.Fatalf("open the generated report: %v", err)
	}
	if err := chromedp.Do(tabCtx, screenMedia()); err != nil {
		t.Fatalf("emulate screen media: %v", err)
	}
	genStats, err := chromedp.Run(tabCtx, chromedp.Evaluate[pageStats](statsJS))
	if err != nil {
		t.Fatalf("evaluate chart stats: %v", err)
	}
	checkCharts(t, "generated", genStats, nil)
	if len(genStats.External) > 0 || len(genStats.Resources) > 0 {
		t.Errorf("generated report references %q and loaded %q", genStats.External, genStats.Resources)
	}
	if shot, err := chromedp.Run(tabCtx, fullPage()); err != nil {
		t.Errorf("screenshot of the generated report: %v", err)
	} else {
		keep(t, dir, "generated.png", shot)
	}
}

// checkCharts checks the charts of every check section: a browser check's
// four charts have marks, each with a non-empty box, inside its SVG and
// painted (and, when want has the chart, exactly want[chart] of them in
// the "checkout" check); an http check's funnel is a note that names the
// http check.
func checkCharts(t *testing.T, doc string, stats pageStats, want map[string]int) {
	t.Helper()
	for _, c := range stats.Checks {
		for _, name := range []string{"uptime", "load", "vitals", "funnel"} {
			st := c.Charts[name]
			if st == nil {
				t.Errorf("%s %s: no figure.chart-%s", doc, c.ID, name)
				continue
			}
			if c.Type == "http" && name == "funnel" {
				if st.SVG || !strings.Contains(st.Note, "http check") {
					t.Errorf("%s %s: funnel: svg %v, note %q; want no chart and a note naming the http check", doc, c.ID, st.SVG, st.Note)
				}
				continue
			}
			if !st.SVG || st.Marks == 0 {
				t.Errorf("%s %s: %s chart has no marks (svg %v, note %q)", doc, c.ID, name, st.SVG, st.Note)
				continue
			}
			if st.Empty > 0 || st.Outside > 0 || st.Unpaint > 0 {
				t.Errorf("%s %s: %s chart: of %d marks, %d have an empty box, %d lie outside the chart, %d are unpainted",
					doc, c.ID, name, st.Marks, st.Empty, st.Outside, st.Unpaint)
			}
			if st.W < 300 || st.H < 30 {
				t.Errorf("%s %s: %s chart is drawn %.0fx%.0f px, too small to read", doc, c.ID, name, st.W, st.H)
			}
			if n, ok := want[name]; ok && c.ID == "checkout" && st.Marks != n {
				t.Errorf("%s checkout: %s chart has %d marks, want %d", doc, name, st.Marks, n)
			}
		}
	}
}

// emulateMedia sets the CSS media type the page is laid out for.
func emulateMedia(media string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return chromedp.Void{}, err
	}
}

func screenMedia() chromedp.Action[chromedp.Void] { return emulateMedia("") }

// fullPage captures the whole page, beyond the viewport, as a PNG.
func fullPage() chromedp.Action[[]byte] {
	return func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, tg, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		size := m.CSSContentSize
		res, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: new(true),
			FromSurface:           new(true),
			Clip:                  &page.Viewport{X: 0, Y: 0, Width: size.Width, Height: size.Height, Scale: 1},
		})
		if err != nil {
			return nil, err
		}
		return res.Data, nil
	}
}

// keep writes an output of the test to its temp dir and its artifact dir,
// and logs where.
func keep(t *testing.T, tempDir, name string, data []byte) {
	t.Helper()
	for _, d := range []string{tempDir, t.ArtifactDir()} {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", p, len(data))
	}
}
