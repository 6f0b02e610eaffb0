package rollup

import (
	"container/list"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Table is where a Roller reads and writes buckets. A store binds one to
// the transaction that inserts the results, so the buckets commit or roll
// back with them.
type Table interface {
	// Create stores b at k unless a bucket is there, and reports whether
	// it stored it. It must not keep b.
	Create(ctx context.Context, k Key, b *Bucket) (bool, error)
	// Load returns the stored bucket at k, or nil when there is none. The
	// Roller owns the returned bucket.
	Load(ctx context.Context, k Key) (*Bucket, error)
	// Save stores b at k, replacing what was there. It must not keep b.
	Save(ctx context.Context, k Key, b *Bucket) error
}

// DefaultCacheBuckets is the Roller's default cache size: the current hour
// and day buckets of 100 browser checks of 8 steps in 5 regions (9,000)
// fit, at a few kilobytes each.
const DefaultCacheBuckets = 16384

// Roller folds newly stored results into their buckets: for each result,
// the run's bucket and each step's bucket at every resolution.
//
// It caches decoded hour and day buckets (the hot ones: every batch touches
// the current hour and day again), so a batch does not re-read and decode
// blobs the previous batch wrote. The cache holds exactly what the last
// committed transaction left in the table; when a transaction does not
// commit, the store must call Drop. Minute buckets are not cached: a
// minute bucket of one region sees one scheduled run.
//
// A Roller is safe for concurrent use; Fold calls are serialised.
type Roller struct {
	maxAge time.Duration
	now    func() time.Time

	mu    sync.Mutex
	max   int
	order *list.List // of Key, most recently used first
	cache map[Key]cached
}

type cached struct {
	b   *Bucket
	pos *list.Element
}

// Config configures a Roller.
type Config struct {
	// CacheBuckets is how many hour and day buckets the cache holds; 0
	// means DefaultCacheBuckets, negative disables the cache.
	CacheBuckets int
	// MaxAge, when positive, leaves out results started longer ago: the
	// store deletes raw results that old, so it could not tell a late
	// redelivery from a first delivery, and folding it could count a
	// result twice. Set it to the raw results' retention.
	MaxAge time.Duration
	// Now is the clock MaxAge is measured on; nil means time.Now.
	Now func() time.Time
}

// NewRoller returns a Roller.
func NewRoller(cfg Config) *Roller {
	if cfg.CacheBuckets == 0 {
		cfg.CacheBuckets = DefaultCacheBuckets
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Roller{max: max(cfg.CacheBuckets, 0), maxAge: cfg.MaxAge, now: cfg.Now, order: list.New(), cache: make(map[Key]cached)}
}

// Fold adds results to their buckets in t: it groups the batch by bucket,
// then creates, or reads (or takes from the cache), merges and writes each
// bucket once.
// The caller must pass each result once over the table's lifetime (the
// store passes only results it newly inserted). On error the caller must
// roll back and call Drop.
func (r *Roller) Fold(ctx context.Context, t Table, results []*vigilv1.Result) error {
	if r.maxAge > 0 {
		results = r.recent(results)
	}
	if len(results) == 0 {
		return nil
	}
	delta := Group(results)
	keys := make([]Key, 0, len(delta))
	for k := range delta {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, Compare)

	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if err := r.fold(ctx, t, k, delta[k]); err != nil {
			r.drop()
			return err
		}
	}
	return nil
}

// fold merges d into the bucket at k. A bucket not in the cache is most
// often new (every minute bucket, and the first batch of each hour and
// day), so it is created from d without a read; only when one exists is it
// read, merged and written back.
func (r *Roller) fold(ctx context.Context, t Table, k Key, d *Bucket) error {
	b, cached := r.get(k)
	if !cached {
		created, err := t.Create(ctx, k, d)
		if err != nil {
			return fmt.Errorf("save rollup %s: %w", k, err)
		}
		if created {
			r.put(k, d)
			return nil
		}
		if b, err = t.Load(ctx, k); err != nil {
			return fmt.Errorf("load rollup %s: %w", k, err)
		}
		if b == nil {
			return fmt.Errorf("load rollup %s: missing after a conflicting create", k)
		}
	}
	if err := b.Merge(d); err != nil {
		return fmt.Errorf("rollup %s: %w", k, err)
	}
	if err := t.Save(ctx, k, b); err != nil {
		return fmt.Errorf("save rollup %s: %w", k, err)
	}
	r.put(k, b)
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

// Drop forgets the cache. The store calls it when a transaction Fold ran in
// did not commit, and after it deletes buckets.
func (r *Roller) Drop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drop()
}

func (r *Roller) drop() {
	clear(r.cache)
	r.order.Init()
}

func (r *Roller) get(k Key) (*Bucket, bool) {
	c, ok := r.cache[k]
	if !ok {
		return nil, false
	}
	r.order.MoveToFront(c.pos)
	return c.b, true
}

func (r *Roller) put(k Key, b *Bucket) {
	if r.max == 0 || k.Res == vigilv1.Resolution_RESOLUTION_MINUTE {
		return
	}
	if c, ok := r.cache[k]; ok {
		c.b = b
		r.cache[k] = c
		return
	}
	r.cache[k] = cached{b: b, pos: r.order.PushFront(k)}
	for len(r.cache) > r.max {
		last := r.order.Back()
		delete(r.cache, last.Value.(Key))
		r.order.Remove(last)
	}
}

// Group folds results into fresh buckets, one per key they touch. It is
// what Fold merges into the stored buckets, and what an in-memory source
// (tests, analyticstest) keeps.
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
