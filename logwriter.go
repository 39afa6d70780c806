package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// The log is written in batches: a line is held for at most
// logFlushAfter, or until logFlushBytes are waiting, and a warning or an
// error goes out at once with whatever came before it. A connect storm
// logs a join per user; a write system call for each (and, under
// systemd, a wake-up of the journal for each) was a write in every
// twenty the server made while 10,000 users connected. A crash loses at
// most the last tenth of a second of informational lines.
const (
	logFlushAfter = 100 * time.Millisecond
	logFlushBytes = 32 << 10
)

// logWriter batches what is written to w.
type logWriter struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	timer *time.Timer // flushes what waits; armed while buf is not empty
}

func newLogWriter(w io.Writer) *logWriter {
	lw := &logWriter{w: w}
	lw.timer = time.AfterFunc(time.Hour, func() { _ = lw.Flush() }) // each run ends when written
	lw.timer.Stop()
	return lw
}

// Write holds p, a whole record (slog writes one per call), for the next
// flush.
func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(lw.buf) == 0 {
		lw.timer.Reset(logFlushAfter)
	}
	lw.buf = append(lw.buf, p...)
	if len(lw.buf) >= logFlushBytes {
		return len(p), lw.flushLocked()
	}
	return len(p), nil
}

// Flush writes what waits.
func (lw *logWriter) Flush() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.flushLocked()
}

func (lw *logWriter) flushLocked() error {
	if len(lw.buf) == 0 {
		return nil
	}
	lw.timer.Stop()
	_, err := lw.w.Write(lw.buf)
	if cap(lw.buf) > 4*logFlushBytes {
		lw.buf = nil // a burst's buffer is not kept
	} else {
		lw.buf = lw.buf[:0]
	}
	return err
}

// flushingHandler writes a warning or an error, and everything before
// it, at once: what an operator looks for first is never held.
type flushingHandler struct {
	slog.Handler
	lw *logWriter
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.lw.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(as), h.lw}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.lw}
}
