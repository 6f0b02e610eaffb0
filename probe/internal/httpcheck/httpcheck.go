// Package httpcheck runs http checks: one request with assertions on the
// response's status, body and TLS certificate, timed phase by phase.
package httpcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/internal/buildinfo"
	"github.com/vigilhq/vigil/probe/internal/runner"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// DefaultBodyLimit is how much of a response body is read when
// Config.BodyLimit is 0: enough for any page an assertion looks at, small
// enough that a runaway download cannot exhaust a probe.
const DefaultBodyLimit = 1 << 20

// defaultTimeout bounds a run when neither the check nor the caller sets a
// deadline, so that a run always ends; the scheduler always sets one.
const defaultTimeout = 30 * time.Second

// maxRedirects is how many redirects a run follows before it fails; the
// same cap as browsers and Go's default client.
const maxRedirects = 10

// Config configures a Runner. The zero value is usable: direct connections,
// the system's roots, a 1 MiB body limit and the default User-Agent.
type Config struct {
	// ProxyURL is an optional forward proxy (http, https or socks5) for every
	// request, used to simulate a region's network. "" means direct. It is
	// never taken from the environment (HTTP_PROXY and friends are ignored),
	// so a probe measures what its configuration says.
	ProxyURL string
	// Logger receives debug logs of each run; nil discards them.
	Logger *slog.Logger
	// BodyLimit is the most bytes of a response body that are read (and
	// timed) for assertions; 0 means DefaultBodyLimit.
	BodyLimit int64
	// UserAgent is sent unless the check sets its own; "" means
	// "Vigil/<version> (+synthetic)", so site owners can tell probes apart
	// from customers.
	UserAgent string
	// RootCAs verifies the targets' certificates; nil means the system's
	// roots. Set it for targets behind a private CA (and in tests).
	RootCAs *x509.CertPool
}

// Validate reports a configuration that cannot work. New accepts such a
// configuration (its runs then end in probe_error); wiring calls Validate
// first to fail at startup instead.
func (c Config) Validate() error {
	_, err := parseProxy(c.ProxyURL)
	return err
}

func parseProxy(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("proxy url: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5":
		return nil, fmt.Errorf("proxy url %q: scheme must be http, https or socks5", s)
	case u.Host == "":
		return nil, fmt.Errorf("proxy url %q: no host", s)
	}
	return u, nil
}

// Runner runs http checks. It is safe for concurrent use.
type Runner struct {
	proxy     *url.URL
	proxyErr  error
	log       *slog.Logger
	bodyLimit int64
	userAgent string
	rootCAs   *x509.CertPool
}

var _ runner.Runner = (*Runner)(nil)

