package runner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestClassifyValues(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want vigilv1.ErrorClass
	}{
		{"nil", nil, vigilv1.ErrorClass_ERROR_CLASS_UNSPECIFIED},
		{"canceled", fmt.Errorf("get: %w", context.Canceled), vigilv1.ErrorClass_ERROR_CLASS_PROBE},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT},
		{"dns not found", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, vigilv1.ErrorClass_ERROR_CLASS_DNS},
		{"dns server timeout", &net.DNSError{Err: "i/o timeout", Name: "x.example", IsTimeout: true}, vigilv1.ErrorClass_ERROR_CLASS_DNS},
		{"dns run deadline", &net.DNSError{Err: "i/o timeout", Name: "x.example", IsTimeout: true, UnwrapErr: context.DeadlineExceeded}, vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT},
		{"read deadline", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, vigilv1.ErrorClass_ERROR_CLASS_CONNECT},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, vigilv1.ErrorClass_ERROR_CLASS_CONNECT},
		{"eof", fmt.Errorf("read response: %w", io.EOF), vigilv1.ErrorClass_ERROR_CLASS_CONNECT},
		{"unexpected eof", io.ErrUnexpectedEOF, vigilv1.ErrorClass_ERROR_CLASS_CONNECT},
		{"unknown", errors.New("something odd"), vigilv1.ErrorClass_ERROR_CLASS_CONNECT},
		{"unknown authority", x509.UnknownAuthorityError{}, vigilv1.ErrorClass_ERROR_CLASS_TLS},
		{"hostname", x509.HostnameError{Host: "x"}, vigilv1.ErrorClass_ERROR_CLASS_TLS},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired}, vigilv1.ErrorClass_ERROR_CLASS_TLS},
		{"verification", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, vigilv1.ErrorClass_ERROR_CLASS_TLS},
		{"record header", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, vigilv1.ErrorClass_ERROR_CLASS_TLS},
		{"alert", tls.AlertError(40), vigilv1.ErrorClass_ERROR_CLASS_TLS},
		{"remote alert", &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}, vigilv1.ErrorClass_ERROR_CLASS_TLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
}

// TestClassifyReal classifies errors produced by real network operations on
// loopback, so a change in how the standard library wraps them shows up here.
func TestClassifyReal(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = net.Dial("tcp", addr)
		if err == nil {
			t.Fatal("dial to a closed port succeeded")
		}
		if got := Classify(err); got != vigilv1.ErrorClass_ERROR_CLASS_CONNECT {
			t.Errorf("Classify(%v) = %s, want CONNECT", err, got)
		}
	})
	t.Run("untrusted cert", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		defer srv.Close()
		c := &http.Client{Transport: &http.Transport{}}
		_, err := c.Get(srv.URL)
		if err == nil {
			t.Fatal("request with an untrusted certificate succeeded")
		}
		if got := Classify(err); got != vigilv1.ErrorClass_ERROR_CLASS_TLS {
			t.Errorf("Classify(%v) = %s, want TLS", err, got)
		}
	})
	t.Run("plain server", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true})
		if err == nil {
			conn.Close()
			t.Fatal("TLS handshake with a plain HTTP server succeeded")
		}
		if got := Classify(err); got != vigilv1.ErrorClass_ERROR_CLASS_TLS {
			t.Errorf("Classify(%v) = %s, want TLS", err, got)
		}
	})
	t.Run("read deadline", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now()) // already passed: the read fails at once
		_, err = conn.Read(make([]byte, 1))
		if got := Classify(err); got != vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT {
			t.Errorf("Classify(%v) = %s, want TIMEOUT", err, got)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now())
		defer cancel()
		var d net.Dialer
		_, err := d.DialContext(ctx, "tcp", "127.0.0.1:1")
		if got := Classify(err); got != vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT {
			t.Errorf("Classify(%v) = %s, want TIMEOUT", err, got)
		}
	})
}
