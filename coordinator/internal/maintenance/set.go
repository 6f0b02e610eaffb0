package maintenance

import (
	"cmp"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Set is an immutable set of windows, compiled once (zones loaded, fields
// parsed) for asking often which windows apply. It is safe for concurrent
// use; a nil *Set is empty.
type Set struct {
	ws []*window // sorted by id
}

// NewSet compiles ws into a Set. It keeps its own copies, so the caller may
// change ws afterwards. Windows that do not pass Validate are left out:
// validate windows where they enter Vigil (the check file, the API), where
// there is someone to tell.
func NewSet(ws []*vigilv1.MaintenanceWindow) *Set {
	s := &Set{ws: make([]*window, 0, len(ws))}
	for _, w := range ws {
		c, err := compile(proto.CloneOf(w))
		if err != nil {
			continue
		}
		s.ws = append(s.ws, c)
	}
	slices.SortStableFunc(s.ws, func(a, b *window) int { return cmp.Compare(a.src.GetId(), b.src.GetId()) })
	return s
}

// Len is the number of windows in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.ws)
}

// Active returns the windows that cover checkID and are active at t, sorted
// by id, or nil when none is. The windows are the Set's own: callers must not
// modify them.
func (s *Set) Active(checkID string, t time.Time) []*vigilv1.MaintenanceWindow {
	if s == nil {
		return nil
	}
	var out []*vigilv1.MaintenanceWindow
	for _, c := range s.ws {
		if !Covers(c.src, checkID) {
			continue
		}
		if _, _, ok := c.activeAt(t); ok {
			out = append(out, c.src)
		}
	}
	return out
}
