package uplink

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestMain fails the run when goroutines of the uplink, of gRPC or of the
// test proxies outlive the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for left := leaked(allMarks...); len(left) > 0; left = leaked(allMarks...) {
			if time.Now().After(deadline) {
				fmt.Fprintf(os.Stderr, "leaked goroutines:\n\n%s\n", strings.Join(left, "\n\n"))
				code = 1
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	os.Exit(code)
}

// Marks of the goroutines that must not outlive an uplink or a test.
var (
	clientMarks = []string{
		"uplink.(*Uplink)",
		"grpc/internal/transport.(*http2Client)",
		"grpc.(*addrConn)",
		"grpc.(*ClientConn)",
		"grpc.(*ccBalancerWrapper)",
		"grpc.(*ccResolverWrapper)",
	}
	allMarks = append(slices.Clone(clientMarks),
		"uplink.(*proxy)",
		"grpc/internal/transport.(*http2Server)",
		"grpc.(*Server)",
	)
)

// leaked returns the stacks of goroutines whose stack contains one of marks.
func leaked(marks ...string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		for _, mark := range marks {
			if strings.Contains(g, mark) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// logs routes an uplink's logs to t.Log and keeps them for assertions.
type logs struct {
	t     testing.TB
	mu    sync.Mutex
	lines []string
}

func (l *logs) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
	l.t.Log(line)
	return len(p), nil
}

// has reports whether a log line contains s.
func (l *logs) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

func newLogs(t testing.TB) (*slog.Logger, *logs) {
	l := &logs{t: t}
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})), l
}

// newTestUplink makes an uplink to addr with fast backoff and logs to t;
// configure changes the config first when not nil.
func newTestUplink(t testing.TB, addr string, configure func(*Config)) *Uplink {
	t.Helper()
	log, _ := newLogs(t)
	cfg := Config{
		Addr:    addr,
		Hello:   &vigilv1.Hello{ProbeId: "probe-1", Region: "eu-west", Version: "test", Capabilities: []string{"http"}, Capacity: 4},
		Logger:  log,
		Backoff: BackoffConfig{Base: 5 * time.Millisecond, Max: 50 * time.Millisecond},
	}
	if configure != nil {
		configure(&cfg)
	}
	u, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return u
}

// start runs u until the test ends, and checks that Run then returns nil.
func start(t testing.TB, u *Uplink) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func result(id string) *vigilv1.Result {
	return &vigilv1.Result{
		Id:         id,
		CheckId:    "home",
		ProbeId:    "probe-1",
		Region:     "eu-west",
		Status:     vigilv1.ResultStatus_RESULT_STATUS_PASS,
		DurationUs: 1200,
	}
}

// results makes n results with ids prefix-0, prefix-1, ...
func results(prefix string, n int) []*vigilv1.Result {
	out := make([]*vigilv1.Result, n)
	for i := range out {
		out[i] = result(fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

func idsOf(rs []*vigilv1.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.GetId()
	}
	return out
}
