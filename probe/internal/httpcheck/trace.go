package httpcheck

import (
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"
)

// Phases of a run, as phrases that complete "timed out after 10s ..." and
// "connection closed by the server ...".
const (
	phaseStart    = "before connecting"
	phaseDNS      = "during DNS lookup"
	phaseConnect  = "while connecting"
	phaseTLS      = "during TLS handshake"
	phaseRequest  = "while sending request"
	phaseResponse = "while waiting for response"
	phaseBody     = "while reading body"
)

// recorder collects the phase timings of one run through httptrace hooks.
// The transport may call hooks from its own goroutines, even after the
// request returned (a dial it abandoned), so every field is guarded by mu.
//
// With redirects, DNS, connect and TLS times are summed over the hops (the
// time the run spent in each phase), and TTFB is measured from the start of
// the run to the first byte of the final response, as a browser's navigation
// timing does.
type recorder struct {
	start time.Time

	mu           sync.Mutex
	phase        string
	dnsStart     time.Time
	dns          time.Duration
	dialStart    time.Time // first ConnectStart of the current dial
	connect      time.Duration
	tlsStart     time.Time
	tls          time.Duration
	tlsFailed    bool // a handshake ended with an error
	ttfb         time.Duration
	certNotAfter time.Time // soonest expiry of the leaf certificates seen
	sawTLS       bool
}

func newRecorder(start time.Time) *recorder {
	return &recorder{start: start, phase: phaseStart}
}

func (r *recorder) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) { r.set(phaseConnect) },
		DNSStart: func(httptrace.DNSStartInfo) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.phase = phaseDNS
			r.dnsStart = time.Now()
		},
		DNSDone: func(httptrace.DNSDoneInfo) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if !r.dnsStart.IsZero() {
				r.dns += time.Since(r.dnsStart)
				r.dnsStart = time.Time{}
			}
			r.phase = phaseConnect
		},
		ConnectStart: func(string, string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.phase = phaseConnect
			if r.dialStart.IsZero() {
				r.dialStart = time.Now()
			}
		},
		ConnectDone: func(_, _ string, err error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			// Dual-stack dials race several addresses; the connect time
			// runs from the first attempt to the one that succeeded.
			if err == nil && !r.dialStart.IsZero() {
				r.connect += time.Since(r.dialStart)
				r.dialStart = time.Time{}
			}
		},
		TLSHandshakeStart: func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.phase = phaseTLS
			r.tlsStart = time.Now()
		},
		TLSHandshakeDone: func(state tls.ConnectionState, err error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if !r.tlsStart.IsZero() {
				r.tls += time.Since(r.tlsStart)
				r.tlsStart = time.Time{}
			}
			if err != nil {
				r.tlsFailed = true
				return
			}
			r.phase = phaseRequest
			if len(state.PeerCertificates) > 0 {
				na := state.PeerCertificates[0].NotAfter
				if !r.sawTLS || na.Before(r.certNotAfter) {
					r.certNotAfter = na
				}
				r.sawTLS = true
			}
		},
		GotConn:      func(httptrace.GotConnInfo) { r.set(phaseRequest) },
		WroteRequest: func(httptrace.WroteRequestInfo) { r.set(phaseResponse) },
		GotFirstResponseByte: func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.ttfb = time.Since(r.start)
		},
	}
}

func (r *recorder) set(phase string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phase = phase
}

// timings is a consistent snapshot of a recorder.
type timings struct {
	phase        string
	dns          time.Duration
	connect      time.Duration
	tls          time.Duration
	tlsFailed    bool
	ttfb         time.Duration
	sawTLS       bool
	certNotAfter time.Time
}

func (r *recorder) snapshot() timings {
	r.mu.Lock()
	defer r.mu.Unlock()
	return timings{
		phase:        r.phase,
		dns:          r.dns,
		connect:      r.connect,
		tls:          r.tls,
		tlsFailed:    r.tlsFailed || !r.tlsStart.IsZero(),
		ttfb:         r.ttfb,
		sawTLS:       r.sawTLS,
		certNotAfter: r.certNotAfter,
	}
}
