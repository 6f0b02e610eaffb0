package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/internal/regionproxy"
	"github.com/vigilhq/vigil/internal/shop"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Scenarios are the fault stories `vigil demo --scenario` tells, in the
// order `vigil demo --help` lists them.
var Scenarios = []string{"regional-outage", "global-outage", "checkout-broken", "probe-crash", "flapping",
	"monitoring-impaired", "maintenance"}

// watched is the check a scenario's final line is about: the checkout
// flow, the one that loses the shop money.
const watched = "checkout"

// Outcome is what the coordinator decided about the watched check (the
// checkout flow) during a scenario.
type Outcome struct {
	Scenario string
	// State is the worst state the watched check reached after the fault.
	State string
	// Pages counts the pages delivered for the watched check's incidents
	// opened after the fault.
	Pages int
	// MTTD is from the fault to the watched check's first incident; 0 when
	// none opened.
	MTTD time.Duration
	// Incidents are the watched check's incidents opened after the fault,
	// oldest first.
	Incidents []*vigilv1.Incident
	// OtherStates and OtherPages are the worst states and the pages of the
	// other checks.
	OtherStates map[string]string
	OtherPages  map[string]int
}

// Others describes the other checks, e.g. "home: state=up pages=0".
func (o Outcome) Others() string {
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(o.OtherStates)) {
		parts = append(parts, fmt.Sprintf("%s: state=%s pages=%d", c, o.OtherStates[c], o.OtherPages[c]))
	}
	return strings.Join(parts, "; ")
}

// Line is the scenario's final line:
// "scenario NAME: state=<state> pages=<n> mttd=<seconds>".
func (o Outcome) Line() string {
	mttd := "-"
	if o.MTTD > 0 {
		mttd = fmt.Sprintf("%.1f", o.MTTD.Seconds())
	}
	return fmt.Sprintf("scenario %s: state=%s pages=%d mttd=%s", o.Scenario, o.State, o.Pages, mttd)
}

// stage is the running mesh a scenario acts on.
type stage struct {
	client  vigilv1.VigilServiceClient
	shop    *shop.Shop
	proxies []*regionproxy.Proxy
	kill    map[string]func() // region -> crash its probe
	regions []string
	cfg     Config
	out     io.Writer
	pager   *pager
	// admin is the coordinator's admin token, for write calls.
	admin string
}

// scenarioPoll is how often a scenario samples the coordinator's API.
const scenarioPoll = 250 * time.Millisecond

func (s *stage) logf(format string, args ...any) {
	fmt.Fprintf(s.out, "%s  %s\n", time.Now().Format("15:04:05.0"), fmt.Sprintf(format, args...))
}

// runScenario warms the mesh up, injects the named fault, watches what the
// coordinator decides, heals, and returns the outcome.
func runScenario(ctx context.Context, s *stage, name string) (Outcome, error) {
	s.logf("scenario %s: waiting until every region passes every check", name)
	if err := s.until(ctx, 3*time.Minute+3*s.cfg.BrowserInterval, func() (bool, error) {
		return s.allUp(ctx, "checkout", "home")
	}); err != nil {
		return Outcome{}, fmt.Errorf("warm-up: %w", err)
	}
	w := newWatcher(s)
	if s.cfg.Repeat > 1 {
		return repeated(ctx, s, w, name)
	}
	var err error
	switch name {
	case "regional-outage":
		err = regionalOutage(ctx, s, w)
	case "global-outage":
		err = outageThenRecovery(ctx, s, w, shop.Fault{Kind: shop.FaultOutage}, "the shop answers 503 everywhere")
	case "checkout-broken":
		err = outageThenRecovery(ctx, s, w, shop.Fault{Kind: shop.FaultCheckout500}, "placing an order returns 500; the home page still works")
	case "probe-crash":
		err = probeCrash(ctx, s, w)
	case "flapping":
		err = flapping(ctx, s, w)
	case "monitoring-impaired":
		err = monitoringImpaired(ctx, s, w)
	case "maintenance":
		err = inMaintenance(ctx, s, w)
	default:
		return Outcome{}, fmt.Errorf("unknown scenario %q (want one of %s)", name, strings.Join(Scenarios, ", "))
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("scenario %s: %w", name, err)
	}
	// Deliveries finish after the decision; give the dispatcher a moment to
	// record them before counting.
	if err := s.until(ctx, 15*time.Second, func() (bool, error) { return w.settled(ctx) }); err != nil {
		s.logf("notifications still in flight: %v", err)
	}
	return w.outcome(name), nil
}

