package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/hashicorp/memberlist"
)

// Preset is a named set of memberlist timings.
type Preset string

const (
	// PresetWAN is for probes in cloud regions talking across the internet.
	PresetWAN Preset = "wan"
	// PresetLAN is for members on one network (a region, a datacenter).
	PresetLAN Preset = "lan"
	// PresetLocal is for tests and the demo: all members on one host.
	PresetLocal Preset = "local"
)

// Config configures a gossip member. The zero value is not usable:
// NodeName and Meta.Role are required.
type Config struct {
	// NodeName is the member's unique name in the mesh. A restarted
	// member keeps its name; it is admitted at a new address once the old
	// one has been dead for the preset's DeadNodeReclaimTime.
	NodeName string

	// BindAddr defaults to 0.0.0.0. BindPort 0 picks a free port (tests).
	BindAddr string
	BindPort int
	// AdvertiseAddr and AdvertisePort are what others dial. Empty / 0:
	// the bind address (or a private IP when bound to 0.0.0.0) and the
	// bound port.
	AdvertiseAddr string
	AdvertisePort int

	// Join lists seed addresses (host:port). New joins them once; the
	// reconnect loop re-joins any seed that is not a live member.
	Join []string

	// Keys is the encryption keyring, 16, 24 or 32 bytes each; Keys[0]
	// encrypts, all of them decrypt. Empty means no encryption. Callers
	// load keys from a file or the environment, never a flag value.
	// Rotation: add the new key everywhere (as a secondary), then make it
	// primary everywhere, then remove the old one.
	Keys [][]byte

	// Label is the mesh's name (memberlist Config.Label). Members with
	// different labels drop each other's traffic, so two meshes never
	// merge.
	Label string

	// Preset selects memberlist timings; empty means PresetLAN.
	Preset Preset
	// SuspicionMult overrides the preset's memberlist SuspicionMult when
	// positive. Tests on a shared, starved CPU raise it (10+) so a member
	// that misses a few probes is not declared dead by accident.
	SuspicionMult int

	Meta Meta

	// ReconnectInterval is how often the reconnect loop tries to re-join
	// a random dead member and the seeds that are not live members, as
	// serf does: memberlist never contacts members it marked dead, so
	// without the loop a healed partition stays split. 0 means the
	// preset's default (30s; local: 500ms); negative disables the loop.
	ReconnectInterval time.Duration
	// ReconnectTimeout is how long a dead member is remembered (and
	// retried), and a left one listed. 0 means 24h.
	ReconnectTimeout time.Duration

	// Logger receives the member's events; memberlist's own log lines go
	// to it at debug level. Nil discards.
	Logger *slog.Logger

	// Transport replaces memberlist's UDP+TCP transport, for tests (e.g. a
	// wrapper that drops packets to simulate a partition). With BindPort
	// 0, it should have a GetAutoBindPort() int method, as
	// *memberlist.NetTransport does, so the bound port can be advertised.
	Transport memberlist.NodeAwareTransport
}

// timings is what a preset decides besides memberlist's own config.
type timings struct {
	reconnectInterval time.Duration
	// broadcastWait bounds how long UpdateMeta waits for its broadcast and
	// is Leave's default timeout.
	broadcastWait time.Duration
	// leftListed is how long a left member is included in our push/pull
	// state so peers that saw it as dead can correct that.
	leftListed time.Duration
}

// memberlistConfig returns memberlist's config for the preset. Every
// setting that differs from the memberlist default it starts from says
// why.
func (p Preset) memberlistConfig() (*memberlist.Config, timings, error) {
	switch p {
	case PresetWAN:
		c := memberlist.DefaultWANConfig() // ProbeInterval 5s, ProbeTimeout 3s, PushPull 60s
		// A probe whose CPU Chromium saturates misses acks and cannot
		// refute suspicion. Below SuspicionMult members memberlist expects
		// no Lifeguard confirmations, and below 10 the log10 scaling is 1,
		// so the suspicion timeout is SuspicionMult x ProbeInterval: 8 x 5s
		// = 40s of starvation before being declared dead (default 6: 30s).
		c.SuspicionMult = 8
		// A probe rescheduled to a new address (container restart) is
		// admitted under its old name once the old one has been dead this
		// long; long enough that two processes with one name do not
		// ping-pong the address.
		c.DeadNodeReclaimTime = 30 * time.Second
		return c, timings{reconnectInterval: 30 * time.Second, broadcastWait: 10 * time.Second, leftListed: 20 * time.Minute}, nil
	case PresetLAN, "":
		c := memberlist.DefaultLANConfig() // ProbeInterval 1s, ProbeTimeout 500ms, PushPull 30s
		// As WAN: the default 4 declares a probe starved for 4s dead in a
		// small fleet, less than a slow browser flow can hog both cores;
		// 6 gives 6s.
		c.SuspicionMult = 6
		c.DeadNodeReclaimTime = 10 * time.Second // as WAN, scaled to LAN detection
		return c, timings{reconnectInterval: 30 * time.Second, broadcastWait: 5 * time.Second, leftListed: 10 * time.Minute}, nil
	case PresetLocal:
		c := memberlist.DefaultLocalConfig()
		// Fast timers so tests see joins, deaths and heals in about a
		// second; loopback RTT is microseconds, so 50ms timeouts are
		// still generous unless the host is starved.
		c.ProbeInterval = 100 * time.Millisecond
		c.ProbeTimeout = 50 * time.Millisecond
		c.GossipInterval = 50 * time.Millisecond
		c.SuspicionMult = 4 // 400ms suspicion in small test meshes
		c.PushPullInterval = time.Second
		// Memberlist forgets dead members after this (our table keeps
		// them for reconnecting); memberlist's defaults tie it to the
		// push/pull interval.
		c.GossipToTheDeadTime = time.Second
		c.DeadNodeReclaimTime = time.Second // restart tests re-admit quickly
		return c, timings{reconnectInterval: 500 * time.Millisecond, broadcastWait: time.Second, leftListed: 20 * time.Second}, nil
	default:
		return nil, timings{}, fmt.Errorf("unknown preset %q: want %q, %q or %q", p, PresetWAN, PresetLAN, PresetLocal)
	}
}

