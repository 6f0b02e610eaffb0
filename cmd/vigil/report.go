package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/internal/report"
	"github.com/vigilhq/vigil/internal/termview"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// reportTimeout is the default deadline of `vigil report`: a report asks
// for each check in turn, which takes longer than the one call of the other
// client verbs (their default is 10s).
const reportTimeout = 2 * time.Minute

// renderers are the report formats.
var renderers = map[string]func(io.Writer, *vigilv1.Report) error{
	"html": report.HTML,
	"csv":  report.CSV,
	"json": report.JSON,
}

// reportFlags are the flags of `vigil report` as given.
type reportFlags struct {
	checks   []string
	all      bool
	from, to string
	format   string
	out      string
	slo      float64
	progress bool
}

func (f *reportFlags) register(fs *flag.FlagSet) {
	fs.Func("check", "a check to report on (repeat for more)", func(s string) error {
		if s == "" {
			return errors.New("empty check name")
		}
		f.checks = append(f.checks, s)
		return nil
	})
	fs.BoolVar(&f.all, "all", false, "report on every check")
	fs.StringVar(&f.from, "from", "", "start of the range: RFC 3339 (2026-11-01T09:00:00Z), a UTC date (2026-11-01), or a duration ago (30d, 2w, 24h)")
	fs.StringVar(&f.to, "to", "now", "end of the range (exclusive), in the forms of --from")
	fs.StringVar(&f.format, "format", "", "html, csv or json (default: from the --out extension, else html)")
	fs.StringVar(&f.out, "out", "", "write the report to this file, atomically (default: stdout)")
	fs.Float64Var(&f.slo, "slo", 99.9, "availability objective in percent")
	fs.BoolVar(&f.progress, "progress", false, "show progress on stderr even when it is not a terminal")
}

// reportPlan is what `vigil report` does, resolved from its flags.
type reportPlan struct {
	checks   []string // in the order given, without duplicates; empty with all
	all      bool
	from, to time.Time
	format   string
	out      string  // "" for stdout
	slo      float64 // 0..1
	progress bool
}

// plan checks the flags and resolves times against now. jsonFlag is the
// clients' --json, which asks for the json format.
func (f *reportFlags) plan(fs *flag.FlagSet, now time.Time, jsonFlag bool) (reportPlan, error) {
	p := reportPlan{all: f.all, out: f.out, progress: f.progress}
	if fs.NArg() > 0 {
		return p, fmt.Errorf("unexpected arguments %q: name checks with --check NAME", fs.Args())
	}
	switch {
	case f.all && len(f.checks) > 0:
		return p, errors.New("--check and --all exclude each other")
	case !f.all && len(f.checks) == 0:
		return p, errors.New("name the checks with --check NAME (repeatable), or use --all")
	}
	for _, c := range f.checks {
		if !slices.Contains(p.checks, c) {
			p.checks = append(p.checks, c)
		}
	}
	if f.from == "" {
		return p, errors.New("--from is required: RFC 3339, a date (2026-11-01), or a duration ago (30d)")
	}
	var err error
	if p.from, err = parseReportTime(f.from, now); err != nil {
		return p, fmt.Errorf("--from: %w", err)
	}
	if p.to, err = parseReportTime(f.to, now); err != nil {
		return p, fmt.Errorf("--to: %w", err)
	}
	if !p.from.Before(p.to) {
		return p, fmt.Errorf("--from (%s) is not before --to (%s)", p.from.UTC().Format(time.RFC3339), p.to.UTC().Format(time.RFC3339))
	}
	if !(f.slo > 0 && f.slo < 100) {
		return p, fmt.Errorf("--slo %v: want a percentage above 0 and below 100, such as 99.9", f.slo)
	}
	// Shift the decimal point in text: 99.9/100 is 0.9990000000000001,
	// "99.9e-2" parses to 0.999.
	p.slo, _ = strconv.ParseFloat(strconv.FormatFloat(f.slo, 'f', -1, 64)+"e-2", 64)
	if p.out == "-" {
		p.out = ""
	}
	p.format = strings.ToLower(f.format)
	switch {
	case jsonFlag && p.format != "" && p.format != "json":
		return p, fmt.Errorf("--json and --format %s disagree", f.format)
	case jsonFlag:
		p.format = "json"
	case p.format == "":
		p.format = "html"
		if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(p.out)), "."); renderers[ext] != nil {
			p.format = ext
		} else if ext == "htm" {
			p.format = "html"
		}
	}
	if renderers[p.format] == nil {
		return p, fmt.Errorf("--format %q: want html, csv or json", f.format)
	}
	return p, nil
}

// agoRE matches a duration with day and week units before Go's own:
// "30d", "2w", "1d12h".
var agoRE = regexp.MustCompile(`^(\d+)([dw])(.*)$`)

// parseReportTime reads a point in time: "now"; RFC 3339; a date, meaning
// its midnight UTC (the server's day buckets are UTC days); or a duration
// ago, with Go's units and d (24h) and w (7d).
func parseReportTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	d, err := parseAgo(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-11-01T09:00:00Z), a date (2026-11-01), a duration ago (30d, 2w, 24h, 90m) or now", s)
	}
	return now.Add(-d), nil
}

// parseAgo reads a positive duration with d and w units as well as Go's.
func parseAgo(s string) (time.Duration, error) {
	var d time.Duration
	if m := agoRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100*365 {
			return 0, errors.New("too long")
		}
		unit := 24 * time.Hour
		if m[2] == "w" {
			unit *= 7
		}
		d = time.Duration(n) * unit
		s = m[3]
		if s == "" {
			s = "0s"
		}
	}
	rest, err := time.ParseDuration(s)
	if err != nil || rest < 0 {
		return 0, errors.New("not a duration")
	}
	if d += rest; d <= 0 {
		return 0, errors.New("not positive")
	}
	return d, nil
}

