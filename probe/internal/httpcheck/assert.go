package httpcheck

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// readBody reads at most limit bytes of resp's body. truncated reports that
// the body had more.
func readBody(resp *http.Response, limit int64) (body []byte, truncated bool, err error) {
	body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(body)) > limit {
		return body[:limit], true, err
	}
	return body, false, err
}

// checkStatus returns why status is not the expected one, or "". expect 0
// accepts any 2xx or 3xx (a 3xx is final only when redirects are not
// followed).
func checkStatus(expect uint32, status int) string {
	switch {
	case expect != 0 && uint32(status) != expect:
		return fmt.Sprintf("status %d, want %d", status, expect)
	case expect == 0 && (status < 200 || status > 399):
		return fmt.Sprintf("status %d, want 2xx or 3xx", status)
	}
	return ""
}

// checkBody returns why body fails the spec's body assertions, or "".
// Only the bytes read (up to the body limit) are searched.
func checkBody(spec *vigilv1.HttpSpec, body []byte, truncated bool) string {
	var msg string
	if want := spec.GetBodyContains(); want != "" && !bytes.Contains(body, []byte(want)) {
		msg = fmt.Sprintf("body does not contain %q", want)
	} else if deny := spec.GetBodyNotContains(); deny != "" && bytes.Contains(body, []byte(deny)) {
		msg = fmt.Sprintf("body contains %q", deny)
	}
	if msg != "" && truncated {
		msg += fmt.Sprintf(" (searched the first %d bytes)", len(body))
	}
	return msg
}

// checkExpiry returns why the soonest-expiring certificate of the run is too
// close to expiry, or "". minDays 0 disables the check, and so does a run
// without TLS.
func checkExpiry(minDays uint32, tm timings, now time.Time) string {
	if minDays == 0 || !tm.sawTLS {
		return ""
	}
	if tm.certNotAfter.Before(now.Add(time.Duration(minDays) * 24 * time.Hour)) {
		return fmt.Sprintf("certificate expires in %d days (%s), want at least %d",
			expiryDays(tm.certNotAfter, now), tm.certNotAfter.UTC().Format(time.DateOnly), minDays)
	}
	return ""
}

// expiryDays is the number of whole days from now until notAfter, negative
// once it has passed.
func expiryDays(notAfter, now time.Time) int32 {
	days := math.Floor(notAfter.Sub(now).Hours() / 24)
	return int32(max(min(days, math.MaxInt32), math.MinInt32))
}
