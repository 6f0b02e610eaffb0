package quorum

import (
	"maps"
	"slices"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// defaultMinRegions is DESIGN's default: one region alone cannot tell a site
// outage from its own network trouble.
const defaultMinRegions = 2

// params are the fields of a Check the engine uses, copied so the engine
// never retains the caller's message.
type params struct {
	regions    []string
	window     time.Duration // 2 x interval + timeout; 0: never stale
	quorum     int           // 0: majority of eligible
	minRegions int
	budget     budget
}

func paramsOf(c *vigilv1.Check) params {
	p := params{
		quorum:     int(c.GetQuorum()),
		minRegions: int(c.GetMinRegions()),
		budget:     budgetOf(c.GetBudget()),
	}
	if p.minRegions == 0 {
		p.minRegions = defaultMinRegions
	}
	if iv := c.GetInterval().AsDuration(); iv > 0 {
		p.window = 2*iv + c.GetTimeout().AsDuration()
	}
	for _, r := range c.GetRegions() {
		if !slices.Contains(p.regions, r) {
			p.regions = append(p.regions, r)
		}
	}
	slices.Sort(p.regions)
	return p
}

// check is the engine's state for one check; guarded by the Engine's mutex.
type check struct {
	id      string
	p       params
	regions map[string]*region
	state   State // last state returned in a decision; starts unknown
}

// evaluate computes the check's status at now; live reports gossip liveness.
// It does not change the check.
func (c *check) evaluate(now time.Time, live func(string) bool) CheckStatus {
	st := CheckStatus{
		CheckID:    c.id,
		Regions:    make(map[string]RegionDetail, len(c.regions)),
		MinRegions: c.p.minRegions,
	}
	verdicts := make(map[string]RegionVerdict, len(c.regions))
	for _, name := range c.p.regions {
		v := c.regions[name].verdict(now, c.p.window, live(name))
		verdicts[name] = v
		if v.eligible() {
			st.Eligible = append(st.Eligible, name)
		}
		if v == VerdictFailing {
			st.Failing = append(st.Failing, name)
		}
	}
	st.Quorum = c.p.quorum
	if st.Quorum <= 0 {
		st.Quorum = len(st.Eligible)/2 + 1
	}

	var class vigilv1.ErrorClass
	for i, name := range st.Failing {
		cl := c.regions[name].latest.class
		if i > 0 && cl != class {
			st.Disagree = true
		}
		class = cl
	}
	for _, name := range c.p.regions {
		g := c.regions[name]
		breach := verdicts[name] == VerdictUp && !g.suspect() &&
			c.p.budget.set() && c.p.budget.breached(g.samples)
		if breach {
			st.BudgetBreached = append(st.BudgetBreached, name)
		}
		st.Regions[name] = g.detail(verdicts[name], breach)
	}

	switch {
	case len(st.Eligible) < c.p.minRegions:
		st.State = StateUnknown
	case len(st.Failing) >= st.Quorum:
		st.State = StateDown
	case len(st.Failing) > 0 || len(st.BudgetBreached) >= st.Quorum:
		st.State = StateDegraded
	default:
		st.State = StateUp
	}
	return st
}

// transition returns the StateChanged decision for st, if the state moved,
// and records the new state.
func (c *check) transition(st CheckStatus, now time.Time) (Decision, bool) {
	if st.State == c.state {
		return Decision{}, false
	}
	d := decisionOf(KindStateChanged, st, now)
	d.From, d.To = c.state, st.State
	c.state = st.State
	return d, true
}

// confirmation returns the ConfirmRequested decision for a first failure in
// region name, if one is due, and marks it asked.
func (c *check) confirmation(name string, st CheckStatus, now time.Time) (Decision, bool) {
	g := c.regions[name]
	if g.confirmAsked || st.Regions[name].Verdict != VerdictUp || !g.suspect() {
		return Decision{}, false
	}
	g.confirmAsked = true
	d := decisionOf(KindConfirmRequested, st, now)
	d.Region, d.ProbeID, d.Slot = name, g.latest.at.probe, g.latest.at.slot
	var others []string
	for _, o := range c.p.regions {
		if o == name {
			continue
		}
		od := st.Regions[o]
		if od.Verdict == VerdictFailing || od.Suspect {
			// Another region's failure is already being confirmed; it
			// asked the others.
			return d, true
		}
		if od.Verdict == VerdictUp {
			others = append(others, o)
		}
	}
	d.ConfirmRegions = others
	return d, true
}

func decisionOf(k Kind, st CheckStatus, now time.Time) Decision {
	return Decision{
		Kind:     k,
		CheckID:  st.CheckID,
		At:       now,
		Regions:  maps.Clone(st.Regions),
		Quorum:   st.Quorum,
		Eligible: len(st.Eligible),
		Failing:  len(st.Failing),
		Disagree: st.Disagree,
	}
}
