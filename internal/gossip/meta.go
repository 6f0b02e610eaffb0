package gossip

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// Role is what a member does in the mesh.
type Role string

const (
	RoleProbe       Role = "probe"
	RoleCoordinator Role = "coordinator"
)

func (r Role) valid() bool { return r == RoleProbe || r == RoleCoordinator }

// Meta is the metadata a member advertises to every other member. Its
// encoding must fit memberlist's 512-byte node metadata limit (memberlist
// panics on larger metadata); New and UpdateMeta reject metadata that does
// not.
type Meta struct {
	ProbeID  string
	Role     Role
	Region   string
	Version  string
	Capacity int
	// API is the member's gRPC address, host:port, for role coordinator:
	// probes started with only gossip seeds connect to it.
	API string
	// Capabilities are the check types a probe runs ("http", "browser"):
	// a check is owned only among the probes that can run it.
	Capabilities []string
}

// MaxMetaSize is the largest encoded metadata memberlist accepts.
const MaxMetaSize = memberlist.MetaMaxSize

// wireMeta is Meta as gossiped: JSON, so members of different versions
// ignore fields they do not know, with short keys to stay well under the
// limit.
type wireMeta struct {
	ProbeID  string   `json:"id,omitempty"`
	Role     Role     `json:"role"`
	Region   string   `json:"rg,omitempty"`
	Version  string   `json:"v,omitempty"`
	Capacity int      `json:"cap,omitempty"`
	API      string   `json:"api,omitempty"`
	Caps     []string `json:"caps,omitempty"`
}

// encodeMeta returns the wire form of m. It fails when m is invalid or
// its encoding exceeds MaxMetaSize.
func encodeMeta(m Meta) ([]byte, error) {
	if !m.Role.valid() {
		return nil, fmt.Errorf("meta role %q: want %q or %q", m.Role, RoleProbe, RoleCoordinator)
	}
	if m.Capacity < 0 {
		return nil, fmt.Errorf("meta capacity %d: must not be negative", m.Capacity)
	}
	b, err := json.Marshal(wireMeta{ProbeID: m.ProbeID, Role: m.Role, Region: m.Region, Version: m.Version, Capacity: m.Capacity, API: m.API, Caps: m.Capabilities})
	if err != nil {
		return nil, fmt.Errorf("encode meta: %w", err)
	}
	if len(b) > MaxMetaSize {
		return nil, fmt.Errorf("encoded meta is %d bytes, limit %d: shorten probe id, region or version", len(b), MaxMetaSize)
	}
	return b, nil
}

var errEmptyMeta = errors.New("empty meta")

// decodeMeta parses metadata received from a peer. It never panics on
// arbitrary input (FuzzDecodeMeta).
func decodeMeta(b []byte) (Meta, error) {
	if len(b) == 0 {
		return Meta{}, errEmptyMeta
	}
	if len(b) > MaxMetaSize {
		return Meta{}, fmt.Errorf("meta is %d bytes, limit %d", len(b), MaxMetaSize)
	}
	var w wireMeta
	if err := json.Unmarshal(b, &w); err != nil {
		return Meta{}, fmt.Errorf("decode meta: %w", err)
	}
	if !w.Role.valid() {
		return Meta{}, fmt.Errorf("decode meta: unknown role %q", w.Role)
	}
	return Meta{ProbeID: w.ProbeID, Role: w.Role, Region: w.Region, Version: w.Version, Capacity: w.Capacity, API: w.API, Capabilities: w.Caps}, nil
}
