package catalog

import (
	"testing"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestCatalog(t *testing.T) {
	c := New([]*vigilv1.Check{{Id: "b", Name: "Beta"}, {Id: "a", Name: "Zulu"}, {Id: "c", Name: "Alpha"}})
	var names []string
	for _, ch := range c.List() {
		names = append(names, ch.GetName())
	}
	if got := len(names); got != 3 || names[0] != "Alpha" || names[1] != "Beta" || names[2] != "Zulu" {
		t.Fatalf("List names = %v, want sorted by name", names)
	}
	if _, ok := c.Get("a"); !ok {
		t.Fatal("Get(a) missing")
	}
	c.Set([]*vigilv1.Check{{Id: "x", Name: "X"}})
	if _, ok := c.Get("a"); ok {
		t.Fatal("Get(a) after Set without it")
	}
	if len(c.List()) != 1 {
		t.Fatalf("List after Set = %d checks, want 1", len(c.List()))
	}
}
