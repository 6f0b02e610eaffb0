// Package testwait is the poll-with-deadline helper that tests use instead of
// fixed sleeps.
package testwait

import (
	"fmt"
	"testing"
	"time"
)

// Poll is how often Until re-evaluates its condition.
const Poll = 20 * time.Millisecond

// Until calls cond every Poll until it returns true, and fails the test with
// the formatted message when timeout passes first. It returns at once when
// cond is already true.
func Until(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, fmt.Sprintf(format, args...))
		}
		time.Sleep(Poll)
	}
}
