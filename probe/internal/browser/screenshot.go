package browser

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// screenshotAttempts are the JPEG settings tried in order until one fits
// the cap: first full size at falling quality, then scaled down. Quality 60
// keeps text readable; a 1280x800 shop page is ~60-120 KB at that quality.
var screenshotAttempts = []struct {
	quality int64
	scale   float64
}{
	{60, 1}, {40, 1}, {25, 1}, {40, 0.5}, {25, 0.35},
}

// screenshot captures the visible part of the page as a JPEG of at most
// maxBytes, or returns nil with the reason when none fits or the page does
// not answer before ctx ends. The caller gives ctx a short deadline of its
// own: a hung renderer must not hold up the result.
func screenshot(ctx context.Context, t *chromedp.Target, maxBytes int) ([]byte, error) {
	var viewport *page.Viewport
	var last int
	for _, a := range screenshotAttempts {
		params := page.CaptureScreenshotParams{
			Format:           page.CaptureScreenshotFormatJpeg,
			Quality:          new(a.quality),
			OptimizeForSpeed: new(true),
		}
		if a.scale != 1 {
			if viewport == nil {
				m, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
				if err != nil {
					return nil, fmt.Errorf("layout metrics: %w", err)
				}
				if m.CSSVisualViewport == nil {
					return nil, fmt.Errorf("screenshot of %d bytes exceeds the cap of %d", last, maxBytes)
				}
				v := m.CSSVisualViewport
				viewport = &page.Viewport{X: v.PageX, Y: v.PageY, Width: v.ClientWidth, Height: v.ClientHeight}
			}
			clip := *viewport
			clip.Scale = a.scale
			params.Clip = &clip
		}
		res, err := capture(ctx, t, params)
		if err != nil {
			return nil, err
		}
		if len(res.Data) <= maxBytes {
			return res.Data, nil
		}
		last = len(res.Data)
	}
	return nil, fmt.Errorf("screenshot of %d bytes exceeds the cap of %d", last, maxBytes)
}

// capture takes one screenshot. Right after a failed navigation Chromium
// is still swapping in its error page and answers "Not attached to an
// active page" for a moment: protocol errors are retried until ctx ends.
func capture(ctx context.Context, t *chromedp.Target, params page.CaptureScreenshotParams) (page.CaptureScreenshotResult, error) {
	for {
		res, err := cdp.Call(ctx, t, page.CaptureScreenshot, params)
		var perr *cdproto.Error
		if err == nil || !errors.As(err, &perr) {
			if err != nil {
				err = fmt.Errorf("capture screenshot: %w", err)
			}
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("capture screenshot: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
