package checkfile

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a check file. It prints as
//
//	checks.yaml:12: checks[1].interval: must be at least 1s
//
// Line is 1-based; 0 means the problem concerns the whole file (it is empty,
// too large, or the YAML parser could not say where). Field is the path of the
// offending value, like checks[1].steps[2].click; it is empty for problems at
// the top level of the file.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a check file, sorted by line. Parse and
// Load report all of them at once, so one run of `vigil check` shows
// everything to fix.
type Errors []*Error

// Error prints one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// maxErrors bounds the report: a garbage file of 1 MiB could otherwise yield
// hundreds of thousands of lines, and nobody reads past the first screen.
const maxErrors = 100

// collector gathers the problems of one file.
type collector struct {
	file string
	errs Errors
}

func (c *collector) add(line int, field, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// result sorts the problems by line (keeping the order of discovery within a
// line) and returns them as an error, or nil when there are none.
func (c *collector) result() error {
	if len(c.errs) == 0 {
		return nil
	}
	es := slices.Clone(c.errs)
	slices.SortStableFunc(es, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	if n := len(es) - maxErrors; n > 0 {
		es = append(es[:maxErrors], &Error{File: c.file, Msg: fmt.Sprintf("too many errors (%d more not shown)", n)})
	}
	return es
}
