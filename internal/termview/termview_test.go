package termview

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestRenderStatus(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	check := &vigilv1.Check{Name: "checkout", Type: vigilv1.CheckType_CHECK_TYPE_BROWSER}
	statuses := []*vigilv1.GetCheckStatusResponse{{
		Check: check,
		State: "degraded",
		Regions: []*vigilv1.RegionStatus{
			{Region: "ap-south", Verdict: "stale"},
			{Region: "eu-west", Verdict: "failing", Last: &vigilv1.Result{
				Status: vigilv1.ResultStatus_RESULT_STATUS_FAIL, ErrorClass: vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS,
				Error: "returned HTTP 500", FailedStep: 9, FailedStepName: "click #place-order",
				DurationUs: 1_700_000, TtfbUs: 400, StartedAt: timestamppb.New(now.Add(-5 * time.Second)),
			}},
			{Region: "us-east", Verdict: "up", Suspect: true, Last: &vigilv1.Result{
				Status: vigilv1.ResultStatus_RESULT_STATUS_PASS, DurationUs: 831_000, LoadUs: 173_000,
				LcpUs: 236_000, StartedAt: timestamppb.New(now.Add(-15 * time.Second)),
			}},
		},
	}}
	var b strings.Builder
	if err := Render(&b, statuses, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{
		"CHECK     TYPE     STATE     REGION    VERDICT       STATUS            FLOW   TTFB   LOAD   LCP    AGE  FAILING STEP / ERROR",
		"checkout  browser  degraded  ap-south  stale         waiting           -      -      -      -      -",
		"checkout  browser  degraded  eu-west   failing       FAIL http_status  1.70s  0.4ms  -      -      5s   step 9 click #place-order: returned HTTP 500",
		"checkout  browser  degraded  us-east   up (suspect)  pass              831ms  -      173ms  236ms  15s",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i := range want {
		if strings.TrimRight(lines[i], " ") != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i, strings.TrimRight(lines[i], " "), want[i])
		}
	}
}

func TestRenderRunNamesTheFailingStep(t *testing.T) {
	check := &vigilv1.Check{Name: "checkout", Type: vigilv1.CheckType_CHECK_TYPE_BROWSER, Target: "http://shop"}
	res := &vigilv1.Result{
		Status: vigilv1.ResultStatus_RESULT_STATUS_FAIL, ErrorClass: vigilv1.ErrorClass_ERROR_CLASS_ASSERTION,
		Error: "selector #add-to-cart not found within 5s", FailedStep: 2, FailedStepName: "click #add-to-cart",
		DurationUs: 5_300_000,
		Steps: []*vigilv1.StepResult{
			{Name: "goto /", DurationUs: 300_000, Ok: true},
			{Name: "click #add-to-cart", DurationUs: 5_000_000},
		},
		ConsoleErrors: []string{"Uncaught Error: boom"},
	}
	var b strings.Builder
	if err := RenderRun(&b, check, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"checkout (browser http://shop): FAIL assertion in 5.30s",
		"2.  click #add-to-cart  5.00s  FAILED",
		"error: step 2 click #add-to-cart: selector #add-to-cart not found within 5s",
		"console: Uncaught Error: boom",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRenderStatusNamesTheIncident(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := []*vigilv1.GetCheckStatusResponse{{
		Check: &vigilv1.Check{Name: "checkout", Type: vigilv1.CheckType_CHECK_TYPE_BROWSER},
		State: "down", OpenIncidentId: "inc-7", InMaintenance: true, Flapping: true,
		Regions: []*vigilv1.RegionStatus{{Region: "eu-west", Verdict: "failing"}},
	}}
	var b strings.Builder
	if err := Render(&b, st, now); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "down inc-7 maintenance flapping") {
		t.Errorf("state column lacks the incident, window and flapping:\n%s", b.String())
	}
}

func TestRenderIncident(t *testing.T) {
	opened := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	inc := &vigilv1.Incident{
		Id: "inc-3", CheckId: "checkout", Kind: vigilv1.IncidentKind_INCIDENT_KIND_DOWN,
		Status: vigilv1.IncidentStatus_INCIDENT_STATUS_ACKNOWLEDGED, Severity: "critical",
		Title: "checkout is down: failing in 2 of 3 regions", OpenedAt: timestamppb.New(opened),
		AcknowledgedBy: "ana", AcknowledgedAt: timestamppb.New(opened.Add(2 * time.Minute)),
		Pages: 1, Disagree: true,
		Regions: []*vigilv1.RegionFailure{
			{Region: "eu-west", ProbeId: "eu-1", ErrorClass: vigilv1.ErrorClass_ERROR_CLASS_DNS, Error: "no such host"},
			{Region: "us-east", ProbeId: "us-1", ErrorClass: vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, FailedStep: 9,
				FailedStepName: "click #place-order", HasScreenshot: true, ResultId: "r-42"},
		},
		Timeline: []*vigilv1.TimelineEvent{
			{At: timestamppb.New(opened), Kind: "decision", Actor: "vigil", Message: "decision: degraded -> down"},
			{At: timestamppb.New(opened), Kind: "notification", Actor: "vigil", Channel: "pager", Message: "trigger to pager: try 1 failed: 503"},
		},
	}
	var b strings.Builder
	if err := RenderIncident(&b, inc, opened.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"inc-3  checkout is down: failing in 2 of 3 regions",
		"down, acknowledged, severity critical, 1 pages",
		"open for 5m0s",
		"acknowledged by ana",
		"failing regions disagree on the cause",
		"eu-west  eu-1   dns",
		"9 click #place-order  r-42",
		"notification (failed)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := RenderIncidents(&b, []*vigilv1.Incident{inc}, opened.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "inc-3  checkout  down  acknowledged  critical") {
		t.Errorf("list row:\n%s", b.String())
	}
}
