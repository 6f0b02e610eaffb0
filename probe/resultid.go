package probe

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// ResultID is the deterministic id of the result of one run: a digest of the
// probe, the check and its version, the slot it was scheduled for and the
// attempt within the slot. A result resent after a reconnect or a restart
// keeps its id, so the coordinator stores it once. The version is part of it
// because a changed interval changes what a slot number means: without it, a
// new run could take the id of an old one and be dropped as a redelivery.
func ResultID(probeID, checkID, checkVersion string, slot int64, attempt uint32) string {
	h := sha256.New()
	for _, s := range []string{probeID, checkID, checkVersion} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(slot))
	binary.BigEndian.PutUint32(b[8:], attempt)
	h.Write(b[:])
	return hex.EncodeToString(h.Sum(nil)[:16])
}
