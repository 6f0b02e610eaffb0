package analytics

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestCover(t *testing.T) {
	d0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Unix()
	const m, h, d = 60, 3600, 86400
	all := [4]int64{math.MinInt64, math.MinInt64, math.MinInt64, math.MinInt64}
	minutesFrom := func(t int64) [4]int64 { s := all; s[minute] = t; return s }
	tests := []struct {
		name     string
		from, to int64
		since    [4]int64
		want     string
	}{
		{"whole day", d0, d0 + d, all, "[{day 0 1d}]"},
		{"two hours", d0 + h, d0 + 3*h, all, "[{hour 1h 3h}]"},
		{"unaligned hours", d0 + 10*m, d0 + 3*h + 5*m, all, "[{minute 10m 1h} {hour 1h 3h} {minute 3h 3h5m}]"},
		{"seconds widen to minutes", d0 + 10*m + 30, d0 + 20*m + 1, all, "[{minute 10m 21m}]"},
		{"days in the middle", d0 - 2*h, d0 + 2*d + 30*m, all, "[{hour -2h 0} {day 0 2d} {minute 2d 2d30m}]"},
		{"pruned minutes widen the old edge to hours", d0 + 10*m, d0 + 3*h + 5*m, minutesFrom(d0 + 2*h),
			"[{hour 0 3h} {minute 3h 3h5m}]"},
		{"pruned minutes widen both edges", d0 + 10*m, d0 + 3*h + 5*m, minutesFrom(d0 + 5*h), "[{hour 0 4h}]"},
		{"pruned hours widen to days", d0 + 10*m, d0 + 2*d + 5*m, [4]int64{0, d0 + 2*d, d0 + 3*d, math.MinInt64},
			"[{day 0 3d}]"},
		{"empty", d0, d0, all, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range cover(tt.from, tt.to, tt.since) {
				got = append(got, fmt.Sprintf("{%s %s %s}", resName(p.res), rel(p.from-d0), rel(p.to-d0)))
			}
			if s := fmt.Sprint(got); s != tt.want {
				t.Errorf("cover = %s, want %s", s, tt.want)
			}
		})
	}
}

// rel prints an offset in seconds briefly: 2d30m, -2h, 0.
func rel(s int64) string {
	if s == 0 {
		return "0"
	}
	out := ""
	if s < 0 {
		out, s = "-", -s
	}
	for _, u := range []struct {
		n    int64
		name string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}} {
		if s >= u.n {
			out += fmt.Sprintf("%d%s", s/u.n, u.name)
			s %= u.n
		}
	}
	return out
}
