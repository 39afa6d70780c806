package sshchat

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// errLineTooLong is returned by a console when a line passed its byte cap;
// the line was discarded up to its end.
var errLineTooLong = errors.New("line too long")

// console is a session's terminal as seen by the session's two
// goroutines. The reader goroutine calls readLine, setPrompt and
// writeOwn; any other goroutine (the writer, a timer) calls write.
type console interface {
	readLine() (line string, pasted bool, err error)
	setPrompt(prompt string)
	writeOwn(p []byte) // from the reader goroutine only
	write(p []byte) error
	// writeLast is the session's last write: the prompt is cleared and not
	// drawn again, so the user's shell starts on a clean line.
	writeLast(p []byte) error
	// readErr is the error the transport returned, nil when input ended
	// at the user's request (Ctrl-D on a terminal).
	readErr() error
	// stopReading tells the console its reader is done, from the reader
	// goroutine; other goroutines may then write without waiting for it.
	stopReading()
}

// inputClock records when the user last sent bytes, for the idle limit.
// The server's own IdleTimeout cannot serve: writes reset it, so a busy
// room would keep a silent user alive forever.
type inputClock struct {
	now  func() time.Time
	last atomic.Int64 // unix nanoseconds
}

func (c *inputClock) touch()               { c.last.Store(c.now().UnixNano()) }
func (c *inputClock) since() time.Duration { return c.now().Sub(time.Unix(0, c.last.Load())) }

// newConsole picks a session's console: x/term's line editor for a
// terminal, lines with no prompt and no echo without one, and lines with
// a prompt and simple echo for a terminal that understands no escape
// codes.
func newConsole(ch io.ReadWriter, clock *inputClock, win *atomic.Uint64, pty bool, term string, maxLine int) console {
	switch {
	case !pty:
		return newPlainConsole(ch, clock, maxLine)
	case term == "dumb":
		return newDumbConsole(ch, clock, maxLine)
	}
	return newPTYConsole(ch, clock, win)
}

// ptyConsole drives an x/term Terminal over the SSH channel.
//
// x/term lets another goroutine Write while ReadLine waits for input, and
// redraws the prompt and the half-typed line below what was written. We
// add a screen lock that the reader holds at all times except while it is
// blocked reading from the network. So output from the room lands only
// between keystrokes, and the reader, on Enter, can erase its own echoed
// line before the room's copy of it (in the room's order) is drawn.
//
// What the terminal writes is gathered in out, and goes to the channel as
// one write when whoever holds the screen lets it go: Terminal.Write
// issues three writes (clear, text, redraw), and the reader's echo of a
// line, its erasure and the next prompt are three more. A connection's
// first write carries the bracketed-paste switch and the first prompt.
type ptyConsole struct {
	ch     io.ReadWriter
	in     inputDecoder // reads ch for the terminal
	t      *term.Terminal
	clock  *inputClock
	screen sync.Mutex

	stopped bool   // reader goroutine only: it has released the screen for good
	out     []byte // under screen: what the terminal wrote, not yet sent
	lastErr error  // under screen: the transport's read error

	width       int    // under screen
	prompt      string // under screen: as given to the terminal
	promptWidth int    // under screen
	// lineDone: the last input ended with a line, so the terminal's line is
	// empty (see settles). waiting: the reader is blocked for input. Both
	// under screen; together they mean the screen shows just the prompt,
	// which write can then redraw itself (see write).
	lineDone, waiting bool
	inEscape          bool           // under screen: the input so far ends inside an escape sequence
	win               *atomic.Uint64 // the size the client last reported (packWindow)
	applied           uint64         // under screen: the size the terminal was last given

	// complete is the Tab handler, offered to the terminal only for a read
	// that holds a lone Tab (a person pressing the key). x/term copies the
	// whole line into new strings for the handler on every keystroke, so
	// leaving it set would make a long paste cost time quadratic in its
	// length.
	complete func(line string, pos int, key rune) (string, int, bool)
}

func newPTYConsole(ch io.ReadWriter, clock *inputClock, win *atomic.Uint64) *ptyConsole {
	c := &ptyConsole{ch: ch, clock: clock, win: win, lineDone: true}
	c.in.r, c.in.forTerm = clockReader{ch, clock}, true
	c.t = term.NewTerminal(ptyIO{c}, "")
	c.t.History = &editHistory{}
	c.screen.Lock() // the reader goroutine, which creates the console, holds it
	c.syncSize()
	// Pasted lines come marked, so a paste counts as one message against
	// the flood limit rather than one per line.
	c.t.SetBracketedPasteMode(true)
	return c
}

