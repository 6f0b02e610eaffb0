package notify

import (
	"errors"
	"fmt"
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
