package checkfile

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/coordinator/internal/notify"
)

var (
	channelTypes  = []string{"webhook", "slack", "pagerduty", "email"}
	channelFields = []string{"name", "type", "url", "url_env", "secret_env", "routing_key_env", "smtp", "timeout"}
	// typeFields are the fields only some types have, by type; every
	// channel has name, type and timeout.
	typeFields = map[string][]string{
		"webhook":   {"url", "url_env", "secret_env"},
		"slack":     {"url", "url_env"},
		"pagerduty": {"routing_key_env", "url"},
		"email":     {"smtp"},
	}
	smtpFields = []string{"addr", "from", "to", "username_env", "password_env"}

	// envNameRE is the syntax of an environment variable name.
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// maxChannelTimeout bounds one delivery attempt: an endpoint that needs
// more than a minute to take a notification is failing, and the attempt
// holds up the incident's later notifications.
const maxChannelTimeout = time.Minute

// channels parses channels:, the notification channels that routes name.
// Secrets are never in the file: fields ending in _env name environment
// variables, read at load. Messages never show a secret's value.
func (p *parser) channels(n *yaml.Node, path string) []notify.Channel {
	items, ok := p.list(n, path)
	if !ok {
		return nil
	}
	out := make([]notify.Channel, 0, len(items))
	names := make(map[string]int, len(items))
	for i, item := range items {
		ipath := index(path, i)
		ch, nameLine, ok := p.channel(item, ipath)
		if !ok {
			continue
		}
		if ch.Name != "" {
			if first, dup := names[ch.Name]; dup {
				p.c.add(nameLine, join(ipath, "name"), "duplicate name %q (first at line %d)", ch.Name, first)
			} else {
				names[ch.Name] = nameLine
				p.channelNames = append(p.channelNames, ch.Name)
			}
		}
		out = append(out, ch)
	}
	return out
}

// channel parses one item of channels:. It returns the line of the
// channel's name, for the uniqueness check, and false when the item is not
// a mapping.
func (p *parser) channel(n *yaml.Node, path string) (notify.Channel, int, bool) {
	var ch notify.Channel
	fs, ok := p.fields(n, path, channelFields...)
	if !ok {
		return ch, 0, false
	}
	nameLine := n.Line
	if e, ok := fs["name"]; ok {
		nameLine = e.val.Line
		if s, ok := p.str(e.val, join(path, "name")); ok {
			if nameRE.MatchString(s) {
				ch.Name = s
			} else {
				p.c.add(e.val.Line, join(path, "name"), "invalid name %q: use 1-63 lowercase letters, digits, - and _, starting with a letter or digit", s)
			}
		}
	} else {
		p.c.add(n.Line, join(path, "name"), "is required")
	}

	typeKnown := false
	if e, ok := fs["type"]; ok {
		if s, ok := p.str(e.val, join(path, "type")); ok {
			if slices.Contains(channelTypes, s) {
				ch.Type, typeKnown = s, true
			} else {
				p.c.add(e.val.Line, join(path, "type"), "must be webhook, slack, pagerduty or email, got %q%s", s, suggest(s, channelTypes))
			}
		}
	} else {
		p.c.add(n.Line, join(path, "type"), "is required (webhook, slack, pagerduty or email)")
	}

	// Fields of another type are errors, and are not read further: an
	// unset variable in a field that is wrong anyway is not worth a second
	// message.
	if typeKnown {
		for _, f := range []string{"url", "url_env", "secret_env", "routing_key_env", "smtp"} {
			if e, ok := fs[f]; ok && !slices.Contains(typeFields[ch.Type], f) {
				p.c.add(e.key.Line, join(path, f), "not allowed in %s channels", ch.Type)
				delete(fs, f)
			}
		}
	}

	_, hasURL := fs["url"]
	_, hasURLEnv := fs["url_env"]
	switch {
	case hasURL && hasURLEnv:
		p.c.add(fs["url_env"].key.Line, join(path, "url_env"), "set url or url_env, not both")
	case hasURL:
		ch.URL, _ = p.channelURL(fs["url"].val, join(path, "url"))
	case hasURLEnv:
		ch.URL, _ = p.envURL(fs["url_env"].val, join(path, "url_env"))
	case ch.Type == "webhook" || ch.Type == "slack":
		p.c.add(n.Line, join(path, "url"), "is required in %s channels (or url_env)", ch.Type)
	}
	if e, ok := fs["secret_env"]; ok {
		ch.Secret, _ = p.env(e.val, join(path, "secret_env"))
	}
	if e, ok := fs["routing_key_env"]; ok {
		ch.RoutingKey, _ = p.env(e.val, join(path, "routing_key_env"))
	} else if ch.Type == "pagerduty" {
		p.c.add(n.Line, join(path, "routing_key_env"), "is required in pagerduty channels")
	}
	if e, ok := fs["smtp"]; ok {
		ch.SMTP = p.smtp(e.val, join(path, "smtp"))
	} else if ch.Type == "email" {
		p.c.add(n.Line, join(path, "smtp"), "is required in email channels")
	}
	if e, ok := fs["timeout"]; ok {
		d, ok := p.positiveDuration(e.val, join(path, "timeout"))
		if ok && d > maxChannelTimeout {
			p.c.add(e.val.Line, join(path, "timeout"), "must be at most %s, got %s", fmtDuration(maxChannelTimeout), e.val.Value)
		} else if ok {
			ch.Timeout = d
		}
	}
	return ch, nameLine, true
}

// env reads the environment variable that n names. Its value is a secret:
// no message shows it.
func (p *parser) env(n *yaml.Node, path string) (string, bool) {
	name, ok := p.str(n, path)
	if !ok {
		return "", false
	}
	if !envNameRE.MatchString(name) {
		// Not echoed: it may be a secret pasted where its variable's
		// name belongs.
		p.c.add(n.Line, path, "must name an environment variable, like VIGIL_WEBHOOK_SECRET; secrets never go in the check file")
		return "", false
	}
	v, set := p.lookupEnv(name)
	switch {
	case !set:
		p.c.add(n.Line, path, "%s is not set", name)
		return "", false
	case v == "":
		p.c.add(n.Line, path, "%s is empty", name)
		return "", false
	}
	return v, true
}

// channelURL parses an endpoint written in the file.
func (p *parser) channelURL(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if !ok {
		return "", false
	}
	if msg := endpointProblem(s); msg != "" {
		p.c.add(n.Line, path, "%s", msg)
		return "", false
	}
	return s, true
}

// envURL reads an endpoint from the environment variable n names.
func (p *parser) envURL(n *yaml.Node, path string) (string, bool) {
	s, ok := p.env(n, path)
	if !ok {
		return "", false
	}
	if msg := endpointProblem(s); msg != "" {
		p.c.add(n.Line, path, "the value of %s %s", n.Value, msg)
		return "", false
	}
	return s, true
}

// endpointProblem returns why s is not an absolute http or https URL with a
// host, or "" when it is one. Unlike checkURL it never quotes s: a Slack
// webhook URL is itself a secret.
func endpointProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a valid URL"
	case u.Scheme == "":
		return "must be an absolute URL like https://hooks.example.com/vigil"
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("must use http or https, not %q", u.Scheme)
	case u.Hostname() == "":
		return "must have a host"
	}
	return ""
}