// SuspicionTimeout is the shortest time a member of a mesh of n members
// must be unresponsive (stopped, starved, cut off) after it is first
// suspected before the others declare it dead: memberlist's
// SuspicionMult x max(1, log10 n) x ProbeInterval. With enough members
// (n >= SuspicionMult) and few independent confirmations the actual
// timeout is up to SuspicionMaxTimeoutMult (6) times longer. Unknown
// presets return 0.
func (p Preset) SuspicionTimeout(n int) time.Duration {
	c, _, err := p.memberlistConfig()
	if err != nil {
		return 0
	}
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	return time.Duration(float64(c.SuspicionMult) * scale * float64(c.ProbeInterval))
}

// Settle is how long a membership change must last before probes move
// checks because of it (see probe/internal/ownership): long enough for
// the change to reach every member by gossip, and for a member falsely
// declared dead to refute it. WAN 20s, LAN 5s, local 1s; unknown presets
// return the LAN value.
func (p Preset) Settle() time.Duration {
	switch p {
	case PresetWAN:
		return 20 * time.Second
	case PresetLocal:
		return time.Second
	default:
		return 5 * time.Second
	}
}

// validate checks cfg and fills in defaults. It returns the memberlist
// config and preset timings to use.
func (cfg *Config) validate() (*memberlist.Config, timings, error) {
	if cfg.NodeName == "" {
		return nil, timings{}, errors.New("node name is required")
	}
	if cfg.Preset == "" {
		cfg.Preset = PresetLAN
	}
	mc, tm, err := cfg.Preset.memberlistConfig()
	if err != nil {
		return nil, timings{}, err
	}
	if cfg.BindAddr == "" {
		cfg.BindAddr = "0.0.0.0"
	}
	if cfg.BindPort < 0 || cfg.BindPort > math.MaxUint16 || cfg.AdvertisePort < 0 || cfg.AdvertisePort > math.MaxUint16 {
		return nil, timings{}, fmt.Errorf("ports %d/%d out of range", cfg.BindPort, cfg.AdvertisePort)
	}
	if len(cfg.Label) > memberlist.LabelMaxSize {
		return nil, timings{}, fmt.Errorf("label is %d bytes, limit %d", len(cfg.Label), memberlist.LabelMaxSize)
	}
	if cfg.ReconnectInterval == 0 {
		cfg.ReconnectInterval = tm.reconnectInterval
	}
	if cfg.ReconnectTimeout <= 0 {
		cfg.ReconnectTimeout = 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SuspicionMult > 0 {
		mc.SuspicionMult = cfg.SuspicionMult
	}
	mc.Name = cfg.NodeName
	mc.BindAddr = cfg.BindAddr
	mc.BindPort = cfg.BindPort
	mc.AdvertiseAddr = cfg.AdvertiseAddr
	mc.AdvertisePort = cfg.AdvertisePort
	if mc.AdvertisePort == 0 {
		mc.AdvertisePort = cfg.BindPort
	}
	mc.Label = cfg.Label
	if len(cfg.Keys) > 0 {
		kr, err := memberlist.NewKeyring(cfg.Keys[1:], cfg.Keys[0])
		if err != nil {
			// The error names the length, never the key.
			return nil, timings{}, fmt.Errorf("keyring: %w", err)
		}
		mc.Keyring = kr
	}
	if cfg.Transport != nil {
		mc.Transport = cfg.Transport
		if p, ok := cfg.Transport.(interface{ GetAutoBindPort() int }); ok && cfg.BindPort == 0 {
			mc.BindPort = p.GetAutoBindPort()
			if cfg.AdvertisePort == 0 {
				mc.AdvertisePort = mc.BindPort
			}
		}
	}
	return mc, tm, nil
}
