package gossip

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/gossip/gossiptest"
)

// BenchmarkMesh measures, for a mesh of n members in this process on
// loopback, per iteration:
//
//   - join-s: from starting the first member (each joins the first) until
//     every member has seen every member alive (each member's first
//     moment with a full view; later flaps do not reset it);
//   - false-deaths: deaths of live members during the steady window,
//     summed over all views (a starved host, timers too tight for it);
//   - cpu-ms/member/s and B/member/s: process CPU (getrusage) and bytes
//     sent (UDP payloads and TCP streams, counted in a wrapping transport)
//     over a steady window, per member per second;
//   - detect-s: from killing one member (Shutdown, no leave) until every
//     other member sees it dead.
//
// Run with -benchtime=1x: each iteration builds a whole mesh. Loopback
// and a shared CPU make these optimistic for latency and pessimistic for
// CPU (every member shares two cores).
//
//	go test ./internal/gossip/ -run '^$' -bench Mesh -benchtime 1x -timeout 30m
func BenchmarkMesh(b *testing.B) {
	for _, preset := range []Preset{PresetLocal, PresetLAN} {
		for _, n := range []int{10, 50, 100} {
			b.Run(fmt.Sprintf("preset=%s/members=%d", preset, n), func(b *testing.B) {
				if preset == PresetLocal && n > 50 && os.Getenv("VIGIL_BENCH_ALL") == "" {
					// Measured on 2 shared cores: 100 in-process members probing
					// every 100ms with 50ms timeouts starve each other, flap
					// (tens of thousands of false deaths a minute) and never all
					// converge. The local preset is for small test meshes.
					b.Skip("local preset with more than 50 in-process members saturates 2 cores; VIGIL_BENCH_ALL=1 runs it")
				}
				var join, detect, cpu, bytes, falseDeaths float64
				for range b.N {
					r := runMesh(b, preset, n)
					join += r.join.Seconds()
					detect += r.detect.Seconds()
					cpu += r.cpuPerMemberSec
					bytes += r.bytesPerMemberSec
					falseDeaths += float64(r.falseDeaths)
				}
				k := float64(b.N)
				b.ReportMetric(0, "ns/op")
				b.ReportMetric(join/k, "join-s")
				b.ReportMetric(detect/k, "detect-s")
				b.ReportMetric(cpu/k, "cpu-ms/member/s")
				b.ReportMetric(bytes/k, "B/member/s")
				b.ReportMetric(falseDeaths/k, "false-deaths")
			})
		}
	}
}

type meshResult struct {
	join, detect                       time.Duration
	cpuPerMemberSec, bytesPerMemberSec float64
	falseDeaths                        int
}

func runMesh(b *testing.B, preset Preset, n int) meshResult {
	b.Helper()
	mc, _, err := preset.memberlistConfig()
	if err != nil {
		b.Fatal(err)
	}
	// Long enough for several push/pull rounds.
	window := max(5*time.Second, 2*mc.PushPullInterval)
	// Detection can take up to SuspicionMaxTimeoutMult suspicion timeouts.
	deadline := 5*time.Minute + time.Duration(mc.SuspicionMaxTimeoutMult)*preset.SuspicionTimeout(n)

	nw := gossiptest.NewNetwork()
	members := make([]*Gossip, 0, n)
	defer func() {
		for _, g := range members {
			_ = g.Shutdown()
		}
	}()
	t0 := time.Now()
	for i := range n {
		tr, err := nw.NewTransport("127.0.0.1", nil)
		if err != nil {
			b.Fatal(err)
		}
		cfg := Config{
			NodeName: fmt.Sprintf("m%03d", i), BindAddr: "127.0.0.1", Label: testLabel,
			Preset: preset, Meta: probeMeta(fmt.Sprintf("m%03d", i), "bench"),
			Logger: slog.New(slog.DiscardHandler), Transport: tr,
		}
		if i > 0 {
			cfg.Join = []string{members[0].LocalAddr()}
		}
		g, err := New(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		members = append(members, g)
	}
	var r meshResult
	full := make([]bool, n)
	waitFor(b, deadline, func() bool {
		done := true
		for i, g := range members {
			if !full[i] && g.countState(StateAlive) == n {
				full[i] = true
				r.join = time.Since(t0)
			}
			done = done && full[i]
		}
		return done
	}, "join convergence", func() string {
		lo, hi, nfull := n, 0, 0
		for i, g := range members {
			c := g.countState(StateAlive)
			lo, hi = min(lo, c), max(hi, c)
			if full[i] {
				nfull++
			}
		}
		return fmt.Sprintf("%d/%d members have had a full view; alive counts %d..%d; deaths so far %d", nfull, n, lo, hi, totalDeaths(members))
	})

	deaths0 := totalDeaths(members)
	cpu0, bytes0, w0 := cpuTime(b), nw.Bytes(), time.Now()
	time.Sleep(window) // the measurement window itself
	cpu1, bytes1, w := cpuTime(b), nw.Bytes(), time.Since(w0)
	r.falseDeaths = totalDeaths(members) - deaths0
	perMemberSec := float64(n) * w.Seconds()
	r.cpuPerMemberSec = float64((cpu1 - cpu0).Milliseconds()) / perMemberSec
	r.bytesPerMemberSec = float64(bytes1-bytes0) / perMemberSec

	victim := members[n-1]
	members = members[:n-1]
	t1 := time.Now()
	_ = victim.Shutdown()
	waitFor(b, deadline, func() bool {
		for _, g := range members {
			if stateIn(g, victim.cfg.NodeName) != StateDead {
				return false
			}
		}
		return true
	}, "failure detection", func() string {
		dead := 0
		for _, g := range members {
			if stateIn(g, victim.cfg.NodeName) == StateDead {
				dead++
			}
		}
		return fmt.Sprintf("%d/%d views see the victim dead", dead, len(members))
	})
	r.detect = time.Since(t1)
	return r
}

// totalDeaths sums every view's death count over all members.
func totalDeaths(members []*Gossip) int {
	sum := 0
	for _, g := range members {
		g.table.mu.Lock()
		for _, r := range g.table.members {
			sum += r.deaths
		}
		g.table.mu.Unlock()
	}
	return sum
}

// countState counts members in state st without sorting (the benchmark
// polls 100 views of 100 members).
func (g *Gossip) countState(st State) int {
	g.table.mu.Lock()
	defer g.table.mu.Unlock()
	c := 0
	for _, r := range g.table.members {
		if r.State == st {
			c++
		}
	}
	return c
}

// waitFor polls cond, logging progress every 10s.
func waitFor(b *testing.B, timeout time.Duration, cond func() bool, what string, progress func() string) {
	b.Helper()
	start := time.Now()
	next := start.Add(10 * time.Second)
	for !cond() {
		now := time.Now()
		if now.Sub(start) > timeout {
			b.Fatalf("%s: not done after %s: %s", what, timeout, progress())
		}
		if now.After(next) {
			b.Logf("%s after %s: %s", what, now.Sub(start).Round(time.Second), progress())
			next = now.Add(10 * time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
