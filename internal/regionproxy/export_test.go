package regionproxy

// Held returns the number of requests held right now by latency or the
// blackhole, so tests can wait for a request to be in flight.
func (p *Proxy) Held() int { return int(p.held.Load()) }
