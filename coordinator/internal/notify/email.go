package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// Email sends each message as a plain-text mail through an SMTP server. It
// upgrades the connection with STARTTLS whenever the server offers it,
// checking the certificate against the server's host name, and
// authenticates with PLAIN when the channel has a username.
type Email struct {
	name     string
	addr     string // host:port
	host     string // for the certificate check and PLAIN auth
	from     mail.Address
	to       []mail.Address
	username string
	password string
	timeout  time.Duration
	tls      *tls.Config // used for STARTTLS, never modified
	helo     string
}

var _ Notifier = (*Email)(nil)

func newEmail(ch Channel, o options) (Notifier, error) {
	s := ch.SMTP
	if s.Addr == "" {
		return nil, errNeeds("email", "smtp addr")
	}
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("email smtp addr %q: want host:port", s.Addr)
	}
	if s.From == "" {
		return nil, errNeeds("email", "from")
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return nil, fmt.Errorf("email from %q: %w", s.From, err)
	}
	if len(s.To) == 0 {
		return nil, errNeeds("email", "at least one to address")
	}
	to := make([]mail.Address, 0, len(s.To))
	for _, raw := range s.To {
		a, err := mail.ParseAddress(raw)
		if err != nil {
			return nil, fmt.Errorf("email to %q: %w", raw, err)
		}
		to = append(to, *a)
	}
	if s.Username == "" && s.Password != "" {
		return nil, errors.New("email has a password but no username")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.tlsConfig != nil {
		cfg = o.tlsConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return &Email{
		name:     ch.Name,
		addr:     s.Addr,
		host:     host,
		from:     *from,
		to:       to,
		username: s.Username,
		password: s.Password,
		timeout:  ch.Timeout,
		tls:      cfg,
		helo:     heloName(),
	}, nil
}

// heloName is the name Vigil gives in EHLO: this machine's host name, or
// "localhost" when it has none usable.
func heloName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \r\n") {
		return "localhost"
	}
	return h
}

// Name returns the channel's name.
func (e *Email) Name() string { return e.name }

// Send makes one SMTP delivery of m to every recipient, bounded by ctx and
// the channel's timeout. An SMTP 5xx reply is permanent, a 4xx is not.
func (e *Email) Send(ctx context.Context, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	// The delivery id makes the Message-ID, so a retry after a lost reply
	// is recognisably the same mail.
	msg := renderEmail(e.from, e.to, m, time.Now(), deliveryID(ctx))
	if err := e.deliver(ctx, msg); err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
		return fmt.Errorf("email to %s: %w", e.addr, err)
	}
	return nil
}

// deliver runs one SMTP session: EHLO, STARTTLS when offered, AUTH PLAIN
// when configured, then MAIL, RCPT and DATA.
func (e *Email) deliver(ctx context.Context, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	// The deadline bounds every read and write; a cancelled ctx ends them at
	// once instead of at the deadline.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		conn.Close()
		return smtpError("read greeting", err)
	}
	defer c.Close()
	if err := c.Hello(e.helo); err != nil {
		return smtpError("ehlo", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(e.tls); err != nil {
			return smtpError("starttls", err)
		}
	}
	if e.username != "" {
		if err := e.auth(c); err != nil {
			return err
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return smtpError("mail from", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to.Address); err != nil {
			return smtpError("rcpt to "+to.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError("write message", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("end message", err)
	}
	// The server has taken the message; a failed QUIT does not undo that.
	_ = c.Quit()
	return nil
}

// auth authenticates with PLAIN, which sends the password as is: only over
// TLS, or to this machine.
func (e *Email) auth(c *smtp.Client) error {
	if _, isTLS := c.TLSConnectionState(); !isTLS && !isLocalhost(e.host) {
		return permanentf("auth: %s offers no STARTTLS, and PLAIN would send the password in clear", e.host)
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return permanentf("auth: %s offers no AUTH", e.host)
	}
	if err := c.Auth(smtp.PlainAuth("", e.username, e.password, e.host)); err != nil {
		return smtpError("auth", err)
	}
	return nil
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// smtpError wraps err from an SMTP step. A 5xx reply is permanent (the
// server refuses the sender, a recipient, the credentials or the message),
// and so is a certificate that does not verify; a 4xx reply and I/O errors
// may pass on a retry.
func smtpError(step string, err error) error {
	err = fmt.Errorf("%s: %w", step, err)
	var te *textproto.Error
	var ce *tls.CertificateVerificationError
	if (errors.As(err, &te) && te.Code >= 500) || errors.As(err, &ce) {
		return permanent(err)
	}
	return err
}
