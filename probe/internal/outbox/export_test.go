package outbox

import (
	"database/sql"
	"path/filepath"
)

// OpenRaw opens dir's outbox file without the package's checks, for tests
// that damage it.
func OpenRaw(dir string) (*sql.DB, error) {
	return sql.Open("sqlite", filepath.Join(dir, FileName))
}
