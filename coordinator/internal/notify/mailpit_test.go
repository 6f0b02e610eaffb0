package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/testlog"
	"github.com/vigilhq/vigil/internal/testnet"
	"github.com/vigilhq/vigil/internal/testwait"
)

// mailpit is a real Mailpit process: an SMTP server whose HTTP API shows
// what it received.
type mailpit struct {
	smtpAddr string // 127.0.0.1:port
	api      string // http://127.0.0.1:port
}

// mailpitBinary finds Mailpit: $VIGIL_MAILPIT, or .tmp/bin/mailpit in the
// module root, where `make mailpit` installs it.
func mailpitBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VIGIL_MAILPIT"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		t.Fatalf("mailpit not found at $VIGIL_MAILPIT=%s: run `make mailpit`", p)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("mailpit not found: run `make mailpit`")
		}
		dir = parent
	}
	p := filepath.Join(dir, ".tmp", "bin", "mailpit")
	if _, err := os.Stat(p); err != nil {
		t.Fatal("mailpit not found: run `make mailpit`")
	}
	return p
}

// startMailpit runs Mailpit on free loopback ports with extra flags, waits
// until it accepts SMTP and answers its API, and kills it when the test
// ends. A port taken between choosing and binding it gets another try.
func startMailpit(t *testing.T, extra ...string) *mailpit {
	t.Helper()
	bin := mailpitBinary(t)
	dir := t.TempDir()
	var lastErr error
	for range 3 {
		mp, err := tryStartMailpit(t, bin, dir, extra)
		if err == nil {
			return mp
		}
		lastErr = err
	}
	t.Fatalf("start mailpit: %v", lastErr)
	return nil
}

func tryStartMailpit(t *testing.T, bin, dir string, extra []string) (*mailpit, error) {
	mp := &mailpit{smtpAddr: testnet.FreeAddr(t)}
	httpAddr := testnet.FreeAddr(t)
	mp.api = "http://" + httpAddr
	args := append([]string{
		"--smtp", mp.smtpAddr,
		"--listen", httpAddr,
		"--database", filepath.Join(dir, fmt.Sprintf("mailpit-%d.db", time.Now().UnixNano())),
		"--disable-version-check",
		"--smtp-disable-rdns",
	}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout = testlog.Writer(t)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	deadline := time.Now().Add(30 * time.Second)
	for !mp.ready() {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("mailpit exited before it was ready: %v", err)
		case <-time.After(testwait.Poll):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("mailpit not ready on smtp %s, http %s after 30s", mp.smtpAddr, httpAddr)
		}
	}
	t.Cleanup(stop)
	return mp, nil
}

// ready reports whether Mailpit's HTTP API and SMTP port both answer.
func (mp *mailpit) ready() bool {
	resp, err := http.Get(mp.api + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", mp.smtpAddr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// mailpitMessage is what Mailpit's API reports of a stored message.
type mailpitMessage struct {
	ID        string
	MessageID string
	From      *mail.Address
	To        []*mail.Address
	Bcc       []*mail.Address
	Subject   string
	Username  string // the SMTP AUTH user, if any
	Text      string
}

// messages returns the stored messages, newest first, in full.
func (mp *mailpit) messages(t *testing.T) []mailpitMessage {
	t.Helper()
	var list struct {
		Messages []struct{ ID string } `json:"messages"`
	}
	mp.getJSON(t, "/api/v1/messages", &list)
	out := make([]mailpitMessage, 0, len(list.Messages))
	for _, s := range list.Messages {
		var m mailpitMessage
		mp.getJSON(t, "/api/v1/message/"+s.ID, &m)
		out = append(out, m)
	}
	return out
}

// headers returns a stored message's headers.
func (mp *mailpit) headers(t *testing.T, id string) map[string][]string {
	t.Helper()
	var h map[string][]string
	mp.getJSON(t, "/api/v1/message/"+id+"/headers", &h)
	return h
}

func (mp *mailpit) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(mp.api + path)
	if err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit GET %s: decode: %v", path, err)
	}
}

// testCA is a CA and a server certificate it signed for localhost only,
// written as PEM files for Mailpit.
type testCA struct {
	pool     *x509.CertPool
	certFile string
	keyFile  string
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vigil test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "mailpit"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"}, // not 127.0.0.1: tests dial both names
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ca := testCA{pool: x509.NewCertPool(), certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	ca.pool.AddCert(caCert)
	writePEM(t, ca.certFile, "CERTIFICATE", der)
	writePEM(t, ca.keyFile, "PRIVATE KEY", keyDER)
	return ca
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsRecorder is a client TLS config that trusts ca and reports each
// handshake that verified the server's certificate, with the name it was
// verified for: proof that STARTTLS happened and checked the host name.
func tlsRecorder(ca testCA) (*tls.Config, <-chan string) {
	seen := make(chan string, 16)
	return &tls.Config{
		RootCAs: ca.pool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.VerifiedChains) > 0 {
				seen <- cs.ServerName
			}
			return nil
		},
	}, seen
}

// sendCtx bounds one Send in the email tests: a liveness guard only.
func sendCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
