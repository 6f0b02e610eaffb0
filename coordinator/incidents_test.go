package coordinator_test

import (
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/coordinator/internal/notify"
	"github.com/vigilhq/vigil/internal/testwait"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// receiver is a real webhook endpoint: it verifies each delivery's
// signature and keeps the events it accepted.
type receiver struct {
	t      *testing.T
	secret string
	status int // answer; 0 means 204

	mu     sync.Mutex
	events []string // "event title"
	bad    int      // deliveries with a bad signature
}

func (rc *receiver) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !coordinator.VerifyWebhook(rc.secret, r.Header.Get("X-Vigil-Timestamp"), body, r.Header.Get("X-Vigil-Signature")) {
		rc.bad++
		nethttp.Error(w, "bad signature", nethttp.StatusUnauthorized)
		return
	}
	var m struct{ Event, Title string }
	if err := json.Unmarshal(body, &m); err != nil {
		rc.t.Errorf("webhook body: %v", err)
	}
	rc.events = append(rc.events, m.Event+" "+m.Title)
	if rc.status != 0 {
		w.WriteHeader(rc.status)
		return
	}
	w.WriteHeader(nethttp.StatusNoContent)
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.events)
}

// alertingCheck is an http check in three regions that pages the webhook
// channel "hook".
func alertingCheck() *vigilv1.Check {
	c := check("shop", http, "ap", "eu", "us")
	c.Alerting = &vigilv1.Alerting{Severity: "critical", RecoverAfter: 2, Routes: []*vigilv1.Route{{Channels: []string{"hook"}}}}
	return c
}

// startAlerting runs a coordinator whose "hook" channel posts to rc.
func startAlerting(t *testing.T, rc *receiver) *harness {
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return start(t, coordinator.Config{
		Checks:        []*vigilv1.Check{alertingCheck()},
		Channels:      []notify.Channel{{Name: "hook", Type: "webhook", URL: srv.URL, Secret: rc.secret}},
		NotifyBackoff: 10 * time.Millisecond,
	})
}

// takeDown makes two of three regions fail twice: the check goes down.
func takeDown(t *testing.T, h *harness) {
	for _, region := range []string{"ap", "eu"} {
		p := h.connect(t, region+"-1", region)
		p.sendResults(p.result("shop", t0, fail), p.result("shop", t0.Add(time.Minute), fail))
		p.acked(2)
	}
}

func openIncident(t *testing.T, h *harness) *vigilv1.Incident {
	t.Helper()
	var inc *vigilv1.Incident
	testwait.Until(t, guard, func() bool {
		resp, err := h.vigil.ListIncidents(t.Context(), &vigilv1.ListIncidentsRequest{OpenOnly: true})
		if err != nil || len(resp.GetIncidents()) != 1 {
			return false
		}
		inc = resp.GetIncidents()[0]
		return inc.GetPages() == 1
	}, "one open incident, paged once")
	return inc
}

