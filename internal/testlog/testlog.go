// Package testlog routes slog output to a test's log. Only tests import it.
package testlog

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
	"testing"
)

// New returns a logger that writes to t.Log until the test ends, and drops
// records after that (goroutines may outlive a test by a moment).
func New(t testing.TB) *slog.Logger {
	return NewLevel(t, slog.LevelDebug)
}

// NewLevel is New with records below level dropped.
func NewLevel(t testing.TB, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(Writer(t), &slog.HandlerOptions{Level: level}))
}

// Writer returns a writer that sends each write to t.Log until the test
// ends and drops writes after that; for a child process's stderr, say.
func Writer(t testing.TB) io.Writer {
	w := &writer{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return w
}

// Discard returns a logger that drops everything, for benchmarks.
func Discard() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}

type writer struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}
