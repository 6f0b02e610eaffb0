package ingest

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

var testHello = &vigilv1.Hello{ProbeId: "probe-1", Region: "eu-west", Capabilities: []string{"http"}}

func goodResult() *vigilv1.Result {
	return &vigilv1.Result{
		Id: "r1", CheckId: "shop", ProbeId: "probe-1", Region: "eu-west",
		StartedAt: timestamppb.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		Status:    vigilv1.ResultStatus_RESULT_STATUS_PASS,
	}
}

func TestValidateHello(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(h *vigilv1.Hello)
		wantErr string
	}{
		{"ok", func(h *vigilv1.Hello) {}, ""},
		{"empty probe id", func(h *vigilv1.Hello) { h.ProbeId = "" }, "probe_id is empty"},
		{"long probe id", func(h *vigilv1.Hello) { h.ProbeId = strings.Repeat("p", 65) }, "probe_id is longer than 64"},
		{"bad probe id char", func(h *vigilv1.Hello) { h.ProbeId = "a b" }, `probe_id "a b": only letters`},
		{"empty region", func(h *vigilv1.Hello) { h.Region = "" }, "region is empty"},
		{"bad region", func(h *vigilv1.Hello) { h.Region = "eu/west" }, `region "eu/west": only letters`},
		{"empty capability", func(h *vigilv1.Hello) { h.Capabilities = []string{""} }, "capability"},
		{"long version", func(h *vigilv1.Hello) { h.Version = strings.Repeat("v", 129) }, "version longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := proto.CloneOf(testHello)
			tt.edit(h)
			checkErr(t, ValidateHello(h), tt.wantErr)
		})
	}
}

func TestValidateBatch(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(r *vigilv1.Result)
		wantErr string
	}{
		{"ok", func(r *vigilv1.Result) {}, ""},
		{"ok with everything", func(r *vigilv1.Result) {
			r.Status = vigilv1.ResultStatus_RESULT_STATUS_FAIL
			r.ErrorClass = vigilv1.ErrorClass_ERROR_CLASS_ASSERTION
			r.Error = strings.Repeat("e", MaxErrorLen)
			r.Screenshot = make([]byte, MaxScreenshot)
			r.Steps = []*vigilv1.StepResult{{Name: "goto /", Url: "https://shop.example/"}}
		}, ""},
		{"missing id", func(r *vigilv1.Result) { r.Id = "" }, "id is empty"},
		{"long id", func(r *vigilv1.Result) { r.Id = strings.Repeat("i", 129) }, "id is longer than 128"},
		{"other probe", func(r *vigilv1.Result) { r.ProbeId = "probe-2" }, `probe_id "probe-2" is not this session's probe "probe-1"`},
		{"other region", func(r *vigilv1.Result) { r.Region = "us-east" }, `region "us-east" is not`},
		{"missing check", func(r *vigilv1.Result) { r.CheckId = "" }, "check_id is empty"},
		{"unspecified status", func(r *vigilv1.Result) { r.Status = 0 }, "status is unspecified"},
		{"unknown status", func(r *vigilv1.Result) { r.Status = 42 }, "status 42 is unknown"},
		{"unknown error class", func(r *vigilv1.Result) { r.ErrorClass = 99 }, "error_class 99 is unknown"},
		{"missing started_at", func(r *vigilv1.Result) { r.StartedAt = nil }, "started_at is missing"},
		{"bad started_at", func(r *vigilv1.Result) { r.StartedAt = &timestamppb.Timestamp{Nanos: -1} }, "started_at:"},
		{"long error", func(r *vigilv1.Result) { r.Error = strings.Repeat("e", MaxErrorLen+1) }, "error is longer"},
		{"big screenshot", func(r *vigilv1.Result) { r.Screenshot = make([]byte, MaxScreenshot+1) }, "screenshot is 1048577 bytes"},
		{"too many console errors", func(r *vigilv1.Result) { r.ConsoleErrors = make([]string, MaxConsoleErrors+1) }, "console_errors"},
		{"long step url", func(r *vigilv1.Result) {
			r.Steps = []*vigilv1.StepResult{{Url: strings.Repeat("u", MaxURLLen+1)}}
		}, "step 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, bad := goodResult(), goodResult()
			ok.Id = "r0"
			tt.edit(bad)
			err := ValidateBatch(testHello, &vigilv1.ResultBatch{Results: []*vigilv1.Result{ok, bad}})
			checkErr(t, err, tt.wantErr)
			if err != nil && !strings.HasPrefix(err.Error(), "result 1 ") {
				t.Errorf("error %q does not name result 1", err)
			}
		})
	}
	t.Run("too many", func(t *testing.T) {
		b := &vigilv1.ResultBatch{}
		for range MaxBatch + 1 {
			b.Results = append(b.Results, goodResult())
		}
		checkErr(t, ValidateBatch(testHello, b), "batch has 1001 results, more than 1000")
	})
	t.Run("empty", func(t *testing.T) {
		checkErr(t, ValidateBatch(testHello, &vigilv1.ResultBatch{}), "")
	})
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("err = %v, want nil", err)
	case want != "" && err == nil:
		t.Fatalf("err = nil, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("err = %q, want one containing %q", err, want)
	}
}
