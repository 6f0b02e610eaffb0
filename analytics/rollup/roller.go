package rollup

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Marks say, per check, up to where hour and day buckets are stored
// (compacted): buckets of a resolution starting before its mark are in the
// table; later ones are not stored yet, and a reader merges them from the
// finer buckets (see Compact). A check without marks has none stored.
type Marks struct {
	Hour, Day int64 // unix seconds; math.MinInt64 when none is stored
}

// NoMarks are the marks of a check nothing was compacted of yet.
var NoMarks = Marks{Hour: math.MinInt64, Day: math.MinInt64}

// Of returns the mark of res; minute buckets are always stored.
func (m Marks) Of(res vigilv1.Resolution) int64 {
	switch res {
	case vigilv1.Resolution_RESOLUTION_HOUR:
		return m.Hour
	case vigilv1.Resolution_RESOLUTION_DAY:
		return m.Day
	}
	return math.MaxInt64
}

// Table is where a Roller reads and writes buckets. A store binds one to
// the transaction that inserts the results, so the buckets commit or roll
// back with them.
type Table interface {
	// Marks returns the compaction marks of the checks.
	Marks(ctx context.Context, checkIDs []string) (map[string]Marks, error)
	// Create stores b at k unless a bucket is there, and reports whether
	// it stored it. It must not keep b.
	Create(ctx context.Context, k Key, b *Bucket) (bool, error)
	// Load returns the stored bucket at k, or nil when there is none.
	Load(ctx context.Context, k Key) (*Bucket, error)
	// Save stores b at k, replacing what was there. It must not keep b.
	Save(ctx context.Context, k Key, b *Bucket) error
}

// Config configures a Roller.
type Config struct {
	// MaxAge, when positive, leaves out results started longer ago: the
	// store deletes raw results that old, so it could not tell a late
	// redelivery from a first delivery, and folding it could count a
	// result twice. Set it to the raw results' retention.
	MaxAge time.Duration
	// Now is the clock MaxAge is measured on; nil means time.Now.
	Now func() time.Time
}

// Roller folds newly stored results into their buckets: for each result,
// the run's bucket and each step's bucket.
//
// Results go into minute buckets. Hour and day buckets are written once,
// after their period ends, by compaction (the store merges the finer
// buckets: Compact); until then readers merge the finer buckets
// themselves. A bucket so is written about once, instead of once per batch
// while its hour or day is current, which with kilobyte-sized sketches was
// most of ingest's cost. A result arriving for an hour or day already
// compacted (a late redelivery) is folded into that bucket too.
//
// A Roller holds no state besides its configuration and is safe for
// concurrent use.
type Roller struct {
	maxAge time.Duration
	now    func() time.Time
}

// NewRoller returns a Roller.
func NewRoller(cfg Config) *Roller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Roller{maxAge: cfg.MaxAge, now: cfg.Now}
}