// regionalOutage blackholes one region: the check is degraded there, the
// others pass, and nobody is paged.
func regionalOutage(ctx context.Context, s *stage, w *watcher) error {
	victim := len(s.proxies) - 1
	s.logf("fault: region %s is cut off from the shop (its proxy blackholes every request)", s.regions[victim])
	w.start()
	s.proxies[victim].SetBlackhole(true)
	defer s.proxies[victim].SetBlackhole(false)
	if err := s.until(ctx, 4*s.cfg.BrowserInterval+time.Minute, func() (bool, error) {
		if err := w.sample(ctx); err != nil {
			return false, err
		}
		return w.worst[watched] == "degraded" && w.worst["home"] == "degraded", nil
	}); err != nil {
		return err
	}
	s.logf("both checks degraded; watching for two more rounds: a regional problem pages nobody")
	if err := w.hold(ctx, 2*s.cfg.BrowserInterval); err != nil {
		return err
	}
	s.logf("heal: region %s reaches the shop again", s.regions[victim])
	return nil
}

// outageThenRecovery injects fault, waits for the incident and its page,
// heals, and waits for the incident to resolve.
func outageThenRecovery(ctx context.Context, s *stage, w *watcher, fault shop.Fault, what string) error {
	s.logf("fault: %s", what)
	w.start()
	s.shop.SetFaults([]shop.Fault{fault})
	if err := s.until(ctx, 4*s.cfg.BrowserInterval+time.Minute, func() (bool, error) {
		if err := w.sample(ctx); err != nil {
			return false, err
		}
		return w.pagedIncident() != nil, nil
	}); err != nil {
		s.shop.SetFaults(nil)
		return err
	}
	inc := w.pagedIncident()
	s.logf("incident %s opened %.1fs after the fault and paged: %s", inc.GetId(), w.mttd().Seconds(), inc.GetTitle())
	for _, f := range inc.GetRegions() {
		step := "-"
		if f.GetFailedStepName() != "" {
			step = fmt.Sprintf("step %d %q", f.GetFailedStep(), f.GetFailedStepName())
		}
		s.logf("  %s: %s at %s", f.GetRegion(), f.GetErrorClass().Short(), step)
	}
	s.logf("heal: the shop works again; waiting for recovery")
	s.shop.SetFaults(nil)
	return s.until(ctx, 6*s.cfg.BrowserInterval+time.Minute, func() (bool, error) {
		if err := w.sample(ctx); err != nil {
			return false, err
		}
		inc, err := s.incident(ctx, inc.GetId())
		if err != nil {
			return false, err
		}
		if inc.GetStatus() == vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED {
			s.logf("incident %s resolved after %s", inc.GetId(), inc.GetResolvedAt().AsTime().Sub(inc.GetOpenedAt().AsTime()).Round(100*time.Millisecond))
			return true, nil
		}
		return false, nil
	})
}

