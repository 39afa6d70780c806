package sshchat

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

type readResult struct {
	line   string
	pasted bool
	err    error
}

// startDumb runs a dumb console's reader over a pipe, as a session would,
// and returns its lines.
func startDumb(t *testing.T, maxLine int) (*pipeChannel, *dumbConsole, <-chan readResult) {
	ch := &pipeChannel{typed: make(chan []byte)}
	c := newDumbConsole(ch, &inputClock{now: time.Now}, maxLine)
	c.setPrompt("[dee] ")
	c.writeOwn([]byte("Welcome\n"))
	lines := make(chan readResult, 16)
	go func() { // the reader, as a session runs it; ends when typed closes
		defer close(lines)
		for {
			line, pasted, err := c.readLine()
			lines <- readResult{line, pasted, err}
			if err != nil && !errors.Is(err, errLineTooLong) {
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(ch.typed)
		for range lines {
		}
	})
	return ch, c, lines
}

func TestDumbConsoleEditing(t *testing.T) {
	ch, _, lines := startDumb(t, 20)
	waitUntil(t, "the reader to wait for input", func() bool { return ch.reads.Load() == 1 })
	if got, want := ch.take(), "Welcome\r\n[dee] "; got != want {
		t.Errorf("first prompt: wrote %q, want %q", got, want)
	}
	type step struct {
		name, typed string
		echo        string // written in answer, in full
		line        string // the line read, if the input ends one
		pasted      bool
	}
	steps := []step{
		{"a character two cells wide, rubbed out", "a世\x7f", "a世\b \b\b \b", "", false},
		{"Ctrl-W", "b c \x17", "b c \b \b\b \b", "", false},
		{"Enter", "d\r", "d\r\n", "ab d", false},
		{"CR LF is one Enter", "e\r\n", "[dee] e\r\n", "e", false},
		{"keys are dropped whole", "x\x1b[Ay\x1bOH\x1b[1;5Cz\r", "[dee] xyz\r\n", "xyz", false},
		{"Ctrl-U starts again", "oops\x15ok\r", "[dee] oops\r\n[dee] ok\r\n", "ok", false},
		{"lines arriving together are a paste", "p1\np2\n", "[dee] p1\r\n[dee] p2\r\n", "p1", true},
	}
	for _, s := range steps {
		ch.typed <- []byte(s.typed)
		if s.line != "" {
			r := <-lines
			if r.line != s.line || r.pasted != s.pasted || r.err != nil {
				t.Errorf("%s: read %q pasted=%v err=%v, want %q pasted=%v", s.name, r.line, r.pasted, r.err, s.line, s.pasted)
			}
			if s.name == "lines arriving together are a paste" {
				if r := <-lines; r.line != "p2" || !r.pasted {
					t.Errorf("%s: read %q pasted=%v, want %q pasted", s.name, r.line, r.pasted, "p2")
				}
			}
		}
		want := s.echo
		waitUntil(t, "the echo", func() bool { return len(ch.written.String()) >= len(want) })
		if got := ch.take(); got != want {
			t.Errorf("%s: wrote %q, want %q", s.name, got, want)
		}
	}
}

// Room lines go on lines of their own, and the prompt and the half-typed
// line follow them; escape codes never reach the terminal.
func TestDumbConsoleWrite(t *testing.T) {
	ch, c, lines := startDumb(t, 20)
	waitUntil(t, "the reader to wait for input", func() bool { return ch.reads.Load() == 1 })
	ch.take()
	ch.typed <- []byte("half")
	waitUntil(t, "the reader to wait for input", func() bool { return ch.reads.Load() == 2 })
	ch.take()
	if err := c.write([]byte("\x1b[31malice\x1b[0m: hi\n")); err != nil {
		t.Fatal(err)
	}
	if got, want := ch.take(), "\r\nalice: hi\r\n[dee] half"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	ch.typed <- []byte("\r")
	<-lines
	// After a line is sent the prompt waits for the room's answer, so it
	// is not left alone above it.
	waitUntil(t, "the reader to wait for input", func() bool { return ch.reads.Load() == 3 })
	if got, want := ch.take(), "\r\n"; got != want {
		t.Errorf("after Enter: wrote %q, want %q", got, want)
	}
	_ = c.write([]byte("dee: half\n"))
	if got, want := ch.take(), "dee: half\r\n[dee] "; got != want {
		t.Errorf("the room's answer: wrote %q, want %q", got, want)
	}
	_ = c.writeLast([]byte("bye\n\x1b[?2004l"))
	if got, want := ch.take(), "\r\nbye\r\n"; got != want {
		t.Errorf("last write: wrote %q, want %q", got, want)
	}
}

// A line past the cap is dropped and reported; Ctrl-D on an empty line
// leaves, with no transport error.
func TestDumbConsoleLimitsAndLeaving(t *testing.T) {
	ch, c, lines := startDumb(t, 5)
	ch.typed <- []byte(strings.Repeat("x", 8) + "\r")
	if r := <-lines; !errors.Is(r.err, errLineTooLong) {
		t.Errorf("read %q, %v; want %v", r.line, r.err, errLineTooLong)
	}
	ch.typed <- []byte("ok\r")
	if r := <-lines; r.line != "ok" || r.err != nil {
		t.Errorf("read %q, %v; want %q", r.line, r.err, "ok")
	}
	ch.typed <- []byte("\x04")
	if r := <-lines; r.err != io.EOF {
		t.Errorf("Ctrl-D: read %q, %v; want io.EOF", r.line, r.err)
	}
	if err := c.readErr(); err != nil {
		t.Errorf("readErr after Ctrl-D = %v, want nil", err)
	}
	if got := ch.written.String(); strings.IndexByte(got, 0x1b) >= 0 {
		t.Errorf("an escape code was written: %q", got)
	}
}
