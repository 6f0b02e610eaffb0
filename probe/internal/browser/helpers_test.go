package browser

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/vigilhq/vigil/internal/shop"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// newRunner starts a Runner for the test and closes it at cleanup. It does
// not skip: a machine without Chromium fails the test with a clear message.
func newRunner(t testing.TB, cfg Config) *Runner {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	r, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start the browser runner (is Debian's chromium installed? `make chromium`): %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close runner: %v", err)
		}
	})
	return r
}

// testLogger routes logs to t.Log at debug level when VIGIL_TEST_DEBUG is
// set, else at warn level.
func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("VIGIL_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: level}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = tWriter{}

// newShop serves the demo shop with faults on loopback.
func newShop(t testing.TB, faults ...shop.Fault) (*shop.Shop, *httptest.Server) {
	t.Helper()
	s := shop.New(shop.Options{Logger: slog.New(slog.DiscardHandler), Faults: faults})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// Step constructors for readable flows.
func gotoStep(url string) *vigilv1.Step {
	return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_GOTO, Url: url}
}

func clickStep(sel, text string) *vigilv1.Step {
	return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_CLICK, Selector: sel, Text: text}
}

func fillStep(kv ...string) *vigilv1.Step {
	s := &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_FILL}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Fields = append(s.Fields, &vigilv1.FieldValue{Selector: kv[i], Value: kv[i+1]})
	}
	return s
}

func selectStep(sel, value string) *vigilv1.Step {
	return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_SELECT, Selector: sel, Value: value}
}

func expectText(sel, text string) *vigilv1.Step {
	return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_EXPECT_TEXT, Selector: sel, Text: text}
}

func expectSelector(sel string) *vigilv1.Step {
	return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_EXPECT_SELECTOR, Selector: sel}
}

func waitStep(d time.Duration) *vigilv1.Step {
	return &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_WAIT, Wait: durationpb.New(d)}
}

func withTimeout(s *vigilv1.Step, d time.Duration) *vigilv1.Step {
	s.Timeout = durationpb.New(d)
	return s
}

// checkoutSteps is the demo's checkout flow.
func checkoutSteps() []*vigilv1.Step {
	return []*vigilv1.Step{
		gotoStep("/"),
		clickStep("a.product", "Coffee"),
		clickStep("#add-to-cart", ""),
		expectText("#cart-count", "1"),
		clickStep("a[href='/cart']", ""),
		clickStep("#checkout", ""),
		fillStep("#email", "synthetic@example.com", "#name", "Synthetic Buyer"),
		selectStep("#shipping", "express"),
		clickStep("#place-order", ""),
		expectText("", "Order confirmed"),
	}
}

// Indexes (1-based, as in Result.failed_step) of checkoutSteps.
const (
	stepHome       = 1
	stepAddToCart  = 3
	stepCartCount  = 4
	stepPlaceOrder = 9
)

func browserCheck(target string, steps ...*vigilv1.Step) *vigilv1.Check {
	return &vigilv1.Check{
		Id:      "checkout",
		Name:    "checkout",
		Type:    vigilv1.CheckType_CHECK_TYPE_BROWSER,
		Target:  target,
		Browser: &vigilv1.BrowserSpec{Steps: steps},
	}
}

// runCheck runs check under a flow deadline of timeout.
func runCheck(t testing.TB, r *Runner, check *vigilv1.Check, timeout time.Duration) *vigilv1.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res := r.Run(ctx, check)
	if res == nil {
		t.Fatal("Run returned nil")
	}
	return res
}

// describe renders the outcome of res for failure messages.
func describe(res *vigilv1.Result) string {
	var b strings.Builder
	b.WriteString(res.GetStatus().String() + " " + res.GetErrorClass().String() + " " + res.GetError())
	for i, s := range res.GetSteps() {
		b.WriteString("\n  ")
		b.WriteString(strings.Join([]string{strconv.Itoa(i + 1), s.GetName(), time.Duration(s.GetDurationUs() * 1000).String(), boolStr(s.GetOk()), s.GetUrl()}, " | "))
	}
	if len(res.GetConsoleErrors()) > 0 {
		b.WriteString("\n  console: " + strings.Join(res.GetConsoleErrors(), "; "))
	}
	for _, f := range res.GetFailedRequests() {
		b.WriteString("\n  failed: " + f.GetUrl() + " " + f.GetError() + " " + strconv.Itoa(int(f.GetStatus())))
	}
	return b.String()
}

func boolStr(b bool) string {
	if b {
		return "ok"
	}
	return "FAILED"
}
