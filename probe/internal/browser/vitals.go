package browser

import (
	"math"
	"net/url"
	"slices"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// fill copies what the recorder collected into res: the last document's
// status, the first document's connection timings, navigation timing, Web
// Vitals and certificate expiry, console errors and failed requests.
func (r *recorder) fill(res *vigilv1.Result, target string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res.HttpStatus = uint32(max(r.lastStatus, 0))
	res.TtfbUs = msToUs(r.vitals.TTFB)
	res.DomContentLoadedUs = msToUs(r.vitals.DCL)
	res.LoadUs = msToUs(r.vitals.Load)
	res.LcpUs = msToUs(r.vitals.LCP)
	res.ClsMilli = int64(math.Round(r.vitals.CLS * 1000))
	if u, err := url.Parse(target); err == nil && u.Scheme == "http" {
		res.TlsCertExpiryDays = -1
	}
	if d, ok := r.docs[r.first]; ok {
		if t := d.timing; t != nil {
			res.DnsUs = span(t.DNSStart, t.DNSEnd)
			tcpEnd := t.ConnectEnd
			if t.SslStart >= 0 {
				tcpEnd = t.SslStart
			}
			res.ConnectUs = span(t.ConnectStart, tcpEnd)
			res.TlsUs = span(t.SslStart, t.SslEnd)
		}
		if u, err := url.Parse(d.url); err == nil && u.Scheme == "http" {
			res.TlsCertExpiryDays = -1
		} else if d.certTo > 0 {
			left := time.Until(time.Unix(int64(d.certTo), 0))
			res.TlsCertExpiryDays = int32(math.Floor(left.Hours() / 24))
		}
	}
	res.ConsoleErrors = slices.Clone(r.console)
	res.FailedRequests = slices.Clone(r.failed)
}

// msToUs converts fractional milliseconds to whole microseconds.
func msToUs(ms float64) int64 {
	if ms <= 0 || math.IsNaN(ms) || math.IsInf(ms, 0) {
		return 0
	}
	return int64(math.Round(ms * 1000))
}

// span is the length in microseconds of a ResourceTiming interval given in
// milliseconds; Chromium marks phases that did not happen (a reused
// connection) with -1.
func span(start, end float64) int64 {
	if start < 0 || end < start {
		return 0
	}
	return msToUs(end - start)
}
