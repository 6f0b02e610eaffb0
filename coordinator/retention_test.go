package coordinator

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/vigilhq/vigil/analytics/analyticstest"
	"github.com/vigilhq/vigil/analytics/rollup"
	"github.com/vigilhq/vigil/coordinator/internal/store"
	"github.com/vigilhq/vigil/internal/testlog"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestRetentionPass drives the retention pass with a fake clock over a
// store holding two days of results 40 days old: it waits its first
// period, then compacts, deletes the raw results past retention and prunes
// minute rollups, a batch per tick, and the rollups still count every
// result.
func TestRetentionPass(t *testing.T) {
	st, err := store.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hook, err := st.RollupHook(t.Context(), rollup.NewRoller(rollup.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	st.SetInsertHook(hook)
	checks := []*vigilv1.Check{analyticstest.HTTPCheck("home", "eu", "us")}
	day0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	d := analyticstest.Generate(5, checks, day0, day0.Add(48*time.Hour))
	var recs []store.Record
	for _, r := range d.Results {
		b, err := proto.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, store.Record{Result: r, Payload: b})
	}
	if _, err := st.Insert(t.Context(), recs); err != nil {
		t.Fatal(err)
	}

	r := &retention{store: st, raw: 30 * 24 * time.Hour, log: testlog.New(t)}
	now := day0.Add(40 * 24 * time.Hour)
	r.tick(t.Context(), now)
	if r.phase != phaseIdle {
		t.Fatal("the first tick started a pass")
	}
	now = now.Add(retentionEvery)
	ticks := 0
	for r.tick(t.Context(), now); r.phase != phaseIdle; r.tick(t.Context(), now) {
		ticks++
		now = now.Add(time.Second)
		if ticks > 100 {
			t.Fatal("the pass did not end in 100 ticks")
		}
	}
	// 5,760 results: 6 batches of 1,000; 5,760 minute buckets: 6 more.
	if ticks < 12 {
		t.Errorf("the pass took %d ticks; batches of %d should take at least 12", ticks, retentionBatch)
	}
	page, err := st.ListResults(t.Context(), store.Query{CheckID: "home", PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Results) != 0 {
		t.Errorf("%d raw results left past retention", len(page.Results))
	}
	minutes, hours := 0, 0
	var passes int64
	for _, res := range []vigilv1.Resolution{vigilv1.Resolution_RESOLUTION_MINUTE, vigilv1.Resolution_RESOLUTION_HOUR} {
		err := st.Buckets(t.Context(), rollup.Query{CheckID: "home", Res: res, From: 0, To: now.Unix(), Step: 0}, func(k rollup.Key, b *rollup.Bucket) error {
			if res == vigilv1.Resolution_RESOLUTION_MINUTE {
				minutes++
			} else {
				hours++
				passes += b.Pass + b.Fail + b.ProbeError
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if minutes != 0 || hours != 2*48 || passes != int64(len(d.Results)) {
		t.Errorf("after the pass: %d minute buckets, %d hour buckets counting %d runs; want 0, 96, %d", minutes, hours, passes, len(d.Results))
	}
	if next := r.next.Sub(now); next != retentionEvery {
		t.Errorf("next pass in %s, want %s", next, retentionEvery)
	}
}