// ptyIO is what the Terminal reads and writes; a separate type keeps
// ptyConsole's own methods out of the io.ReadWriter it hands over.
type ptyIO struct{ c *ptyConsole }

func (p ptyIO) Read(b []byte) (int, error) {
	c := p.c
	c.flush()
	c.waiting = true
	c.screen.Unlock()
	n, err := c.in.Read(b)
	c.screen.Lock()
	c.waiting = false
	c.syncSize()
	if n > 0 {
		c.lineDone = c.settles(b[:n])
	}
	if err != nil {
		c.lastErr = err
	}
	c.t.AutoCompleteCallback = nil
	if n == 1 && b[0] == '\t' && c.complete != nil {
		c.t.AutoCompleteCallback = c.complete
	}
	return n, err
}

func (p ptyIO) Write(b []byte) (int, error) {
	p.c.out = append(p.c.out, b...)
	return len(b), nil
}

// flush sends what the terminal wrote. The caller holds the screen.
func (c *ptyConsole) flush() error {
	return sendQueued(c.ch, &c.out)
}

// settles reports whether the terminal, once it has taken in, is left
// with an empty line and nothing pending. x/term takes in all it can
// before it reads again, but keeps pending an escape sequence not yet
// ended (by a letter or '~', as it reads them) and a character not yet
// complete, with the typed line still on screen. So in must end with
// Enter, be valid UTF-8 (the decoder splits a character only for a
// buffer too small to hold it), and leave no escape sequence open;
// anything else (a key, a paste's end marker, Alt+Enter) may leave text,
// and write then lets the terminal repaint.
func (c *ptyConsole) settles(in []byte) bool {
	for _, b := range in {
		switch {
		case b == 0x1b:
			c.inEscape = true
		case c.inEscape && ('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b == '~'):
			c.inEscape = false
		}
	}
	last := in[len(in)-1]
	return !c.inEscape && (last == '\r' || last == '\n') && utf8.Valid(in)
}

func (c *ptyConsole) readLine() (string, bool, error) {
	line, err := c.t.ReadLine()
	pasted := errors.Is(err, term.ErrPasteIndicator)
	if pasted {
		err = nil
	}
	if err != nil {
		return "", false, err
	}
	c.eraseEcho(line)
	if strings.ContainsRune(line, substitute) {
		line = strings.ReplaceAll(line, string(substitute), string(utf8.RuneError))
	}
	return line, pasted, nil
}

// eraseEcho removes the prompt and the line the terminal echoed, so the
// line appears once, as the room's copy in the room's order. The reader
// holds the screen, so nothing was written since the echo.
func (c *ptyConsole) eraseEcho(line string) {
	if c.width < 1 {
		return
	}
	rows := (c.promptWidth+displayWidth(line))/c.width + 1
	buf := make([]byte, 0, 16)
	buf = append(buf, "\x1b["...)
	buf = appendInt(buf, rows)
	buf = append(buf, "A\r\x1b[J"...)
	_, _ = c.t.Write(buf)
}

func (c *ptyConsole) setPrompt(prompt string) {
	c.prompt = prompt
	c.promptWidth = visibleWidth(prompt)
	c.t.SetPrompt(prompt)
}

func (c *ptyConsole) writeOwn(p []byte) {
	_, _ = c.t.Write(p)
	_ = c.flush()
}

// syncSize gives the terminal the size the client last reported, if it
// changed. The caller holds the screen.
func (c *ptyConsole) syncSize() {
	if w := c.win.Load(); w != c.applied {
		c.applied = w
		c.width, _ = unpackWindow(w)
		_ = c.t.SetSize(unpackWindow(w))
	}
}

// write shows p above the prompt and whatever the user is typing.
//
// Most of the time a user is not typing: the screen holds just the prompt,
// on one row. Then write redraws it itself (return, clear the row, p, the
// prompt), leaving the cursor where the terminal expects it. Otherwise the
// terminal does it, which costs allocations and more escape codes for
// every write: it moves the cursor over the half-typed line, clears each
// row, and repaints line and cursor.
func (c *ptyConsole) write(p []byte) error {
	c.screen.Lock()
	defer c.screen.Unlock()
	c.syncSize()
	var err error
	if c.waiting && c.lineDone && c.promptWidth < c.width {
		c.out = append(c.out, "\r\x1b[K"...)
		c.out = appendCRLF(c.out, p)
		c.out = append(c.out, c.prompt...)
	} else {
		_, err = c.t.Write(p)
	}
	if err != nil {
		c.out = c.out[:0]
		return err
	}
	return c.flush()
}

func (c *ptyConsole) writeLast(p []byte) error {
	c.screen.Lock()
	defer c.screen.Unlock()
	buf := make([]byte, 0, len(p)+len(p)/16+8)
	buf = append(buf, "\r\x1b[J"...) // to the start of the prompt's row, clear to the end
	buf = appendCRLF(buf, p)
	return writeChunked(c.ch, buf)
}

// maxChunk bounds one write to the SSH channel. The SSH library keeps, per
// connection and for good, a packet buffer and a cipher buffer as large as
// the largest write it was given: one burst (a backlog of join lines)
// would otherwise leave a user costing tens of kilobytes more for the rest
// of the session.
const maxChunk = 2 << 10

// writeChunked writes p to w in writes of at most maxChunk bytes.
func writeChunked(w io.Writer, p []byte) error {
	for len(p) > 0 {
		n := min(len(p), maxChunk)
		if _, err := w.Write(p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// sendQueued writes what *out holds to w and empties it; a burst's
// buffer is not kept for the session's life.
func sendQueued(w io.Writer, out *[]byte) error {
	if len(*out) == 0 {
		return nil
	}
	err := writeChunked(w, *out)
	*out = (*out)[:0]
	if cap(*out) > maxChunk {
		*out = nil
	}
	return err
}

// appendCRLF appends p with each "\n" as "\r\n", as a terminal in raw
// mode needs.
func appendCRLF(dst, p []byte) []byte {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			return append(dst, p...)
		}
		dst = append(dst, p[:i]...)
		dst = append(dst, '\r', '\n')
		p = p[i+1:]
	}
	return dst
}

func (c *ptyConsole) readErr() error { return c.lastErr }

func (c *ptyConsole) stopReading() {
	if !c.stopped {
		c.stopped = true
		_ = c.flush()
		c.screen.Unlock()
	}
}

// plainConsole serves a session without a terminal (ssh -T, or input from a
// pipe): one line in, one event per line out, no prompt, no escape codes.
type plainConsole struct {
	in      *bufio.Reader
	dec     inputDecoder
	ch      io.Writer
	clock   *inputClock
	max     int
	mu      sync.Mutex // serialises writes
	lastErr error
}

func newPlainConsole(ch io.ReadWriter, clock *inputClock, maxLine int) *plainConsole {
	c := &plainConsole{ch: ch, clock: clock, max: maxLine}
	c.dec.r = clockReader{ch, clock}
	c.in = bufio.NewReaderSize(&c.dec, 4096)
	return c
}

type clockReader struct {
	r     io.Reader
	clock *inputClock
}

func (r clockReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if n > 0 {
		r.clock.touch()
	}
	return n, err
}

// readLine returns the next line without its end. A line over the cap is
// skipped to its end, costing no more memory than the cap, and reported.
func (c *plainConsole) readLine() (string, bool, error) {
	line, err := c.readPlainLine()
	return line, false, err
}

func (c *plainConsole) readPlainLine() (string, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := c.in.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > c.max+2 { // +2: the line's own CR LF
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			c.lastErr = err
			if len(line) > 0 && !tooLong {
				return string(bytes.TrimRight(line, "\r\n")), nil
			}
			return "", err
		}
		if tooLong {
			return "", errLineTooLong
		}
		return string(bytes.TrimRight(line, "\r\n")), nil
	}
}

func (c *plainConsole) setPrompt(string) {}

func (c *plainConsole) writeOwn(p []byte) { _ = c.write(p) }

func (c *plainConsole) write(p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return writeChunked(c.ch, p)
}

func (c *plainConsole) writeLast(p []byte) error { return c.write(p) }

func (c *plainConsole) readErr() error { return c.lastErr }

func (c *plainConsole) stopReading() {}

// visibleWidth is the display width of s, ignoring CSI escape sequences
// (our own colour codes in prompts).
func visibleWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j + 1
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != 0x1b {
			j++
		}
		w += displayWidth(s[i:j])
		i = j
	}
	return w
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}
