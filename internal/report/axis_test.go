package report

import (
	"slices"
	"testing"
	"time"
)

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct {
		max, top, step float64
	}{
		{3800, 4000, 1000},
		{4000, 4000, 1000},
		{4001, 5000, 1000},
		{460, 500, 100},
		{600, 600, 200},
		{0.27, 0.3, 0.1},
		{1, 1, 0.2},
		{0, 1, 0.25},
		{-5, 1, 0.25},
	} {
		top, step := niceScale(tc.max)
		if top != tc.top || step != tc.step {
			t.Errorf("niceScale(%v) = %v, %v; want %v, %v", tc.max, top, step, tc.top, tc.step)
		}
	}
}

func TestTimeTicks(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from   time.Time
		rng    time.Duration
		labels []string
	}{
		{from, 24 * time.Hour, []string{"00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "00:00"}},
		{from, time.Hour, []string{"00:00", "00:15", "00:30", "00:45", "01:00"}},
		{from, 7 * 24 * time.Hour, []string{"01 Nov", "02 Nov", "03 Nov", "04 Nov", "05 Nov", "06 Nov", "07 Nov", "08 Nov"}},
		{from, 30 * 24 * time.Hour, nil}, // checked for count, order and overlaps only
		// Not on a round instant: the last label, anchored at the edge,
		// would overlap its neighbour, which is dropped.
		{from.Add(18*time.Hour + 11*time.Minute), 48 * time.Hour,
			[]string{"02 Nov 00:00", "02 Nov 06:00", "02 Nov 12:00", "02 Nov 18:00", "03 Nov 00:00", "03 Nov 06:00", "03 Nov 18:00"}},
	} {
		s := timeScale{from: tc.from, to: tc.from.Add(tc.rng), x0: 0, x1: 700}
		ticks := s.ticks()
		var labels []string
		for i, tk := range ticks {
			labels = append(labels, tk.Label)
			if i > 0 && labelLeft(tk) < labelRight(ticks[i-1])+6 {
				t.Errorf("range %s: label %q overlaps %q", tc.rng, tk.Label, ticks[i-1].Label)
			}
		}
		if len(ticks) == 0 || len(ticks) > maxTimeTicks+1 {
			t.Errorf("range %s: %d ticks", tc.rng, len(ticks))
		}
		if tc.labels != nil && !slices.Equal(labels, tc.labels) {
			t.Errorf("range %s: labels %q, want %q", tc.rng, labels, tc.labels)
		}
		if ticks[0].Pos == 0 && ticks[0].Anchor != "start" || ticks[len(ticks)-1].Pos == 700 && ticks[len(ticks)-1].Anchor != "end" {
			t.Errorf("range %s: edge labels anchored %q and %q", tc.rng, ticks[0].Anchor, ticks[len(ticks)-1].Anchor)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{span(45 * time.Second), "45s"},
		{span(200 * time.Second), "3m 20s"},
		{span(2*time.Hour + 5*time.Minute), "2h 05m"},
		{span(76 * time.Hour), "3d 4h"},
		{span(-time.Second), "0s"},
		{count(4314), "4\u202f314"},
		{count(1234567), "1\u202f234\u202f567"},
		{count(-1000), "-1\u202f000"},
		{count(999), "999"},
		{millis(840), "840 ms"},
		{millis(2410), "2.41 s"},
		{millis(12345), "12.3 s"},
		{uptimePct(0.99953), "99.953%"},
		{quantileName(0.75), "p75"},
		{quantileName(0.999), "p99.9"},
		{px(12.345).String(), "12.3"},
		{px(10).String(), "10"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
