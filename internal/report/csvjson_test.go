package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/vigilhq/vigil/internal/report"
	"github.com/vigilhq/vigil/internal/report/reporttest"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func readCSV(t *testing.T, r *vigilv1.Report) []map[string]string {
	t.Helper()
	var b bytes.Buffer
	if err := report.CSV(&b, r); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the output is not CSV: %v", err)
	}
	if !slices.Equal(recs[0], report.Columns) {
		t.Fatalf("header is %q, want Columns", recs[0])
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, col := range report.Columns {
			m[col] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func TestCSVRows(t *testing.T) {
	rows := readCSV(t, reporttest.Report())
	var keys []string
	for _, r := range rows {
		keys = append(keys, r["check"]+"/"+r["region"])
	}
	want := []string{"checkout/all", "checkout/ap-south", "checkout/eu-west", "checkout/us-east",
		"home/all", "home/ap-south", "home/eu-west", "home/us-east"}
	if !slices.Equal(keys, want) {
		t.Fatalf("rows are %q, want %q", keys, want)
	}
	all, region, http := rows[0], rows[1], rows[4]
	for col, want := range map[string]string{
		"runs": "4320", "completion_rate": "0.980774", "flow_p99_ms": "9100.0", "cls_p75": "0.1100",
		"lcp_poor": "0.150000", "slo_target": "0.999000", "budget_remaining": "-16.360000", "burn_rate": "17.360",
		"mttd_s": "100.0", "mttr_s": "1050.0", "incidents": "3",
	} {
		if all[col] != want {
			t.Errorf("checkout/all %s = %q, want %q", col, all[col], want)
		}
	}
	// Check-level columns are left empty on region rows.
	for _, col := range []string{"slo_target", "slo_achieved", "budget_remaining", "burn_rate", "mttd_s", "mttr_s", "incidents"} {
		if region[col] != "" {
			t.Errorf("checkout/ap-south %s = %q, want empty (a check-level figure)", col, region[col])
		}
	}
	// What an http check does not measure is empty, not zero; what is
	// unset because there were no incidents is empty too.
	for _, col := range []string{"load_p50_ms", "lcp_p75_ms", "cls_p75", "lcp_good", "cls_poor", "mttd_s", "mttr_s"} {
		if http[col] != "" {
			t.Errorf("home/all %s = %q, want empty", col, http[col])
		}
	}
	if http["ttfb_good"] != "1.000000" || http["incidents"] != "0" || http["unknown"] != "0.000000" {
		t.Errorf("home/all ttfb_good %q incidents %q unknown %q", http["ttfb_good"], http["incidents"], http["unknown"])
	}
}

func TestCSVOddValues(t *testing.T) {
	r := &vigilv1.Report{Checks: []*vigilv1.CheckReport{{
		CheckId: `shop, "eu"`,
		Overall: &vigilv1.RegionReport{Uptime: math.NaN(), CompletionRate: math.Inf(1), Unknown: -0.0},
	}}}
	rows := readCSV(t, r)
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	got := rows[0]
	if got["check"] != `shop, "eu"` || got["uptime"] != "" || got["completion_rate"] != "" || got["unknown"] != "0.000000" {
		t.Errorf("row %v: want the name quoted back, non-finite numbers empty, and no negative zero", got)
	}
}

func TestJSON(t *testing.T) {
	in := reporttest.Report()
	var b bytes.Buffer
	if err := report.JSON(&b, in); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !json.Valid(b.Bytes()) || !strings.HasSuffix(out, "}\n") {
		t.Fatal("output is not one JSON document ending in a newline")
	}
	for _, want := range []string{`"check_id": "checkout"`, `"load_series": [`, "\n  \"checks\": [\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %q (proto names, two-space indent)", want)
		}
	}
	got := &vigilv1.Report{}
	if err := protojson.Unmarshal(b.Bytes(), got); err != nil {
		t.Fatalf("protojson cannot read it back: %v", err)
	}
	if !proto.Equal(got, in) {
		t.Error("the report read back differs from the one written")
	}
}
