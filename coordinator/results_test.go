package coordinator_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vigilhq/vigil/coordinator"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var (
	pass = vigilv1.ResultStatus_RESULT_STATUS_PASS
	fail = vigilv1.ResultStatus_RESULT_STATUS_FAIL
	http = vigilv1.CheckType_CHECK_TYPE_HTTP
)

func TestResultsStoredExactlyOnce(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu")}})
	p := h.connect(t, "p1", "eu")
	next(t, p.assign, "assignment")

	var batches [][]*vigilv1.Result
	var want []string
	for b := range 3 {
		var batch []*vigilv1.Result
		for i := range 100 {
			r := p.result("shop", t0.Add(time.Duration(b*100+i)*time.Second), pass)
			batch = append(batch, r)
			want = append(want, r.GetId())
		}
		batches = append(batches, batch)
	}
	for _, b := range batches {
		p.sendResults(b...)
	}
	// Every ack must cover results that a reader can already see.
	for range batches {
		ack := next(t, p.acks, "ack")
		stored := map[string]bool{}
		for _, r := range h.allResults(t, &vigilv1.ListResultsRequest{PageSize: 1000}) {
			stored[r.GetId()] = true
		}
		for _, id := range ack.GetResultIds() {
			if !stored[id] {
				t.Fatalf("result %s acknowledged before it was readable", id)
			}
		}
	}
	// Resending a batch (and a mix of old and duplicate-in-batch) is acked
	// again and stores nothing twice.
	p.sendResults(batches[1]...)
	p.sendResults(batches[0][0], batches[0][0], batches[2][99])
	if got := p.acked(103); len(got) != 103 {
		t.Fatalf("resend acks = %d ids, want 103", len(got))
	}
	var got []string
	for _, r := range h.allResults(t, &vigilv1.ListResultsRequest{PageSize: 1000}) {
		got = append(got, r.GetId())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("stored %d results, want exactly the %d sent, once each", len(got), len(want))
	}
}

func TestResultsOfUnloadedChecksAreAckedNotStored(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu")}})
	p := h.connect(t, "p1", "eu")
	next(t, p.assign, "assignment")
	known, gone := p.result("shop", t0, pass), p.result("removed", t0, pass)
	p.sendResults(known, gone)
	ids := p.acked(2)
	if !slices.Contains(ids, gone.GetId()) || !slices.Contains(ids, known.GetId()) {
		t.Fatalf("acks %v, want both results", ids)
	}
	rs := h.allResults(t, &vigilv1.ListResultsRequest{})
	if len(rs) != 1 || rs[0].GetId() != known.GetId() {
		t.Fatalf("stored %v, want only %s", rs, known.GetId())
	}
}

func TestCloseSendEndsSessionAfterAcks(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu")}})
	p := h.connect(t, "p1", "eu")
	p.sendResults(p.result("shop", t0, pass))
	if err := p.stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	p.acked(1)
	if code := p.endCode(); code != codes.OK {
		t.Fatalf("stream ended with %v, want OK", code)
	}
}

