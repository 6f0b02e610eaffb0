package checkfile

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDeployExamples loads every check file under deploy/ so the examples we
// ship never rot. deploy/ also holds compose files and Kubernetes manifests;
// a YAML file counts as a check file when its name contains "checks" or its
// top level has a checks: key.
func TestDeployExamples(t *testing.T) {
	root := moduleRoot(t)
	var found int
	err := filepath.WalkDir(filepath.Join(root, "deploy"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if !strings.Contains(filepath.Base(path), "checks") && !hasChecksKey(data) {
			t.Logf("%s: not a check file, skipped", rel)
			return nil
		}
		found++
		t.Run(rel, func(t *testing.T) {
			checks, err := Parse(rel, data)
			if err != nil {
				t.Fatalf("invalid check file:\n%v", err)
			}
			for _, c := range checks {
				checkInvariants(t, c)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("no check files under deploy/; deploy/examples/checks.yaml should be one")
	}
}

// hasChecksKey reports whether data is YAML whose top level is a mapping
// with a checks key.
func hasChecksKey(data []byte) bool {
	var doc yaml.Node
	if yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc) != nil || len(doc.Content) == 0 {
		return false
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(top.Content); i += 2 {
		if top.Content[i].Value == "checks" {
			return true
		}
	}
	return false
}

// moduleRoot walks up from the package directory to the directory holding
// go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}
