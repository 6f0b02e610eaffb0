package runner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Classify maps an error from a Go network operation (dial, TLS handshake,
// HTTP round trip, body read) to the error class of a failed run:
//
//   - nil: ERROR_CLASS_UNSPECIFIED.
//   - context.Canceled: ERROR_CLASS_PROBE. The probe abandoned the run (it is
//     shutting down, or the check was removed); callers report it as a
//     probe_error, never as a failure of the site.
//   - context.DeadlineExceeded anywhere in the chain: ERROR_CLASS_TIMEOUT,
//     even during a DNS lookup, since the run's deadline is what ran out.
//   - *net.DNSError: ERROR_CLASS_DNS (including a resolver's own timeout).
//   - any other net.Error whose Timeout() is true: ERROR_CLASS_TIMEOUT.
//   - x509 and crypto/tls errors, and TLS alerts: ERROR_CLASS_TLS.
//   - anything else (refused, reset, EOF, unexpected close, unknown network
//     errors): ERROR_CLASS_CONNECT.
//
// Classify looks only at error types and values, never at message text.
func Classify(err error) vigilv1.ErrorClass {
	if err == nil {
		return vigilv1.ErrorClass_ERROR_CLASS_UNSPECIFIED
	}
	if errors.Is(err, context.Canceled) {
		return vigilv1.ErrorClass_ERROR_CLASS_PROBE
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return vigilv1.ErrorClass_ERROR_CLASS_DNS
	}
	if isTLS(err) {
		return vigilv1.ErrorClass_ERROR_CLASS_TLS
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT
	}
	return vigilv1.ErrorClass_ERROR_CLASS_CONNECT
}

// isTLS reports whether err comes from certificate verification or the TLS
// protocol.
func isTLS(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.SystemRootsError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*tls.ECHRejectionError](err); ok {
		return true
	}
	// crypto/tls reports alerts over TCP as a *net.OpError whose Op is
	// "remote error" (sent by the peer) or "local error" (sent by us).
	if oe, ok := errors.AsType[*net.OpError](err); ok {
		return oe.Op == "remote error" || oe.Op == "local error"
	}
	return false
}