func TestBadInputIsRejectedAndStoresNothing(t *testing.T) {
	h := start(t, coordinator.Config{
		Checks:       []*vigilv1.Check{check("shop", http, "eu")},
		MaxRecvBytes: 64 << 10,
	})
	hello := func(id string) *vigilv1.ConnectRequest {
		return &vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Hello{Hello: &vigilv1.Hello{
			ProbeId: id, Region: "eu", Capabilities: []string{"http"}}}}
	}
	good := func(i int) *vigilv1.Result {
		return &vigilv1.Result{Id: fmt.Sprint("good-", i), CheckId: "shop", ProbeId: "p1", Region: "eu",
			Status: pass, StartedAt: timestampAt(t0)}
	}
	batch := func(edit func(r *vigilv1.Result)) *vigilv1.ConnectRequest {
		bad := good(99)
		edit(bad)
		return &vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Results{Results: &vigilv1.ResultBatch{
			Results: []*vigilv1.Result{good(1), bad}}}}
	}
	var tooMany []*vigilv1.Result
	for i := range 1001 {
		tooMany = append(tooMany, good(i))
	}
	tests := []struct {
		name string
		msgs []*vigilv1.ConnectRequest
		want codes.Code
		msg  string // a substring of the status message
	}{
		{"no hello first", []*vigilv1.ConnectRequest{batch(func(*vigilv1.Result) {})}, codes.InvalidArgument, "first message of a session must be hello"},
		{"empty message first", []*vigilv1.ConnectRequest{{}}, codes.InvalidArgument, "first message of a session must be hello"},
		{"bad probe id", []*vigilv1.ConnectRequest{hello("p 1")}, codes.InvalidArgument, "invalid hello: probe_id \"p 1\": only letters"},
		{"long probe id", []*vigilv1.ConnectRequest{hello(fmt.Sprintf("%065d", 1))}, codes.InvalidArgument, "probe_id is longer than 64 bytes"},
		{"second hello", []*vigilv1.ConnectRequest{hello("p1"), hello("p1")}, codes.InvalidArgument, "hello sent twice"},
		{"another probe's result", []*vigilv1.ConnectRequest{hello("p1"), batch(func(r *vigilv1.Result) { r.ProbeId = "p2" })}, codes.InvalidArgument, "result 1 (id \"good-99\"): probe_id \"p2\" is not this session's probe \"p1\""},
		{"another region's result", []*vigilv1.ConnectRequest{hello("p1"), batch(func(r *vigilv1.Result) { r.Region = "us" })}, codes.InvalidArgument, "region \"us\" is not"},
		{"missing id", []*vigilv1.ConnectRequest{hello("p1"), batch(func(r *vigilv1.Result) { r.Id = "" })}, codes.InvalidArgument, "result 1 (id \"\"): id is empty"},
		{"missing check", []*vigilv1.ConnectRequest{hello("p1"), batch(func(r *vigilv1.Result) { r.CheckId = "" })}, codes.InvalidArgument, "check_id is empty"},
		{"unknown status", []*vigilv1.ConnectRequest{hello("p1"), batch(func(r *vigilv1.Result) { r.Status = 7 })}, codes.InvalidArgument, "status 7 is unknown"},
		{"unspecified status", []*vigilv1.ConnectRequest{hello("p1"), batch(func(r *vigilv1.Result) { r.Status = 0 })}, codes.InvalidArgument, "status is unspecified"},
		{"long error", []*vigilv1.ConnectRequest{hello("p1"), batch(func(r *vigilv1.Result) { r.Error = string(make([]byte, 5000)) })}, codes.InvalidArgument, "error is longer than 4096 bytes"},
		{"too many results", []*vigilv1.ConnectRequest{hello("p1"), {Msg: &vigilv1.ConnectRequest_Results{
			Results: &vigilv1.ResultBatch{Results: tooMany}}}}, codes.InvalidArgument, "batch has 1001 results, more than 1000"},
		{"oversized message", []*vigilv1.ConnectRequest{hello("p1"), batch(func(r *vigilv1.Result) { r.Screenshot = make([]byte, 100<<10) })}, codes.ResourceExhausted, "larger than max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := h.dial(t)
			p.id = "p1"
			for _, m := range tt.msgs {
				if err := p.stream.Send(m); err != nil {
					break // the server may already have ended the stream
				}
			}
			err := next(t, p.end, "stream end")
			if st := status.Convert(err); st.Code() != tt.want || !strings.Contains(st.Message(), tt.msg) {
				t.Fatalf("stream ended with %v, want %v with a message containing %q", err, tt.want, tt.msg)
			}
			if len(p.acks) != 0 {
				t.Fatal("a rejected batch was acknowledged")
			}
			if rs := h.allResults(t, &vigilv1.ListResultsRequest{}); len(rs) != 0 {
				t.Fatalf("%d results stored after bad input", len(rs))
			}
		})
	}
}

func TestProbeToken(t *testing.T) {
	h := start(t, coordinator.Config{Checks: []*vigilv1.Check{check("shop", http, "eu")}, ProbeToken: "s3cret"})
	for _, tt := range []struct {
		name string
		md   []string
		want codes.Code
	}{
		{"missing", nil, codes.Unauthenticated},
		{"wrong", []string{"authorization", "Bearer nope"}, codes.Unauthenticated},
		{"not bearer", []string{"authorization", "Basic s3cret"}, codes.Unauthenticated},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := h.connect(t, "p1", "eu", tt.md...)
			if code := p.endCode(); code != tt.want {
				t.Fatalf("stream ended with %v, want %v", code, tt.want)
			}
		})
	}
	t.Run("right", func(t *testing.T) {
		p := h.connect(t, "p1", "eu", "authorization", "Bearer s3cret")
		if a := next(t, p.assign, "assignment"); len(a.GetChecks()) != 1 {
			t.Fatalf("assignment %v", a)
		}
	})
	t.Run("reads stay open", func(t *testing.T) {
		if _, err := h.vigil.ListChecks(t.Context(), &vigilv1.ListChecksRequest{}); err != nil {
			t.Fatalf("ListChecks without token: %v", err)
		}
	})
}
