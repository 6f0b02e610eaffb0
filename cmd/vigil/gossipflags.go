package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/vigilhq/vigil/internal/gossip"
)

// seedList is a repeatable, comma-separable --join flag.
type seedList []string

func (s *seedList) String() string { return strings.Join(*s, ",") }

func (s *seedList) Set(v string) error {
	for _, a := range strings.Split(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			*s = append(*s, a)
		}
	}
	return nil
}

// gossipFlags are the mesh flags shared by probe and coordinator.
type gossipFlags struct {
	fs                                            *flag.FlagSet
	bind, advertise, nodeName, preset, label, key string
	join                                          seedList
}

func (g *gossipFlags) register(fs *flag.FlagSet, defaultPreset gossip.Preset) {
	g.fs = fs
	fs.StringVar(&g.bind, "gossip-bind", "0.0.0.0:7946", "gossip listen address, host:port (TCP and UDP); the mesh is joined when this or --join is set")
	fs.StringVar(&g.advertise, "gossip-advertise", "", "gossip address others dial, host:port (default: the bind address, or a private IP)")
	fs.Var(&g.join, "join", "gossip seed host:port (repeatable, or a comma list)")
	fs.StringVar(&g.nodeName, "node-name", "", "unique member name in the mesh (default: probe id / hostname)")
	fs.StringVar(&g.preset, "gossip-preset", string(defaultPreset), "memberlist timings: wan, lan or local (see docs/gossip.md)")
	fs.StringVar(&g.label, "mesh", "vigil", "mesh label: members with different labels never merge")
	fs.StringVar(&g.key, "gossip-key-file", "", "file holding the base64 gossip encryption key(s), one a line, primary first (else $VIGIL_GOSSIP_KEY; empty: no encryption)")
}

// config returns the gossip config, or nil when neither --join nor
// --gossip-bind was given (no mesh).
func (g *gossipFlags) config(defaultName string) (*gossip.Config, error) {
	set := false
	g.fs.Visit(func(f *flag.Flag) { set = set || f.Name == "join" || f.Name == "gossip-bind" })
	if !set {
		return nil, nil
	}
	cfg := &gossip.Config{NodeName: g.nodeName, Join: g.join, Label: g.label, Preset: gossip.Preset(g.preset)}
	if cfg.NodeName == "" {
		cfg.NodeName = defaultName
	}
	var err error
	if cfg.BindAddr, cfg.BindPort, err = hostPort(g.bind); err != nil {
		return nil, fmt.Errorf("--gossip-bind: %w", err)
	}
	if g.advertise != "" {
		if cfg.AdvertiseAddr, cfg.AdvertisePort, err = hostPort(g.advertise); err != nil {
			return nil, fmt.Errorf("--gossip-advertise: %w", err)
		}
	}
	raw, err := secret(g.key, "VIGIL_GOSSIP_KEY")
	if err != nil {
		return nil, err
	}
	for i, line := range strings.Fields(raw) {
		k, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("gossip key %d is not base64", i+1) // never echo the key
		}
		cfg.Keys = append(cfg.Keys, k)
	}
	return cfg, nil
}

func hostPort(s string) (string, int, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	return h, n, nil
}
