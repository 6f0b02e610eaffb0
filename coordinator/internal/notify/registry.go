package notify

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// defaultTimeout bounds one delivery attempt when Channel.Timeout is 0: long
// enough for a slow SMTP relay or webhook receiver, short enough that a hung
// one costs a retry, not the channel's whole queue.
const defaultTimeout = 10 * time.Second

// constructor builds one channel type's Notifier from a channel whose Name,
// Type and Timeout New has already checked and defaulted. Its errors name the
// type and the field ("webhook needs url"); New adds the channel's name.
type constructor func(ch Channel, o options) (Notifier, error)

// registry is the one place that lists the channel types. Adding a type means
// a constructor here and its file.
var registry = map[string]constructor{
	"webhook":   newWebhook,
	"slack":     newSlack,
	"pagerduty": newPagerDuty,
	"email":     newEmail,
}

// Types returns the registered channel types, sorted.
func Types() []string {
	return slices.Sorted(maps.Keys(registry))
}

// Option adjusts how New builds a notifier.
type Option func(*options)

type options struct {
	tlsConfig *tls.Config
}

// WithTLSConfig sets the TLS client configuration: for HTTPS endpoints, and
// for an email channel's STARTTLS. Tests use it to trust their own CA. The
// notifier clones cfg and, for email, sets ServerName to the SMTP host when
// it is empty, so the certificate is still checked against the host name.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(o *options) { o.tlsConfig = cfg }
}

// New validates ch and returns the Notifier for its type. Errors name the
// channel and the problem, e.g. "channel ops: webhook needs url". The
// returned Notifier is safe for concurrent use.
func New(ch Channel, opts ...Option) (Notifier, error) {
	if strings.TrimSpace(ch.Name) == "" {
		return nil, fmt.Errorf("channel of type %q needs a name", ch.Type)
	}
	build, ok := registry[ch.Type]
	if !ok {
		if ch.Type == "" {
			return nil, fmt.Errorf("channel %s: needs a type (one of %s)", ch.Name, strings.Join(Types(), ", "))
		}
		return nil, fmt.Errorf("channel %s: unknown type %q (want one of %s)", ch.Name, ch.Type, strings.Join(Types(), ", "))
	}
	if ch.Timeout < 0 {
		return nil, fmt.Errorf("channel %s: timeout must not be negative, got %s", ch.Name, ch.Timeout)
	}
	if ch.Timeout == 0 {
		ch.Timeout = defaultTimeout
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	n, err := build(ch, o)
	if err != nil {
		return nil, fmt.Errorf("channel %s: %w", ch.Name, err)
	}
	return n, nil
}

// errNeeds is the error for a missing field, e.g. "webhook needs url".
func errNeeds(typ, field string) error {
	return errors.New(typ + " needs " + field)
}
