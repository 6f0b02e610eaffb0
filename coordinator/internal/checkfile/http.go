package checkfile

import (
	"cmp"
	"slices"
	"strings"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var expectFields = []string{"status", "body_contains", "body_not_contains", "tls_expiry_min_days"}

// httpSpec decodes the http-only fields of a check.
func (p *parser) httpSpec(fs map[string]entry, path string) *vigilv1.HttpSpec {
	// GET unless told otherwise: a probe should not change the shop's state.
	spec := &vigilv1.HttpSpec{Method: "GET"}
	if e, ok := fs["method"]; ok {
		if s, ok := p.str(e.val, join(path, "method")); ok {
			if isToken(s) {
				spec.Method = s
			} else {
				p.c.add(e.val.Line, join(path, "method"), "invalid method %q", s)
			}
		}
	}
	if e, ok := fs["headers"]; ok {
		spec.Headers = p.headers(e, join(path, "headers"))
	}
	if e, ok := fs["body"]; ok {
		spec.Body, _ = p.str(e.val, join(path, "body"))
	}
	if e, ok := fs["expect"]; ok {
		p.expect(spec, e, join(path, "expect"))
	}
	// Follow redirects by default, as a browser does: a shop that moves
	// / to /home is up.
	if e, ok := fs["follow_redirects"]; ok {
		if follow, ok := p.boolean(e.val, join(path, "follow_redirects")); ok {
			spec.NoFollowRedirects = !follow
		}
	}
	return spec
}

// headers decodes a mapping of header names to values, sorted by name so
// that the check's version does not depend on their order in the file.
func (p *parser) headers(e entry, path string) []*vigilv1.Header {
	es, ok := p.entries(e.val, path)
	if !ok {
		return nil
	}
	out := make([]*vigilv1.Header, 0, len(es))
	seen := make(map[string]int, len(es))
	for _, h := range es {
		name := h.key.Value
		if !isToken(name) {
			p.c.add(h.key.Line, path, "invalid header name %q", name)
			continue
		}
		// Header names are case-insensitive: Accept and accept are one header.
		if first, dup := seen[strings.ToLower(name)]; dup {
			p.c.add(h.key.Line, path, "duplicate header %q (first at line %d)", name, first)
			continue
		}
		seen[strings.ToLower(name)] = h.key.Line
		v, ok := p.str(h.val, path+"."+name)
		if !ok {
			continue
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			p.c.add(h.val.Line, path+"."+name, "value must not contain CR, LF or NUL")
			continue
		}
		out = append(out, &vigilv1.Header{Name: name, Value: v})
	}
	slices.SortStableFunc(out, func(a, b *vigilv1.Header) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// expect decodes the response assertions of an http check.
func (p *parser) expect(spec *vigilv1.HttpSpec, e entry, path string) {
	fs, ok := p.fields(e.val, path, expectFields...)
	if !ok {
		return
	}
	if e, ok := fs["status"]; ok {
		v, _ := p.integer(e.val, join(path, "status"), 100, 599)
		spec.ExpectStatus = uint32(v)
	}
	if e, ok := fs["body_contains"]; ok {
		spec.BodyContains, _ = p.str(e.val, join(path, "body_contains"))
	}
	if e, ok := fs["body_not_contains"]; ok {
		spec.BodyNotContains, _ = p.str(e.val, join(path, "body_not_contains"))
	}
	if e, ok := fs["tls_expiry_min_days"]; ok {
		v, _ := p.integer(e.val, join(path, "tls_expiry_min_days"), 0, maxTLSExpiryDays)
		spec.TlsExpiryMinDays = uint32(v)
	}
}

// isToken reports whether s is an RFC 9110 token, the syntax of methods
// and header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
