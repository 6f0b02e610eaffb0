package store

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// ErrBadPageToken is returned for a page token this store did not issue.
var ErrBadPageToken = errors.New("bad page token")

// maxTokenID bounds the result id inside a token, as result ids are bounded.
const maxTokenID = 128

// cursor is the keyset position after the last result of a page: listings are
// ordered by (started_at DESC, id DESC), so the next page starts strictly
// below it.
type cursor struct {
	started int64
	id      string
}

// encode makes the opaque token: URL-safe base64 of started_at (8 bytes,
// big-endian) followed by the id.
func (c cursor) encode() string {
	b := make([]byte, 8, 8+len(c.id))
	binary.BigEndian.PutUint64(b, uint64(c.started))
	b = append(b, c.id...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(tok string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 9 || len(b) > 8+maxTokenID {
		return cursor{}, ErrBadPageToken
	}
	return cursor{started: int64(binary.BigEndian.Uint64(b)), id: string(b[8:])}, nil
}
