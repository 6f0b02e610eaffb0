package incident_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestOutage fails c1 in some regions from slot 2 (each failure confirmed
// by a second probe) and checks what users see: the incident, its
// timeline and evidence, and the pages.
func TestOutage(t *testing.T) {
	dns := vigilv1.ErrorClass_ERROR_CLASS_DNS
	downTitle := "checkout is down: failing in 2 of 3 regions"
	tests := []struct {
		name    string
		failing map[string]vigilv1.ErrorClass
		// want is the incident as describe renders it; "" means none.
		want         string
		wantTimeline []string
		wantEvidence []string
		wantDisagree bool
		wantSent     []string
	}{
		{
			name:    "one region failing is degraded: no incident, nothing sent",
			failing: map[string]vigilv1.ErrorClass{"us": httpStatus},
		},
		{
			name:         "two of three regions failing is down",
			failing:      map[string]vigilv1.ErrorClass{"us": httpStatus, "eu": httpStatus},
			want:         "inc-1 down open: " + downTitle,
			wantTimeline: []string{"first_failure", "confirmation", "confirmation", "confirmation", "decision"},
			wantEvidence: []string{"eu http_status step 2 checkout (eu-2)", "us http_status step 2 checkout (us-2)"},
			wantSent:     []string{"pager trigger: " + downTitle, "chat trigger: " + downTitle},
		},
		{
			name:         "three regions failing pages once",
			failing:      map[string]vigilv1.ErrorClass{"us": httpStatus, "eu": httpStatus, "ap": httpStatus},
			want:         "inc-1 down open: " + downTitle,
			wantTimeline: []string{"first_failure", "confirmation", "confirmation", "confirmation", "decision", "confirmation", "confirmation"},
			wantEvidence: []string{"eu http_status step 2 checkout (eu-2)", "us http_status step 2 checkout (us-2)"},
			wantSent:     []string{"pager trigger: " + downTitle, "chat trigger: " + downTitle},
		},
		{
			name:         "regions failing differently say so",
			failing:      map[string]vigilv1.ErrorClass{"us": dns, "eu": httpStatus},
			want:         "inc-1 down open: " + downTitle,
			wantTimeline: []string{"first_failure", "confirmation", "confirmation", "confirmation", "decision", "decision"},
			wantEvidence: []string{"eu http_status step 2 checkout (eu-2)", "us dns step 2 checkout (us-2)"},
			wantDisagree: true,
			wantSent:     []string{"pager trigger: " + downTitle, "chat trigger: " + downTitle},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, []*vigilv1.Check{checkout(alerting("pager", "chat"))})
			h.warm()
			h.outage(2, tt.failing)

			incs := h.list()
			if tt.want == "" {
				h.noIncidents()
				wantSent(t, "after the outage", h.out.take(), nil)
				// Held for an hour without degraded_after: still nothing.
				h.advance(slotStart(62))
				h.noIncidents()
				wantSent(t, "an hour later", h.out.take(), nil)
				return
			}
			if got := describe(incs); !slices.Equal(got, []string{tt.want}) {
				t.Fatalf("incidents %q, want %q", got, tt.want)
			}
			inc := h.get(incs[0].GetId())
			if got := kinds(inc); !slices.Equal(got, tt.wantTimeline) {
				t.Errorf("timeline kinds %q, want %q%s", got, tt.wantTimeline, timeline(inc))
			}
			if got := evidence(inc); !slices.Equal(got, tt.wantEvidence) {
				t.Errorf("regions evidence %q, want %q", got, tt.wantEvidence)
			}
			firstFailure := slotStart(2) // us, attempt 0, phase 0
			if got := inc.GetFirstFailureAt().AsTime(); !got.Equal(firstFailure) {
				t.Errorf("first_failure_at %v, want %v (the first failing result's start)", got, firstFailure)
			}
			if ff := inc.GetTimeline()[0]; ff.GetRegion() != "us" || !strings.Contains(ff.GetMessage(), "checkout") {
				t.Errorf("first_failure event %q in region %q, want us with the failing step", ff.GetMessage(), ff.GetRegion())
			}
			if inc.GetDisagree() != tt.wantDisagree {
				t.Errorf("disagree %v, want %v", inc.GetDisagree(), tt.wantDisagree)
			}
			saysDisagree := false
			for _, ev := range events(inc, "decision") {
				if strings.Contains(ev.GetMessage(), "fail differently") {
					saysDisagree = true
					if !strings.Contains(ev.GetMessage(), "us dns") || !strings.Contains(ev.GetMessage(), "eu http_status") {
						t.Errorf("disagreement line %q does not name each region's class", ev.GetMessage())
					}
				}
			}
			if saysDisagree != tt.wantDisagree {
				t.Errorf("timeline says the regions disagree: %v, want %v%s", saysDisagree, tt.wantDisagree, timeline(inc))
			}
			sentNow := h.out.take()
			wantSent(t, "at the decision", sentNow, tt.wantSent)
			for _, m := range sentNow {
				if m.msg.IncidentID != inc.GetId() || m.msg.Kind != "down" || m.msg.Disagree != tt.wantDisagree {
					t.Errorf("message %+v: want incident %s, kind down, disagree %v", m.msg, inc.GetId(), tt.wantDisagree)
				}
			}

			// The outage goes on for ten minutes: no new incident, no
			// new page.
			h.advance(slotStart(12))
			if got := describe(h.list()); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("ten minutes later: incidents %q, want %q", got, tt.want)
			}
			wantSent(t, "ten minutes later", h.out.take(), nil)
		})
	}
}

