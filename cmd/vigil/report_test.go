package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/vigilhq/vigil/internal/report"
	"github.com/vigilhq/vigil/internal/report/reporttest"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestParseReportTime(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-01T10:00:00Z", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{"2026-11-01T10:00:00+02:00", time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)},
		{"2026-11-01T10:00:00.250Z", time.Date(2026, 11, 1, 10, 0, 0, 250e6, time.UTC)},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{" 2026-11-01 ", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{"30d", now.Add(-30 * 24 * time.Hour)},
		{"2w", now.Add(-14 * 24 * time.Hour)},
		{"1d12h", now.Add(-36 * time.Hour)},
		{"24h", now.Add(-24 * time.Hour)},
		{"90m", now.Add(-90 * time.Minute)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"now", now},
	} {
		got, err := parseReportTime(tc.in, now)
		if err != nil {
			t.Errorf("parseReportTime(%q): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("parseReportTime(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-3d", "0d", "0s", "30x", "d", "3d-1h", "2026-13-01", "2026-11-01 10:00", "1e3d", "99999999999d"} {
		if got, err := parseReportTime(bad, now); err == nil {
			t.Errorf("parseReportTime(%q) = %s, want an error", bad, got)
		} else if !strings.Contains(err.Error(), "want RFC 3339") {
			t.Errorf("parseReportTime(%q): error %q does not say what is wanted", bad, err)
		}
	}
}

// parsePlan parses args as `vigil report` does, up to the plan.
func parsePlan(args []string, now time.Time) (reportPlan, error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cf clientFlags
	cf.register(fs)
	var rf reportFlags
	rf.register(fs)
	if err := fs.Parse(args); err != nil {
		return reportPlan{}, err
	}
	return rf.plan(fs, now, cf.json)
}

func TestReportFlags(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		args []string
		err  string // substring; "" when the flags are good
		want reportPlan
	}{
		{args: []string{"--check", "checkout", "--from", "30d"},
			want: reportPlan{checks: []string{"checkout"}, from: now.Add(-30 * day), to: now, format: "html", slo: 0.999}},
		{args: []string{"--check", "b", "--check", "a", "--check", "b", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "CSV", "--slo", "99.5"},
			want: reportPlan{checks: []string{"b", "a"}, from: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
				to: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), format: "csv", slo: 0.995}},
		{args: []string{"--all", "--from", "7d", "--out", "r/week.json", "--progress"},
			want: reportPlan{all: true, from: now.Add(-7 * day), to: now, format: "json", out: "r/week.json", slo: 0.999, progress: true}},
		{args: []string{"--all", "--from", "7d", "--out", "week.HTM"},
			want: reportPlan{all: true, from: now.Add(-7 * day), to: now, format: "html", out: "week.HTM", slo: 0.999}},
		{args: []string{"--all", "--from", "7d", "--out", "week.txt"},
			want: reportPlan{all: true, from: now.Add(-7 * day), to: now, format: "html", out: "week.txt", slo: 0.999}},
		{args: []string{"--all", "--from", "7d", "--json", "--out", "-"},
			want: reportPlan{all: true, from: now.Add(-7 * day), to: now, format: "json", slo: 0.999}},
		{args: []string{"--all", "--from", "7d", "--to", "1d"},
			want: reportPlan{all: true, from: now.Add(-7 * day), to: now.Add(-day), format: "html", slo: 0.999}},

		{args: []string{"--from", "30d"}, err: "name the checks with --check NAME"},
		{args: []string{"--all", "--check", "x", "--from", "30d"}, err: "--check and --all exclude each other"},
		{args: []string{"--all"}, err: "--from is required"},
		{args: []string{"--all", "--from", "last week"}, err: `--from: "last week": want RFC 3339`},
		{args: []string{"--all", "--from", "7d", "--to", "soon"}, err: `--to: "soon": want RFC 3339`},
		{args: []string{"--all", "--from", "1d", "--to", "7d"}, err: "is not before --to"},
		{args: []string{"--all", "--from", "2026-11-01", "--to", "2026-11-01"}, err: "is not before --to"},
		{args: []string{"--all", "--from", "7d", "--format", "pdf"}, err: `--format "pdf": want html, csv or json`},
		{args: []string{"--all", "--from", "7d", "--json", "--format", "csv"}, err: "--json and --format csv disagree"},
		{args: []string{"--all", "--from", "7d", "--slo", "100"}, err: "--slo 100: want a percentage above 0 and below 100"},
		{args: []string{"--all", "--from", "7d", "--slo", "0"}, err: "--slo 0: want a percentage"},
		{args: []string{"--all", "--from", "7d", "--slo", "0.999x"}, err: "invalid value"},
		{args: []string{"--all", "--from", "7d", "checkout"}, err: `unexpected arguments ["checkout"]`},
		{args: []string{"--check", "", "--from", "7d"}, err: "empty check name"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got, err := parsePlan(tc.args, now)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.checks, tc.want.checks) || got.all != tc.want.all || !got.from.Equal(tc.want.from) ||
				!got.to.Equal(tc.want.to) || got.format != tc.want.format || got.out != tc.want.out ||
				got.slo != tc.want.slo || got.progress != tc.want.progress {
				t.Errorf("plan %+v, want %+v", got, tc.want)
			}
		})
	}
}

