package browser

import (
	"errors"
	"fmt"
	"strings"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// failure is why a step failed: the class that goes into the result and the
// error that becomes its one-line message. A failure of class
// ERROR_CLASS_PROBE is the probe's own (browser gone, protocol error) and
// turns the whole result into a probe_error.
type failure struct {
	class   vigilv1.ErrorClass
	err     error
	recycle bool // a probe failure that the browser caused: restart it
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// fail returns a failure of class with a formatted message.
func fail(class vigilv1.ErrorClass, format string, args ...any) *failure {
	return &failure{class: class, err: fmt.Errorf(format, args...)}
}

// probeFailure wraps err as the probe's own failure that does not
// implicate the browser (the run was canceled, the probe's network is down).
func probeFailure(err error) *failure {
	return &failure{class: vigilv1.ErrorClass_ERROR_CLASS_PROBE, err: err}
}

// browserFailure wraps err as a failure of the browser itself (it crashed,
// went away or broke the protocol): a probe error, and the browser is
// restarted.
func browserFailure(err error) *failure {
	return &failure{class: vigilv1.ErrorClass_ERROR_CLASS_PROBE, err: err, recycle: true}
}

// isProbe reports whether err is, or wraps, a probe failure.
func isProbe(err error) bool {
	var f *failure
	return errors.As(err, &f) && f.class == vigilv1.ErrorClass_ERROR_CLASS_PROBE
}

// netErrorClass maps a Chromium network error ("net::ERR_...") to the class
// of a failed document load. Chromium reports these only as text, so the
// text is all there is to branch on. ok is false for errors that are not the
// site's fault (the probe's own network is down); those are probe errors.
func netErrorClass(text string) (class vigilv1.ErrorClass, ok bool) {
	code := strings.TrimPrefix(strings.TrimSpace(text), "net::")
	switch {
	case code == "ERR_NAME_NOT_RESOLVED", code == "ERR_NAME_RESOLUTION_FAILED",
		code == "ERR_DNS_TIMED_OUT", strings.HasPrefix(code, "ERR_DNS_"):
		return vigilv1.ErrorClass_ERROR_CLASS_DNS, true
	case strings.HasPrefix(code, "ERR_CERT_"), strings.HasPrefix(code, "ERR_SSL_"),
		code == "ERR_BAD_SSL_CLIENT_AUTH_CERT":
		return vigilv1.ErrorClass_ERROR_CLASS_TLS, true
	case code == "ERR_TIMED_OUT":
		return vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT, true
	case code == "ERR_HTTP_RESPONSE_CODE_FAILURE", code == "ERR_TOO_MANY_REDIRECTS",
		code == "ERR_INVALID_RESPONSE", code == "ERR_INVALID_HTTP_RESPONSE",
		code == "ERR_UNSAFE_REDIRECT", code == "ERR_RESPONSE_HEADERS_TOO_BIG",
		code == "ERR_CONTENT_DECODING_FAILED", code == "ERR_INVALID_REDIRECT":
		return vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, true
	case code == "ERR_INTERNET_DISCONNECTED", code == "ERR_NETWORK_ACCESS_DENIED",
		code == "ERR_INSUFFICIENT_RESOURCES", code == "ERR_OUT_OF_MEMORY":
		return vigilv1.ErrorClass_ERROR_CLASS_PROBE, false
	default:
		// ERR_CONNECTION_REFUSED/RESET/CLOSED/FAILED/TIMED_OUT,
		// ERR_EMPTY_RESPONSE, ERR_ADDRESS_UNREACHABLE, the proxy and tunnel
		// errors of a region proxy, and anything else that stopped the
		// document from arriving: the site could not be reached.
		return vigilv1.ErrorClass_ERROR_CLASS_CONNECT, true
	}
}

// netFailure is the failure of a document that did not load because of a
// network error.
func netFailure(text, url string) *failure {
	class, ok := netErrorClass(text)
	if !ok {
		return probeFailure(fmt.Errorf("load %s: %s (probe network)", url, text))
	}
	return fail(class, "load %s: %s", url, text)
}

// statusFailure is the failure of a document that arrived with an error
// status.
func statusFailure(status int, url string) *failure {
	return fail(vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, "%s returned HTTP %d", url, status)
}
