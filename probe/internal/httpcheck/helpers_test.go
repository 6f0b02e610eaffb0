package httpcheck

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// testTimeout bounds runs that should finish at once; it only matters when
// something is broken.
const testTimeout = 10 * time.Second

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

func newTestRunner(t testing.TB, cfg Config) *Runner {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	return New(cfg)
}

func httpCheck(target string, spec *vigilv1.HttpSpec) *vigilv1.Check {
	return &vigilv1.Check{
		Id:      "test",
		Type:    vigilv1.CheckType_CHECK_TYPE_HTTP,
		Target:  target,
		Timeout: durationpb.New(testTimeout),
		Http:    spec,
	}
}

func run(t testing.TB, r *Runner, check *vigilv1.Check) *vigilv1.Result {
	t.Helper()
	res := r.Run(context.Background(), check)
	if res == nil {
		t.Fatal("Run returned nil")
	}
	t.Logf("result: status=%s class=%s http_status=%d error=%q", res.GetStatus(), res.GetErrorClass(), res.GetHttpStatus(), res.GetError())
	return res
}

// wantOutcome fails the test unless res has the status and class.
func wantOutcome(t testing.TB, res *vigilv1.Result, status vigilv1.ResultStatus, class vigilv1.ErrorClass) {
	t.Helper()
	if res.GetStatus() != status || res.GetErrorClass() != class {
		t.Fatalf("outcome = %s/%s (%q), want %s/%s", res.GetStatus(), res.GetErrorClass(), res.GetError(), status, class)
	}
}

func wantPass(t testing.TB, res *vigilv1.Result) {
	t.Helper()
	wantOutcome(t, res, vigilv1.ResultStatus_RESULT_STATUS_PASS, vigilv1.ErrorClass_ERROR_CLASS_UNSPECIFIED)
	if res.GetError() != "" {
		t.Errorf("passing result has error %q", res.GetError())
	}
}

func wantFail(t testing.TB, res *vigilv1.Result, class vigilv1.ErrorClass) {
	t.Helper()
	wantOutcome(t, res, vigilv1.ResultStatus_RESULT_STATUS_FAIL, class)
	if res.GetError() == "" || strings.Contains(res.GetError(), "\n") {
		t.Errorf("error = %q, want one non-empty line", res.GetError())
	}
}
