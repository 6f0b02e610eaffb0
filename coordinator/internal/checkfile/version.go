package checkfile

import (
	"crypto/sha256"
	"encoding/hex"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// version is the digest of a check's definition: the first 16 hex digits of
// the SHA-256 of its deterministic encoding with Version and Alerting empty.
// Alerting says who hears of an incident, not how the check runs, so
// changing it must not make every probe reload the check. Equal
// definitions give equal versions within one build; a protobuf library
// upgrade may change the encoding and so every version, which only makes
// probes reload their checks once.
func version(c *vigilv1.Check) (string, error) {
	c = proto.CloneOf(c)
	c.Version = ""
	c.Alerting = nil
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}
