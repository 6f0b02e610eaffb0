package notify

import "unicode/utf8"

// truncate shortens s to at most n characters (runes), ending with "…" when
// it cut something. Receivers limit field lengths (PagerDuty's summary 1024,
// Slack's header 150) and refuse a longer message outright.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return s[:i] + "…"
}

// checkLabel names the message's check for receivers that want one word:
// the check id, or its name when the id is empty.
func checkLabel(m Message) string {
	if m.CheckID != "" {
		return m.CheckID
	}
	return m.CheckName
}

// checkDisplayName names the check for people: "Checkout (checkout)", or
// whichever of name and id is set.
func checkDisplayName(m Message) string {
	switch {
	case m.CheckName != "" && m.CheckID != "" && m.CheckName != m.CheckID:
		return m.CheckName + " (" + m.CheckID + ")"
	case m.CheckName != "":
		return m.CheckName
	default:
		return m.CheckID
	}
}
