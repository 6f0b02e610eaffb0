package gossip

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// metaOfSize returns probe metadata whose encoding is exactly n bytes.
func metaOfSize(t testing.TB, n int) Meta {
	t.Helper()
	m := Meta{ProbeID: "p", Role: RoleProbe, Region: "eu-west", Capacity: 2}
	base := wireLen(t, m)
	m.Version = strings.Repeat("v", n-base-len(`,"v":""`))
	if got := wireLen(t, m); got != n {
		t.Fatalf("metaOfSize(%d) built %d bytes", n, got)
	}
	return m
}

// wireLen is the length of m's encoding, computed without encodeMeta's
// limit.
func wireLen(t testing.TB, m Meta) int {
	t.Helper()
	b, err := json.Marshal(wireMeta{ProbeID: m.ProbeID, Role: m.Role, Region: m.Region, Version: m.Version, Capacity: m.Capacity})
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestMetaRoundTrip(t *testing.T) {
	tests := []Meta{
		{ProbeID: "p-1", Role: RoleProbe, Region: "eu-west", Version: "1.2.3", Capacity: 4},
		{Role: RoleCoordinator, API: "10.0.0.1:7000"},
		{ProbeID: "p-2", Role: RoleProbe, Region: "us-east", Capabilities: []string{"http", "browser"}},
		{ProbeID: `quote" and \ and ünïcode`, Role: RoleProbe, Region: "x", Capacity: 0},
	}
	for _, m := range tests {
		b, err := encodeMeta(m)
		if err != nil {
			t.Fatalf("encode %+v: %v", m, err)
		}
		got, err := decodeMeta(b)
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Errorf("round trip %+v: got %+v err=%v (wire %s)", m, got, err, b)
		}
	}
}

func TestMetaSizeLimit(t *testing.T) {
	if _, err := encodeMeta(metaOfSize(t, MaxMetaSize)); err != nil {
		t.Errorf("meta of exactly %d bytes rejected: %v", MaxMetaSize, err)
	}
	if _, err := encodeMeta(metaOfSize(t, MaxMetaSize+1)); err == nil {
		t.Errorf("meta of %d bytes accepted", MaxMetaSize+1)
	}
	typical, err := encodeMeta(Meta{ProbeID: "probe-eu-west-1-7f9c", Role: RoleProbe, Region: "eu-west-1", Version: "v1.14.2-3-gdeadbeef", Capacity: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("typical probe metadata: %d bytes: %s", len(typical), typical)
}

func TestDecodeMetaRejects(t *testing.T) {
	for _, in := range []string{"", "{", "null", `{"role":"admin"}`, `{"role":1}`, strings.Repeat(" ", MaxMetaSize+1)} {
		if m, err := decodeMeta([]byte(in)); err == nil {
			t.Errorf("decodeMeta(%q) = %+v, want error", in, m)
		}
	}
}

func FuzzDecodeMeta(f *testing.F) {
	for _, m := range []Meta{{Role: RoleCoordinator}, {ProbeID: "p", Role: RoleProbe, Region: "r", Version: "v", Capacity: 3}} {
		b, _ := encodeMeta(m)
		f.Add(b)
	}
	f.Add([]byte(`{"role":"probe","cap":-5}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			return
		}
		// What decodes re-encodes and decodes to the same value, except a
		// negative capacity, which a peer may send but we never do.
		if m.Capacity < 0 {
			return
		}
		again, err := encodeMeta(m)
		if err != nil {
			// Invalid UTF-8 re-encodes as U+FFFD (3 bytes for 1), which can
			// push a 512-byte input over the limit; that is the only way.
			if strings.Contains(err.Error(), "encoded meta is") {
				return
			}
			t.Fatalf("decoded %+v but cannot encode it: %v", m, err)
		}
		m2, err := decodeMeta(again)
		if err != nil || !reflect.DeepEqual(m2, m) {
			t.Fatalf("re-decode of %s: %+v %v, want %+v", again, m2, err, m)
		}
	})
}
