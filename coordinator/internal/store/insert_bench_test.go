package store

import (
	"fmt"
	"testing"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// BenchmarkInsert measures the store alone: one op is one result, committed
// in transactions of 1,000 (what group commit produces under load).
func BenchmarkInsert(b *testing.B) {
	s := openStore(b, b.TempDir())
	const perTx = 1000
	var recs []Record
	flush := func() {
		if _, err := s.Insert(b.Context(), recs); err != nil {
			b.Fatal(err)
		}
		recs = recs[:0]
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := result(fmt.Sprintf("p1-%016x", uint64(i)*0x9e3779b97f4a7c15), fmt.Sprintf("check-%02d", i%50), "eu",
			t0.Add(time.Duration(i)*time.Second), vigilv1.ResultStatus_RESULT_STATUS_PASS)
		recs = append(recs, record(b, r))
		if len(recs) == perTx {
			flush()
		}
	}
	if len(recs) > 0 {
		flush()
	}
}
