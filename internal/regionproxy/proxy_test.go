package regionproxy_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/regionproxy"
	"github.com/vigilhq/vigil/internal/testnet"
	"github.com/vigilhq/vigil/internal/testwait"
)

func TestListen(t *testing.T) {
	p := startProxy(t, 0)
	if p.Region() != "eu-west" {
		t.Errorf("Region() = %q", p.Region())
	}
	if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q", p.URL())
	}
	for _, tt := range []struct {
		addr string
		cfg  regionproxy.Config
		want string
	}{
		{"127.0.0.1:0", regionproxy.Config{}, "empty region"},
		{"127.0.0.1:0", regionproxy.Config{Region: "x", Latency: -time.Second}, "negative latency"},
		{"256.0.0.1:0", regionproxy.Config{Region: "x"}, "listen"},
	} {
		if _, err := regionproxy.Listen(tt.addr, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Listen(%q, %+v) = %v, want an error containing %q", tt.addr, tt.cfg, err, tt.want)
		}
	}
}

func TestForwardAddsRegionAndDropsHopHeaders(t *testing.T) {
	up := startUpstream(t, false)
	p := startProxy(t, 0)
	c := proxiedClient(t, p)

	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	resp, body, err := get(ctx, c, up.URL+"/product/coffee?x=1", http.Header{
		"Connection":          {"X-Hop"},
		"X-Hop":               {"1"},
		"Proxy-Authorization": {"Basic Zm9vOmJhcg=="},
		"X-Keep":              {"1"},
		"X-Vigil-Region":      {"spoofed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || body != "hello from "+strings.TrimPrefix(up.URL, "http://")+"/product/coffee" {
		t.Errorf("response %d %q", resp.StatusCode, body)
	}
	h := up.lastHeaders()
	if got := h.Values("X-Vigil-Region"); len(got) != 1 || got[0] != "eu-west" {
		t.Errorf("upstream X-Vigil-Region %q, want just eu-west", got)
	}
	for _, hop := range []string{"X-Hop", "Proxy-Authorization", "Proxy-Connection"} {
		if h.Get(hop) != "" {
			t.Errorf("hop-by-hop header %s forwarded", hop)
		}
	}
	if h.Get("X-Keep") != "1" {
		t.Errorf("end-to-end header X-Keep dropped")
	}
	if resp.Header.Get("X-Upstream") != "yes" || resp.Header.Get("X-Resp-Hop") != "" {
		t.Errorf("response headers: X-Upstream %q (want yes), X-Resp-Hop %q (want none)",
			resp.Header.Get("X-Upstream"), resp.Header.Get("X-Resp-Hop"))
	}
}

func TestForwardBodyAndStatus(t *testing.T) {
	up := startUpstream(t, false)
	c := proxiedClient(t, startProxy(t, 0))
	payload := strings.Repeat("coffee ", 50_000)
	resp, err := c.Post(up.URL+"/echo", "text/plain", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusCreated || string(got) != payload {
		t.Errorf("echo: status %d, %d bytes, %v; want 201 and %d bytes", resp.StatusCode, len(got), err, len(payload))
	}
}

// The first part of a streamed response reaches the client before the
// upstream has finished.
func TestForwardStreams(t *testing.T) {
	up := startUpstream(t, false)
	c := proxiedClient(t, startProxy(t, 0))
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, up.URL+"/stream", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || line != "first\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	close(up.release)
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "second\n" {
		t.Errorf("rest %q, %v", rest, err)
	}
}

func TestForwardTruncatedUpstreamBody(t *testing.T) {
	up := startUpstream(t, false)
	c := proxiedClient(t, startProxy(t, 0))
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	_, body, err := get(ctx, c, up.URL+"/truncated", nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("body %q, err %v; want an unexpected EOF, not a complete response", body, err)
	}
}

func TestOriginFormRequestRejected(t *testing.T) {
	p := startProxy(t, 0)
	resp, err := http.Get(p.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}

// A failing upstream looks like a network failure to the client: a
// transport error, never a response such as a 502.
func TestUpstreamFailureDropsClient(t *testing.T) {
	tlsUp := startUpstream(t, true)
	p := startProxy(t, 0)
	c := proxiedClient(t, p, tlsUp)
	for _, tt := range []struct{ name, url string }{
		{"refused", "http://" + testnet.FreeAddr(t) + "/"},
		{"closed without response", "http://" + startSilentCloser(t) + "/"},
		{"CONNECT refused", "https://" + testnet.FreeAddr(t) + "/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), patience)
			defer cancel()
			resp, _, err := get(ctx, c, tt.url, nil)
			if err == nil {
				t.Fatalf("got a response, status %d; want a transport error", resp.StatusCode)
			}
			var ne net.Error
			if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
				t.Errorf("error %v is a timeout; want the connection dropped at once", err)
			}
			t.Logf("client sees: %v", err)
		})
	}
	// The proxy still works afterwards.
	mustGet(t, c, tlsUp.URL+"/")
}

func TestConnectTunnel(t *testing.T) {
	up := startUpstream(t, true)
	p := startProxy(t, 0)
	c := proxiedClient(t, p, up)
	for range 3 { // the later requests reuse the tunnel
		if body := mustGet(t, c, up.URL+"/cart"); !strings.HasSuffix(body, "/cart") {
			t.Errorf("body %q", body)
		}
	}
	if up.hits.Load() != 3 {
		t.Errorf("upstream hits %d, want 3", up.hits.Load())
	}
	// Inside TLS the proxy cannot add its header.
	if h := up.lastHeaders(); h.Get("X-Vigil-Region") != "" {
		t.Errorf("tunnelled request carries X-Vigil-Region %q", h.Get("X-Vigil-Region"))
	}
}

// heldThenGivesUp sends a request that must be held: it waits until the
// proxy holds it, then lets the client give up, and checks that the proxy
// releases it.
func heldThenGivesUp(t *testing.T, p *regionproxy.Proxy, c *http.Client, target string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		resp, _, err := get(ctx, c, target, nil)
		if err == nil {
			err = errors.New("answered: " + resp.Status)
		}
		errc <- err
	}()
	testwait.Until(t, patience, func() bool { return p.Held() == 1 }, "request to %s not held by the proxy", target)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("held request: %v, want it canceled by the client", err)
	}
	testwait.Until(t, patience, func() bool { return p.Held() == 0 }, "proxy still holds a request its client gave up")
}