// probeCrash kills one region's probe without a graceful leave: gossip
// finds it dead, its region is excluded, and the check stays up.
func probeCrash(ctx context.Context, s *stage, w *watcher) error {
	victim := s.regions[len(s.regions)-1]
	s.logf("fault: the probe of %s crashes (no graceful leave; the mesh must detect it)", victim)
	w.start()
	s.kill[victim]()
	if err := s.until(ctx, 2*time.Minute, func() (bool, error) {
		if err := w.sample(ctx); err != nil {
			return false, err
		}
		st, err := s.status(ctx, "checkout")
		if err != nil {
			return false, err
		}
		for _, r := range st.GetRegions() {
			if r.GetRegion() == victim && r.GetVerdict() == "excluded" {
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		return err
	}
	s.logf("%s is excluded from the quorum; watching for two more rounds: a dead probe pages nobody", victim)
	return w.hold(ctx, 2*s.cfg.BrowserInterval)
}

// flapping breaks and heals checkout again and again: the check is marked
// flapping and pages once, not at every flip.
func flapping(ctx context.Context, s *stage, w *watcher) error {
	s.logf("fault: checkout breaks and heals over and over")
	w.start()
	defer s.shop.SetFaults(nil)
	for i := range 3 {
		s.shop.SetFaults([]shop.Fault{{Kind: shop.FaultCheckout500}})
		if err := s.untilState(ctx, w, watched, "down"); err != nil {
			return err
		}
		s.logf("cycle %d: checkout down; healing", i+1)
		s.shop.SetFaults(nil)
		if err := s.untilState(ctx, w, watched, "up"); err != nil {
			return err
		}
		s.logf("cycle %d: checkout up again", i+1)
	}
	st, err := s.status(ctx, watched)
	if err != nil {
		return err
	}
	s.logf("%s flapping=%t", watched, st.GetFlapping())
	return nil
}

// repeatFaults are the scenarios --repeat measures: an outage the
// coordinator must detect, then recovery.
var repeatFaults = map[string]shop.Fault{
	"global-outage":   {Kind: shop.FaultOutage},
	"checkout-broken": {Kind: shop.FaultCheckout500},
}

// repeated injects the scenario's fault s.cfg.Repeat times in the same
// mesh, each at a random moment of the check's round (a site does not
// fail in step with the probes), and reports the detection times: the
// fault to the incident opening, which is the fault to the decision down.
func repeated(ctx context.Context, s *stage, w *watcher, name string) (Outcome, error) {
	fault, ok := repeatFaults[name]
	if !ok {
		return Outcome{}, fmt.Errorf("--repeat measures detection: use it with %s", strings.Join(slices.Sorted(maps.Keys(repeatFaults)), " or "))
	}
	flow, err := s.medianFlow(ctx)
	if err != nil {
		return Outcome{}, err
	}
	n := len(s.regions)
	target := s.cfg.BrowserInterval/time.Duration(n) + 2*flow
	s.logf("measuring detection %d times; checkout's median flow is %s, so the target interval/n + 2 x flow is %s",
		s.cfg.Repeat, flow.Round(time.Millisecond), target.Round(100*time.Millisecond))
	var mttds []time.Duration
	total := Outcome{Scenario: name, OtherStates: map[string]string{}, OtherPages: map[string]int{}}
	for i := range s.cfg.Repeat {
		wait := time.Duration(rand.Int64N(int64(s.cfg.BrowserInterval)))
		if err := sleepCtx(ctx, wait); err != nil {
			return Outcome{}, err
		}
		cw := newWatcher(s)
		cw.start()
		s.shop.SetFaults([]shop.Fault{fault})
		err := s.until(ctx, 4*s.cfg.BrowserInterval+time.Minute, func() (bool, error) {
			if err := cw.sample(ctx); err != nil {
				return false, err
			}
			return cw.firstIncident() != nil, nil
		})
		s.shop.SetFaults(nil)
		if err != nil {
			return Outcome{}, fmt.Errorf("run %d: %w", i+1, err)
		}
		inc := cw.firstIncident()
		mttd := cw.mttd()
		mttds = append(mttds, mttd)
		s.logf("run %d/%d: %s opened %.1fs after the fault", i+1, s.cfg.Repeat, inc.GetId(), mttd.Seconds())
		if err := s.until(ctx, 6*s.cfg.BrowserInterval+time.Minute, func() (bool, error) {
			got, err := s.incident(ctx, inc.GetId())
			return got.GetStatus() == vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED, err
		}); err != nil {
			return Outcome{}, fmt.Errorf("run %d: recovery: %w", i+1, err)
		}
		if err := cw.sample(ctx); err != nil {
			return Outcome{}, err
		}
		o := cw.outcome(name)
		total.Pages += o.Pages
		total.Incidents = append(total.Incidents, o.Incidents...)
		if severity[o.State] > severity[total.State] || total.State == "" {
			total.State = o.State
		}
	}
	slices.Sort(mttds)
	total.MTTD = mttds[len(mttds)/2]
	p95 := mttds[(len(mttds)*95+99)/100-1] // nearest rank
	s.logf("detection over %d runs: median %.1fs, p95 %.1fs (nearest rank), min %.1fs, max %.1fs; target %.1fs",
		len(mttds), total.MTTD.Seconds(), p95.Seconds(), mttds[0].Seconds(), mttds[len(mttds)-1].Seconds(), target.Seconds())
	return total, nil
}

// medianFlow is the median duration of checkout's recent passing runs.
func (s *stage) medianFlow(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := s.client.ListResults(ctx, &vigilv1.ListResultsRequest{CheckId: watched, PageSize: 50})
	if err != nil {
		return 0, fmt.Errorf("list results: %w", err)
	}
	var ds []time.Duration
	for _, r := range resp.GetResults() {
		if r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_PASS {
			ds = append(ds, time.Duration(r.GetDurationUs())*time.Microsecond)
		}
	}
	if len(ds) == 0 {
		return 0, errors.New("no passing checkout run yet")
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// monitoringImpaired crashes the probes of all regions but one: too few
// regions are left to decide, so the check is unknown and monitoring
// impaired is raised, never down.
func monitoringImpaired(ctx context.Context, s *stage, w *watcher) error {
	victims := s.regions[1:]
	s.logf("fault: the probes of %v crash; only %s is left", victims, s.regions[0])
	w.start()
	for _, r := range victims {
		s.kill[r]()
	}
	// Unknown must last 2 x interval + timeout before it pages.
	return s.until(ctx, 4*s.cfg.BrowserInterval+2*time.Minute, func() (bool, error) {
		if err := w.sample(ctx); err != nil {
			return false, err
		}
		return w.pagedIncident() != nil, nil
	})
}

// inMaintenance opens a maintenance window over checkout and breaks it:
// the outage is recorded, nobody is paged.
func inMaintenance(ctx context.Context, s *stage, w *watcher) error {
	const length = time.Hour
	cctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+s.admin), 5*time.Second)
	resp, err := s.client.CreateMaintenanceWindow(cctx, &vigilv1.CreateMaintenanceWindowRequest{Window: &vigilv1.MaintenanceWindow{
		Name: "scenario: checkout deploy", CheckIds: []string{watched}, CreatedBy: "demo",
		Start: timestamppb.Now(), End: timestamppb.New(time.Now().Add(length)),
	}})
	cancel()
	if err != nil {
		return fmt.Errorf("create maintenance window: %w", err)
	}
	id := resp.GetWindow().GetId()
	s.logf("maintenance window %s over %s for %s", id, watched, length)
	defer func() {
		dctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.WithoutCancel(ctx), "authorization", "Bearer "+s.admin), 5*time.Second)
		defer cancel()
		if _, err := s.client.DeleteMaintenanceWindow(dctx, &vigilv1.DeleteMaintenanceWindowRequest{Id: id}); err != nil {
			s.logf("delete maintenance window %s: %v", id, err)
		}
	}()
	s.logf("fault: placing an order returns 500, during the maintenance window")
	w.start()
	s.shop.SetFaults([]shop.Fault{{Kind: shop.FaultCheckout500}})
	defer s.shop.SetFaults(nil)
	var inc *vigilv1.Incident
	if err := s.until(ctx, 4*s.cfg.BrowserInterval+time.Minute, func() (bool, error) {
		if err := w.sample(ctx); err != nil {
			return false, err
		}
		for _, i := range w.sorted() {
			if i.GetCheckId() == watched {
				inc = i
			}
		}
		return inc != nil, nil
	}); err != nil {
		return err
	}
	s.logf("incident %s recorded (in maintenance: %t); watching for a round: nobody is paged", inc.GetId(), inc.GetInMaintenance())
	if err := w.hold(ctx, s.cfg.BrowserInterval); err != nil {
		return err
	}
	s.logf("heal: checkout works again")
	return nil
}

func (s *stage) untilState(ctx context.Context, w *watcher, check, state string) error {
	return s.until(ctx, 4*s.cfg.BrowserInterval+time.Minute, func() (bool, error) {
		if err := w.sample(ctx); err != nil {
			return false, err
		}
		return w.current[check] == state, nil
	})
}

// until polls f until it reports true, fails, or timeout passes.
func (s *stage) until(ctx context.Context, timeout time.Duration, f func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(scenarioPoll)
	defer t.Stop()
	for {
		ok, err := f()
		if err != nil && ctx.Err() == nil && !transient(err) {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %s: %w", timeout, ctx.Err())
		case <-t.C:
		}
	}
}

// transient reports errors worth polling through (a call cut by the
// poll's own deadline).
func transient(err error) bool {
	return errors.Is(err, context.DeadlineExceeded)
}

func (s *stage) allUp(ctx context.Context, checks ...string) (bool, error) {
	for _, c := range checks {
		st, err := s.status(ctx, c)
		if err != nil {
			return false, nil // not serving yet
		}
		if st.GetState() != "up" || len(st.GetRegions()) != len(s.regions) {
			return false, nil
		}
		for _, r := range st.GetRegions() {
			if r.GetLast().GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
				return false, nil
			}
		}
	}
	return true, nil
}

