package store

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// seed stores n results over two checks and two regions, several per
// started_at so that paging must break ties on id.
func seed(t *testing.T, s *Store, n int) []*vigilv1.Result {
	t.Helper()
	var all []*vigilv1.Result
	for i := range n {
		r := result(fmt.Sprintf("r%03d", i), []string{"c1", "c2"}[i%2], []string{"eu", "us"}[i/2%2],
			t0.Add(time.Duration(i/3)*time.Second), pass)
		all = append(all, r)
	}
	insert(t, s, all...)
	return all
}

func TestListResultsPaging(t *testing.T) {
	s := openStore(t, t.TempDir())
	all := seed(t, s, 300)
	slices.SortFunc(all, func(a, b *vigilv1.Result) int {
		return cmp.Or(b.GetStartedAt().AsTime().Compare(a.GetStartedAt().AsTime()), strings.Compare(b.GetId(), a.GetId()))
	})
	tests := []struct {
		name string
		q    Query
	}{
		{"all", Query{}},
		{"check", Query{CheckID: "c1"}},
		{"region", Query{Region: "us"}},
		{"check and region", Query{CheckID: "c2", Region: "eu"}},
		{"window", Query{Start: t0.Add(10 * time.Second), End: t0.Add(50 * time.Second)}},
		{"everything", Query{CheckID: "c1", Region: "eu", Start: t0.Add(20 * time.Second), End: t0.Add(80 * time.Second)}},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 7, 1000} {
			t.Run(fmt.Sprintf("%s/size=%d", tt.name, size), func(t *testing.T) {
				var want []string
				for _, r := range all {
					st := r.GetStartedAt().AsTime()
					if (tt.q.CheckID == "" || r.GetCheckId() == tt.q.CheckID) &&
						(tt.q.Region == "" || r.GetRegion() == tt.q.Region) &&
						(tt.q.Start.IsZero() || !st.Before(tt.q.Start)) &&
						(tt.q.End.IsZero() || st.Before(tt.q.End)) {
						want = append(want, r.GetId())
					}
				}
				q := tt.q
				q.PageSize = size
				var got []string
				for pages := 0; ; pages++ {
					if pages > len(want)+1 {
						t.Fatal("paging does not end")
					}
					p, err := s.ListResults(t.Context(), q)
					if err != nil {
						t.Fatal(err)
					}
					if len(p.Results) > size {
						t.Fatalf("page has %d results, size %d", len(p.Results), size)
					}
					for _, r := range p.Results {
						got = append(got, r.GetId())
					}
					if p.NextPageToken == "" {
						break
					}
					q.PageToken = p.NextPageToken
				}
				if !slices.Equal(got, want) {
					t.Fatalf("paged ids (%d) = %v\nwant (%d) %v", len(got), got, len(want), want)
				}
			})
		}
	}
}

func TestListResultsBadToken(t *testing.T) {
	s := openStore(t, t.TempDir())
	for _, tok := range []string{"!!!", "AAAA", strings.Repeat("A", 400)} {
		_, err := s.ListResults(t.Context(), Query{PageSize: 10, PageToken: tok})
		if !errors.Is(err, ErrBadPageToken) {
			t.Errorf("token %q: err = %v, want ErrBadPageToken", tok, err)
		}
	}
}

func TestListResultsScreenshots(t *testing.T) {
	s := openStore(t, t.TempDir())
	big := make([]byte, 1<<20)
	var rs []*vigilv1.Result
	for i := range 5 {
		r := result(fmt.Sprint(i), "c1", "eu", t0.Add(time.Duration(i)*time.Second), fail)
		r.Screenshot = big
		rs = append(rs, r)
	}
	insert(t, s, rs...)

	p, err := s.ListResults(t.Context(), Query{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Results) != 5 || p.Results[0].Screenshot != nil {
		t.Fatalf("without screenshots: %d results, first has %d screenshot bytes", len(p.Results), len(p.Results[0].Screenshot))
	}
	q := Query{PageSize: 10, IncludeScreenshots: true}
	var n int
	for {
		p, err := s.ListResults(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Results) > 3 {
			t.Fatalf("page with screenshots has %d results, want the byte budget to end it", len(p.Results))
		}
		for _, r := range p.Results {
			if len(r.Screenshot) != len(big) {
				t.Fatalf("result %s screenshot %d bytes, want %d", r.GetId(), len(r.Screenshot), len(big))
			}
			n++
		}
		if p.NextPageToken == "" {
			break
		}
		q.PageToken = p.NextPageToken
	}
	if n != 5 {
		t.Fatalf("paged %d results with screenshots, want 5", n)
	}
}

// TestListResultsUsesIndexes guards the query plans: a listing must walk an
// index in order, never sort the table.
func TestListResultsUsesIndexes(t *testing.T) {
	s := openStore(t, t.TempDir())
	for _, sh := range []queryShape{
		{}, {after: true}, {check: true, after: true}, {check: true, region: true, after: true},
		{region: true, start: true, end: true}, {check: true, shots: true},
	} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+sh.sql(),
			namedZeroArgs()...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if strings.Contains(text, "TEMP B-TREE") || !strings.Contains(text, "INDEX results_by") {
			t.Errorf("shape %+v plan: %s", sh, text)
		}
	}
}

func namedZeroArgs() []any {
	var args []any
	for _, n := range []string{"limit", "check", "region", "start", "end", "after_started", "after_id"} {
		args = append(args, sqlNamed(n))
	}
	return args
}
