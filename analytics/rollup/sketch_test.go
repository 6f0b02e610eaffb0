package rollup

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
)

// TestSketchQuantilesWithinRelativeError checks the guarantee analytics
// relies on: DDSketch's estimate of quantile q is within RelativeAccuracy of
// a value of the exact rank. The sketch answers rank q*(n-1), which lies
// between two order statistics, so the estimate must be within the error
// of the one below or above it (the rank-boundary slack of the DDSketch
// paper's definition). The check runs on sketches built directly, on
// sketches merged from many small ones (as buckets merge) and on sketches
// round-tripped through the protobuf encoding the store keeps.
func TestSketchQuantilesWithinRelativeError(t *testing.T) {
	dists := []struct {
		name string
		draw func(r *rand.Rand) float64
	}{
		{"lognormal page load", func(r *rand.Rand) float64 { return 1200 * math.Exp(0.5*r.NormFloat64()) }},
		{"uniform 1ms-60s", func(r *rand.Rand) float64 { return 1 + r.Float64()*60_000 }},
		{"bimodal fast and timeouts", func(r *rand.Rand) float64 {
			if r.Float64() < 0.03 {
				return 30_000 + r.Float64()*100
			}
			return 80 + 20*r.NormFloat64()*0.1
		}},
		{"pareto tail", func(r *rand.Rand) float64 { return 100 / math.Pow(1-r.Float64(), 1/1.5) }},
		{"cls with zeros", func(r *rand.Rand) float64 {
			if r.Float64() < 0.4 {
				return 0
			}
			return r.Float64() * 0.5
		}},
	}
	quantiles := []float64{0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1}
	for _, d := range dists {
		t.Run(d.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 11))
			const n = 20_000
			values := make([]float64, n)
			whole := NewSketch()
			merged := NewSketch()
			part := NewSketch()
			for i := range values {
				v := d.draw(r)
				values[i] = v
				if err := whole.Add(v); err != nil {
					t.Fatal(err)
				}
				if err := part.Add(v); err != nil {
					t.Fatal(err)
				}
				if i%60 == 59 { // a minute bucket's worth, merged up
					if err := merged.MergeWith(part); err != nil {
						t.Fatal(err)
					}
					part = NewSketch()
				}
			}
			if err := merged.MergeWith(part); err != nil {
				t.Fatal(err)
			}
			decoded, err := DecodeSketch(EncodeSketch(nil, merged))
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(values)
			for name, s := range map[string]interface {
				GetValueAtQuantile(float64) (float64, error)
				GetCount() float64
			}{"whole": whole, "merged": merged, "decoded": decoded} {
				if got := s.GetCount(); got != n {
					t.Errorf("%s: count = %v, want %d", name, got, n)
				}
				for _, q := range quantiles {
					got, err := s.GetValueAtQuantile(q)
					if err != nil {
						t.Fatal(err)
					}
					rank := q * float64(n-1)
					lo, hi := values[int(math.Floor(rank))], values[int(math.Ceil(rank))]
					if got < lo*(1-RelativeAccuracy)-1e-12 || got > hi*(1+RelativeAccuracy)+1e-12 {
						t.Errorf("%s: q%v = %v, exact between %v and %v (±%v%%)", name, q, got, lo, hi, RelativeAccuracy*100)
					}
				}
			}
		})
	}
}

// TestSketchEncodingIsCompact pins the order of magnitude of a stored
// sketch: one value in a minute bucket, a day of page loads in a day
// bucket.
func TestSketchEncodingIsCompact(t *testing.T) {
	one := NewSketch()
	_ = one.Add(1234.5)
	day := NewSketch()
	r := rand.New(rand.NewPCG(1, 2))
	for range 1440 {
		_ = day.Add(1200 * math.Exp(0.45*r.NormFloat64()))
	}
	if n := len(EncodeSketch(nil, one)); n > 20 {
		t.Errorf("one value encodes to %d bytes, want <= 20", n)
	}
	if n := len(EncodeSketch(nil, day)); n > 2500 {
		t.Errorf("a day of page loads encodes to %d bytes, want <= 2500", n)
	}
	t.Logf("one value: %d bytes; 1,440 page loads: %d bytes", len(EncodeSketch(nil, one)), len(EncodeSketch(nil, day)))
}

func TestDecodeSketchRejectsGarbageAndOtherAccuracy(t *testing.T) {
	if _, err := DecodeSketch([]byte{0xff, 0xff, 0xff}); err == nil {
		t.Error("DecodeSketch(garbage) succeeded")
	}
	// A sketch of 2% accuracy, mapping included, cannot merge with Vigil's
	// 1% ones.
	other, err := newSketchWithAccuracy(0.02)
	if err != nil {
		t.Fatal(err)
	}
	_ = other.Add(10)
	b, err := proto.Marshal(other.ToProto())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeSketch(b); err == nil {
		t.Error("DecodeSketch(2% sketch) succeeded")
	}
	// One with Vigil's mapping included decodes.
	mine := NewSketch()
	_ = mine.Add(10)
	if b, err = proto.Marshal(mine.ToProto()); err != nil {
		t.Fatal(err)
	}
	if s, err := DecodeSketch(b); err != nil || s.GetCount() != 1 {
		t.Errorf("DecodeSketch(with mapping) = %v, %v", s, err)
	}
}