func (s *stage) status(ctx context.Context, check string) (*vigilv1.GetCheckStatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.client.GetCheckStatus(ctx, &vigilv1.GetCheckStatusRequest{CheckId: check})
}

func (s *stage) incident(ctx context.Context, id string) (*vigilv1.Incident, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := s.client.GetIncident(ctx, &vigilv1.GetIncidentRequest{Id: id})
	return resp.GetIncident(), err
}

// watcher samples the coordinator during a scenario.
type watcher struct {
	s       *stage
	since   time.Time
	worst   map[string]string // check -> worst state since the fault
	current map[string]string
	seen    map[string]*vigilv1.Incident // incidents opened after the fault
}

func newWatcher(s *stage) *watcher {
	return &watcher{s: s, worst: map[string]string{}, seen: map[string]*vigilv1.Incident{}}
}

func (w *watcher) start() { w.since = time.Now(); w.current = map[string]string{} }

// firstIncident is the watched check's first incident since the fault.
func (w *watcher) firstIncident() *vigilv1.Incident {
	for _, inc := range w.sorted() {
		if inc.GetCheckId() == watched {
			return inc
		}
	}
	return nil
}

// severity orders states for "worst": down > degraded > unknown > up.
var severity = map[string]int{"up": 0, "unknown": 1, "degraded": 2, "down": 3}

