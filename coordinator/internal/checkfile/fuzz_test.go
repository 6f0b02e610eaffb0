package checkfile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/coordinator/internal/maintenance"
)

// FuzzParse checks that ParseFile never panics, that its errors are always
// Errors pointing inside the file, and that whatever it accepts obeys every
// rule (checkInvariants, fileInvariants).
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile("checks.yaml", data, WithLookupEnv(lookupTestEnv))
		if err == nil {
			if len(file.Checks) == 0 {
				t.Fatal("no error and no checks")
			}
			for _, c := range file.Checks {
				checkInvariants(t, c)
			}
			fileInvariants(t, file)
			return
		}
		if file != nil {
			t.Errorf("got a File along with an error")
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error %T %v, want non-empty Errors", err, err)
		}
		lines := yamlLines(data)
		for _, e := range es {
			if e.Line < 0 || e.Line > lines {
				t.Errorf("line %d outside the file's %d lines: %v", e.Line, lines, e)
			}
			if e.File != "checks.yaml" || e.Msg == "" {
				t.Errorf("bad error %#v", e)
			}
			if strings.Contains(e.Msg, "s3cret") {
				t.Errorf("error shows a secret: %v", e)
			}
		}
	})
}

// fileInvariants fails t when the channels or maintenance windows of f, or
// the routes of its checks, break a rule every loaded file obeys.
func fileInvariants(t testing.TB, f *File) {
	t.Helper()
	channels := map[string]bool{}
	for _, ch := range f.Channels {
		if !nameRE.MatchString(ch.Name) || channels[ch.Name] || !slices.Contains(channelTypes, ch.Type) {
			t.Errorf("channel %+v: bad or duplicate name, or bad type", ch)
		}
		channels[ch.Name] = true
		switch ch.Type {
		case "webhook", "slack":
			if endpointProblem(ch.URL) != "" {
				t.Errorf("channel %q: bad URL", ch.Name)
			}
		case "pagerduty":
			if ch.RoutingKey == "" {
				t.Errorf("channel %q: no routing key", ch.Name)
			}
		case "email":
			if ch.SMTP.Addr == "" || ch.SMTP.From == "" || len(ch.SMTP.To) == 0 || (ch.SMTP.Username == "") != (ch.SMTP.Password == "") {
				t.Errorf("channel %q: incomplete smtp %+v", ch.Name, ch.SMTP)
			}
		}
	}
	for _, c := range f.Checks {
		for _, r := range c.GetAlerting().GetRoutes() {
			for _, name := range r.Channels {
				if !channels[name] {
					t.Errorf("check %q: route to unknown channel %q", c.Name, name)
				}
			}
		}
	}
	ids := map[string]bool{}
	for _, w := range f.Maintenance {
		if err := maintenance.Validate(w); err != nil {
			t.Errorf("maintenance window %q: %v", w.Name, err)
		}
		if w.Id != "file:"+w.Name || ids[w.Id] {
			t.Errorf("maintenance window %q: bad or duplicate id %q", w.Name, w.Id)
		}
		ids[w.Id] = true
	}
}

// yamlLines counts lines as YAML does: CR LF, CR, LF, NEL, LS and PS each
// end a line.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, r := range s {
		switch r {
		case '\r', '\n', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}
