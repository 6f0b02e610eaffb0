package incident_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator/internal/incident"
	"github.com/vigilhq/vigil/coordinator/internal/notify"
	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	"github.com/vigilhq/vigil/coordinator/internal/store"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// t0 is the start of every scenario; slot s starts at t0 + s x interval.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	interval = 60 * time.Second
	timeout  = 10 * time.Second
	// impairedAfter is 2 x interval + timeout: how long a check must stay
	// unknown before monitoring is reported impaired.
	impairedAfter = 2*interval + timeout
)

// regions are the regions of every test check, in the order of their
// phases within a round.
var regions = []string{"us", "eu", "ap"}

// phase is each region's offset within a round (staggered phases).
var phase = map[string]time.Duration{"us": 0, "eu": 20 * time.Second, "ap": 40 * time.Second}

// tWriter routes log output to t.Log.
type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// sent is one notification handed to the Sender.
type sent struct {
	channel string
	msg     notify.Message
}

// String is "channel event: title", which is what a person on the channel
// notices first.
func (s sent) String() string { return fmt.Sprintf("%s %s: %s", s.channel, s.msg.Event, s.msg.Title) }

// recorder is a Sender that keeps every message. It is safe for concurrent
// use.
type recorder struct {
	mu   sync.Mutex
	msgs []sent
}

var _ incident.Sender = (*recorder)(nil)

func (r *recorder) Send(channel string, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, sent{channel, m})
	return nil
}

// all returns every message so far.
func (r *recorder) all() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// take returns the messages sent since the last take.
func (r *recorder) take() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.msgs
	r.msgs = nil
	return out
}

// strs renders messages for comparison with a want list.
func strs(ms []sent) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}

// brief renders messages as "channel event", for tests about who hears what
// and when rather than what the titles say.
func brief(ms []sent) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.channel+" "+string(m.msg.Event))
	}
	return out
}

func countEvent(ms []sent, ev notify.Event) int {
	n := 0
	for _, m := range ms {
		if m.msg.Event == ev {
			n++
		}
	}
	return n
}

// alerting builds the alerting settings of a check: route 1 is chans.
func alerting(chans ...string) *vigilv1.Alerting {
	return &vigilv1.Alerting{Routes: []*vigilv1.Route{{Channels: chans}}}
}

// newCheck is an http check run every minute from us, eu and ap.
func newCheck(id, name string, a *vigilv1.Alerting) *vigilv1.Check {
	return &vigilv1.Check{
		Id:       id,
		Name:     name,
		Type:     vigilv1.CheckType_CHECK_TYPE_HTTP,
		Target:   "https://" + name + ".example/",
		Regions:  slices.Clone(regions),
		Interval: durationpb.New(interval),
		Timeout:  durationpb.New(timeout),
		Alerting: a,
	}
}

// checkout is check c1, named checkout, paging route 1's channels.
func checkout(a *vigilv1.Alerting) *vigilv1.Check { return newCheck("c1", "checkout", a) }

// slotStart is when round slot starts.
func slotStart(slot int64) time.Time { return t0.Add(time.Duration(slot) * interval) }

// result is a result of check in region for slot. Attempt 0 runs on probe
// <region>-1 at the region's phase; attempt n (a confirmation) runs on probe
// <region>-(n+1), n x 2 s later.
func result(check, region string, slot int64, attempt uint32, status vigilv1.ResultStatus) *vigilv1.Result {
	r := &vigilv1.Result{
		CheckId:   check,
		Region:    region,
		ProbeId:   fmt.Sprintf("%s-%d", region, attempt+1),
		Slot:      slot,
		Attempt:   attempt,
		StartedAt: timestamppb.New(slotStart(slot).Add(phase[region] + time.Duration(attempt)*2*time.Second)),
		Status:    status,
	}
	r.Id = fmt.Sprintf("%s/%s/%d/%d", check, r.ProbeId, slot, attempt)
	return r
}

func pass(check, region string, slot int64) *vigilv1.Result {
	return result(check, region, slot, 0, vigilv1.ResultStatus_RESULT_STATUS_PASS)
}

// fail is a failure of class at step 2, "checkout".
func fail(check, region string, slot int64, attempt uint32, class vigilv1.ErrorClass) *vigilv1.Result {
	r := result(check, region, slot, attempt, vigilv1.ResultStatus_RESULT_STATUS_FAIL)
	r.ErrorClass = class
	r.FailedStep = 2
	r.FailedStepName = "checkout"
	r.Error = "HTTP 500"
	if class == vigilv1.ErrorClass_ERROR_CLASS_DNS {
		r.Error = "no such host"
	}
	return r
}

const httpStatus = vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS

// harness wires a Manager to the real quorum engine and a real store the way
// coordinator/decide.go does, under a fake clock.
type harness struct {
	t      *testing.T
	ctx    context.Context
	dir    string
	checks []*vigilv1.Check
	files  []*vigilv1.MaintenanceWindow

	st     *store.Store
	engine *quorum.Engine
	m      *incident.Manager
	out    *recorder

	now time.Time
	// round, when set, gives the results of each slot the clock passes in
	// advance; fed is the last slot generated, and pending its results not
	// yet due.
	round   func(slot int64) []*vigilv1.Result
	fed     int64
	pending []*vigilv1.Result
	// changes are the engine's state changes so far.
	changes []quorum.Decision
}

