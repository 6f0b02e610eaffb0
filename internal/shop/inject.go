package shop

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// SetFaults replaces every fault with f, after filling in defaults. Invalid
// faults (unknown kind, bad mode, negative delay, ...) are dropped with a
// warning; validate untrusted input with ParseFault or the admin API. Safe
// for concurrent use; requests already past their fault checks are not
// affected.
func (s *Shop) SetFaults(f []Fault) {
	s.setFaults(f, "api")
}

func (s *Shop) setFaults(f []Fault, source string) {
	next := make([]Fault, 0, len(f))
	for _, x := range f {
		x = x.normalize()
		if err := x.validate(); err != nil {
			s.log.Warn("invalid fault dropped", "fault", x.String(), "err", err, "source", source)
			continue
		}
		next = append(next, x)
	}
	s.faults.Store(&next)
	s.logFaults(next, source)
}

// addFault adds one valid, normalized fault.
func (s *Shop) addFault(f Fault, source string) []Fault {
	for {
		old := s.faults.Load()
		next := append(slices.Clip(*old), f)
		if s.faults.CompareAndSwap(old, &next) {
			s.logFaults(next, source)
			return slices.Clone(next)
		}
	}
}

func (s *Shop) logFaults(f []Fault, source string) {
	specs := make([]string, len(f))
	for i, x := range f {
		specs[i] = x.String()
	}
	s.log.Info("faults changed", "faults", strings.Join(specs, " "), "count", len(f), "source", source)
}

// Faults returns a copy of the faults in effect, never nil.
func (s *Shop) Faults() []Fault {
	return slices.Clone(*s.faults.Load())
}

// fault returns the first fault of kind that applies to r.
func (s *Shop) fault(r *http.Request, kind FaultKind) (Fault, bool) {
	region := r.Header.Get(RegionHeader)
	for _, f := range *s.faults.Load() {
		if f.Kind == kind && f.appliesTo(region) {
			return f, true
		}
	}
	return Fault{}, false
}

// injectBefore applies the faults that act before any handler runs: outage
// and slow. It reports whether the request should go on to its handler.
// When several slow faults match, the longest delay wins.
func (s *Shop) injectBefore(w http.ResponseWriter, r *http.Request) bool {
	region := r.Header.Get(RegionHeader)
	var delay time.Duration
	for _, f := range *s.faults.Load() {
		if !f.appliesTo(region) {
			continue
		}
		switch f.Kind {
		case FaultOutage:
			if f.Mode == outageRefuse {
				refuse(w)
			} else {
				unavailable(w)
			}
			return false
		case FaultSlow:
			if strings.HasPrefix(r.URL.Path, f.Path) {
				delay = max(delay, time.Duration(f.Delay))
			}
		}
	}
	if delay <= 0 {
		return true
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// refuse closes the client's connection without writing a response, so the
// client sees a connection failure rather than an HTTP error.
func refuse(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): abort the stream instead, which also
		// sends no response.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// unavailablePage is what a load balancer in front of a dead shop serves:
// deliberately not the shop's layout.
const unavailablePage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>503 Service Unavailable</title></head>
<body><h1>503 Service Unavailable</h1><p>No server is available to handle this request.</p></body>
</html>
`

func unavailable(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Retry-After", "30")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(unavailablePage))
}