// Fold adds results to their buckets in t: it groups the batch by bucket,
// then creates, or reads, merges and writes, each bucket once. The caller
// must pass each result once over the table's lifetime (the store passes
// only results it newly inserted); on error it must roll back.
func (r *Roller) Fold(ctx context.Context, t Table, results []*vigilv1.Result) error {
	if r.maxAge > 0 {
		results = r.recent(results)
	}
	if len(results) == 0 {
		return nil
	}
	delta := Group(results)
	var checks []string
	for k := range delta {
		if k.Res == vigilv1.Resolution_RESOLUTION_MINUTE && !slices.Contains(checks, k.CheckID) {
			checks = append(checks, k.CheckID)
		}
	}
	marks, err := t.Marks(ctx, checks)
	if err != nil {
		return fmt.Errorf("read rollup marks: %w", err)
	}
	keys := make([]Key, 0, len(delta))
	for k := range delta {
		m, ok := marks[k.CheckID]
		if !ok {
			m = NoMarks
		}
		if k.Start >= m.Of(k.Res) {
			continue // not compacted yet: compaction will merge the minutes
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, Compare)
	for _, k := range keys {
		if err := AddTo(ctx, t, k, delta[k]); err != nil {
			return err
		}
	}
	return nil
}

// AddTo merges d into the bucket at k in t. A bucket is most often new
// (every minute bucket but for retries, every compacted one), so it is
// created from d without a read; only when one exists is it read, merged
// and written back.
func AddTo(ctx context.Context, t Table, k Key, d *Bucket) error {
	created, err := t.Create(ctx, k, d)
	if err != nil {
		return fmt.Errorf("save rollup %s: %w", k, err)
	}
	if created {
		return nil
	}
	b, err := t.Load(ctx, k)
	if err != nil {
		return fmt.Errorf("load rollup %s: %w", k, err)
	}
	if b == nil {
		return fmt.Errorf("load rollup %s: missing after a conflicting create", k)
	}
	if err := b.Merge(d); err != nil {
		return fmt.Errorf("rollup %s: %w", k, err)
	}
	if err := t.Save(ctx, k, b); err != nil {
		return fmt.Errorf("save rollup %s: %w", k, err)
	}
	return nil
}

// recent returns the results started within maxAge, sharing results'
// array only when none is left out.
func (r *Roller) recent(results []*vigilv1.Result) []*vigilv1.Result {
	horizon := r.now().Add(-r.maxAge).Unix()
	for i, res := range results {
		if res.GetStartedAt().GetSeconds() >= horizon {
			continue
		}
		out := slices.Clone(results[:i])
		for _, res := range results[i+1:] {
			if res.GetStartedAt().GetSeconds() >= horizon {
				out = append(out, res)
			}
		}
		return out
	}
	return results
}

// Group folds results into fresh buckets, one per key they touch, at every
// resolution. It is what Fold merges into the stored buckets, and what an
// in-memory source (tests, analyticstest) keeps.
func Group(results []*vigilv1.Result) map[Key]*Bucket {
	out := make(map[Key]*Bucket)
	get := func(k Key) *Bucket {
		b := out[k]
		if b == nil {
			b = &Bucket{}
			out[k] = b
		}
		return b
	}
	for _, res := range results {
		sec := res.GetStartedAt().GetSeconds()
		measured := res.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_PASS ||
			res.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_FAIL
		for _, w := range Resolutions {
			k := Key{CheckID: res.GetCheckId(), Region: res.GetRegion(), Res: w, Start: Floor(w, sec)}
			get(k).addRun(res)
			if !measured {
				continue // a probe error says nothing of where the flow fails
			}
			for i, st := range res.GetSteps() {
				k.Step = uint32(i + 1)
				get(k).addStep(res, k.Step, st)
			}
		}
	}
	return out
}

// Coarsen merges buckets of a finer resolution into buckets of res, keyed by
// region and step. It is how compaction, and readers of periods not
// compacted yet, make an hour of minutes or a day of hours.
type Coarsen struct {
	res     vigilv1.Resolution
	check   string
	start   int64
	buckets map[coarseKey]*Bucket
}

type coarseKey struct {
	region string
	step   uint32
}

// NewCoarsen returns a Coarsen making buckets of res.
func NewCoarsen(res vigilv1.Resolution) *Coarsen {
	return &Coarsen{res: res, start: math.MinInt64, buckets: map[coarseKey]*Bucket{}}
}

// Add merges the finer bucket b at k. Buckets must come in order of start;
// when one belongs to a later coarse bucket than the ones held, Add first
// calls flush with the held ones, in key order. Add takes b.
func (c *Coarsen) Add(k Key, b *Bucket, flush func(Key, *Bucket) error) error {
	start := Floor(c.res, k.Start)
	if start != c.start || k.CheckID != c.check {
		if err := c.Flush(flush); err != nil {
			return err
		}
		c.start, c.check = start, k.CheckID
	}
	ck := coarseKey{k.Region, k.Step}
	if have := c.buckets[ck]; have != nil {
		return have.Merge(b)
	}
	c.buckets[ck] = b
	return nil
}

// Flush calls flush with the held coarse buckets in key order and forgets
// them.
func (c *Coarsen) Flush(flush func(Key, *Bucket) error) error {
	if len(c.buckets) == 0 {
		return nil
	}
	keys := make([]coarseKey, 0, len(c.buckets))
	for k := range c.buckets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b coarseKey) int {
		if a.region != b.region {
			if a.region < b.region {
				return -1
			}
			return 1
		}
		return int(a.step) - int(b.step)
	})
	for _, ck := range keys {
		b := c.buckets[ck]
		delete(c.buckets, ck)
		if err := flush(Key{CheckID: c.check, Region: ck.region, Step: ck.step, Res: c.res, Start: c.start}, b); err != nil {
			return err
		}
	}
	return nil
}
