package notify

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/testnet"
)

func emailChannel(addr string, to ...string) Channel {
	return Channel{
		Name: "mail",
		Type: "email",
		SMTP: SMTP{Addr: addr, From: "Vigil <vigil@example.com>", To: to},
	}
}

// wantEmailBody is testMessage's body as people read it.
const wantEmailBody = `Checkout fails in eu-west and us-east since 15:03 UTC.
ap-south passes.

Failing regions:
- eu-west (probe eu-1): http_status at step "click #place-order": /checkout returned HTTP 500
- us-east (probe us-2): timeout at step "wait #order-number": no #order-number after 10s

The failing regions disagree on the error class.

Check:    Checkout (checkout)
State:    down
Severity: critical
Incident: inc-42 (down)
Event:    trigger at 2026-01-02T15:04:05Z

-- 
Sent by Vigil.
`

func TestEmailThroughMailpit(t *testing.T) {
	mp := startMailpit(t, "--smtp-allowed-recipients", `@example\.com$`)
	n := mustNew(t, emailChannel(mp.smtpAddr, "ops@example.com", "Oncall <oncall@example.com>"))

	m := testMessage()
	m.Title = "checkout is down — über 2 of 3 regions"
	if err := n.Send(WithDeliveryID(sendCtx(t), "DELIVERY1"), m); err != nil {
		t.Fatalf("Send: %v", err)
	}

	msgs := mp.messages(t)
	if len(msgs) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.Subject != m.Title {
		t.Errorf("Subject = %q, want %q", got.Subject, m.Title)
	}
	if got.From == nil || got.From.Address != "vigil@example.com" || got.From.Name != "Vigil" {
		t.Errorf("From = %+v, want Vigil <vigil@example.com>", got.From)
	}
	var to []string
	for _, a := range got.To {
		to = append(to, a.Name+" <"+a.Address+">")
	}
	if want := []string{" <ops@example.com>", "Oncall <oncall@example.com>"}; !slices.Equal(to, want) {
		t.Errorf("To = %q, want %q", to, want)
	}
	if body := strings.ReplaceAll(got.Text, "\r\n", "\n"); body != wantEmailBody {
		t.Errorf("body:\n%s\nwant:\n%s", body, wantEmailBody)
	}
	if got.Username != "" {
		t.Errorf("Username = %q, want none without credentials", got.Username)
	}
	h := mp.headers(t, got.ID)
	for name, want := range map[string]string{
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
		"X-Vigil-Event":             "trigger",
		"X-Vigil-Incident":          "inc-42",
	} {
		if v := h[name]; len(v) != 1 || v[0] != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	// From the delivery id, so that retries of one message share it.
	if v := h["Message-Id"]; len(v) != 1 || v[0] != "<DELIVERY1@example.com>" {
		t.Errorf("Message-ID = %q, want <DELIVERY1@example.com>", v)
	}
	if v := h["Date"]; len(v) != 1 {
		t.Errorf("Date = %q, want one", v)
	} else if _, err := mail.ParseDate(v[0]); err != nil {
		t.Errorf("Date %q: %v", v[0], err)
	}

	t.Run("header injection", func(t *testing.T) {
		evil := testMessage()
		evil.Title = "checkout is down\r\nBcc: thief@example.com\r\nX-Injected: yes"
		evil.IncidentID = "inc-43\nX-Injected: yes"
		if err := n.Send(sendCtx(t), evil); err != nil {
			t.Fatalf("Send: %v", err)
		}
		msgs := mp.messages(t)
		got := msgs[0] // newest first
		if want := "checkout is down  Bcc: thief@example.com  X-Injected: yes"; got.Subject != want {
			t.Errorf("Subject = %q, want %q", got.Subject, want)
		}
		if len(got.Bcc) != 0 {
			t.Errorf("Bcc = %v, want none", got.Bcc)
		}
		if h := mp.headers(t, got.ID); h["X-Injected"] != nil {
			t.Errorf("headers have X-Injected: %v", h)
		}
	})

	t.Run("refused recipient is permanent", func(t *testing.T) {
		n := mustNew(t, emailChannel(mp.smtpAddr, "someone@elsewhere.org"))
		err := n.Send(sendCtx(t), testMessage())
		if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "550") {
			t.Fatalf("Send = %v, want a permanent 550", err)
		}
	})
}

