package report_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilhq/vigil/internal/report"
	"github.com/vigilhq/vigil/internal/report/reporttest"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGolden renders the fixture report in each format and compares the
// bytes with testdata/report.<format>.golden. Run with -update after a
// deliberate change and review the diff.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		render func(w *bytes.Buffer, r *vigilv1.Report) error
	}{
		{"json", func(w *bytes.Buffer, r *vigilv1.Report) error { return report.JSON(w, r) }},
		{"csv", func(w *bytes.Buffer, r *vigilv1.Report) error { return report.CSV(w, r) }},
		{"html", func(w *bytes.Buffer, r *vigilv1.Report) error { return report.HTML(w, r) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got bytes.Buffer
			if err := tc.render(&got, reporttest.Report()); err != nil {
				t.Fatal(err)
			}
			// Rendering twice gives the same bytes: nothing depends on map
			// order, the clock or the build.
			var again bytes.Buffer
			if err := tc.render(&again, reporttest.Report()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), again.Bytes()) {
				t.Fatal("two renderings of the same report differ")
			}
			golden(t, "report."+tc.name+".golden", got.Bytes())
		})
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendering; run go test ./internal/report -update and review the diff\n%s",
			path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line of want and got.
func firstDiff(want, got string) string {
	wl, gl := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return ""
}