// start returns a harness for checks and the check file's windows, with
// the clock at t0 and nothing observed yet.
func start(t *testing.T, checks []*vigilv1.Check, files ...*vigilv1.MaintenanceWindow) *harness {
	t.Helper()
	h := &harness{t: t, ctx: t.Context(), dir: t.TempDir(), checks: checks, files: files, now: t0, out: &recorder{}}
	h.boot()
	return h
}

// boot opens the store and starts a fresh engine and manager, as a
// coordinator start does.
func (h *harness) boot() {
	h.t.Helper()
	st, err := store.Open(h.ctx, h.dir)
	if err != nil {
		h.t.Fatalf("open store: %v", err)
	}
	h.t.Cleanup(func() { st.Close() })
	h.st = st
	h.engine = quorum.New(h.checks)
	m, err := incident.New(h.ctx, incident.Config{
		Store: st, Sender: h.out, Status: h.engine.Status, Checks: h.checks,
		Maintenance: h.files, Logger: testLogger(h.t),
	})
	if err != nil {
		h.t.Fatalf("new manager: %v", err)
	}
	h.m = m
}

// restart closes the store and boots again on the same data directory: a
// coordinator restart. The engine starts over with every check unknown, and
// the clock ticks at once, as the coordinator's decider does.
func (h *harness) restart() {
	h.t.Helper()
	if err := h.st.Close(); err != nil {
		h.t.Fatalf("close store: %v", err)
	}
	h.changes = nil
	h.boot()
	h.tick()
}

func (h *harness) decide(ds []quorum.Decision) {
	for _, d := range ds {
		if d.Kind == quorum.KindStateChanged {
			h.changes = append(h.changes, d)
		}
	}
	h.m.Decide(h.ctx, ds)
}

// feed delivers each result as its own batch, as results from different
// probes arrive: the manager observes it, then the engine, and the
// manager acts on the engine's decisions. The clock moves to 2 s after the
// result started, unless it is already later.
func (h *harness) feed(rs ...*vigilv1.Result) {
	for _, r := range rs {
		if at := r.GetStartedAt().AsTime().Add(2 * time.Second); at.After(h.now) {
			h.now = at
		}
		h.m.Observe(h.ctx, []*vigilv1.Result{r}, h.now)
		h.decide(h.engine.Observe(r, h.now))
	}
}

// tick runs the clock's periodic work at now.
func (h *harness) tick() {
	h.decide(h.engine.Tick(h.now))
	h.m.Tick(h.ctx, h.now)
}

// advance moves the clock to to. It feeds h.round's results of the slots
// that start on the way, each when it is due (2 s after it started), and
// ticks at the start of each slot and at to.
func (h *harness) advance(to time.Time) {
	h.t.Helper()
	for h.round != nil && !slotStart(h.fed+1).After(to) {
		h.fed++
		h.pending = append(h.pending, h.round(h.fed)...)
	}
	slices.SortStableFunc(h.pending, func(a, b *vigilv1.Result) int {
		return a.GetStartedAt().AsTime().Compare(b.GetStartedAt().AsTime())
	})
	for len(h.pending) > 0 {
		r := h.pending[0]
		if r.GetStartedAt().AsTime().Add(2 * time.Second).After(to) {
			break
		}
		if s := slotStart(r.GetSlot()); s.After(h.now) {
			h.now = s
			h.tick()
		}
		h.pending = h.pending[1:]
		h.feed(r)
	}
	if to.After(h.now) {
		h.now = to
	}
	h.tick()
}

// setLive reports gossip's live probe count for region.
func (h *harness) setLive(region string, n int) { h.decide(h.engine.SetRegionLive(region, n, h.now)) }

// lastChange is when the engine last changed c1's state.
func (h *harness) lastChange() time.Time {
	h.t.Helper()
	for i := len(h.changes) - 1; i >= 0; i-- {
		if h.changes[i].CheckID == "c1" {
			return h.changes[i].At
		}
	}
	h.t.Fatal("c1 never changed state")
	return time.Time{}
}

// roundOf returns a round generator: in c1, the regions in failing fail
// (first attempt, class http_status) and the others pass; every other
// check passes everywhere.
func (h *harness) roundOf(failing ...string) func(int64) []*vigilv1.Result {
	return func(slot int64) []*vigilv1.Result {
		var out []*vigilv1.Result
		for _, c := range h.checks {
			for _, r := range regions {
				if c.GetId() == "c1" && slices.Contains(failing, r) {
					out = append(out, fail("c1", r, slot, 0, httpStatus))
				} else {
					out = append(out, pass(c.GetId(), r, slot))
				}
			}
		}
		return out
	}
}

// onlyPassing returns a round generator of c1 results in the given regions alone,
// all passing.
func onlyPassing(regs ...string) func(int64) []*vigilv1.Result {
	return func(slot int64) []*vigilv1.Result {
		var out []*vigilv1.Result
		for _, r := range regs {
			out = append(out, pass("c1", r, slot))
		}
		return out
	}
}

