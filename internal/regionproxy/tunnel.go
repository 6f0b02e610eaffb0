package regionproxy

import (
	"io"
	"net"
	"net/http"
	"sync"
)

// tunnel serves CONNECT: it dials the target, answers 200 and copies bytes
// both ways until either side closes, the proxy closes, or (with the
// blackhole on) forever discards them. A target that cannot be dialed gets
// the client's connection dropped without a response.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	upstream, err := p.dialer.DialContext(ctx, "tcp", r.Host)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Debug("dial tunnel target; dropping the client connection", "target", r.Host, "err", err)
		}
		drop(w)
		return
	}
	client, buffered, err := http.NewResponseController(w).Hijack()
	if err != nil {
		_ = upstream.Close()
		panic(http.ErrAbortHandler)
	}
	if !p.addTunnel(client, upstream) {
		return // closing: addTunnel closed both
	}
	defer p.removeTunnel(client, upstream)

	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	// Bytes the client sent after its CONNECT request (a TLS ClientHello,
	// typically) may already sit in the server's read buffer.
	if n := buffered.Reader.Buffered(); n > 0 {
		head, _ := buffered.Reader.Peek(n)
		if _, err := upstream.Write(head); err != nil {
			return
		}
	}

	// The first direction to end closes both connections, which ends the
	// other. Browsers never half-close a TLS connection, so a full close is
	// simpler than CloseWrite and cannot leave a tunnel half-open forever.
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = client.Close()
			_ = upstream.Close()
		})
	}
	if !p.enter() {
		stop()
		return
	}
	done := make(chan struct{})
	go func() {
		defer p.wg.Done()
		defer close(done)
		p.pipe(client, upstream)
		stop()
	}()
	p.pipe(upstream, client)
	stop()
	<-done
}

// pipe copies src to dst until either fails. While the blackhole is on it
// reads and discards instead, like a link that drops packets; a tunnel that
// dropped data stays dead (it keeps discarding) because its stream is
// corrupt from then on.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	dropping := false
	for {
		n, err := src.Read(buf)
		if n > 0 {
			dropping = dropping || p.blackhole.Load()
			if !dropping {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// addTunnel registers a tunnel's connections so Close can close them. It
// reports false, after closing both, when the proxy is closing.
func (p *Proxy) addTunnel(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.tunnels[c] = struct{}{}
	}
	return true
}

func (p *Proxy) removeTunnel(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.tunnels, c) // a no-op once Close took the map
		_ = c.Close()
	}
}
