package coordinator

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/vigilhq/vigil/internal/gossip"
)

// leaveTimeout bounds the coordinator's graceful leave on shutdown.
const leaveTimeout = 5 * time.Second

// joinMesh starts the coordinator's gossip member once Serve knows its
// listener: Meta.API is the address probes dial (Config.AdvertiseAPI, or
// the listener's address with an unspecified host replaced by the
// member's advertised gossip host).
func (c *Coordinator) joinMesh(ctx context.Context, lis net.Listener) error {
	gc := *c.cfg.Gossip
	api := c.cfg.AdvertiseAPI
	if api == "" {
		api = lis.Addr().String()
	}
	gc.Meta = gossip.Meta{Role: gossip.RoleCoordinator, Version: c.cfg.Version, API: api}
	if gc.NodeName == "" {
		gc.NodeName = "coordinator-" + api
	}
	if gc.Logger == nil {
		gc.Logger = c.log
	}
	g, err := gossip.New(ctx, gc)
	if err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}
	if host, port, err := net.SplitHostPort(api); err == nil && c.cfg.AdvertiseAPI == "" {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			if gh, _, err := net.SplitHostPort(g.LocalAddr()); err == nil {
				m := gc.Meta
				m.API = net.JoinHostPort(gh, port)
				if err := g.UpdateMeta(m); err != nil {
					c.log.Warn("advertise API address", "err", err)
				}
			}
		}
	}
	c.gossip.Store(g)
	c.reg.SetMembers(g.Members)
	c.log.Info("joined the gossip mesh", "gossip_addr", g.LocalAddr(), "api", api, "seeds", strconv.Itoa(len(gc.Join)))
	return nil
}

// leaveMesh leaves gracefully, bounded.
func (c *Coordinator) leaveMesh() {
	if g := c.gossip.Load(); g != nil {
		if err := g.Leave(leaveTimeout); err != nil {
			c.log.Warn("leave the mesh", "err", err)
		}
	}
}

// GossipAddr returns the coordinator's advertised gossip address while
// Serve runs with Config.Gossip set; "" otherwise.
func (c *Coordinator) GossipAddr() string {
	if g := c.gossip.Load(); g != nil {
		return g.LocalAddr()
	}
	return ""
}
