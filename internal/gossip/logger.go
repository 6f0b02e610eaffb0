package gossip

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

// newMemberlistLogger returns a *log.Logger that hands memberlist's log
// lines to l at debug level. memberlist logs every failed probe and
// rejected packet; the events that matter are logged by this package at
// info and warn. memberlist's "[LEVEL]" prefix is kept as an attribute.
func newMemberlistLogger(l *slog.Logger) *log.Logger {
	return log.New(slogWriter{l: l.With("source", "memberlist")}, "", 0)
}

type slogWriter struct{ l *slog.Logger }

// Write receives one formatted line per call (log.Logger guarantees it).
func (w slogWriter) Write(p []byte) (int, error) {
	if !w.l.Enabled(context.Background(), slog.LevelDebug) {
		return len(p), nil
	}
	line := bytes.TrimRight(p, "\n")
	var level []byte
	if len(line) > 0 && line[0] == '[' {
		if i := bytes.Index(line, []byte("] ")); i > 0 {
			level, line = line[1:i], line[i+2:]
		}
	}
	line = bytes.TrimPrefix(line, []byte("memberlist: "))
	w.l.LogAttrs(context.Background(), slog.LevelDebug, string(line), slog.String("ml_level", string(level)))
	return len(p), nil
}
