package sshchat

import (
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pipeChannel stands in for an SSH channel: reads come from typed, writes
// are kept. reads counts Reads begun, so a test can wait until the
// console's reader has taken what was typed and waits for more.
type pipeChannel struct {
	typed   chan []byte
	reads   atomic.Int32
	written syncBuffer
}

func (p *pipeChannel) Read(b []byte) (int, error) {
	p.reads.Add(1)
	in, ok := <-p.typed
	if !ok {
		return 0, io.EOF
	}
	return copy(b, in), nil
}

func (p *pipeChannel) Write(b []byte) (int, error) { return p.written.Write(b) }

// take returns what was written since the last take.
func (p *pipeChannel) take() string {
	w := &p.written
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.b.String()
	w.b.Reset()
	return s
}

// A write to a user who is not typing redraws the prompt without the
// terminal; one to a user in the middle of a line leaves the terminal to
// repaint what they typed. Both end with the prompt and the typed text.
func TestConsoleWriteKeepsPromptAndTypedText(t *testing.T) {
	ch := &pipeChannel{typed: make(chan []byte)}
	win := new(atomic.Uint64)
	win.Store(packWindow(80, 24))
	c := newPTYConsole(ch, &inputClock{now: time.Now}, win)
	c.setPrompt("[bob] ")
	lines := make(chan string, 4)
	go func() { // the reader, as a session runs it
		defer c.stopReading()
		for {
			line, _, err := c.readLine()
			if err != nil {
				close(lines)
				return
			}
			lines <- line
		}
	}()
	reads := int32(0)
	blocked := func() { // after the reader took everything typed so far
		t.Helper()
		reads++
		waitUntil(t, "the reader to wait for input", func() bool { return ch.reads.Load() == reads })
	}
	blocked()
	ch.take() // the first prompt

	if err := c.write([]byte("alice: hi\n")); err != nil {
		t.Fatal(err)
	}
	if got, want := ch.take(), "\r\x1b[Kalice: hi\r\n[bob] "; got != want {
		t.Errorf("idle user: wrote %q, want %q", got, want)
	}

	ch.typed <- []byte("hel") // half a line
	blocked()
	ch.take() // the echo
	if err := c.write([]byte("alice: again\n")); err != nil {
		t.Fatal(err)
	}
	got := ch.take()
	if !strings.Contains(got, "alice: again\r\n") || !strings.HasSuffix(got, "[bob] hel") {
		t.Errorf("typing user: wrote %q, want the message, then the prompt and \"hel\"", got)
	}

	ch.typed <- []byte("lo\r")
	if line := <-lines; line != "hello" {
		t.Errorf("read %q, want %q", line, "hello")
	}
	blocked()
	ch.take()
	if err := c.write([]byte("alice: bye\n")); err != nil {
		t.Fatal(err)
	}
	if got, want := ch.take(), "\r\x1b[Kalice: bye\r\n[bob] "; got != want {
		t.Errorf("after Enter: wrote %q, want %q", got, want)
	}

	// Alt+Enter leaves an escape sequence open: the terminal still holds
	// "hey" on screen and in its line, though the input ended with '\r'.
	ch.typed <- []byte("hey")
	blocked()
	ch.typed <- []byte("\x1b\r")
	blocked()
	ch.take()
	if err := c.write([]byte("alice: still there?\n")); err != nil {
		t.Fatal(err)
	}
	if got := ch.take(); !strings.HasSuffix(got, "[bob] hey") {
		t.Errorf("after Alt+Enter: wrote %q, want the prompt and \"hey\" redrawn", got)
	}
	close(ch.typed)
	for range lines {
	}
}