// fakeReports is a VigilService that answers ListChecks and GetReport from
// the reporttest fixture, and records the GetReport requests.
type fakeReports struct {
	vigilv1.UnimplementedVigilServiceServer
	mu       sync.Mutex
	requests []*vigilv1.GetReportRequest
	fail     string // a check whose report fails
}

func (f *fakeReports) ListChecks(context.Context, *vigilv1.ListChecksRequest) (*vigilv1.ListChecksResponse, error) {
	// Not in name order: the client sorts what it merges.
	return &vigilv1.ListChecksResponse{Checks: []*vigilv1.Check{{Id: "home", Name: "home"}, {Id: "checkout", Name: "checkout"}}}, nil
}

func (f *fakeReports) GetReport(_ context.Context, req *vigilv1.GetReportRequest) (*vigilv1.GetReportResponse, error) {
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	full := reporttest.Report()
	out := &vigilv1.Report{From: full.GetFrom(), To: full.GetTo(), GeneratedAt: full.GetGeneratedAt()}
	for _, id := range req.GetCheckIds() {
		if id == f.fail {
			return nil, status.Error(codes.Internal, "rollups unreadable")
		}
		i := slices.IndexFunc(full.GetChecks(), func(c *vigilv1.CheckReport) bool { return c.GetCheckId() == id })
		if i < 0 {
			return nil, status.Errorf(codes.NotFound, "check %q is not loaded", id)
		}
		out.Checks = append(out.Checks, full.GetChecks()[i])
	}
	return &vigilv1.GetReportResponse{Report: out}, nil
}

