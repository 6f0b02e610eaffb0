package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/testlog"
)

// Every HTTP channel posts through endpoint.postJSON; the webhook stands in
// for all three here.
func TestHTTPStatusClassification(t *testing.T) {
	tests := []struct {
		status    int
		permanent bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusNotFound, true},
		{http.StatusGone, true},
		{http.StatusMovedPermanently, true}, // not followed: that would turn the POST into a GET
		{http.StatusRequestTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
		{http.StatusServiceUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			rc := newReceiver(t, always(tt.status))
			n := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL + "/hook?token=s3cr3t"})
			err := n.Send(context.Background(), testMessage())
			if err == nil {
				t.Fatalf("Send succeeded on HTTP %d", tt.status)
			}
			if got := errors.Is(err, ErrPermanent); got != tt.permanent {
				t.Errorf("HTTP %d: permanent = %v, want %v (%v)", tt.status, got, tt.permanent, err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q shows the URL's query", err)
			}
			if got := len(rc.requests()); got != 1 {
				t.Errorf("receiver got %d requests, want 1", got)
			}
		})
	}
}

func TestHTTPTransportErrorsAreRetryable(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		n := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: "http://" + addr + "/hooks/s3cr3t"})
		err = n.Send(context.Background(), testMessage())
		if err == nil || errors.Is(err, ErrPermanent) {
			t.Fatalf("Send = %v, want a retryable error", err)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error %q shows the URL's path", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		rc := newReceiver(t, always(hang))
		n := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL, Timeout: 50 * time.Millisecond})
		err := n.Send(context.Background(), testMessage())
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || errors.Is(err, ErrPermanent) {
			t.Fatalf("Send = %v, want a retryable timeout", err)
		}
	})
}

func TestHTTPSWithTLSConfig(t *testing.T) {
	got := make(chan http.Header, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ErrorLog = log.New(testlog.Writer(t), "https server: ", 0) // the refused handshake
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ch := Channel{Name: "ops", Type: "webhook", URL: srv.URL}

	// Without the test CA the certificate does not verify, and no retry
	// will change that.
	err := mustNew(t, ch).Send(context.Background(), testMessage())
	if !errors.Is(err, ErrPermanent) {
		t.Fatalf("Send without the CA = %v, want a permanent certificate error", err)
	}

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	if err := mustNew(t, ch, WithTLSConfig(&tls.Config{RootCAs: pool})).Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("Send with the CA: %v", err)
	}
	if h := recv(t, got, "request"); h.Get("X-Vigil-Event") != "trigger" {
		t.Errorf("server got headers %v", h)
	}
}