// connectHeldThenGivesUp is heldThenGivesUp for a CONNECT to target
// (host:port). It speaks raw TCP because Go's Transport keeps dialing (and
// so keeps a CONNECT waiting) after its request is canceled, where a
// browser closes the socket.
func connectHeldThenGivesUp(t *testing.T, p *regionproxy.Proxy, target string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, patience, func() bool { return p.Held() == 1 }, "CONNECT %s not held by the proxy", target)
	conn.Close()
	testwait.Until(t, patience, func() bool { return p.Held() == 0 }, "proxy still holds a CONNECT its client gave up")
}

func TestLatency(t *testing.T) {
	up := startUpstream(t, false)
	tlsUp := startUpstream(t, true)
	p := startProxy(t, forever)
	c := proxiedClient(t, p, tlsUp)

	heldThenGivesUp(t, p, c, up.URL+"/")
	connectHeldThenGivesUp(t, p, tlsUp.Listener.Addr().String()) // per tunnel setup
	if up.hits.Load() != 0 || tlsUp.hits.Load() != 0 {
		t.Errorf("upstreams reached during the latency: %d, %d", up.hits.Load(), tlsUp.hits.Load())
	}

	p.SetLatency(time.Millisecond)
	mustGet(t, c, up.URL+"/")
	mustGet(t, c, tlsUp.URL+"/")
	if up.hits.Load() != 1 || tlsUp.hits.Load() != 1 {
		t.Errorf("upstream hits %d, %d after the latency, want 1, 1", up.hits.Load(), tlsUp.hits.Load())
	}
}

func TestBlackhole(t *testing.T) {
	up := startUpstream(t, false)
	tlsUp := startUpstream(t, true)
	p := startProxy(t, 0)
	c := proxiedClient(t, p, tlsUp)
	mustGet(t, c, tlsUp.URL+"/") // leaves a tunnel open for reuse

	p.SetBlackhole(true)
	heldThenGivesUp(t, p, c, up.URL+"/")
	// The open tunnel now drops what it carries: the request goes in and
	// nothing comes back.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, _, err := get(ctx, c, tlsUp.URL+"/", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("request through a blackholed tunnel: %v, want no answer", err)
	}
	connectHeldThenGivesUp(t, p, tlsUp.Listener.Addr().String()) // a new CONNECT is held
	if up.hits.Load() != 0 || tlsUp.hits.Load() != 1 {
		t.Errorf("upstream hits %d, %d during the blackhole, want 0, 1", up.hits.Load(), tlsUp.hits.Load())
	}

	p.SetBlackhole(false)
	mustGet(t, c, up.URL+"/")
	mustGet(t, c, tlsUp.URL+"/")
}

// Close releases held requests without answering them, closes tunnels and
// idle connections, and leaves no goroutine behind.
func TestCloseStopsEverything(t *testing.T) {
	up := startUpstream(t, false)
	tlsUp := startUpstream(t, true)
	baseline := runtime.NumGoroutine()

	p, err := regionproxy.Listen("127.0.0.1:0", regionproxy.Config{Region: "ap-south", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := proxiedClient(t, p, tlsUp)
	mustGet(t, c, up.URL+"/")    // idle keep-alive connections on both sides
	mustGet(t, c, tlsUp.URL+"/") // an open tunnel

	p.SetBlackhole(true)
	errc := make(chan error, 1)
	go func() {
		resp, _, err := get(context.Background(), c, up.URL+"/held", nil)
		if err == nil {
			err = errors.New("answered: " + resp.Status)
		}
		errc <- err
	}()
	testwait.Until(t, patience, func() bool { return p.Held() == 1 }, "request not held")

	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	var closeErr error
	testwait.Until(t, patience, func() bool {
		select {
		case closeErr = <-closed:
			return true
		default:
			return false
		}
	}, "Close did not return")
	if closeErr != nil {
		t.Errorf("Close: %v", closeErr)
	}
	if err := <-errc; err == nil || strings.HasPrefix(err.Error(), "answered") {
		t.Errorf("held request: %v, want a transport error", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := get(context.Background(), c, up.URL+"/", nil); err == nil {
		t.Errorf("request after Close answered")
	}

	c.CloseIdleConnections()
	testwait.Until(t, patience, func() bool { return runtime.NumGoroutine() <= baseline },
		"goroutines: %d, baseline %d", runtime.NumGoroutine(), baseline)
}
