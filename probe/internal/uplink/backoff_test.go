package uplink

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	cfg := BackoffConfig{Base: 200 * time.Millisecond, Max: 15 * time.Second, Jitter: 0.2}
	tests := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{0, 0.5, 200 * time.Millisecond},
		{1, 0.5, 400 * time.Millisecond},
		{2, 0.5, 800 * time.Millisecond},
		{6, 0.5, 12800 * time.Millisecond},
		{7, 0.5, 15 * time.Second},
		{1000, 0.5, 15 * time.Second},
		{0, 0, 160 * time.Millisecond}, // -20%
		{7, 0, 12 * time.Second},
	}
	for _, tt := range tests {
		if got := cfg.delay(tt.attempt, tt.r); got != tt.want {
			t.Errorf("delay(%d, %v) = %s, want %s", tt.attempt, tt.r, got, tt.want)
		}
	}
	for r := 0.0; r < 1; r += 0.01 {
		if got := cfg.delay(3, r); got < 1280*time.Millisecond || got >= 1920*time.Millisecond {
			t.Errorf("delay(3, %v) = %s, want within 1.6s ±20%%", r, got)
		}
	}
}

func TestBackoffDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   BackoffConfig
		want BackoffConfig
	}{
		{"zero", BackoffConfig{}, BackoffConfig{Base: 200 * time.Millisecond, Max: 15 * time.Second, Jitter: 0.2}},
		{"no jitter", BackoffConfig{Jitter: -1}, BackoffConfig{Base: 200 * time.Millisecond, Max: 15 * time.Second, Jitter: 0}},
		{"max below base", BackoffConfig{Base: time.Second, Max: time.Millisecond, Jitter: 0.1}, BackoffConfig{Base: time.Second, Max: time.Second, Jitter: 0.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.withDefaults(); got != tt.want {
				t.Errorf("withDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestLoopBackoff drives the reconnect loop with fake sessions in a synctest
// bubble: the waits grow while sessions fail and start again from Base after
// a healthy one.
func TestLoopBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		u := newTestUplink(t, "127.0.0.1:1", nil)
		bo := &backoff{
			cfg:  BackoffConfig{Base: 100 * time.Millisecond, Max: time.Second, Jitter: 0.2}.withDefaults(),
			rand: func() float64 { return 0.5 }, // no jitter: exact delays
		}
		healthy := []bool{false, false, false, false, false, true, false, false}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var starts []time.Time
		u.loop(ctx, bo, func(context.Context) sessionResult {
			starts = append(starts, time.Now())
			if len(starts) > len(healthy) {
				cancel()
				return sessionResult{}
			}
			return sessionResult{healthy: healthy[len(starts)-1], err: errors.New("session ended")}
		})
		ms := time.Millisecond
		want := []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms, 100 * ms, 200 * ms, 400 * ms}
		if len(starts) != len(want)+1 {
			t.Fatalf("%d sessions, want %d", len(starts), len(want)+1)
		}
		for i, w := range want {
			if got := starts[i+1].Sub(starts[i]); got != w {
				t.Errorf("wait after session %d = %s, want %s", i+1, got, w)
			}
		}
	})
}

// TestLoopStopsDuringBackoff checks that a cancelled context ends the wait
// between sessions.
func TestLoopStopsDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		u := newTestUplink(t, "127.0.0.1:1", nil)
		bo := &backoff{cfg: BackoffConfig{Base: time.Hour, Max: time.Hour}.withDefaults(), rand: func() float64 { return 0.5 }}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		sessions := 0
		go func() {
			defer close(done)
			u.loop(ctx, bo, func(context.Context) sessionResult {
				sessions++
				return sessionResult{err: errors.New("session ended")}
			})
		}()
		synctest.Wait() // the loop waits out its hour
		cancel()
		<-done
		if sessions != 1 {
			t.Errorf("%d sessions, want 1", sessions)
		}
	})
}
