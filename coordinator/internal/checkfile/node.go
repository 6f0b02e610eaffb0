package checkfile

import (
	"fmt"
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// parser walks the YAML node tree of one file, reporting every problem to c.
// It never stops at the first problem: each accessor reports and returns
// ok=false, and the caller carries on with the next field.
type parser struct {
	c *collector
	// lookupEnv reads the environment variables that channels name.
	lookupEnv func(name string) (string, bool)
	// channelNames are the names channels: defines, in file order, for the
	// routes that refer to them.
	channelNames []string
}

// entry is one key/value pair of a YAML mapping.
type entry struct {
	key, val *yaml.Node
}

// join appends key to a field path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// describe names the YAML type of n for messages like "must be a list, got a string".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		case "!!str":
			return "a string"
		}
		return "a " + n.ShortTag() + " value"
	}
	return "nothing"
}

// isAlias reports whether n is an alias. Aliases are reported once, by
// rejectAliases, so the accessors skip them silently.
func isAlias(n *yaml.Node) bool { return n.Kind == yaml.AliasNode }

// rejectAliases reports every alias in the tree. Vigil does not expand
// aliases: defaults: covers sharing settings between checks, an error inside
// an aliased node would point at a line shared by several checks, and
// expanding aliases lets a small file grow without bound ("billion laughs").
func (p *parser) rejectAliases(n *yaml.Node) {
	switch n.Kind {
	case yaml.AliasNode:
		p.c.add(n.Line, "", "aliases (*%s) are not supported; use defaults: to share settings between checks", n.Value)
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" && v.Kind == yaml.AliasNode {
				continue // entries reports the merge key itself
			}
			p.rejectAliases(k)
			p.rejectAliases(v)
		}
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			p.rejectAliases(c)
		}
	}
}

// entries returns the pairs of mapping n in file order. It reports a
// duplicate key or a key that is not a scalar, and leaves it out.
func (p *parser) entries(n *yaml.Node, path string) ([]entry, bool) {
	if isAlias(n) {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		p.c.add(n.Line, path, "must be a mapping, got %s", describe(n))
		return nil, false
	}
	out := make([]entry, 0, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case isAlias(k):
			continue
		case k.Kind != yaml.ScalarNode:
			p.c.add(k.Line, path, "keys must be strings, got %s", describe(k))
			continue
		case k.ShortTag() == "!!merge":
			p.c.add(k.Line, path, "merge keys (<<) are not supported; use defaults: to share settings between checks")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.c.add(k.Line, path, "duplicate key %q (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, entry{key: k, val: v})
	}
	return out, true
}

// fields returns the pairs of mapping n by key, reporting every key that is
// not in known.
func (p *parser) fields(n *yaml.Node, path string, known ...string) (map[string]entry, bool) {
	es, ok := p.entries(n, path)
	if !ok {
		return nil, false
	}
	out := make(map[string]entry, len(es))
	for _, e := range es {
		if k := e.key.Value; !contains(known, k) {
			hint := suggest(k, known)
			if contains(known, k+"_env") {
				// A secret written into the file: point at the way to
				// pass it, without repeating it.
				hint = fmt.Sprintf(" (did you mean %q? secrets are read from environment variables)", k+"_env")
			}
			p.c.add(e.key.Line, path, "unknown field %q%s", k, hint)
			continue
		}
		out[e.key.Value] = e
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str returns the text of a scalar. Numbers and booleans are taken as
// written (fill: {"#qty": 2} types "2"); null is an error, since a key
// without a value is almost always a mistake.
func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	if isAlias(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.c.add(n.Line, path, "must be a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// nonEmpty is str that also rejects blank text.
func (p *parser) nonEmpty(n *yaml.Node, path string) (string, bool) {
	s, ok := p.str(n, path)
	if ok && strings.TrimSpace(s) == "" {
		p.c.add(n.Line, path, "must not be empty")
		return "", false
	}
	return s, ok
}

// duration parses a Go duration string like 30s or 1m30s.
func (p *parser) duration(n *yaml.Node, path string) (time.Duration, bool) {
	if isAlias(n) {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.c.add(n.Line, path, "must be a duration like 30s, got %s", describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		p.c.add(n.Line, path, "invalid duration %q (want a number with a unit, like 500ms, 30s or 1m30s)", n.Value)
		return 0, false
	}
	return d, true
}

// durationAtLeast is duration that also requires a value of at least lo.
func (p *parser) durationAtLeast(n *yaml.Node, path string, lo time.Duration) (time.Duration, bool) {
	d, ok := p.duration(n, path)
	if ok && d < lo {
		p.c.add(n.Line, path, "must be at least %s, got %s", fmtDuration(lo), n.Value)
		return 0, false
	}
	return d, ok
}

// positiveDuration is duration that also requires a value above zero.
func (p *parser) positiveDuration(n *yaml.Node, path string) (time.Duration, bool) {
	d, ok := p.duration(n, path)
	if ok && d <= 0 {
		p.c.add(n.Line, path, "must be more than 0, got %s", n.Value)
		return 0, false
	}
	return d, ok
}

// noMax is the hi of integer for values with no upper bound of their own.
const noMax = math.MaxInt32

// integer parses a YAML integer within [lo, hi].
func (p *parser) integer(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	if isAlias(n) {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		p.c.add(n.Line, path, "must be an integer, got %s", describe(n))
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		p.c.add(n.Line, path, "must be an integer between %d and %d, got %s", lo, hi, n.Value)
		return 0, false
	}
	if v < lo || v > hi {
		if hi == noMax {
			p.c.add(n.Line, path, "must be at least %d, got %d", lo, v)
		} else {
			p.c.add(n.Line, path, "must be between %d and %d, got %d", lo, hi, v)
		}
		return 0, false
	}
	return v, true
}

// boolean parses true or false.
func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	if isAlias(n) {
		return false, false
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		p.c.add(n.Line, path, "must be true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

// list returns the items of a sequence.
func (p *parser) list(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	if isAlias(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		p.c.add(n.Line, path, "must be a list, got %s", describe(n))
		return nil, false
	}
	return n.Content, true
}

// index names item i of the list at path.
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// suggest returns ` (did you mean "x"?)` for the known word closest to s,
// when it is close enough to be a likely typo.
func suggest(s string, known []string) string {
	best, bestDist := "", 3 // at most two edits
	for _, k := range known {
		if d := editDistance(s, k); d < bestDist && d < len(k) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
// Inputs longer than 64 bytes are never typos of a field name; they return
// a large distance without the quadratic work.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
