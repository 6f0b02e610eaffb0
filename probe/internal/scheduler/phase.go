package scheduler

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"slices"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Phase is when, within each slot of the check's interval, a probe of region
// runs check (DESIGN §3, staggered phases). Region i of the n regions in
// check.regions runs at ((base + i/n) mod 1) x interval, where base in [0,1)
// comes from a hash of the check's id, so regions of one check are spread
// evenly and different checks spread over the interval. A region not in
// check.regions is treated as the only one (i=0, n=1).
//
// base is the first 8 bytes of SHA-256(id), big-endian, as a fraction of
// 2^64: any component (or another language) can compute the same phases.
// Phase returns 0 for a check without a positive interval.
func Phase(check *vigilv1.Check, region string) time.Duration {
	interval := check.GetInterval().AsDuration()
	if interval <= 0 {
		return 0
	}
	sum := sha256.Sum256([]byte(check.GetId()))
	frac := binary.BigEndian.Uint64(sum[:8])
	iv := uint64(interval)
	base, _ := bits.Mul64(frac, iv) // floor(frac / 2^64 * interval)

	i, n := uint64(0), uint64(1)
	if idx := slices.Index(check.GetRegions(), region); idx >= 0 {
		i, n = uint64(idx), uint64(len(check.GetRegions()))
	}
	hi, lo := bits.Mul64(i, iv)
	regionOffset, _ := bits.Div64(hi, lo, n) // i * interval / n without overflow
	return time.Duration((base + regionOffset) % iv)
}

// SlotOf is the slot (round) that t falls in: floor(t / interval), with t in
// Unix nanoseconds. interval must be positive.
func SlotOf(t time.Time, interval time.Duration) int64 {
	return floorDiv(t.UnixNano(), int64(interval))
}

// slotTime is the time of the phase within slot: slot x interval + phase.
func slotTime(slot int64, interval, phase time.Duration) time.Time {
	return time.Unix(0, slot*int64(interval)+int64(phase))
}

// firstSlotAtOrAfter is the first slot whose phase time is not before t.
func firstSlotAtOrAfter(t time.Time, interval, phase time.Duration) int64 {
	return -floorDiv(-(t.UnixNano() - int64(phase)), int64(interval)) // ceil
}

// lastSlotAtOrBefore is the last slot whose phase time is not after t.
func lastSlotAtOrBefore(t time.Time, interval, phase time.Duration) int64 {
	return floorDiv(t.UnixNano()-int64(phase), int64(interval))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
