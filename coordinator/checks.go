package coordinator

import (
	"github.com/vigilhq/vigil/coordinator/internal/checkfile"
	"github.com/vigilhq/vigil/coordinator/internal/notify"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// LoadChecks reads, strictly decodes, defaults and validates a check file.
// Its error lists every problem as "file:line: field: message", one a line.
func LoadChecks(path string) ([]*vigilv1.Check, error) {
	return checkfile.Load(path)
}

// ParseChecks is LoadChecks for a check file already in memory; name is used
// in error messages.
func ParseChecks(name string, data []byte) ([]*vigilv1.Check, error) {
	return checkfile.Parse(name, data)
}

// VerifyWebhook reports whether signature (the X-Vigil-Signature header
// of a webhook delivery) signs timestamp (X-Vigil-Timestamp) and body with
// secret, for receivers written in Go.
func VerifyWebhook(secret, timestamp string, body []byte, signature string) bool {
	return notify.Verify(secret, timestamp, body, signature)
}

// CheckFile is a loaded check file: its checks, notification channels and
// maintenance windows.
type CheckFile = checkfile.File

// LoadCheckFile reads a whole check file. lookupEnv resolves the
// environment variables the file names for secrets; nil means
// os.LookupEnv.
func LoadCheckFile(path string, lookupEnv func(name string) (string, bool)) (*CheckFile, error) {
	var opts []checkfile.Option
	if lookupEnv != nil {
		opts = append(opts, checkfile.WithLookupEnv(lookupEnv))
	}
	return checkfile.LoadFile(path, opts...)
}
