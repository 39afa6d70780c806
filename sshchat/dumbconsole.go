// A dumb terminal (TERM=dumb: an editor's shell buffer, a printing
// terminal) understands no escape codes: it can only print, go back one
// cell and start a new line. Under ssh -t the client's own tty is raw and
// echoes nothing, so the server still has to echo what the user types.
package sshchat

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// dumbConsole edits lines with no escape codes at all: typed characters
// are echoed, Backspace rubs out with "\b \b", and room lines start on a
// fresh line, after which the prompt and the half-typed line are shown
// again below them. No ESC byte is ever written: output passing through
// is stripped of escape sequences.
//
// Nothing written can be taken back, so the prompt waits after a line is
// sent: the room's answer (the line itself, a command's reply) usually
// follows at once and shows it below; shown at once, the prompt would
// stay behind, alone, above the answer. Typing shows it too.
type dumbConsole struct {
	ch  io.Writer
	dec inputDecoder
	max int // bytes a line may hold

	// Reader goroutine only.
	buf        [256]byte // decoded input; buf[at:n] is not yet taken
	at, n      int
	chunkLines bool  // a line ended earlier in buf's current contents
	skipLF     bool  // the last line ended with CR: an LF just after it belongs to it
	esc        byte  // where in an escape sequence from the keyboard the input is (escNone...)
	tooLong    bool  // the line passed max: the rest of it is dropped
	lastErr    error // the transport's read error

	mu      sync.Mutex
	line    []byte // under mu: the line so far, shown after the prompt while reading
	prompt  string // under mu
	reading bool   // under mu: the reader waits in readLine
	shown   bool   // under mu: the prompt and line are on screen, the cursor after them
	pending bool   // under mu: output came while no prompt could follow it
	col0    bool   // under mu: the cursor is at the start of a line
	closed  bool   // under mu: the last write is done, nothing more is written
	out     []byte // under mu
}

// Where the input is in an escape sequence sent by a key, which a dumb
// console has no use for and drops whole, rather than type it into the
// line.
const (
	escNone  = iota
	escStart // after ESC
	escCSI   // after ESC [
	escSS3   // after ESC O
)

func newDumbConsole(ch io.ReadWriter, clock *inputClock, maxLine int) *dumbConsole {
	c := &dumbConsole{ch: ch, max: maxLine, col0: true}
	c.dec.r = clockReader{ch, clock}
	return c
}

func (c *dumbConsole) readLine() (string, bool, error) {
	c.mu.Lock()
	c.reading = true
	c.line = c.line[:0]
	c.shown = false
	if c.pending {
		c.pending = false
		c.show()
		_ = c.flush() // a failed write shows in the next read
	}
	c.mu.Unlock()
	c.tooLong = false
	for {
		if c.at == c.n {
			n, err := c.dec.Read(c.buf[:])
			c.at, c.n, c.chunkLines = 0, n, false
			if n == 0 {
				c.lastErr = err
				c.mu.Lock()
				c.reading, c.shown = false, false
				c.mu.Unlock()
				return "", false, err
			}
		}
		if line, pasted, done, err := c.take(); done {
			return line, pasted, err
		}
	}
}

// take edits the line with the input in buf[at:n], echoing it, until the
// input runs out or the line ends (done).
func (c *dumbConsole) take() (line string, pasted, done bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() { _ = c.flush() }()
	for c.at < c.n {
		b := c.buf[c.at]
		if c.skipLF {
			c.skipLF = false
			if b == '\n' {
				c.at++
				continue
			}
		}
		if c.esc != escNone && c.inEscape(b) {
			c.at++
			continue
		}
		switch {
		case b == '\r' || b == '\n':
			c.at++
			c.skipLF = b == '\r'
			if c.skipLF && c.at < c.n && c.buf[c.at] == '\n' {
				c.at++
				c.skipLF = false
			}
			// No terminal marks a paste here; lines that arrive together
			// are one, and count against the flood limit as one.
			pasted = c.chunkLines || c.at < c.n
			c.chunkLines = true
			c.echo("\r\n")
			c.col0 = true
			c.reading, c.shown = false, false
			if c.tooLong {
				return "", false, true, errLineTooLong
			}
			return string(c.line), pasted, true, nil
		case b == 0x7f || b == '\b':
			c.rubOut(1)
		case b == 0x17: // Ctrl-W: the word before
			c.rubOut(c.wordLen())
		case b == 0x15: // Ctrl-U: the whole line, on a fresh one
			c.line = c.line[:0]
			if c.shown {
				c.freshLine()
				c.shown = false
				c.show()
			}
		case b == 0x04 && len(c.line) == 0 && !c.tooLong, b == 0x03:
			// Ctrl-D on an empty line, or Ctrl-C: leaving, as on a
			// full terminal.
			c.at++
			c.reading, c.shown = false, false
			return "", false, true, io.EOF
		case b == 0x1b:
			c.esc = escStart
		case b == '\t':
			c.insert(space)
		case b < 0x20:
		default:
			r, size := utf8.DecodeRune(c.buf[c.at:c.n])
			if r < 0x80 || r > 0x9f { // C1 controls are not echoed, nor kept
				c.insert(c.buf[c.at : c.at+size])
			}
			c.at += size
			continue
		}
		c.at++
	}
	return "", false, false, nil
}