func TestEmailSTARTTLSThroughMailpit(t *testing.T) {
	ca := newTestCA(t)
	authFile := filepath.Join(t.TempDir(), "smtp-auth")
	if err := os.WriteFile(authFile, []byte("vigil:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An auth file makes Mailpit require STARTTLS before MAIL and AUTH, so
	// a delivery proves the upgrade; the VerifyConnection hook proves the
	// notifier checked the certificate against the host name.
	mp := startMailpit(t, "--smtp-tls-cert", ca.certFile, "--smtp-tls-key", ca.keyFile, "--smtp-auth-file", authFile)
	_, port, err := net.SplitHostPort(mp.smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	// The certificate names localhost, not 127.0.0.1.
	ch := emailChannel(net.JoinHostPort("localhost", port), "ops@example.com")
	ch.SMTP.Username, ch.SMTP.Password = "vigil", "s3cret"

	cfg, handshakes := tlsRecorder(ca)
	n := mustNew(t, ch, WithTLSConfig(cfg))
	if err := n.Send(sendCtx(t), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if name := recv(t, handshakes, "verified TLS handshake"); name != "localhost" {
		t.Errorf("certificate verified for %q, want the SMTP host localhost", name)
	}
	if cfg.ServerName != "" {
		t.Errorf("the caller's tls.Config was modified: ServerName %q", cfg.ServerName)
	}
	msgs := mp.messages(t)
	if len(msgs) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", len(msgs))
	}
	if got := msgs[0]; got.Username != "vigil" || got.Subject != testMessage().Title || !strings.Contains(got.Text, "Incident: inc-42") {
		t.Errorf("stored message: user %q, subject %q, body %q", got.Username, got.Subject, got.Text)
	}

	t.Run("untrusted certificate is permanent", func(t *testing.T) {
		err := mustNew(t, ch).Send(sendCtx(t), testMessage()) // system roots only
		var ce *tls.CertificateVerificationError
		if !errors.Is(err, ErrPermanent) || !errors.As(err, &ce) || !strings.Contains(err.Error(), "starttls") {
			t.Fatalf("Send = %v, want a permanent starttls certificate error", err)
		}
	})
	t.Run("certificate for another host is permanent", func(t *testing.T) {
		other := ch
		other.SMTP.Addr = mp.smtpAddr // 127.0.0.1, which the certificate does not name
		err := mustNew(t, other, WithTLSConfig(&tls.Config{RootCAs: ca.pool})).Send(sendCtx(t), testMessage())
		var he x509.HostnameError
		if !errors.Is(err, ErrPermanent) || !errors.As(err, &he) {
			t.Fatalf("Send = %v, want a permanent host name mismatch", err)
		}
	})
	t.Run("wrong password is permanent", func(t *testing.T) {
		bad := ch
		bad.SMTP.Password = "wrong"
		err := mustNew(t, bad, WithTLSConfig(&tls.Config{RootCAs: ca.pool})).Send(sendCtx(t), testMessage())
		if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "535") {
			t.Fatalf("Send = %v, want a permanent 535", err)
		}
	})
	if got := len(mp.messages(t)); got != 1 {
		t.Errorf("mailpit holds %d messages after the refused sends, want 1", got)
	}
}

func TestEmailUnreachableServerIsRetryable(t *testing.T) {
	addr := testnet.FreeAddr(t) // nothing listens there any more
	err := mustNew(t, emailChannel(addr, "ops@example.com")).Send(sendCtx(t), testMessage())
	var oe *net.OpError
	if !errors.As(err, &oe) || errors.Is(err, ErrPermanent) {
		t.Fatalf("Send = %v, want a retryable dial error", err)
	}
}

// renderEmail's output as bytes: CRLF only, no line over RFC 5322's limit,
// headers a parser reads back.
func TestRenderEmail(t *testing.T) {
	tests := []struct {
		name, title, subject string
	}{
		{"injection", "ünïcode\r\nBcc: x@example.com", "ünïcode  Bcc: x@example.com"},
		{"long non-ASCII", strings.Repeat("😀", 300), strings.Repeat("😀", subjectMax-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			m.Title = tt.title
			m.Summary = strings.Repeat("a very long line without a break ", 100)
			from := mail.Address{Name: "Vigil", Address: "vigil@example.com"}
			to := []mail.Address{{Address: "ops@example.com"}, {Name: "Doe, Jane", Address: "jane@example.com"}}
			raw := renderEmail(from, to, m, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC), "ID1")

			for i, line := range bytes.Split(raw, []byte("\r\n")) {
				if bytes.ContainsAny(line, "\r\n") {
					t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
				}
				if len(line) > 998 {
					t.Errorf("line %d is %d bytes long", i+1, len(line))
				}
			}
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]string{
				"From":       `"Vigil" <vigil@example.com>`,
				"Date":       "Fri, 02 Jan 2026 15:04:05 +0000",
				"Message-Id": "<ID1@example.com>",
				"Bcc":        "",
			} {
				if got := msg.Header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			list, err := msg.Header.AddressList("To")
			if err != nil || len(list) != 2 || list[0].Address != "ops@example.com" || list[1].Name != "Doe, Jane" {
				t.Errorf("To = %v (%v), want ops@example.com and \"Doe, Jane\" <jane@example.com>", list, err)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			if subject != tt.subject {
				t.Errorf("Subject decodes to %q, want %q", subject, tt.subject)
			}
			body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(strings.ReplaceAll(string(body), "\r\n", "\n"), m.Summary+"\n\nFailing regions:\n") {
				t.Errorf("body starts %.200q", body)
			}
		})
	}
}
