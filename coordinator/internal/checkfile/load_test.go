package checkfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestErrorString(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{File: "checks.yaml", Line: 12, Field: "checks[1].interval", Msg: "must be at least 1s"}, "checks.yaml:12: checks[1].interval: must be at least 1s"},
		{&Error{File: "checks.yaml", Line: 3, Msg: "yaml: did not find expected key"}, "checks.yaml:3: yaml: did not find expected key"},
		{&Error{File: "checks.yaml", Msg: "file is empty"}, "checks.yaml: file is empty"},
		{&Error{File: "checks.yaml", Field: "checks[0]", Msg: "encode check"}, "checks.yaml: checks[0]: encode check"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	es := Errors{{File: "a.yaml", Line: 1, Msg: "one"}, {File: "a.yaml", Line: 2, Msg: "two"}}
	if got, want := es.Error(), "a.yaml:1: one\na.yaml:2: two"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}

func TestLoad(t *testing.T) {
	t.Run("names errors by path", func(t *testing.T) {
		path := filepath.Join("testdata", "invalid-bad-status.yaml")
		_, err := Load(path)
		want := path + ":7: checks[0].expect.status: must be between 100 and 599, got 700"
		if err == nil || err.Error() != want {
			t.Errorf("Load error = %v, want %s", err, want)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load error = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "big.yaml")
		data := "checks:\n" + strings.Repeat("# padding padding padding padding padding padding\n", maxFileSize/50+1)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		want := path + ": file is larger than the limit of 1 MiB"
		if err == nil || err.Error() != want {
			t.Errorf("Load error = %v, want %s", err, want)
		}
	})
}

func TestParseLimits(t *testing.T) {
	t.Run("exactly 1 MiB is allowed", func(t *testing.T) {
		head := "checks:\n- {name: a, type: http, target: https://x.example, regions: [r]}\n"
		data := head + strings.Repeat("#", maxFileSize-len(head))
		if _, err := Parse("checks.yaml", []byte(data)); err != nil {
			t.Errorf("Parse: %v", err)
		}
	})
	t.Run("too many errors", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("checks:\n")
		for i := range 50 {
			fmt.Fprintf(&b, "  - name: X%d\n", i) // bad name, no type, target or regions
		}
		_, err := Parse("checks.yaml", []byte(b.String()))
		var es Errors
		if !errors.As(err, &es) {
			t.Fatalf("Parse error = %v, want Errors", err)
		}
		if len(es) != maxErrors+1 {
			t.Fatalf("got %d errors, want %d", len(es), maxErrors+1)
		}
		if got, want := es[len(es)-1].Error(), "checks.yaml: too many errors (100 more not shown)"; got != want {
			t.Errorf("last error = %q, want %q", got, want)
		}
		for i := 1; i < maxErrors; i++ {
			if es[i].Line < es[i-1].Line {
				t.Fatalf("errors not sorted by line: %d after %d", es[i].Line, es[i-1].Line)
			}
		}
	})
}
