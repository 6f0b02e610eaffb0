package quorum

import (
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// RegionVerdict is the engine's view of one region for one check.
type RegionVerdict string

const (
	// VerdictUp: the latest result passed, or it is a single unconfirmed
	// failure (see RegionDetail.Suspect).
	VerdictUp RegionVerdict = "up"
	// VerdictFailing: the latest result failed and a second attempt confirmed it.
	VerdictFailing RegionVerdict = "failing"
	// VerdictStale: no result for 2 x interval + timeout, or none yet.
	VerdictStale RegionVerdict = "stale"
	// VerdictExcluded: no live probe in the region, or its latest result is
	// probe_error.
	VerdictExcluded RegionVerdict = "excluded"
)

// eligible reports whether the verdict takes part in the quorum.
func (v RegionVerdict) eligible() bool { return v == VerdictUp || v == VerdictFailing }

// State is the state of a check across its regions.
type State string

const (
	// StateUp: no region failing and no budget breach in a quorum.
	StateUp State = "up"
	// StateDegraded: some but fewer than quorum regions failing, or the budget
	// breached in a quorum of regions.
	StateDegraded State = "degraded"
	// StateDown: failing regions >= quorum.
	StateDown State = "down"
	// StateUnknown: fewer eligible regions than min_regions; monitoring is
	// impaired, which is never reported as the site being down.
	StateUnknown State = "unknown"
)

// State is the region's own decided state, for its uptime history: down
// while its failure is confirmed, degraded while it breaches the budget, up
// otherwise while it is eligible (a single unconfirmed failure is still
// up), and unknown while it is stale or has no live probe.
func (d RegionDetail) State() State {
	switch {
	case d.Verdict == VerdictFailing:
		return StateDown
	case d.Verdict != VerdictUp:
		return StateUnknown
	case d.BudgetBreach:
		return StateDegraded
	}
	return StateUp
}

// RegionDetail describes one region at the time of a decision or status. The
// result fields describe the region's latest result; they are zero when the
// region has never reported.
type RegionDetail struct {
	Verdict RegionVerdict
	// Suspect is true when the latest result is a single unconfirmed failure.
	Suspect bool
	// BudgetBreach is true when the region's recent passing runs breach the
	// check's performance budget.
	BudgetBreach bool
	// LastSeen is when the region's newest result arrived (coordinator clock).
	LastSeen time.Time

	ResultID       string // id of the latest result; the store holds its screenshot
	ProbeID        string
	Slot           int64
	Attempt        uint32
	Status         vigilv1.ResultStatus
	ErrorClass     vigilv1.ErrorClass
	FailedStep     uint32
	FailedStepName string
	Error          string
}

// CheckStatus is a check's evaluation at one instant.
type CheckStatus struct {
	CheckID string
	State   State
	// Regions holds every region of the check, keyed by name.
	Regions map[string]RegionDetail
	// Eligible and Failing are sorted region names.
	Eligible []string
	Failing  []string
	// BudgetBreached lists (sorted) the up regions breaching the budget.
	BudgetBreached []string
	// Quorum is the number of failing regions that makes the check down: the
	// check's quorum, or a majority of the eligible regions.
	Quorum int
	// MinRegions is the check's min_regions after defaulting.
	MinRegions int
	// Disagree is true when the failing regions report different error classes.
	Disagree bool
}

// Kind is the kind of a Decision.
type Kind string

const (
	// KindStateChanged: the check state moved from From to To.
	KindStateChanged Kind = "state_changed"
	// KindConfirmRequested: a region failed for the first time; the caller
	// should retry in that region by another probe than ProbeID (where one is
	// live) and send run-now to one probe of each of ConfirmRegions.
	KindConfirmRequested Kind = "confirm_requested"
)

// Decision is something the caller must act on. Decisions share no memory with
// the engine and may be kept.
type Decision struct {
	Kind    Kind
	CheckID string
	At      time.Time
	// From and To are set for KindStateChanged.
	From, To State
	// Regions is every region's detail at the time of the decision.
	Regions map[string]RegionDetail
	// Quorum, Eligible and Failing are counts at the time of the decision.
	Quorum, Eligible, Failing int
	// Disagree is true when the failing regions report different error
	// classes: a hint about the cause, not a reason to doubt the decision.
	Disagree bool

	// Region, ProbeID and Slot name the suspect failure of a
	// KindConfirmRequested: retry in Region by a probe other than ProbeID.
	Region  string
	ProbeID string
	Slot    int64
	// ConfirmRegions are the other up regions to send run-now to, sorted. It is
	// empty when another region is already failing or suspect: their own
	// confirmations are under way.
	ConfirmRegions []string
}