// New returns a Runner for cfg. An invalid cfg (see Config.Validate) is
// logged, and every run reports it as a probe_error.
func New(cfg Config) *Runner {
	r := &Runner{
		log:       cfg.Logger,
		bodyLimit: cfg.BodyLimit,
		userAgent: cfg.UserAgent,
		rootCAs:   cfg.RootCAs,
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.bodyLimit <= 0 {
		r.bodyLimit = DefaultBodyLimit
	}
	if r.userAgent == "" {
		r.userAgent = "Vigil/" + buildinfo.Version + " (+synthetic)"
	}
	r.proxy, r.proxyErr = parseProxy(cfg.ProxyURL)
	if r.proxyErr != nil {
		r.log.Error("invalid http runner config; every http run will be a probe_error", "err", r.proxyErr)
	}
	return r
}

// Run makes the check's request once and returns its result. The run ends
// at ctx's deadline or after the check's timeout, whichever comes first
// (30 s when neither is set).
// Each run uses its own connections (none is reused from an earlier run), so
// the DNS, connect and TLS timings are real every time.
func (r *Runner) Run(ctx context.Context, check *vigilv1.Check) *vigilv1.Result {
	start := time.Now()
	res := r.run(ctx, check, start)
	res.StartedAt = timestamppb.New(start)
	if res.DurationUs == 0 {
		res.DurationUs = time.Since(start).Microseconds()
	}
	r.log.Debug("http run", "check", check.GetId(), "status", res.GetStatus(),
		"http_status", res.GetHttpStatus(), "duration", time.Duration(res.GetDurationUs())*time.Microsecond,
		"error", res.GetError())
	return res
}

func (r *Runner) run(ctx context.Context, check *vigilv1.Check, start time.Time) *vigilv1.Result {
	if r.proxyErr != nil {
		return probeError(fmt.Errorf("http runner: %w", r.proxyErr))
	}
	req, err := r.newRequest(check)
	if err != nil {
		// The check itself is broken: that says nothing about the site.
		return probeError(fmt.Errorf("invalid check %q: %w", check.GetId(), err))
	}
	timeout := check.GetTimeout().AsDuration()
	if _, ok := ctx.Deadline(); !ok && timeout <= 0 {
		timeout = defaultTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	rec := newRecorder(start)
	req = req.WithContext(httptrace.WithClientTrace(ctx, rec.trace()))

	tr := r.transport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: checkRedirect(check.GetHttp().GetNoFollowRedirects())}

	resp, err := client.Do(req)
	if err != nil {
		return r.failure(ctx, req.Method, req.URL.String(), start, rec, resp, err)
	}
	defer resp.Body.Close()
	final := resp.Request.Method + " " + resp.Request.URL.String()

	rec.set(phaseBody)
	body, truncated, err := readBody(resp, r.bodyLimit)
	if err != nil {
		return r.failure(ctx, resp.Request.Method, resp.Request.URL.String(), start, rec, resp, err)
	}
	res := pass()
	fill(res, rec.snapshot(), start, resp)

	if msg := checkStatus(check.GetHttp().GetExpectStatus(), resp.StatusCode); msg != "" {
		return failWith(res, vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, final+": "+msg)
	}
	if msg := checkBody(check.GetHttp(), body, truncated); msg != "" {
		return failWith(res, vigilv1.ErrorClass_ERROR_CLASS_ASSERTION, final+": "+msg)
	}
	if msg := checkExpiry(check.GetHttp().GetTlsExpiryMinDays(), rec.snapshot(), time.Now()); msg != "" {
		return failWith(res, vigilv1.ErrorClass_ERROR_CLASS_TLS, final+": "+msg)
	}
	return res
}

// newRequest builds the check's request, without a context.
func (r *Runner) newRequest(check *vigilv1.Check) (*http.Request, error) {
	u, err := url.Parse(check.GetTarget())
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q: want an absolute http or https URL", check.GetTarget())
	}
	spec := check.GetHttp()
	method := spec.GetMethod()
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if spec.GetBody() != "" {
		body = strings.NewReader(spec.GetBody())
	}
	req, err := http.NewRequest(method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	for _, h := range spec.GetHeaders() {
		if !validHeaderName(h.GetName()) {
			return nil, fmt.Errorf("header name %q is not a valid token", h.GetName())
		}
		if !validHeaderValue(h.GetValue()) {
			return nil, fmt.Errorf("header %s: value has control characters", h.GetName())
		}
		if strings.EqualFold(h.GetName(), "Host") {
			req.Host = h.GetValue()
			continue
		}
		req.Header.Add(h.GetName(), h.GetValue())
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", r.userAgent)
	}
	return req, nil
}

// transport returns a new transport for one run: its connections die with
// the run, so no run reuses another's connection. A redirect within the run
// may reuse the run's own connection, as a browser would.
func (r *Runner) transport() *http.Transport {
	var proxy func(*http.Request) (*url.URL, error)
	if r.proxy != nil {
		proxy = http.ProxyURL(r.proxy)
	}
	return &http.Transport{
		Proxy: proxy,
		// No dial or handshake timeouts of its own: the run's deadline
		// bounds every phase.
		DialContext:       (&net.Dialer{}).DialContext,
		TLSClientConfig:   &tls.Config{RootCAs: r.rootCAs},
		ForceAttemptHTTP2: true,
	}
}

var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

func checkRedirect(noFollow bool) func(*http.Request, []*http.Request) error {
	return func(_ *http.Request, via []*http.Request) error {
		if noFollow {
			return http.ErrUseLastResponse
		}
		// via holds the requests made so far: the first plus each
		// redirect followed.
		if len(via) > maxRedirects {
			return errTooManyRedirects
		}
		return nil
	}
}

// failure turns an error of the request or the body read into a result.
func (r *Runner) failure(ctx context.Context, method, target string, start time.Time, rec *recorder, resp *http.Response, err error) *vigilv1.Result {
	tm := rec.snapshot()
	if ue, ok := errors.AsType[*url.Error](err); ok {
		method, target, err = strings.ToUpper(ue.Op), ue.URL, ue.Err
	}
	prefix := method + " " + target + ": "
	switch {
	case errors.Is(err, errTooManyRedirects) && resp != nil:
		// Name the request whose response redirected once too often.
		res := pass()
		fill(res, tm, start, resp)
		msg := resp.Request.Method + " " + resp.Request.URL.String() + ": " + err.Error()
		return failWith(res, vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, msg)
	case errors.Is(ctx.Err(), context.Canceled):
		return probeError(errors.New(prefix + "run cancelled by the probe"))
	}
	class := runner.Classify(err)
	msg := prefix + oneLine(err.Error())
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		msg = prefix + "connection closed by the server " + tm.phase
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		class = vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT
		msg = prefix + "timed out after " + timeoutOf(ctx, start).String() + " " + tm.phase
	case class == vigilv1.ErrorClass_ERROR_CLASS_PROBE:
		return probeError(errors.New(msg))
	case tm.tlsFailed && class == vigilv1.ErrorClass_ERROR_CLASS_CONNECT:
		// Whatever broke the handshake (a reset, a plain-HTTP server on
		// the https port), the TLS handshake is what failed.
		class = vigilv1.ErrorClass_ERROR_CLASS_TLS
		if !strings.HasSuffix(msg, tm.phase) {
			msg += " " + tm.phase
		}
	}
	res := &vigilv1.Result{Status: vigilv1.ResultStatus_RESULT_STATUS_FAIL}
	fill(res, tm, start, resp)
	return failWith(res, class, msg)
}

