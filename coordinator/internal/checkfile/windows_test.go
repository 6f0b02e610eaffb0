package checkfile

import "testing"

func TestWindowField(t *testing.T) {
	lines := map[string]int{"start": 9, "recurrence": 10, "recurrence.days": 11, "recurrence.days[1]": 13}
	for _, tc := range []struct {
		field, want string
		line        int
	}{
		{"name", "name", 8},
		{"start", "from", 9},
		{"end", "until", 8},
		{"check_ids[2]", "checks[2]", 8},
		{"recurrence", "recurring", 10},
		{"recurrence.days[1]", "recurring.days[1]", 13},
		{"recurrence.days[0]", "recurring.days[0]", 11},
		{"recurrence.duration", "recurring.duration", 10},
		{"", "", 8},
	} {
		field, line := windowField(tc.field, lines, 8)
		if field != tc.want || line != tc.line {
			t.Errorf("windowField(%q) = %q, %d; want %q, %d", tc.field, field, line, tc.want, tc.line)
		}
	}
}
