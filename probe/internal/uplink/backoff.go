package uplink

import "time"

// BackoffConfig shapes the wait between two sessions. The delay doubles after
// every session that was not healthy, up to Max, and goes back to Base after
// a healthy one. Zero fields take their defaults.
type BackoffConfig struct {
	// Base is the first delay. Default 200ms: a coordinator restart or a
	// dropped connection is ridden over almost at once.
	Base time.Duration
	// Max caps the delay. Default 15s: a probe notices a recovered
	// coordinator quickly, and a few hundred probes retrying at this pace are
	// cheap for it.
	Max time.Duration
	// Jitter is the random spread, as a fraction of the delay, applied both
	// ways. Default 0.2 (±20%), so probes cut off together do not all come
	// back in the same instant. A negative value disables jitter.
	Jitter float64
}

// Defaults; the reasons are on the fields of BackoffConfig.
const (
	defaultBackoffBase   = 200 * time.Millisecond
	defaultBackoffMax    = 15 * time.Second
	defaultBackoffJitter = 0.2
)

func (c BackoffConfig) withDefaults() BackoffConfig {
	if c.Base <= 0 {
		c.Base = defaultBackoffBase
	}
	if c.Max <= 0 {
		c.Max = defaultBackoffMax
	}
	if c.Max < c.Base {
		c.Max = c.Base
	}
	switch {
	case c.Jitter == 0:
		c.Jitter = defaultBackoffJitter
	case c.Jitter < 0:
		c.Jitter = 0
	case c.Jitter > 1:
		c.Jitter = 1
	}
	return c
}

// delay is the wait before retry number attempt (0 for the first retry after
// a failed session). r, in [0, 1), picks the jitter: 0.5 means none. The
// jitter is applied after the cap, so a delay may exceed Max by Jitter.
func (c BackoffConfig) delay(attempt int, r float64) time.Duration {
	d := c.Base
	for i := 0; i < attempt && d < c.Max; i++ {
		d *= 2
	}
	d = min(d, c.Max)
	return time.Duration(float64(d) * (1 + c.Jitter*(2*r-1)))
}

// backoff counts failed sessions. It is used by the Run goroutine only.
type backoff struct {
	cfg     BackoffConfig
	rand    func() float64 // in [0, 1); math/rand/v2.Float64 outside tests
	attempt int
}

// next returns the delay before the next session and counts one more failure.
func (b *backoff) next() time.Duration {
	d := b.cfg.delay(b.attempt, b.rand())
	b.attempt++
	return d
}

// reset forgets the failures after a healthy session.
func (b *backoff) reset() { b.attempt = 0 }
