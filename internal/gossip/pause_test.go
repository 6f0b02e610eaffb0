package gossip

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/testlog"
)

// The paused-member test runs one member in a child process (this test
// binary, re-executed) so it can be frozen with SIGSTOP, as a probe whose
// CPU Chromium starves is frozen from memberlist's point of view.
const (
	childEnv     = "VIGIL_GOSSIP_TEST_CHILD"
	childSeedEnv = "VIGIL_GOSSIP_TEST_CHILD_SEED"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(runChild(name, os.Getenv(childSeedEnv)))
	}
	os.Exit(m.Run())
}

// runChild is the child member: it joins seed, prints its address, and
// runs until its stdin closes (the parent finished or died).
func runChild(name, seed string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	g, err := New(context.Background(), Config{
		NodeName: name, BindAddr: "127.0.0.1", Join: []string{seed},
		Label: testLabel, Preset: PresetLocal, Meta: probeMeta(name, "eu-west"), Logger: log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	fmt.Printf("ADDR %s\n", g.LocalAddr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = g.Shutdown()
	return 0
}

// startChild starts a child member named name seeded with seed and
// returns its process; it is killed when the test ends.
func startChild(t *testing.T, name, seed string) *os.Process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name, childSeedEnv+"="+seed)
	cmd.Stderr = testlog.Writer(t)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill() // SIGKILL also ends a stopped process
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		t.Logf("child %s at %s (pid %d)", name, a, cmd.Process.Pid)
	case <-time.After(converge):
		t.Fatal("child did not start")
	}
	return cmd.Process
}

// TestPausedMember freezes a member: a pause shorter than the suspicion
// timeout must never get it declared dead; a pause that lasts until it is
// declared dead gets it declared dead once, and it is alive again after
// it resumes (it refutes the others' view at the next push/pull or
// reconnect).
func TestPausedMember(t *testing.T) {
	a := start(t, testConfig(t, "a", probeMeta("a", "eu-west")))
	b := start(t, testConfig(t, "b", probeMeta("b", "eu-west"), a.LocalAddr()))
	child := startChild(t, "c", a.LocalAddr())
	views := []*Gossip{a, b}
	waitAll(t, views, []string{"a", "b", "c"}, StateAlive)

	// With three members no Lifeguard confirmations are expected, so the
	// suspicion timeout is exactly SuspicionTimeout(3) (400ms).
	suspicion := PresetLocal.SuspicionTimeout(3)
	short := suspicion / 4
	neverDead := func(phase string) {
		for _, v := range views {
			if st, n := stateIn(v, "c"), v.table.deaths("c"); st != StateAlive || n != 0 {
				t.Fatalf("%s: %s sees c %s (deaths %d)", phase, v.cfg.NodeName, st, n)
			}
		}
	}
	signal(t, child, syscall.SIGSTOP)
	for end := time.Now().Add(short); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		neverDead("during a short pause")
	}
	signal(t, child, syscall.SIGCONT)
	// A suspicion raised during the pause would fire within one suspicion
	// timeout of being raised unless c refuted it; watch past that.
	for end := time.Now().Add(2*suspicion + time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		neverDead("after a short pause")
	}

	signal(t, child, syscall.SIGSTOP)
	frozen := time.Now()
	waitAll(t, views, []string{"c"}, StateDead)
	t.Logf("frozen c declared dead everywhere after %s (suspicion timeout %s)", time.Since(frozen).Round(time.Millisecond), suspicion)
	signal(t, child, syscall.SIGCONT)
	waitAll(t, views, []string{"a", "b", "c"}, StateAlive)
	for _, v := range views {
		if n := v.table.deaths("c"); n != 1 {
			t.Errorf("%s saw c die %d times, want 1", v.cfg.NodeName, n)
		}
	}
}

func signal(t *testing.T, p *os.Process, s syscall.Signal) {
	t.Helper()
	if err := p.Signal(s); err != nil {
		t.Fatalf("signal %v: %v", s, err)
	}
}