// warm makes every region of every check pass slot 1, so the checks are up.
func (h *harness) warm() {
	h.t.Helper()
	h.round = h.roundOf()
	h.advance(slotStart(1))
}

// outage feeds slot: in c1, each region of failing fails twice (the first
// attempt and its confirmation by another probe) with its class, and the
// other regions pass; then h.round keeps them failing in later slots.
func (h *harness) outage(slot int64, failing map[string]vigilv1.ErrorClass) {
	h.t.Helper()
	h.advance(slotStart(slot).Add(-time.Second))
	h.pending = nil // every earlier round is in
	var failRegs []string
	for _, r := range regions {
		if class, ok := failing[r]; ok {
			h.feed(fail("c1", r, slot, 0, class), fail("c1", r, slot, 1, class))
			failRegs = append(failRegs, r)
		} else {
			h.feed(pass("c1", r, slot))
		}
	}
	for _, c := range h.checks {
		for _, r := range regions {
			if c.GetId() != "c1" {
				h.feed(pass(c.GetId(), r, slot))
			}
		}
	}
	h.fed = slot
	h.round = h.roundOf(failRegs...)
}

// down is an outage of class http_status in us and eu from slot.
func (h *harness) down(slot int64) {
	h.outage(slot, map[string]vigilv1.ErrorClass{"us": httpStatus, "eu": httpStatus})
}

// list returns c1's incidents, newest first.
func (h *harness) list() []*vigilv1.Incident {
	h.t.Helper()
	incs, err := h.m.List(h.ctx, store.IncidentQuery{CheckID: "c1"})
	if err != nil {
		h.t.Fatalf("list incidents: %v", err)
	}
	return incs
}

// single returns c1's only incident, with its timeline; it fails the test
// when there is not exactly one.
func (h *harness) single() *vigilv1.Incident {
	h.t.Helper()
	incs := h.list()
	if len(incs) != 1 {
		h.t.Fatalf("c1 has %d incidents, want 1: %v", len(incs), describe(incs))
	}
	return h.get(incs[0].GetId())
}

func (h *harness) get(id string) *vigilv1.Incident {
	h.t.Helper()
	inc, err := h.m.Get(h.ctx, id)
	if err != nil {
		h.t.Fatalf("get %s: %v", id, err)
	}
	return inc
}

// noIncidents fails the test if c1 has any incident.
func (h *harness) noIncidents() {
	h.t.Helper()
	if incs := h.list(); len(incs) > 0 {
		h.t.Fatalf("c1 has incidents %v, want none", describe(incs))
	}
}

// describe renders incidents as "inc-1 down open: title".
func describe(incs []*vigilv1.Incident) []string {
	var out []string
	for _, inc := range incs {
		out = append(out, fmt.Sprintf("%s %s %s: %s", inc.GetId(), inc.GetKind().Short(), inc.GetStatus().Short(), inc.GetTitle()))
	}
	return out
}

// kinds lists the kinds of a timeline's events, in order.
func kinds(inc *vigilv1.Incident) []string {
	var out []string
	for _, ev := range inc.GetTimeline() {
		out = append(out, ev.GetKind())
	}
	return out
}

// events returns the timeline events of kind.
func events(inc *vigilv1.Incident, kind string) []*vigilv1.TimelineEvent {
	var out []*vigilv1.TimelineEvent
	for _, ev := range inc.GetTimeline() {
		if ev.GetKind() == kind {
			out = append(out, ev)
		}
	}
	return out
}

// timeline renders a timeline for failure messages.
func timeline(inc *vigilv1.Incident) string {
	var b strings.Builder
	for _, ev := range inc.GetTimeline() {
		fmt.Fprintf(&b, "\n  %s %s: %s", ev.GetAt().AsTime().Format("15:04:05"), ev.GetKind(), ev.GetMessage())
	}
	return b.String()
}

// evidence renders an incident's regions as "eu http_status step 2 checkout
// (eu-2)".
func evidence(inc *vigilv1.Incident) []string {
	var out []string
	for _, f := range inc.GetRegions() {
		out = append(out, fmt.Sprintf("%s %s step %d %s (%s)", f.GetRegion(), f.GetErrorClass().Short(), f.GetFailedStep(), f.GetFailedStepName(), f.GetProbeId()))
	}
	return out
}

// wantSent fails the test unless the messages are want.
func wantSent(t *testing.T, what string, got []sent, want []string) {
	t.Helper()
	if g := strs(got); !slices.Equal(g, want) {
		t.Errorf("%s: sent\n  %q\nwant\n  %q", what, g, want)
	}
}

// delivered reports each message as delivered at the first try, as the
// dispatcher's OnAttempt does.
func (h *harness) delivered(ms []sent) {
	for _, s := range ms {
		h.m.RecordAttempt(notify.Attempt{Channel: s.channel, IncidentID: s.msg.IncidentID, Event: s.msg.Event, Try: 1, At: h.now, Final: true})
	}
}