func (w *watcher) sample(ctx context.Context) error {
	for _, c := range []string{"checkout", "home"} {
		st, err := w.s.status(ctx, c)
		if err != nil {
			return err
		}
		state := st.GetState()
		if prev := w.current[c]; prev != state {
			w.s.logf("%s: %s -> %s", c, orNone(prev), state)
		}
		w.current[c] = state
		if old, ok := w.worst[c]; !ok || severity[state] > severity[old] {
			w.worst[c] = state
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := w.s.client.ListIncidents(ctx, &vigilv1.ListIncidentsRequest{Limit: 50})
	if err != nil {
		return err
	}
	for _, inc := range resp.GetIncidents() {
		if inc.GetOpenedAt().AsTime().Before(w.since) {
			continue
		}
		if _, ok := w.seen[inc.GetId()]; !ok {
			w.s.logf("incident %s opened: %s", inc.GetId(), inc.GetTitle())
		}
		w.seen[inc.GetId()] = inc
	}
	return nil
}

// hold keeps sampling for d.
func (w *watcher) hold(ctx context.Context, d time.Duration) error {
	end := time.Now().Add(d)
	return w.s.until(ctx, d+time.Minute, func() (bool, error) {
		if err := w.sample(ctx); err != nil {
			return false, err
		}
		return time.Now().After(end), nil
	})
}

// settled reports whether every incident's notifications are recorded:
// the pager received as many pages as the incidents count.
func (w *watcher) settled(ctx context.Context) (bool, error) {
	if err := w.sample(ctx); err != nil {
		return false, err
	}
	pages := 0
	for _, inc := range w.seen {
		pages += int(inc.GetPages())
	}
	return pages >= w.s.pager.pagesSince(w.since), nil
}

func (w *watcher) pagedIncident() *vigilv1.Incident {
	for _, inc := range w.sorted() {
		if inc.GetCheckId() == watched && inc.GetPages() > 0 {
			return inc
		}
	}
	return nil
}

func (w *watcher) sorted() []*vigilv1.Incident {
	incs := make([]*vigilv1.Incident, 0, len(w.seen))
	for _, inc := range w.seen {
		incs = append(incs, inc)
	}
	sort.Slice(incs, func(i, j int) bool { return incs[i].GetOpenedAt().AsTime().Before(incs[j].GetOpenedAt().AsTime()) })
	return incs
}

// mttd is from the fault to the watched check's first incident.
func (w *watcher) mttd() time.Duration {
	for _, inc := range w.sorted() {
		if inc.GetCheckId() == watched {
			return inc.GetOpenedAt().AsTime().Sub(w.since)
		}
	}
	return 0
}

func (w *watcher) outcome(name string) Outcome {
	o := Outcome{Scenario: name, State: w.worst[watched], MTTD: w.mttd(), OtherStates: map[string]string{}, OtherPages: map[string]int{}}
	for _, inc := range w.sorted() {
		if inc.GetCheckId() == watched {
			o.Incidents = append(o.Incidents, inc)
			o.Pages += int(inc.GetPages())
		} else {
			o.OtherPages[inc.GetCheckId()] += int(inc.GetPages())
		}
	}
	for c, st := range w.worst {
		if c != watched {
			o.OtherStates[c] = st
		}
	}
	return o
}

func orNone(s string) string {
	if s == "" {
		return "(start)"
	}
	return s
}
