package uplinktest

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// CutProxy is a TCP proxy on loopback that can cut every connection through
// it, as a network failure would.
type CutProxy struct {
	lis    net.Listener
	target string
	cutAt  int64 // cut everything once this many bytes went upstream; 0: never

	up   atomic.Int64
	cuts atomic.Int64
	once sync.Once

	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// StartCutProxy proxies to target until the test ends. When cutAt > 0 it
// cuts all connections, once, in the middle of the write that takes the
// bytes sent upstream to cutAt.
func StartCutProxy(t testing.TB, target string, cutAt int64) *CutProxy {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := &CutProxy{lis: lis, target: target, cutAt: cutAt, conns: make(map[net.Conn]bool)}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		lis.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's address.
func (p *CutProxy) Addr() string { return p.lis.Addr().String() }

// Cuts is how many times the proxy cut its connections.
func (p *CutProxy) Cuts() int64 { return p.cuts.Load() }

// Upstream is how many bytes went upstream so far.
func (p *CutProxy) Upstream() int64 { return p.up.Load() }

func (p *CutProxy) accept() {
	for {
		down, err := p.lis.Accept()
		if err != nil {
			return // closed
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			down.Close()
			continue
		}
		p.mu.Lock()
		p.conns[down], p.conns[up] = true, true
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(up, down, true) })
		p.wg.Go(func() { p.pipe(down, up, false) })
	}
}

// pipe copies src to dst, then closes both.
func (p *CutProxy) pipe(dst, src net.Conn, upstream bool) {
	var w io.Writer = dst
	if upstream {
		w = &cutter{p: p, w: dst}
	}
	_, _ = io.Copy(w, src)
	for _, c := range []net.Conn{dst, src} {
		c.Close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}
}

// Cut closes every connection through the proxy now.
func (p *CutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.conns) > 0 {
		p.cuts.Add(1)
	}
	for c := range p.conns {
		c.Close()
	}
}

// cutter counts the bytes sent upstream and cuts the proxy at cutAt.
type cutter struct {
	p *CutProxy
	w io.Writer
}

func (c *cutter) Write(b []byte) (int, error) {
	p := c.p
	if p.cutAt > 0 && p.up.Load()+int64(len(b)) >= p.cutAt {
		fired := false
		p.once.Do(func() {
			fired = true
			half := max(int(p.cutAt-p.up.Load()), 1)
			n, _ := c.w.Write(b[:min(half, len(b))])
			p.up.Add(int64(n))
			p.Cut()
		})
		if fired {
			return 0, errors.New("proxy: cut")
		}
	}
	n, err := c.w.Write(b)
	p.up.Add(int64(n))
	return n, err
}
