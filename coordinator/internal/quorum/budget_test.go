package quorum

import "testing"

func TestP75(t *testing.T) {
	tests := []struct {
		name   string
		vals   []int64
		want   int64
		wantOK bool
	}{
		{"none", nil, 0, false},
		{"only unmeasured", []int64{0, 0}, 0, false},
		{"one", []int64{7}, 7, true},
		{"two", []int64{1, 3}, 3, true},
		{"four", []int64{3, 1, 1, 1}, 1, true},
		{"five", []int64{5, 1, 4, 2, 3}, 4, true},
		{"zeros skipped", []int64{0, 9, 1, 0, 1, 1}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ss []sample
			for _, v := range tt.vals {
				ss = append(ss, sample{loadUS: v})
			}
			got, ok := p75(ss, func(s sample) int64 { return s.loadUS })
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("p75(%v) = %d, %v; want %d, %v", tt.vals, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestBudgetBreached(t *testing.T) {
	slow := []sample{{loadUS: 3e6, lcpUS: 1e6, durationUS: 4e6}}
	tests := []struct {
		name string
		b    budget
		want bool
	}{
		{"unset", budget{}, false},
		{"load over", budget{loadUS: 2.5e6}, true},
		{"load at limit", budget{loadUS: 3e6}, false},
		{"lcp under", budget{lcpUS: 2.5e6}, false},
		{"flow over", budget{flowUS: 3e6}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.breached(slow); got != tt.want {
				t.Errorf("breached = %v, want %v", got, tt.want)
			}
		})
	}
}