// serve runs svc on a real gRPC server on loopback and returns its address.
func serve(t *testing.T, svc vigilv1.VigilServiceServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	vigilv1.RegisterVigilServiceServer(srv, svc)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// TestReportCommand runs `vigil report` against a real gRPC server: --all
// fetches each check in turn, merges them in name order, and writes the
// file atomically; the CSV is the fixture's.
func TestReportCommand(t *testing.T) {
	svc := &fakeReports{}
	addr := serve(t, svc)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.csv")
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"report", "--coordinator", addr, "--all", "--from", "2026-11-01", "--to", "2026-11-02",
		"--slo", "99.5", "--out", out, "--progress"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("vigil report: %v\nstderr:\n%s", err, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := report.CSV(&want, reporttest.Report()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("report.csv differs from the fixture's CSV:\n%s", got)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout has %d bytes, want none with --out", stdout.Len())
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("report.csv mode %v (%v), want 0644", fi.Mode().Perm(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the output dir holds %d entries, want only report.csv (no temp files)", len(entries))
	}

	var ids []string
	for _, r := range svc.requests {
		ids = append(ids, r.GetCheckIds()...)
		if len(r.GetCheckIds()) != 1 || r.GetSloTarget() != 0.995 ||
			!r.GetFrom().AsTime().Equal(reporttest.From) || !r.GetTo().AsTime().Equal(reporttest.To) {
			t.Errorf("request %v: want one check, slo 0.995 and the fixture's range", r)
		}
	}
	if !slices.Equal(ids, []string{"home", "checkout"}) {
		t.Errorf("asked for %q, want each check in the coordinator's order", ids)
	}
	for _, want := range []string{"report: listing checks\n", "report: 2 checks, 2026-11-01 00:00 – 2026-11-02 00:00 UTC\n",
		"report: fetching home (1/2)\n", "report: fetching checkout (2/2)\n", "report: rendering csv\n", "report: wrote " + out} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestReportCommandStdout(t *testing.T) {
	addr := serve(t, &fakeReports{})
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"report", "--coordinator", addr, "--check", "checkout", "--from", "2026-11-01",
		"--to", "2026-11-02", "--format", "json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("vigil report: %v", err)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr is not a terminal and there is no --progress, yet it has:\n%s", stderr.String())
	}
	got := &vigilv1.Report{}
	if err := protojson.Unmarshal(stdout.Bytes(), got); err != nil {
		t.Fatalf("stdout is not a JSON report: %v", err)
	}
	want := reporttest.Report()
	want.Checks = want.Checks[:1]
	if !proto.Equal(got, want) {
		t.Error("the report on stdout is not the checkout fixture")
	}
	// And as CSV, a spreadsheet reads it back.
	stdout.Reset()
	if err := run(t.Context(), []string{"report", "--coordinator", addr, "--check", "home", "--from", "1d", "--format", "csv"},
		&stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if recs, err := csv.NewReader(&stdout).ReadAll(); err != nil || len(recs) != 5 {
		t.Errorf("csv: %d records, %v; want a header and 4 rows", len(recs), err)
	}
}

// TestReportCommandErrors: a failing check names itself, and leaves no
// file behind (nor an old one changed).
func TestReportCommandErrors(t *testing.T) {
	addr := serve(t, &fakeReports{fail: "checkout"})
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--all", "--from", "1d", "--out", out}, "report: get report of checkout: rpc error: code = Internal desc = rollups unreadable"},
		{[]string{"--check", "nope", "--from", "1d", "--out", out}, `get report of nope: rpc error: code = NotFound desc = check "nope" is not loaded`},
		{[]string{"--check", "home", "--from", "1d", "--out", filepath.Join(dir, "missing", "r.html")}, "no such file or directory"},
		{[]string{"--check", "home"}, "report: --from is required"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), append([]string{"report", "--coordinator", addr}, tc.args...), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
		}
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("a failed report changed %s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the output dir holds %d entries, want only the old report (no temp files)", len(entries))
	}
}

func TestProgressOnTerminal(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, tty: true, on: true}
	p.update(0, 3, "fetching a (1/2)")
	p.update(1, 3, "fetching b (2/2)")
	p.note("2 checks")
	p.update(2, 3, "rendering html")
	p.finish("wrote r.html")
	want := "\r\x1b[K[........................]   0% fetching a (1/2)" +
		"\r\x1b[K[########................]  33% fetching b (2/2)" +
		"\r\x1b[Kreport: 2 checks\n" +
		"\r\x1b[K[################........]  66% rendering html" +
		"\r\x1b[Kreport: wrote r.html\n"
	if b.String() != want {
		t.Errorf("terminal output\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	quiet := newProgress(&b, false) // a buffer is no terminal
	quiet.update(0, 1, "x")
	quiet.finish("done")
	if b.Len() != 0 {
		t.Errorf("progress off, yet it wrote %q", b.String())
	}
}
