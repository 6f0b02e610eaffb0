package probes

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/vigilhq/vigil/internal/rendezvous"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// member is what assignment needs to know of a connected probe.
type member struct {
	id, region   string
	capabilities []string
}

// regionKey names one check in one region.
type regionKey struct{ check, region string }

// plan is the outcome of one assignment.
type plan struct {
	// owners is the probe the coordinator expects to own each check per
	// region (rendezvous over the eligible members, the function probes
	// use); it only picks who gets run-now requests. absent: none eligible.
	owners   map[regionKey]string
	perProbe map[string][]*vigilv1.Check // checks per probe id, sorted by id
}

// assign gives each probe every check of its region that it has the
// capability for: probes decide among themselves, from gossip, which of
// them runs what (probe/internal/ownership), so that checks move on a
// probe's death without the coordinator. It also computes, per check and
// region, the rendezvous owner among members, for run-now requests. It is
// a pure function of its inputs.
func assign(checks []*vigilv1.Check, members []member) plan {
	// candidates[region][capability] = probe ids
	candidates := make(map[string]map[string][]string)
	for _, m := range members {
		byCap := candidates[m.region]
		if byCap == nil {
			byCap = make(map[string][]string)
			candidates[m.region] = byCap
		}
		for _, c := range m.capabilities {
			byCap[c] = append(byCap[c], m.id)
		}
	}
	p := plan{owners: make(map[regionKey]string), perProbe: make(map[string][]*vigilv1.Check)}
	for _, ch := range checks {
		capability := ch.GetType().Capability()
		seen := make(map[string]bool) // a probe gets a check once, even if a region repeats
		for _, region := range ch.GetRegions() {
			ids := candidates[region][capability]
			if owner := rendezvous.Owner(ch.GetId(), ids); owner != "" {
				p.owners[regionKey{ch.GetId(), region}] = owner
			}
			for _, id := range ids {
				if !seen[id] {
					seen[id] = true
					p.perProbe[id] = append(p.perProbe[id], ch)
				}
			}
		}
	}
	for _, cs := range p.perProbe {
		slices.SortFunc(cs, func(a, b *vigilv1.Check) int { return cmp.Compare(a.GetId(), b.GetId()) })
	}
	return p
}

// Version is the digest of an assignment: hex of the first 16 bytes of
// SHA-256 over each check's id and version, in id order. Equal sets of
// equal check definitions have equal versions, in any process.
func Version(checks []*vigilv1.Check) string {
	sorted := slices.Clone(checks)
	slices.SortFunc(sorted, func(a, b *vigilv1.Check) int { return cmp.Compare(a.GetId(), b.GetId()) })
	h := sha256.New()
	for _, c := range sorted {
		h.Write([]byte(c.GetId()))
		h.Write([]byte{0})
		h.Write([]byte(c.GetVersion()))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
