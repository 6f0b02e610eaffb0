package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// signaturePrefix names the scheme in X-Vigil-Signature.
const signaturePrefix = "sha256="

// Sign returns the X-Vigil-Signature value for a webhook body sent at
// timestamp (decimal unix seconds, the X-Vigil-Timestamp header):
// "sha256=" followed by the lowercase hex HMAC-SHA256, keyed with secret, of
// timestamp + "." + body.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is the X-Vigil-Signature of body sent at
// timestamp under secret. The comparison takes constant time. An empty
// secret never verifies. Verify does not judge the timestamp's age: a
// receiver should also refuse timestamps far from its clock (say, more than
// five minutes) so that a captured request cannot be replayed later.
func Verify(secret, timestamp string, body []byte, signature string) bool {
	if secret == "" {
		return false
	}
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}
