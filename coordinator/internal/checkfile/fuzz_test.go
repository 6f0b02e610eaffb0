package checkfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that its errors are always
// Errors pointing inside the file, and that whatever it accepts obeys every
// rule (checkInvariants).
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
		checks, err := Parse("checks.yaml", data)
		if err == nil {
			if len(checks) == 0 {
				t.Fatal("no error and no checks")
			}
			for _, c := range checks {
				checkInvariants(t, c)
			}
			return
		}
		if checks != nil {
			t.Errorf("got %d checks along with an error", len(checks))
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
		}
	})
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