// TestDegradedAfter holds c1 degraded (failing in us alone): an incident
// opens once degraded_after has passed, and becomes an outage (same
// incident, paged again) when a second region fails.
func TestDegradedAfter(t *testing.T) {
	a := alerting("pager")
	a.DegradedAfter = durationpb.New(5 * time.Minute)
	h := start(t, []*vigilv1.Check{checkout(a)})
	h.warm()
	h.outage(2, map[string]vigilv1.ErrorClass{"us": httpStatus})
	since := h.lastChange()

	h.advance(since.Add(5*time.Minute - time.Second))
	h.noIncidents()
	wantSent(t, "before degraded_after", h.out.take(), nil)

	h.advance(since.Add(5 * time.Minute))
	degradedTitle := "checkout is degraded: failing in 1 of 3 regions"
	inc := h.single()
	if got, want := describe([]*vigilv1.Incident{inc}), "inc-1 degraded open: "+degradedTitle; got[0] != want {
		t.Errorf("incident %q, want %q", got[0], want)
	}
	if got, want := evidence(inc), []string{"us http_status step 2 checkout (us-1)"}; !slices.Equal(got, want) {
		t.Errorf("regions evidence %q, want %q", got, want)
	}
	if got := kinds(inc); len(got) < 3 || got[0] != "first_failure" || got[len(got)-1] != "decision" {
		t.Errorf("timeline kinds %q, want first_failure ... decision%s", got, timeline(inc))
	}
	if last := inc.GetTimeline()[len(inc.GetTimeline())-1]; !strings.Contains(last.GetMessage(), "degraded_after") {
		t.Errorf("last timeline event %q, want it to say the check was degraded longer than degraded_after", last.GetMessage())
	}
	wantSent(t, "at degraded_after", h.out.take(), []string{"pager trigger: " + degradedTitle})

	h.advance(since.Add(7 * time.Minute))
	wantSent(t, "still degraded", h.out.take(), nil)

	// eu fails too: the check is down.
	slot := int64(h.now.Sub(t0)/interval) + 1
	h.outage(slot, map[string]vigilv1.ErrorClass{"us": httpStatus, "eu": httpStatus})
	downTitle := "checkout is down: failing in 2 of 3 regions"
	up := h.single()
	if up.GetId() != inc.GetId() {
		t.Errorf("the outage is incident %s, want the degraded incident %s upgraded", up.GetId(), inc.GetId())
	}
	if got, want := describe([]*vigilv1.Incident{up}), "inc-1 down open: "+downTitle; got[0] != want {
		t.Errorf("incident %q, want %q", got[0], want)
	}
	if got, want := evidence(up), []string{"eu http_status step 2 checkout (eu-2)", "us http_status step 2 checkout (us-2)"}; !slices.Equal(got, want) {
		t.Errorf("regions evidence %q, want %q", got, want)
	}
	became := false
	for _, ev := range events(up, "decision") {
		became = became || strings.Contains(ev.GetMessage(), "became an outage")
	}
	if !became {
		t.Errorf("timeline does not say the degradation became an outage:%s", timeline(up))
	}
	wantSent(t, "when it goes down", h.out.take(), []string{"pager trigger: " + downTitle})
}

// TestLongDegradationTimeline: a region failing for most of an hour before
// a second one fails keeps the first failure and the confirmations that
// made the decision, within the cap on events kept before an incident.
func TestLongDegradationTimeline(t *testing.T) {
	h := start(t, []*vigilv1.Check{checkout(alerting("pager"))})
	h.warm()
	h.outage(2, map[string]vigilv1.ErrorClass{"us": httpStatus})
	h.advance(slotStart(50).Add(-time.Second))
	h.down(50)

	inc := h.single()
	tl := inc.GetTimeline()
	if len(tl) > 40 {
		t.Errorf("timeline has %d events before the decision, want the pending events capped", len(tl))
	}
	if tl[0].GetKind() != "first_failure" || tl[0].GetRegion() != "us" || !tl[0].GetAt().AsTime().Equal(slotStart(2)) {
		t.Errorf("first event %s %s at %v, want us's first failure at %v", tl[0].GetKind(), tl[0].GetRegion(), tl[0].GetAt().AsTime(), slotStart(2))
	}
	var eu int
	for _, ev := range tl {
		if ev.GetRegion() == "eu" {
			eu++
		}
	}
	if eu != 2 {
		t.Errorf("timeline holds %d of eu's two failures, which made the decision:%s", eu, timeline(inc))
	}
	if got := kinds(inc); got[len(got)-1] != "decision" {
		t.Errorf("timeline ends with %q, want the decision", got[len(got)-1])
	}
	if got := inc.GetFirstFailureAt().AsTime(); !got.Equal(slotStart(2)) {
		t.Errorf("first_failure_at %v, want %v", got, slotStart(2))
	}
}
