package analyticstest

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func TestGenerateIsDeterministicAndFollowsTheScript(t *testing.T) {
	checks := []*vigilv1.Check{BrowserCheck("checkout", "ap", "eu", "us"), HTTPCheck("home", "ap", "eu", "us")}
	from, to := day0, day0.Add(24*time.Hour)
	a, b := Generate(1, checks, from, to), Generate(1, checks, from, to)
	if len(a.Results) != 2*3*1440 {
		t.Fatalf("%d results, want %d", len(a.Results), 2*3*1440)
	}
	ids := map[string]bool{}
	for i := range a.Results {
		if !proto.Equal(a.Results[i], b.Results[i]) {
			t.Fatalf("result %d differs between two runs with one seed", i)
		}
		ids[a.Results[i].GetId()] = true
	}
	if len(ids) != len(a.Results) {
		t.Errorf("result ids are not unique: %d of %d", len(ids), len(a.Results))
	}
	if c := Generate(2, checks, from, to); proto.Equal(c.Results[0], a.Results[0]) {
		t.Error("another seed gave the same first result")
	}

	// Every result inside an outage follows it.
	for _, r := range a.Results {
		for _, o := range a.Outages {
			at := r.GetScheduledAt().AsTime()
			if o.CheckID != r.GetCheckId() || at.Before(o.From) || !at.Before(o.To) {
				continue
			}
			in := false
			for _, reg := range o.Regions {
				in = in || reg == r.GetRegion()
			}
			want := vigilv1.ResultStatus_RESULT_STATUS_FAIL
			if o.State == "unknown" {
				want = vigilv1.ResultStatus_RESULT_STATUS_PROBE_ERROR
			}
			if in && r.GetStatus() != want {
				t.Fatalf("%s in %s outage: %v", r.GetId(), o.State, r.GetStatus())
			}
			if in && o.Step > 0 && r.GetFailedStep() != o.Step {
				t.Fatalf("%s failed at step %d, want %d", r.GetId(), r.GetFailedStep(), o.Step)
			}
		}
	}
	if n := len(a.Outages); n != 6 {
		t.Errorf("%d outages in a day of two checks, want 6", n)
	}
	if n := len(a.Incidents); n != 4 {
		t.Errorf("%d incidents, want 4 (a down and an impaired one per check)", n)
	}
	if h := a.States[StateKey{CheckID: "home"}]; len(h) != 7 || h[0].State != "up" || h[3].State != "down" {
		t.Errorf("home's states = %v", h)
	}
}

func TestResultsStopsWhenAsked(t *testing.T) {
	n := 0
	for range Results(1, []*vigilv1.Check{HTTPCheck("home", "eu")}, day0, day0.Add(time.Hour)) {
		n++
		if n == 10 {
			break
		}
	}
	if n != 10 {
		t.Fatalf("n = %d", n)
	}
}