// TestIncidentLifecycleThroughTheAPI takes a check down with results from
// two regions and follows its incident as an on-call person would: a
// signed page arrives, write calls need the admin token, acknowledging and
// resolving reach the webhook, and the timeline tells the story.
func TestIncidentLifecycleThroughTheAPI(t *testing.T) {
	rc := &receiver{t: t, secret: "s3cret"}
	h := startAlerting(t, rc)
	takeDown(t, h)
	inc := openIncident(t, h)
	title := "shop is down: failing in 2 of 3 regions"
	if inc.GetKind() != vigilv1.IncidentKind_INCIDENT_KIND_DOWN || inc.GetTitle() != title || len(inc.GetRegions()) != 2 {
		t.Fatalf("incident %s %q with %d regions, want a down incident %q naming 2 regions", inc.GetKind().Short(), inc.GetTitle(), len(inc.GetRegions()), title)
	}
	if got := rc.got(); !slices.Equal(got, []string{"trigger " + title}) {
		t.Fatalf("webhook got %q, want one trigger", got)
	}
	st, err := h.vigil.GetCheckStatus(t.Context(), &vigilv1.GetCheckStatusRequest{CheckId: "shop"})
	if err != nil || st.GetOpenIncidentId() != inc.GetId() {
		t.Fatalf("GetCheckStatus names incident %q (err %v), want %s", st.GetOpenIncidentId(), err, inc.GetId())
	}

	// Without the admin token, write calls are refused and change nothing.
	conn, err := grpc.NewClient(h.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	anon := vigilv1.NewVigilServiceClient(conn)
	if _, err := anon.AcknowledgeIncident(t.Context(), &vigilv1.AcknowledgeIncidentRequest{Id: inc.GetId()}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("ack without a token: %v, want Unauthenticated", err)
	}
	if _, err := anon.GetIncident(t.Context(), &vigilv1.GetIncidentRequest{Id: inc.GetId()}); err != nil {
		t.Errorf("reads stay open: %v", err)
	}

	if _, err := h.vigil.AcknowledgeIncident(t.Context(), &vigilv1.AcknowledgeIncidentRequest{Id: inc.GetId(), By: "ana"}); err != nil {
		t.Fatalf("ack: %v", err)
	}
	if _, err := h.vigil.AddIncidentNote(t.Context(), &vigilv1.AddIncidentNoteRequest{Id: inc.GetId(), By: "ana", Text: "rolled back"}); err != nil {
		t.Fatalf("note: %v", err)
	}
	if _, err := h.vigil.AddIncidentNote(t.Context(), &vigilv1.AddIncidentNoteRequest{Id: inc.GetId(), Text: "  "}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("empty note: %v, want InvalidArgument", err)
	}
	resp, err := h.vigil.ResolveIncident(t.Context(), &vigilv1.ResolveIncidentRequest{Id: inc.GetId(), By: "ana", Note: "fixed"})
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if got := resp.GetIncident(); got.GetStatus() != vigilv1.IncidentStatus_INCIDENT_STATUS_RESOLVED || got.GetResolvedBy() != "ana" || got.GetAcknowledgedBy() != "ana" {
		t.Errorf("after resolve: %s, resolved by %q, acknowledged by %q", got.GetStatus().Short(), got.GetResolvedBy(), got.GetAcknowledgedBy())
	}
	if _, err := h.vigil.ResolveIncident(t.Context(), &vigilv1.ResolveIncidentRequest{Id: inc.GetId()}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("resolve twice: %v, want FailedPrecondition", err)
	}
	if _, err := h.vigil.GetIncident(t.Context(), &vigilv1.GetIncidentRequest{Id: "inc-404"}); status.Code(err) != codes.NotFound {
		t.Errorf("unknown incident: %v, want NotFound", err)
	}

	want := []string{"trigger " + title, "acknowledge acknowledged by ana: " + title, "resolve resolved: " + title}
	testwait.Until(t, guard, func() bool { return slices.Equal(rc.got(), want) }, "webhook gets trigger, acknowledge, resolve; got %q", rc.got())
	full, err := h.vigil.GetIncident(t.Context(), &vigilv1.GetIncidentRequest{Id: inc.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range full.GetIncident().GetTimeline() {
		if !slices.Contains(kinds, ev.GetKind()) {
			kinds = append(kinds, ev.GetKind())
		}
	}
	for _, k := range []string{"first_failure", "confirmation", "decision", "notification", "acknowledged", "note", "resolved"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("timeline lacks %s: %v", k, kinds)
		}
	}
	if rc.bad != 0 {
		t.Errorf("%d deliveries with a bad signature", rc.bad)
	}
}

// TestUndeliverableNotification: a channel that keeps failing is retried,
// then given up on; the timeline says so and the page is not counted.
func TestUndeliverableNotification(t *testing.T) {
	rc := &receiver{t: t, secret: "s3cret", status: nethttp.StatusServiceUnavailable}
	h := startAlerting(t, rc)
	takeDown(t, h)
	testwait.Until(t, guard, func() bool {
		resp, err := h.vigil.ListIncidents(t.Context(), &vigilv1.ListIncidentsRequest{})
		if err != nil || len(resp.GetIncidents()) != 1 {
			return false
		}
		full, err := h.vigil.GetIncident(t.Context(), &vigilv1.GetIncidentRequest{Id: resp.GetIncidents()[0].GetId()})
		if err != nil {
			return false
		}
		for _, ev := range full.GetIncident().GetTimeline() {
			if ev.GetKind() == "notification" && !ev.GetOk() && strings.Contains(ev.GetMessage(), "gave up") {
				return full.GetIncident().GetPages() == 0
			}
		}
		return false
	}, "the timeline records the give-up and no page")
	if n := len(rc.got()); n != 5 {
		t.Errorf("webhook tried %d times, want 5", n)
	}
}

// TestMaintenanceWindowsThroughTheAPI creates, lists and deletes a window,
// and refuses bad ones with InvalidArgument.
func TestMaintenanceWindowsThroughTheAPI(t *testing.T) {
	h := start(t, coordinator.Config{
		Checks: []*vigilv1.Check{alertingCheck()},
		Maintenance: []*vigilv1.MaintenanceWindow{{Id: "file:weekly", Name: "weekly",
			Recurrence: &vigilv1.Recurrence{StartTime: "02:00", Duration: durationpb.New(time.Hour)}}},
	})
	now := time.Now()
	for name, w := range map[string]*vigilv1.MaintenanceWindow{
		"no name":       {Start: timestamppb.New(now), End: timestamppb.New(now.Add(time.Hour))},
		"end first":     {Name: "x", Start: timestamppb.New(now), End: timestamppb.New(now.Add(-time.Hour))},
		"unknown check": {Name: "x", CheckIds: []string{"nope"}, Start: timestamppb.New(now), End: timestamppb.New(now.Add(time.Hour))},
		"bad zone":      {Name: "x", Recurrence: &vigilv1.Recurrence{TimeZone: "Mars/Olympus", StartTime: "02:00", Duration: durationpb.New(time.Hour)}},
	} {
		if _, err := h.vigil.CreateMaintenanceWindow(t.Context(), &vigilv1.CreateMaintenanceWindowRequest{Window: w}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
	created, err := h.vigil.CreateMaintenanceWindow(t.Context(), &vigilv1.CreateMaintenanceWindowRequest{Window: &vigilv1.MaintenanceWindow{
		Name: "deploy", CheckIds: []string{"shop"}, Start: timestamppb.New(now.Add(-time.Minute)), End: timestamppb.New(now.Add(time.Hour)),
	}})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	id := created.GetWindow().GetId()
	list, err := h.vigil.ListMaintenanceWindows(t.Context(), &vigilv1.ListMaintenanceWindowsRequest{})
	if err != nil || len(list.GetWindows()) != 2 || !slices.Contains(list.GetActive(), id) {
		t.Fatalf("list: %v (err %v), want the file's window and %s, active", list, err, id)
	}
	st, err := h.vigil.GetCheckStatus(t.Context(), &vigilv1.GetCheckStatusRequest{CheckId: "shop"})
	if err != nil || !st.GetInMaintenance() {
		t.Errorf("GetCheckStatus in_maintenance = %v (err %v), want true", st.GetInMaintenance(), err)
	}
	if _, err := h.vigil.DeleteMaintenanceWindow(t.Context(), &vigilv1.DeleteMaintenanceWindowRequest{Id: "file:weekly"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("delete the file's window: %v, want InvalidArgument", err)
	}
	if _, err := h.vigil.DeleteMaintenanceWindow(t.Context(), &vigilv1.DeleteMaintenanceWindowRequest{Id: id}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := h.vigil.DeleteMaintenanceWindow(t.Context(), &vigilv1.DeleteMaintenanceWindowRequest{Id: id}); status.Code(err) != codes.NotFound {
		t.Errorf("delete twice: %v, want NotFound", err)
	}
}