// runReport writes an analytics report of checks over a time range, in
// html, csv or json, to a file or stdout. It asks the coordinator for one
// check at a time, so that a long report shows its progress, and merges the
// answers.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", stderr)
	var cf clientFlags
	cf.register(fs)
	if t := fs.Lookup("timeout"); t != nil {
		t.DefValue = reportTimeout.String()
		_ = t.Value.Set(t.DefValue)
	}
	var rf reportFlags
	rf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := rf.plan(fs, time.Now(), cf.json)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	prog := newProgress(stderr, p.progress)
	t0 := time.Now()

	client, ctx, done, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer done()
	rep, err := fetchReport(ctx, client, p, prog)
	if err != nil {
		prog.abort()
		return fmt.Errorf("report: %w", err)
	}
	var buf bytes.Buffer
	if err := renderers[p.format](&buf, rep); err != nil {
		prog.abort()
		return fmt.Errorf("report: %w", err)
	}
	if p.out == "" {
		prog.finish("")
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if err := writeFileAtomic(p.out, buf.Bytes()); err != nil {
		prog.abort()
		return fmt.Errorf("report: %w", err)
	}
	prog.finish(fmt.Sprintf("wrote %s (%s, %d checks) in %s", p.out, sizeString(buf.Len()),
		len(rep.GetChecks()), time.Since(t0).Round(time.Millisecond)))
	return nil
}

// fetchReport asks for the report of each check in turn and merges them,
// with checks sorted by name as the API sorts them.
func fetchReport(ctx context.Context, c vigilv1.VigilServiceClient, p reportPlan, prog *progress) (*vigilv1.Report, error) {
	ids := p.checks
	if p.all {
		prog.update(0, 1, "listing checks")
		resp, err := c.ListChecks(ctx, &vigilv1.ListChecksRequest{})
		if err != nil {
			return nil, fmt.Errorf("list checks: %w", err)
		}
		for _, ch := range resp.GetChecks() {
			ids = append(ids, ch.GetId())
		}
		if len(ids) == 0 {
			return nil, errors.New("the coordinator has no checks")
		}
	}
	prog.note(fmt.Sprintf("%d checks, %s – %s UTC", len(ids),
		p.from.UTC().Format("2006-01-02 15:04"), p.to.UTC().Format("2006-01-02 15:04")))
	merged := &vigilv1.Report{From: timestamppb.New(p.from), To: timestamppb.New(p.to)}
	steps := len(ids) + 1 // the last step renders
	for i, id := range ids {
		prog.update(i, steps, fmt.Sprintf("fetching %s (%d/%d)", id, i+1, len(ids)))
		resp, err := c.GetReport(ctx, &vigilv1.GetReportRequest{
			CheckIds: []string{id}, From: merged.From, To: merged.To, SloTarget: p.slo,
		})
		if err != nil {
			return nil, fmt.Errorf("get report of %s: %w", id, err)
		}
		r := resp.GetReport()
		if r == nil {
			return nil, fmt.Errorf("get report of %s: the answer holds no report", id)
		}
		if i == 0 && r.GetFrom() != nil && r.GetTo() != nil {
			// The server's range is authoritative (it may align it).
			merged.From, merged.To = r.GetFrom(), r.GetTo()
		}
		if g := r.GetGeneratedAt(); g != nil && (merged.GeneratedAt == nil || g.AsTime().After(merged.GeneratedAt.AsTime())) {
			merged.GeneratedAt = g
		}
		merged.Checks = append(merged.Checks, r.GetChecks()...)
	}
	prog.update(len(ids), steps, "rendering "+p.format)
	slices.SortStableFunc(merged.Checks, func(a, b *vigilv1.CheckReport) int {
		if c := strings.Compare(a.GetName(), b.GetName()); c != 0 {
			return c
		}
		return strings.Compare(a.GetCheckId(), b.GetCheckId())
	})
	return merged, nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// over path, so readers see the old file or the new one, never a part.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file private; a report is for sharing.
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func sizeString(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// progress shows the phases of a report on stderr: on a terminal, one bar
// redrawn in place; elsewhere, with --progress, a line per phase; otherwise
// nothing. It is not safe for concurrent use.
type progress struct {
	w     io.Writer
	tty   bool
	on    bool
	drawn bool // a bar is on the terminal's last line
}

func newProgress(w io.Writer, always bool) *progress {
	tty := termview.IsTerminal(w)
	return &progress{w: w, tty: tty, on: tty || always}
}

// barWidth is the bar's width in cells.
const barWidth = 24

// update shows that done of total steps are finished and what runs now.
func (p *progress) update(done, total int, what string) {
	if !p.on {
		return
	}
	if !p.tty {
		fmt.Fprintf(p.w, "report: %s\n", what)
		return
	}
	done = min(max(done, 0), total)
	filled := barWidth * done / max(total, 1)
	fmt.Fprintf(p.w, "\r\x1b[K[%s%s] %3d%% %s", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
		100*done/max(total, 1), what)
	p.drawn = true
}

// note prints a line that stays, above the bar.
func (p *progress) note(msg string) {
	if !p.on {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "report: %s\n", msg)
}

// finish removes the bar and prints msg, when not empty.
func (p *progress) finish(msg string) {
	if !p.on {
		return
	}
	p.clear()
	if msg != "" {
		fmt.Fprintf(p.w, "report: %s\n", msg)
	}
}

// abort removes the bar, so the error is printed on a clean line.
func (p *progress) abort() { p.finish("") }

func (p *progress) clear() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
