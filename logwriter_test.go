package main

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) read() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.writes
}

// Informational lines go out together within logFlushAfter; a warning
// goes out at once, after what came before it.
func TestLogIsWrittenInBatches(t *testing.T) {
	out := &lockedBuffer{}
	lw := newLogWriter(out)
	log := slog.New(flushingHandler{slog.NewTextHandler(lw, nil), lw})
	for i := range 100 {
		log.Info("join", "user", i)
	}
	if got, _ := out.read(); got != "" {
		t.Fatalf("informational lines written at once: %.80q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, writes := out.read()
		if strings.Count(got, "msg=join") == 100 {
			if writes > 5 {
				t.Errorf("100 lines took %d writes", writes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lines not written within 5 s: %d", strings.Count(got, "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}

	log.Info("before")
	log.Warn("read failed")
	got, _ := out.read()
	if !strings.Contains(got, "msg=before") || !strings.HasSuffix(got, "msg=\"read failed\"\n") {
		t.Errorf("a warning did not go out at once, after what came before it:\n%s", got[max(0, len(got)-200):])
	}

	// A burst is written as it fills, in order.
	for i := range 2000 {
		log.Info("burst", "n", i)
	}
	if got, _ := out.read(); !strings.Contains(got, "n=0\n") {
		t.Error("a burst of 2,000 lines was all held")
	}
	if err := lw.Flush(); err != nil {
		t.Fatal(err)
	}
	got, _ = out.read()
	if !strings.HasSuffix(got, "n=1999\n") || strings.Index(got, "n=1998\n") > strings.Index(got, "n=1999\n") {
		t.Error("the burst's end is missing or out of order")
	}
}
