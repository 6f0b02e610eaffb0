package coordinator

import (
	"github.com/vigilhq/vigil/coordinator/internal/checkfile"
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