// timeoutOf is the run's time budget: from start to ctx's deadline.
func timeoutOf(ctx context.Context, start time.Time) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Since(start).Round(time.Millisecond)
	}
	return d.Sub(start).Round(time.Millisecond)
}

func pass() *vigilv1.Result {
	return &vigilv1.Result{Status: vigilv1.ResultStatus_RESULT_STATUS_PASS, TlsCertExpiryDays: -1}
}

func probeError(err error) *vigilv1.Result {
	res := runner.ProbeError(err)
	res.TlsCertExpiryDays = -1
	return res
}

func failWith(res *vigilv1.Result, class vigilv1.ErrorClass, msg string) *vigilv1.Result {
	res.Status = vigilv1.ResultStatus_RESULT_STATUS_FAIL
	res.ErrorClass = class
	res.Error = oneLine(msg)
	return res
}

// fill copies the timings, status and certificate expiry into res. resp may
// be nil.
func fill(res *vigilv1.Result, tm timings, start time.Time, resp *http.Response) {
	res.DurationUs = time.Since(start).Microseconds()
	res.DnsUs = tm.dns.Microseconds()
	res.ConnectUs = tm.connect.Microseconds()
	res.TlsUs = tm.tls.Microseconds()
	res.TtfbUs = tm.ttfb.Microseconds()
	res.TlsCertExpiryDays = -1
	if tm.sawTLS {
		res.TlsCertExpiryDays = expiryDays(tm.certNotAfter, time.Now())
	}
	if resp != nil {
		res.HttpStatus = uint32(resp.StatusCode)
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110 5.6.2).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func validHeaderValue(s string) bool {
	for _, c := range []byte(s) {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
