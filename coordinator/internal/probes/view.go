package probes

import (
	"cmp"
	"slices"

	"github.com/vigilhq/vigil/internal/gossip"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Warnings on ProbeInfo: gossip and the stream disagree. The quorum engine
// will use them to tell a dead probe from a dead site.
const (
	WarnNoStream        = "alive in gossip but no stream"
	WarnStreamNotInMesh = "streaming but not in the gossip mesh"
)

// warnStreaming is the warning for a probe that streams while gossip says
// st (suspect, dead or left).
func warnStreaming(st gossip.State) string { return "streaming but " + string(st) + " in gossip" }

// SetMembers gives the registry the coordinator's gossip view; nil (the
// default) means the coordinator is not in a mesh. members must be safe
// for concurrent use and must not block.
func (r *Registry) SetMembers(members func() []gossip.Member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.members = members
}

// merge adds the gossip view to infos (the stream view, by probe id):
// gossip state and address, probes known only from gossip, and warnings
// where the two disagree. Called without r.mu: members may take its own
// lock.
func merge(infos []*vigilv1.ProbeInfo, members []gossip.Member) []*vigilv1.ProbeInfo {
	byID := make(map[string]*vigilv1.ProbeInfo, len(infos))
	for _, pi := range infos {
		byID[pi.GetProbeId()] = pi
	}
	inMesh := map[string]bool{}
	for _, m := range members {
		if m.Meta.Role != gossip.RoleProbe {
			continue
		}
		id := cmp.Or(m.Meta.ProbeID, m.Name)
		pi := byID[id]
		if pi == nil {
			pi = &vigilv1.ProbeInfo{ProbeId: id, Region: m.Meta.Region, Version: m.Meta.Version, Capabilities: m.Meta.Capabilities}
			byID[id] = pi
			infos = append(infos, pi)
		}
		inMesh[id] = true
		pi.GossipState = string(m.State)
		pi.GossipAddr = m.Addr
		pi.GossipSince = timestamp(m.Since)
	}
	for _, pi := range infos {
		live := pi.GossipState == string(gossip.StateAlive) || pi.GossipState == string(gossip.StateSuspect)
		switch {
		case pi.GetConnected() && !inMesh[pi.GetProbeId()]:
			pi.Warnings = append(pi.Warnings, WarnStreamNotInMesh)
		case pi.GetConnected() && pi.GossipState != string(gossip.StateAlive):
			pi.Warnings = append(pi.Warnings, warnStreaming(gossip.State(pi.GossipState)))
		case !pi.GetConnected() && live:
			pi.Warnings = append(pi.Warnings, WarnNoStream)
		}
	}
	slices.SortFunc(infos, func(a, b *vigilv1.ProbeInfo) int {
		return cmp.Or(cmp.Compare(a.GetRegion(), b.GetRegion()), cmp.Compare(a.GetProbeId(), b.GetProbeId()))
	})
	return infos
}
