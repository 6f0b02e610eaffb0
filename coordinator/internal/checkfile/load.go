package checkfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// maxFileSize caps a check file at 1 MiB: a few thousand checks fit easily,
// and the coordinator never holds an unbounded upload in memory.
const maxFileSize = 1 << 20

// Load reads the check file at path and returns its checks: LoadFile
// without the channels and maintenance windows, for callers that only run
// checks. Errors are those of LoadFile.
func Load(path string) ([]*vigilv1.Check, error) {
	f, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	return f.Checks, nil
}

// Parse is Load for a check file already in memory: ParseFile's checks.
func Parse(filename string, data []byte) ([]*vigilv1.Check, error) {
	f, err := ParseFile(filename, data)
	if err != nil {
		return nil, err
	}
	return f.Checks, nil
}

// LoadFile reads the check file at path and parses it with ParseFile.
// Errors about the file's content are Errors, named by path; a file that
// cannot be read yields the wrapped os error (errors.Is(err,
// fs.ErrNotExist) works).
func LoadFile(path string, opts ...Option) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load check file: %w", err)
	}
	defer f.Close()
	// Read one byte past the cap so ParseFile can tell a file that is too
	// large.
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load check file: %w", err)
	}
	return ParseFile(path, data, opts...)
}

// ParseFile decodes a check file strictly, applies defaults, resolves the
// environment variables its channels name, and validates it. filename only
// names the file in errors. It returns everything the file defines, in file
// order, each check with its Version and Alerting set, or an Errors holding
// every problem found; never both. ParseFile is safe for concurrent use
// (when the lookup function of WithLookupEnv is).
func ParseFile(filename string, data []byte, opts ...Option) (*File, error) {
	o := options{lookupEnv: os.LookupEnv}
	for _, opt := range opts {
		opt(&o)
	}
	c := &collector{file: filename}
	if len(data) > maxFileSize {
		c.add(0, "", "file is larger than the limit of 1 MiB")
		return nil, c.result()
	}
	root := decodeYAML(c, data)
	if root == nil {
		return nil, c.result()
	}
	p := &parser{c: c, lookupEnv: o.lookupEnv}
	p.rejectAliases(root)
	f := p.file(root)
	if err := c.result(); err != nil {
		return nil, err
	}
	for i, ch := range f.Checks {
		v, err := version(ch)
		if err != nil {
			// Unreachable for checks built here: they have only valid UTF-8
			// strings, since the YAML parser rejects anything else.
			c.add(0, index("checks", i), "encode check: %v", err)
			continue
		}
		ch.Version = v
	}
	if err := c.result(); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeYAML parses data into a node tree and returns the top-level node,
// or nil after reporting why there is none.
func decodeYAML(c *collector, data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := safeDecode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			c.add(0, "", "file is empty; it needs a checks: list")
		} else {
			yamlError(c, err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := safeDecode(dec, &extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		yamlError(c, err)
		return nil
	default:
		c.add(extra.Line, "", "file has more than one YAML document; put all checks in one")
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
		c.add(0, "", "file is empty; it needs a checks: list")
		return nil
	}
	return doc.Content[0]
}

// safeDecode turns a panic inside the YAML library into an error: a check
// file comes from users, and a parser bug must not take the coordinator down.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal error: %v", r)
		}
	}()
	return dec.Decode(n)
}

// yamlLine matches the line prefix of the YAML library's syntax errors.
var yamlLine = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// yamlError reports a syntax error as "file:3: yaml: ...", with the line
// moved from the message into the position when the library gives one.
func yamlError(c *collector, err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if line, perr := strconv.Atoi(m[1]); perr == nil && line > 0 {
			c.add(line, "", "yaml: %s", m[2])
			return
		}
	}
	c.add(0, "", "%s", msg)
}

// topFields are the keys of the top level.
var topFields = []string{"checks", "defaults", "channels", "maintenance"}

// file walks the top level. channels: comes first, so that routes can
// refer to channels, and maintenance: last, so that windows can refer to
// checks.
func (p *parser) file(root *yaml.Node) *File {
	f := &File{}
	if root.Kind != yaml.MappingNode {
		if !isAlias(root) {
			p.c.add(root.Line, "", "top level must be a mapping with a checks: list, got %s", describe(root))
		}
		return f
	}
	fs, _ := p.fields(root, "", topFields...)
	if e, ok := fs["channels"]; ok {
		f.Channels = p.channels(e.val, "channels")
	}
	d := &defaults{alerting: &alerting{}}
	if e, ok := fs["defaults"]; ok {
		d = p.defaults(e.val, "defaults")
	}
	var checkNames []string
	f.Checks, checkNames = p.checks(root, fs, d)
	if e, ok := fs["maintenance"]; ok {
		f.Maintenance = p.windows(e.val, "maintenance", checkNames)
	}
	return f
}

// checks walks checks:. It also returns the names of the checks, or nil
// when checks: is missing or not a list (then nothing can refer to a check
// without a second, misleading error).
func (p *parser) checks(root *yaml.Node, fs map[string]entry, d *defaults) ([]*vigilv1.Check, []string) {
	e, ok := fs["checks"]
	if !ok {
		p.c.add(root.Line, "checks", "is required")
		return nil, nil
	}
	items, ok := p.list(e.val, "checks")
	if !ok {
		return nil, nil
	}
	if len(items) == 0 {
		p.c.add(e.val.Line, "checks", "must list at least one check")
		return nil, nil
	}
	checks := make([]*vigilv1.Check, 0, len(items))
	names := make(map[string]int, len(items))
	order := make([]string, 0, len(items))
	for i, n := range items {
		path := index("checks", i)
		ch, nameLine := p.check(n, path, d)
		if ch == nil {
			continue
		}
		if ch.Name != "" {
			if first, dup := names[ch.Name]; dup {
				p.c.add(nameLine, path+".name", "duplicate name %q (first at line %d)", ch.Name, first)
			} else {
				names[ch.Name] = nameLine
				order = append(order, ch.Name)
			}
		}
		checks = append(checks, ch)
	}
	return checks, order
}
