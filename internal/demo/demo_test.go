package demo

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/vigilhq/vigil/internal/testnet"
	"github.com/vigilhq/vigil/internal/testwait"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestDemoRunsTheMeshAndKeepsState runs `vigil demo` as a user would (real
// shop, proxies, coordinator on SQLite, three probes with real Chromium),
// waits until every region has a passing checkout flow and home check,
// stops it like Ctrl-C does, and starts it again on the same data
// directory: the earlier results are still there.
func TestDemoRunsTheMeshAndKeepsState(t *testing.T) {
	dataDir := t.TempDir()
	cfg := Config{
		DataDir:         dataDir,
		ShopAddr:        "127.0.0.1:0",
		BrowserInterval: 5 * time.Second,
		HTTPInterval:    2 * time.Second,
		Refresh:         time.Second,
	}
	var out syncBuffer
	client, stop := startDemo(t, cfg, &out)

	testwait.Until(t, 3*time.Minute, func() bool {
		if t.Failed() {
			t.FailNow() // the demo stopped by itself
		}
		return allRegionsPass(t, client, "checkout") && allRegionsPass(t, client, "home")
	}, "every region passes checkout and home; table so far:\n%s", out.String())
	stored := countResults(t, client)
	if err := stop(); err != nil {
		t.Fatalf("demo: %v", err)
	}
	final := out.String()
	final = final[strings.LastIndex(final, "final state"):]
	for _, region := range []string{"us-east", "eu-west", "ap-south"} {
		if !strings.Contains(final, region) {
			t.Errorf("final table lacks region %s:\n%s", region, final)
		}
	}
	if !strings.Contains(final, "checkout") || !strings.Contains(final, "pass") {
		t.Errorf("final table lacks a passing checkout:\n%s", final)
	}

	client, stop = startDemo(t, cfg, &syncBuffer{})
	defer stop()
	if n := countResults(t, client); n < stored {
		t.Fatalf("after restart the store has %d results, had %d before", n, stored)
	}
}

// startDemo runs the demo on free ports; stop cancels it like Ctrl-C and
// returns Run's error.
func startDemo(t *testing.T, cfg Config, out *syncBuffer) (vigilv1.VigilServiceClient, func() error) {
	t.Helper()
	cfg.CoordinatorAddr = testnet.FreeAddr(t)
	cfg.GossipAddr = testnet.FreeAddr(t)
	cfg.Out = out
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		runErr = Run(ctx, cfg)
		if ctx.Err() == nil {
			t.Errorf("demo stopped by itself: %v", runErr)
		}
	}()
	stop := func() error {
		cancel()
		<-done
		return runErr
	}
	t.Cleanup(func() { stop() })
	conn, err := grpc.NewClient(cfg.CoordinatorAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return vigilv1.NewVigilServiceClient(conn), stop
}

func allRegionsPass(t *testing.T, client vigilv1.VigilServiceClient, check string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	st, err := client.GetCheckStatus(ctx, &vigilv1.GetCheckStatusRequest{CheckId: check})
	if err != nil {
		return false // not up yet
	}
	for _, r := range st.GetRegions() {
		if r.GetLast().GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			return false
		}
	}
	return len(st.GetRegions()) == len(DefaultRegions)
}

func countResults(t *testing.T, client vigilv1.VigilServiceClient) int {
	t.Helper()
	var n int
	testwait.Until(t, 30*time.Second, func() bool {
		resp, err := client.ListResults(t.Context(), &vigilv1.ListResultsRequest{PageSize: 1000})
		n = len(resp.GetResults())
		return err == nil
	}, "coordinator answers ListResults")
	return n
}

// syncBuffer is a bytes.Buffer safe for the demo's writer goroutine and the
// test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
