package rollup

import (
	"errors"
	"fmt"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/pb/sketchpb"
	"github.com/DataDog/sketches-go/ddsketch/store"
	"google.golang.org/protobuf/proto"
)

// RelativeAccuracy is the sketches' relative-error guarantee: a quantile
// estimate is within 1% of a value of the exact rank. 1% of a 2.5 s LCP is
// 25 ms, finer than any threshold or budget a report compares against, and
// it keeps a sketch of web timings (1 ms .. 60 s) under ~550 bins even in
// the worst case; real data fills a few dozen.
const RelativeAccuracy = 0.01

// indexMapping is shared by every sketch: sketches merge only when their
// mappings are equal, so it must never change without converting stored
// buckets.
var indexMapping = func() mapping.IndexMapping {
	m, err := mapping.NewLogarithmicMapping(RelativeAccuracy)
	if err != nil {
		panic(err) // a constant accuracy in (0, 1) cannot fail
	}
	return m
}()

// NewSketch returns an empty sketch with Vigil's accuracy. It uses dense
// stores: constant-time insertion, and the protobuf form lists bins
// contiguously, the compact choice for the narrow value ranges of timings.
func NewSketch() *ddsketch.DDSketch {
	return ddsketch.NewDDSketch(indexMapping, store.NewDenseStore(), store.NewDenseStore())
}

// mappingProto is indexMapping's protobuf form, given to decoded sketches
// whose encoding left it out.
var mappingProto = indexMapping.ToProto()

// EncodeSketch appends s's protobuf encoding (a sketchpb.DDSketch) to dst.
// The index mapping is left out, and so are an empty negative store and a
// zero count of 0: every Vigil sketch shares one mapping and holds no
// negative values, and a one-value sketch (a minute bucket's) shrinks from
// 45 bytes to about 15.
func EncodeSketch(dst []byte, s *ddsketch.DDSketch) []byte {
	pb := &sketchpb.DDSketch{ZeroCount: s.GetZeroCount()}
	if st := s.GetPositiveValueStore(); !st.IsEmpty() {
		pb.PositiveValues = st.ToProto()
	}
	if st := s.GetNegativeValueStore(); !st.IsEmpty() {
		pb.NegativeValues = st.ToProto()
	}
	out, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(dst, pb)
	if err != nil {
		panic(fmt.Sprintf("encode sketch: %v", err)) // a message of scalars and lists cannot fail
	}
	return out
}

// DecodeSketch decodes a sketch EncodeSketch wrote. A sketch that carries
// its own mapping must have Vigil's: sketches of another accuracy cannot be
// merged.
func DecodeSketch(b []byte) (*ddsketch.DDSketch, error) {
	var pb sketchpb.DDSketch
	if err := proto.Unmarshal(b, &pb); err != nil {
		return nil, fmt.Errorf("decode sketch: %w", err)
	}
	if pb.Mapping == nil {
		pb.Mapping = mappingProto
	}
	s, err := ddsketch.FromProto(&pb)
	if err != nil {
		return nil, fmt.Errorf("decode sketch: %w", err)
	}
	if !s.IndexMapping.Equals(indexMapping) {
		return nil, errors.New("decode sketch: index mapping differs from this build's (relative accuracy changed?)")
	}
	return s, nil
}
