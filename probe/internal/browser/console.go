package browser

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// How what the page reports becomes the short strings of a result.

// browserOwn reports whether a request is the browser's own rather than
// the page's: the favicon that Chromium fetches by itself. Its failure says
// nothing about the page.
func browserOwn(t network.ResourceType, url string) bool {
	return t == network.ResourceTypeOther && strings.HasSuffix(strings.SplitN(url, "?", 2)[0], "/favicon.ico")
}

// consoleText renders the arguments of a console call as DevTools shows
// them, roughly: strings as they are, other values by their JSON or
// description.
func consoleText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		if a == nil {
			continue
		}
		var s string
		if a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil {
			parts = append(parts, s)
			continue
		}
		switch {
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		case a.UnserializableValue != "":
			parts = append(parts, string(a.UnserializableValue))
		default:
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

// exceptionText is the one-line message of an uncaught exception, such as
// "Uncaught TypeError: x is not a function".
func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "uncaught exception"
	}
	msg := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		desc, _, _ := strings.Cut(d.Exception.Description, "\n")
		msg = strings.TrimSpace(strings.TrimSuffix(msg, ".") + " " + desc)
	}
	if d.URL != "" {
		msg += " (" + d.URL + ")"
	}
	return msg
}

// clip shortens s to maxEntryChars, on a rune boundary.
func clip(s string) string {
	if len(s) <= maxEntryChars {
		return s
	}
	cut := maxEntryChars
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
