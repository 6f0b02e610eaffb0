package notify

import (
	"bytes"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// subjectMax bounds the Subject in characters: a title longer than this is
// cut, as mail clients would hide the rest anyway.
const subjectMax = 200

// renderEmail returns m as an RFC 5322 message with CRLF line ends: a
// plain-text, quoted-printable body and headers that cannot be split by
// CR or LF in the message's fields. id makes the Message-ID unique.
func renderEmail(from mail.Address, to []mail.Address, m Message, now time.Time, id string) []byte {
	tos := make([]string, len(to))
	for i, a := range to {
		tos[i] = a.String()
	}
	domain := "vigil.invalid"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 && at < len(from.Address)-1 {
		domain = from.Address[at+1:]
	}

	var b bytes.Buffer
	// header writes one header; CRLF may only come from folds, added
	// after the value was made safe.
	header := func(name, value string, folds ...string) {
		value = headerValue(value)
		for _, f := range folds {
			value = strings.ReplaceAll(value, f, f[:len(f)-1]+"\r\n ")
		}
		b.WriteString(name + ": " + value + "\r\n")
	}
	header("From", from.String())
	header("To", strings.Join(tos, ", "), ", ")
	// Folded between encoded words: a non-ASCII subject's Q-encoding is up
	// to 12 times its length in characters, too long for one line.
	header("Subject", mime.QEncoding.Encode("utf-8", truncate(headerValue(m.Title), subjectMax)), "?= ")
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+id+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: no out-of-office replies to an alert.
	header("Auto-Submitted", "auto-generated")
	header("X-Vigil-Event", string(m.Event))
	header("X-Vigil-Incident", m.IncidentID)
	b.WriteString("\r\n")

	qp := quotedprintable.NewWriter(&b) // writes CRLF line ends
	_, _ = qp.Write([]byte(emailBody(m)))
	_ = qp.Close()
	return b.Bytes()
}

// headerValue makes s safe as one header's value: CR and LF, which would
// end the header and let a field inject others, become spaces.
func headerValue(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s))
}

// emailBody is the text for people: the summary, the failing regions, then
// the facts a responder looks up (check, state, incident).
func emailBody(m Message) string {
	var b strings.Builder
	if m.Summary != "" {
		b.WriteString(strings.TrimRight(m.Summary, "\n") + "\n\n")
	}
	if len(m.Regions) > 0 {
		b.WriteString("Failing regions:\n")
		for _, r := range m.Regions {
			b.WriteString("- " + r.Region)
			if r.ProbeID != "" {
				b.WriteString(" (probe " + r.ProbeID + ")")
			}
			if r.ErrorClass != "" {
				b.WriteString(": " + r.ErrorClass)
			}
			if r.FailedStep != "" {
				fmt.Fprintf(&b, " at step %q", r.FailedStep)
			}
			if r.Error != "" {
				b.WriteString(": " + r.Error)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if m.Disagree {
		b.WriteString("The failing regions disagree on the error class.\n")
	}
	if m.Flapping {
		b.WriteString("The check is flapping.\n")
	}
	if m.Disagree || m.Flapping {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Check:    %s\n", checkDisplayName(m))
	fmt.Fprintf(&b, "State:    %s\n", m.State)
	fmt.Fprintf(&b, "Severity: %s\n", m.Severity)
	fmt.Fprintf(&b, "Incident: %s (%s)\n", m.IncidentID, m.Kind)
	fmt.Fprintf(&b, "Event:    %s", m.Event)
	if at := formatTime(m.At); at != "" {
		fmt.Fprintf(&b, " at %s", at)
	}
	b.WriteString("\n\n-- \nSent by Vigil.\n")
	return b.String()
}
