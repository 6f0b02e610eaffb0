package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vigilhq/vigil/internal/buildinfo"
)

// endpoint is an HTTP channel's receiver: the webhook, Slack and PagerDuty
// notifiers each hold one and post through it. It is safe for concurrent
// use.
type endpoint struct {
	client *http.Client
	url    string
	// redacted is the URL without path, query or user info, for errors and
	// logs: Slack and many webhook URLs carry their secret in the path.
	redacted string
}

// newEndpoint validates rawURL for channel type typ and builds the one
// *http.Client the notifier uses for every attempt, with ch.Timeout as its
// per-attempt bound.
func newEndpoint(typ, rawURL string, timeout time.Duration, o options) (endpoint, error) {
	if rawURL == "" {
		return endpoint{}, errNeeds(typ, "url")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the url.Error repeats the URL, which may hold a secret
		}
		return endpoint{}, fmt.Errorf("%s url: %w", typ, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return endpoint{}, fmt.Errorf("%s url: want http or https, got scheme %q", typ, u.Scheme)
	}
	if u.Host == "" {
		return endpoint{}, fmt.Errorf("%s url: has no host", typ)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.tlsConfig != nil {
		tr.TLSClientConfig = o.tlsConfig.Clone()
	} else {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return endpoint{
		client: &http.Client{
			Transport: tr,
			Timeout:   timeout,
			// A redirect is answered as a failure, not followed: following
			// it would turn the POST into a GET and lose the message.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		url:      rawURL,
		redacted: u.Scheme + "://" + u.Host,
	}, nil
}

// maxErrorBody is how much of a refusal's body goes into the error: enough
// for Slack's "invalid_payload" or PagerDuty's error list.
const maxErrorBody = 256

// postJSON makes one POST of body with Content-Type application/json and the
// extra headers. It succeeds on status want, or on any 2xx when want is 0.
// Other answers are errors: 408, 429 and 5xx may pass on a retry; any other
// status (other 4xx, a redirect, an unexpected 2xx) wraps ErrPermanent.
// Transport errors and timeouts are retryable, except a server certificate
// that does not verify. Errors never carry the URL's path or query.
func (e endpoint) postJSON(ctx context.Context, body []byte, header http.Header, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return permanentf("post to %s: build request: %w", e.redacted, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil/"+buildinfo.Version)

	resp, err := e.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			uerr.URL = e.redacted
		}
		var cerr *tls.CertificateVerificationError
		if errors.As(err, &cerr) {
			return permanent(err) // retrying will not change the certificate
		}
		return err
	}
	defer resp.Body.Close()

	ok := resp.StatusCode == want || (want == 0 && resp.StatusCode >= 200 && resp.StatusCode < 300)
	if ok {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		return nil
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	wantText := "2xx"
	if want != 0 {
		wantText = fmt.Sprint(want)
	}
	err = fmt.Errorf("post to %s: got HTTP %d, want %s%s", e.redacted, resp.StatusCode, wantText, quoteSnippet(snippet))
	if !retryableStatus(resp.StatusCode) {
		return permanent(err)
	}
	if after, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		return &retryAfterError{err: err, after: after}
	}
	return err
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
// ok is false when it is missing or malformed; a date in the past is 0.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(0, at.Sub(now)), true
}

// marshalJSON encodes v for a request body. Unlike json.Marshal it leaves
// <, > and & as they are: the bodies are not embedded in HTML, and receivers'
// logs stay readable.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// retryableStatus reports whether another attempt may succeed: a timeout,
// rate limiting, or a server-side failure.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// quoteSnippet renders a response body for an error message: one line,
// quoted, or nothing when empty.
func quoteSnippet(b []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "?"))
	if s == "" {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return fmt.Sprintf(": %q", s)
}
