package outbox_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/probe/internal/outbox"
)

func open(t *testing.T, dir string) *outbox.Outbox {
	t.Helper()
	o, err := outbox.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func load(t *testing.T, o *outbox.Outbox) string {
	t.Helper()
	var got []string
	if err := o.Load(t.Context(), func(id string, body []byte) error {
		got = append(got, id+"="+string(body))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, " ")
}

// TestOutboxSurvivesReopen: what was put and not deleted is there, in put
// order, after the file is closed and opened again.
func TestOutboxSurvivesReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "relative-or-not")
	o := open(t, dir)
	for i := range 5 {
		if err := o.Put(t.Context(), fmt.Sprintf("r%d", i), []byte{byte('a' + i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Put(t.Context(), "r1", []byte("again")); err != nil { // a duplicate is ignored
		t.Fatal(err)
	}
	if err := o.Delete(t.Context(), []string{"r0", "r3", "nope"}); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o = open(t, dir)
	if got, want := load(t, o), "r1=b r2=c r4=e"; got != want {
		t.Fatalf("after reopen: %s, want %s", got, want)
	}
	if n, err := o.Len(t.Context()); err != nil || n != 3 {
		t.Fatalf("Len = %d, %v", n, err)
	}
}

func TestOutboxDeletesManyIDs(t *testing.T) {
	o := open(t, t.TempDir())
	var ids []string
	for i := range 1234 {
		id := fmt.Sprintf("r%04d", i)
		ids = append(ids, id)
		if err := o.Put(t.Context(), id, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Delete(t.Context(), ids[:1233]); err != nil {
		t.Fatal(err)
	}
	if got := load(t, o); got != "r1233=x" {
		t.Fatalf("left %q", got)
	}
}

func TestOutboxRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	o := open(t, dir)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	// A future version of the file: its user_version is higher.
	raw, err := outbox.OpenRaw(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := outbox.Open(t.Context(), dir); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open = %v, want a refusal", err)
	}
}

func TestOutboxUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Open(t.Context(), filepath.Join(file, "sub")); err == nil || !strings.Contains(err.Error(), "outbox dir") {
		t.Fatalf("Open under a file = %v, want an error naming the outbox dir", err)
	}
}
