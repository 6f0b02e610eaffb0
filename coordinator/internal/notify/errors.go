package notify

import (
	"errors"
	"fmt"
	"time"
)

// ErrPermanent marks a Send error that another attempt cannot fix: the
// receiver refused the message (HTTP 4xx other than 408 and 429, an SMTP 5xx
// reply) or the message or channel is unusable (a PagerDuty acknowledge
// without a dedup key, PLAIN auth over plain text). The Dispatcher
// dead-letters such a message at once. Test with errors.Is.
var ErrPermanent = errors.New("permanent failure")

// permanentError wraps err so that errors.Is(err, ErrPermanent) holds while
// its message stays err's own.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

func (e *permanentError) Unwrap() []error { return []error{e.err, ErrPermanent} }

// permanent marks err as not worth retrying; nil stays nil.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// permanentf is fmt.Errorf for permanent errors.
func permanentf(format string, args ...any) error {
	return permanent(fmt.Errorf(format, args...))
}

// retryAfterError is a retryable error whose receiver said when to try
// again (HTTP Retry-After on 429 or 503).
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }

func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter returns how long the receiver asked to wait before the next
// attempt, when err says so.
func RetryAfter(err error) (time.Duration, bool) {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		return ra.after, true
	}
	return 0, false
}
