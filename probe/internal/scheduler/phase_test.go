package scheduler

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"testing"
	"time"
)

func TestPhaseStaggersRegions(t *testing.T) {
	const interval = 60 * time.Second
	c := newCheck("checkout", interval, 0, "us-east", "eu-west", "ap-south")
	base := Phase(c, "us-east")
	for i, region := range c.GetRegions() {
		got := Phase(c, region)
		if got < 0 || got >= interval {
			t.Errorf("Phase(%s) = %s, want within [0, %s)", region, got, interval)
		}
		// Region i of 3 runs i/3 of the interval after region 0, mod 1.
		if want := (base + time.Duration(i)*interval/3) % interval; got != want {
			t.Errorf("Phase(%s) = %s, want %s (base %s + %d/3 of the interval)", region, got, want, base, i)
		}
	}
	if got := Phase(c, "elsewhere"); got != base {
		t.Errorf("Phase of a region not in the list = %s, want the base %s (i=0, n=1)", got, base)
	}
}

// TestPhaseBase pins the base to the documented formula, computed here
// independently with big integers: floor(uint64be(sha256(id)[:8]) x
// interval / 2^64). Other components may compute phases too.
func TestPhaseBase(t *testing.T) {
	for _, tt := range []struct {
		id       string
		interval time.Duration
	}{
		{"checkout", time.Minute},
		{"home", 30 * time.Second},
		{"a-very-long-check-name-with-many-characters", 7*time.Minute + 13*time.Millisecond},
	} {
		sum := sha256.Sum256([]byte(tt.id))
		frac := new(big.Int).SetBytes(sum[:8])
		want := new(big.Int).Mul(frac, big.NewInt(int64(tt.interval)))
		want.Rsh(want, 64)
		if got := Phase(newCheck(tt.id, tt.interval, 0), "any"); int64(got) != want.Int64() {
			t.Errorf("Phase(%q, %s) = %d, want %d", tt.id, tt.interval, got, want.Int64())
		}
	}
}

// TestPhaseSpreadsChecks guards the choice of hash: checks with similar
// names must not bunch up at one time of the interval.
func TestPhaseSpreadsChecks(t *testing.T) {
	const interval = time.Minute
	buckets := make(map[time.Duration]int)
	for i := range 100 {
		p := Phase(newCheck(fmt.Sprintf("check-%d", i), interval, 0), "")
		buckets[p/(interval/10)]++
	}
	for b := range time.Duration(10) {
		if buckets[b] == 0 || buckets[b] > 25 {
			t.Errorf("phases of 100 checks per tenth of the interval = %v, want every tenth used and none with more than 25", buckets)
			break
		}
	}
}

func TestPhaseNoInterval(t *testing.T) {
	if got := Phase(newCheck("x", 0, 0), ""); got != 0 {
		t.Errorf("Phase without interval = %s, want 0", got)
	}
}

func TestSlotOf(t *testing.T) {
	const minute = time.Minute
	tests := []struct {
		t    time.Time
		want int64
	}{
		{time.Unix(0, 0), 0},
		{time.Unix(59, 999999999), 0},
		{time.Unix(60, 0), 1},
		{time.Unix(0, -1), -1},
		{time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC), 1767225600 / 60},
	}
	for _, tt := range tests {
		if got := SlotOf(tt.t, minute); got != tt.want {
			t.Errorf("SlotOf(%s) = %d, want %d", tt.t.UTC(), got, tt.want)
		}
	}
}

func TestSlotArithmetic(t *testing.T) {
	const interval, phase = 10 * time.Second, 3 * time.Second
	at := time.Unix(1000, 0) // slot 100 begins; its phase time is 1003 s
	if got := firstSlotAtOrAfter(at, interval, phase); got != 100 {
		t.Errorf("firstSlotAtOrAfter(1000s) = %d, want 100", got)
	}
	if got := firstSlotAtOrAfter(time.Unix(1003, 0), interval, phase); got != 100 {
		t.Errorf("firstSlotAtOrAfter(1003s) = %d, want 100 (its phase time itself)", got)
	}
	if got := firstSlotAtOrAfter(time.Unix(1003, 1), interval, phase); got != 101 {
		t.Errorf("firstSlotAtOrAfter(1003s+1ns) = %d, want 101", got)
	}
	if got := lastSlotAtOrBefore(time.Unix(1002, 0), interval, phase); got != 99 {
		t.Errorf("lastSlotAtOrBefore(1002s) = %d, want 99", got)
	}
	if got := slotTime(100, interval, phase); !got.Equal(time.Unix(1003, 0)) {
		t.Errorf("slotTime(100) = %s, want 1003s", got)
	}
}
