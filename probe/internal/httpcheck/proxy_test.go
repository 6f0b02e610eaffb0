package httpcheck

import (
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// forwardProxy is a minimal forward proxy: it forwards plain requests and
// tunnels CONNECT, counting both.
type forwardProxy struct {
	t        *testing.T
	requests atomic.Int32
	connects atomic.Int32
	tr       *http.Transport
	tunnels  sync.WaitGroup
}

func newForwardProxy(t *testing.T) (*forwardProxy, *httptest.Server) {
	p := &forwardProxy{t: t, tr: &http.Transport{}}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		p.tr.CloseIdleConnections()
		p.tunnels.Wait()
	})
	return p, srv
}

func (p *forwardProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.connects.Add(1)
		p.tunnel(w, r)
		return
	}
	p.requests.Add(1)
	out, err := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (p *forwardProxy) tunnel(w http.ResponseWriter, r *http.Request) {
	upstream, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		p.t.Errorf("hijack: %v", err)
		return
	}
	p.tunnels.Add(2)
	go func() {
		defer p.tunnels.Done()
		io.Copy(upstream, buf.Reader)
		upstream.Close()
	}()
	go func() {
		defer p.tunnels.Done()
		io.Copy(conn, upstream)
		conn.Close()
	}()
}

func TestProxy(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the target")
	}))
	defer target.Close()
	tlsTarget := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the tls target")
	}))
	defer tlsTarget.Close()
	roots := x509.NewCertPool()
	roots.AddCert(tlsTarget.Certificate())

	proxy, proxySrv := newForwardProxy(t)
	r := newTestRunner(t, Config{ProxyURL: proxySrv.URL, RootCAs: roots})

	wantPass(t, run(t, r, httpCheck(target.URL+"/", &vigilv1.HttpSpec{BodyContains: "hello from the target"})))
	if got := proxy.requests.Load(); got != 1 {
		t.Errorf("proxy forwarded %d requests, want 1", got)
	}

	res := run(t, r, httpCheck(tlsTarget.URL+"/", &vigilv1.HttpSpec{BodyContains: "hello from the tls target"}))
	wantPass(t, res)
	if got := proxy.connects.Load(); got != 1 {
		t.Errorf("proxy tunnelled %d connections, want 1", got)
	}
	if res.GetTlsCertExpiryDays() < 0 {
		t.Errorf("tls_cert_expiry_days = %d through the tunnel, want the target's", res.GetTlsCertExpiryDays())
	}
}

func TestNoProxyFromEnvironment(t *testing.T) {
	if New(Config{}).transport().Proxy != nil {
		t.Error("transport has a proxy function without Config.ProxyURL; the environment must never pick one")
	}
}

func TestInvalidProxy(t *testing.T) {
	for _, proxy := range []string{"ftp://proxy:21", "http://", "://x"} {
		t.Run(proxy, func(t *testing.T) {
			cfg := Config{ProxyURL: proxy, Logger: testLogger(t)}
			if err := cfg.Validate(); err == nil {
				t.Fatal("Validate accepted it")
			}
			res := run(t, New(cfg), httpCheck("http://127.0.0.1:1/", nil))
			wantOutcome(t, res, vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR, vigilv1.ErrorClass_ERROR_CLASS_PROBE)
		})
	}
	if err := (Config{ProxyURL: "http://127.0.0.1:3128"}).Validate(); err != nil {
		t.Errorf("Validate rejected a good proxy: %v", err)
	}
}
