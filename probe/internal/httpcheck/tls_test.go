package httpcheck

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// selfSigned returns a certificate for 127.0.0.1 valid until notAfter, and
// a pool that trusts it.
func selfSigned(t *testing.T, notAfter time.Time) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vigil test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
}

func TestTLSPass(t *testing.T) {
	srv := httptest.NewTLSServer(okHandler())
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	res := run(t, newTestRunner(t, Config{RootCAs: roots}), httpCheck(srv.URL+"/", &vigilv1.HttpSpec{TlsExpiryMinDays: 30}))
	wantPass(t, res)
	wantDays := expiryDays(srv.Certificate().NotAfter, time.Now())
	if got := res.GetTlsCertExpiryDays(); got != wantDays && got != wantDays+1 {
		t.Errorf("tls_cert_expiry_days = %d, want %d", got, wantDays)
	}
	if res.GetTlsUs() < 0 || res.GetTlsUs() > res.GetDurationUs() {
		t.Errorf("tls_us = %d, want within [0, duration_us=%d]", res.GetTlsUs(), res.GetDurationUs())
	}
}

func TestTLSUntrusted(t *testing.T) {
	srv := httptest.NewTLSServer(okHandler())
	defer srv.Close()

	res := run(t, newTestRunner(t, Config{}), httpCheck(srv.URL+"/", nil))
	wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_TLS)
	if !strings.Contains(res.GetError(), "certificate") {
		t.Errorf("error = %q, want it to mention the certificate", res.GetError())
	}
}

func TestTLSExpirySoon(t *testing.T) {
	// Five days and an hour: five whole days however long the test takes.
	cert, roots := selfSigned(t, time.Now().Add(5*24*time.Hour+time.Hour))
	srv := httptest.NewUnstartedServer(okHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	r := newTestRunner(t, Config{RootCAs: roots})

	t.Run("too soon", func(t *testing.T) {
		res := run(t, r, httpCheck(srv.URL+"/", &vigilv1.HttpSpec{TlsExpiryMinDays: 14}))
		wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_TLS)
		if res.GetTlsCertExpiryDays() != 5 {
			t.Errorf("tls_cert_expiry_days = %d, want 5", res.GetTlsCertExpiryDays())
		}
		want := "GET " + srv.URL + "/: certificate expires in 5 days (" + cert.Leaf.NotAfter.UTC().Format(time.DateOnly) + "), want at least 14"
		if res.GetError() != want {
			t.Errorf("error = %q, want %q", res.GetError(), want)
		}
	})
	t.Run("far enough", func(t *testing.T) {
		res := run(t, r, httpCheck(srv.URL+"/", &vigilv1.HttpSpec{TlsExpiryMinDays: 5}))
		wantPass(t, res)
	})
	t.Run("not asked", func(t *testing.T) {
		wantPass(t, run(t, r, httpCheck(srv.URL+"/", nil)))
	})
}

func TestTLSExpired(t *testing.T) {
	cert, roots := selfSigned(t, time.Now().Add(-time.Minute))
	srv := httptest.NewUnstartedServer(okHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()

	res := run(t, newTestRunner(t, Config{RootCAs: roots}), httpCheck(srv.URL+"/", nil))
	wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_TLS)
}

// TestTLSHandshakeBroken covers handshakes that fail without a certificate
// error: the server speaks plain HTTP, or drops the connection.
func TestTLSHandshakeBroken(t *testing.T) {
	t.Run("plain http server", func(t *testing.T) {
		srv := httptest.NewServer(okHandler())
		defer srv.Close()
		target := "https://" + srv.Listener.Addr().String() + "/"
		res := run(t, newTestRunner(t, Config{}), httpCheck(target, nil))
		wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_TLS)
	})
	t.Run("closed during handshake", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}()
		target := "https://" + ln.Addr().String() + "/"
		res := run(t, newTestRunner(t, Config{}), httpCheck(target, nil))
		<-done
		wantFail(t, res, vigilv1.ErrorClass_ERROR_CLASS_TLS)
		// The client sees EOF or a reset, depending on whether its hello
		// was read before the close.
		if want := "GET " + target + ": "; !strings.HasPrefix(res.GetError(), want) || !strings.HasSuffix(res.GetError(), " during TLS handshake") {
			t.Errorf("error = %q, want %q... during TLS handshake", res.GetError(), want)
		}
	})
}

func TestExpiryDays(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		notAfter time.Time
		want     int32
	}{
		{now.Add(30 * 24 * time.Hour), 30},
		{now.Add(30*24*time.Hour - time.Second), 29},
		{now.Add(time.Hour), 0},
		{now.Add(-time.Hour), -1},
		{now.Add(-48 * time.Hour), -2},
	}
	for _, tt := range tests {
		if got := expiryDays(tt.notAfter, now); got != tt.want {
			t.Errorf("expiryDays(now%+v) = %d, want %d", tt.notAfter.Sub(now), got, tt.want)
		}
	}
}