// inEscape takes b as part of a key's escape sequence, and reports false
// when b is not part of it (and is to be read as itself).
func (c *dumbConsole) inEscape(b byte) bool {
	switch c.esc {
	case escStart:
		switch b {
		case '[':
			c.esc = escCSI
			return true
		case 'O':
			c.esc = escSS3
			return true
		}
		c.esc = escNone
		return 0x20 <= b && b < 0x7f // Alt and a key
	case escCSI:
		if 0x20 <= b && b <= 0x3f {
			return true
		}
		c.esc = escNone
		return 0x40 <= b && b <= 0x7e
	default: // escSS3
		c.esc = escNone
		return 0x40 <= b && b <= 0x7e
	}
}

// insert adds p, one character, to the line and echoes it. Under mu.
func (c *dumbConsole) insert(p []byte) {
	if c.tooLong || len(c.line)+len(p) > c.max {
		c.tooLong = true
		return
	}
	if !c.closed {
		c.show() // before p joins the line it shows
		c.out = append(c.out, p...)
		c.col0 = false
	}
	c.line = append(c.line, p...)
}

// space stands for a Tab, whose width on screen no one can know.
var space = []byte{' '}

// rubOut removes the last n characters of the line, and rubs each out on
// screen as many cells as it took. Under mu.
func (c *dumbConsole) rubOut(n int) {
	for ; n > 0 && len(c.line) > 0; n-- {
		r, size := utf8.DecodeLastRune(c.line)
		c.line = c.line[:len(c.line)-size]
		for w := cells.RuneWidth(r); w > 0; w-- {
			c.echo("\b \b")
		}
	}
}

// wordLen is how many characters Ctrl-W removes: the spaces before the
// end of the line, and the word before them.
func (c *dumbConsole) wordLen() int {
	n, i := 0, len(c.line)
	for i > 0 && c.line[i-1] == ' ' {
		i--
		n++
	}
	for i > 0 && c.line[i-1] != ' ' {
		_, size := utf8.DecodeLastRune(c.line[:i])
		i -= size
		n++
	}
	return n
}

// echo queues s for the screen after the prompt, unless the last write
// is done. Under mu.
func (c *dumbConsole) echo(s string) {
	if !c.closed {
		c.show()
		c.out = append(c.out, s...)
		c.col0 = false
	}
}

// show queues the prompt and the line, on a fresh line, if they are not
// on screen. Under mu.
func (c *dumbConsole) show() {
	if c.shown || c.closed {
		return
	}
	c.freshLine()
	c.out = append(c.out, c.prompt...)
	c.out = append(c.out, c.line...)
	c.col0 = c.prompt == "" && len(c.line) == 0
	c.shown = true
}

// freshLine queues a line break if the cursor is not at the start of a
// line. Under mu.
func (c *dumbConsole) freshLine() {
	if !c.col0 {
		c.out = append(c.out, '\r', '\n')
		c.col0 = true
	}
}

// flush writes what is queued. Under mu.
func (c *dumbConsole) flush() error {
	return sendQueued(c.ch, &c.out)
}

func (c *dumbConsole) setPrompt(prompt string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prompt = string(appendDumb(nil, []byte(prompt)))
}

func (c *dumbConsole) writeOwn(p []byte) { _ = c.write(p) }

// write shows p on lines of its own, then the prompt and the half-typed
// line again if the user is at the prompt.
func (c *dumbConsole) write(p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(p) == 0 || c.closed {
		return nil
	}
	c.freshLine()
	c.out = appendDumb(c.out, p)
	c.col0 = c.out[len(c.out)-1] == '\n'
	c.shown = false
	if c.reading {
		c.show()
	} else {
		c.pending = true
	}
	return c.flush()
}

func (c *dumbConsole) writeLast(p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.freshLine()
	c.out = appendDumb(c.out, p)
	c.closed = true
	return c.flush()
}

func (c *dumbConsole) readErr() error { return c.lastErr }

func (c *dumbConsole) stopReading() {
	c.mu.Lock()
	c.reading, c.shown = false, false
	c.mu.Unlock()
}

// appendDumb appends p for a dumb terminal: each "\n" as "\r\n", and no
// escape sequences (the session's last write turns bracketed paste off,
// which a dumb terminal never had on).
func appendDumb(dst, p []byte) []byte {
	if bytes.IndexByte(p, 0x1b) < 0 {
		return appendCRLF(dst, p)
	}
	s := string(p)
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != 0x1b {
			j++
		}
		dst = appendCRLF(dst, p[i:j])
		if j == len(s) {
			break
		}
		i = skipEscape(s, j+1)
	}
	return dst
}