// smtp parses the server and addresses of an email channel.
func (p *parser) smtp(n *yaml.Node, path string) notify.SMTP {
	var s notify.SMTP
	fs, ok := p.fields(n, path, smtpFields...)
	if !ok {
		return s
	}
	if e, ok := fs["addr"]; ok {
		if v, ok := p.str(e.val, join(path, "addr")); ok {
			if hostPort(v) {
				s.Addr = v
			} else {
				p.c.add(e.val.Line, join(path, "addr"), "must be host:port, like smtp.example.com:587, got %q", v)
			}
		}
	} else {
		p.c.add(n.Line, join(path, "addr"), "is required")
	}
	if e, ok := fs["from"]; ok {
		s.From, _ = p.address(e.val, join(path, "from"))
	} else {
		p.c.add(n.Line, join(path, "from"), "is required")
	}
	if e, ok := fs["to"]; ok {
		s.To = p.recipients(e.val, join(path, "to"))
	} else {
		p.c.add(n.Line, join(path, "to"), "is required")
	}
	// PLAIN auth needs both; one alone is a mistake, not a choice.
	user, hasUser := fs["username_env"]
	pass, hasPass := fs["password_env"]
	switch {
	case hasUser && !hasPass:
		p.c.add(n.Line, join(path, "password_env"), "is required when username_env is set")
	case hasPass && !hasUser:
		p.c.add(n.Line, join(path, "username_env"), "is required when password_env is set")
	}
	if hasUser {
		s.Username, _ = p.env(user.val, join(path, "username_env"))
	}
	if hasPass {
		s.Password, _ = p.env(pass.val, join(path, "password_env"))
	}
	return s
}

// hostPort reports whether s is host:port with a host and a port from 1 to
// 65535.
func hostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// address parses a bare email address: it is both the header and the SMTP
// envelope address, so a display name ("Vigil <vigil@example.com>") is
// not allowed.
func (p *parser) address(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if !ok {
		return "", false
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Name != "" || a.Address != s {
		p.c.add(n.Line, path, "invalid address %q (want a bare address like vigil@example.com)", s)
		return "", false
	}
	return s, true
}

// recipients parses a non-empty list of unique addresses.
func (p *parser) recipients(n *yaml.Node, path string) []string {
	items, ok := p.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.c.add(n.Line, path, "must list at least one address")
		return nil
	}
	out := make([]string, 0, len(items))
	seen := make(map[string]int, len(items))
	for i, item := range items {
		ipath := index(path, i)
		a, ok := p.address(item, ipath)
		if !ok {
			continue
		}
		if first, dup := seen[a]; dup {
			p.c.add(item.Line, ipath, "duplicate address %q (first at line %d)", a, first)
			continue
		}
		seen[a] = item.Line
		out = append(out, a)
	}
	return out
}
