package sshchat

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gossh "golang.org/x/crypto/ssh"
)

// connectTerm joins as user with a terminal of type termName; it does not
// wait for the welcome.
func connectTerm(t testing.TB, addr, user, termName string) *client {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, waitFor)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	cfg := &gossh.ClientConfig{
		User: user,
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			return nil, nil
		})},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         waitFor,
	}
	c, chans, reqs, err := gossh.NewClientConn(raw, addr, cfg)
	if err != nil {
		t.Fatalf("ssh handshake as %q: %v", user, err)
	}
	conn := gossh.NewClient(c, chans, reqs)
	t.Cleanup(func() { _ = conn.Close() })
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	cl := &client{t: t, name: user, conn: conn, raw: raw, sess: sess, out: newTranscript(), waitErr: make(chan error, 1)}
	cl.stdin, _ = sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	sess.Stderr = cl.out
	if err := sess.RequestPty(termName, 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatalf("pty: %v", err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatalf("shell: %v", err)
	}
	go func() { _, _ = io.Copy(cl.out, stdout); cl.out.close() }() // ends when the session's output ends
	go func() { cl.waitErr <- sess.Wait() }()                      // ends when the session ends
	return cl
}

// sendRaw writes each part as one write, exactly as given.
func (c *client) sendRaw(parts ...string) {
	c.t.Helper()
	for _, p := range parts {
		if _, err := io.WriteString(c.stdin, p); err != nil {
			c.t.Fatalf("%s: send %q: %v", c.name, p, err)
		}
	}
}

// rawOutput follows what a client receives, escape codes and all, apart
// from the line-based expect.
type rawOutput struct {
	c    *client
	next int // offset of the first byte not yet consumed
}

// expect waits for the output to hold want after what earlier calls
// consumed, and consumes through it.
func (o *rawOutput) expect(want string) {
	c := o.c
	c.t.Helper()
	deadline := time.NewTimer(waitFor)
	defer deadline.Stop()
	tr := c.out
	for {
		tr.mu.Lock()
		i := bytes.Index(tr.buf[o.next:], []byte(want))
		if i >= 0 {
			o.next += i + len(want)
			tr.mu.Unlock()
			return
		}
		change, closed := tr.change, tr.closed
		tr.mu.Unlock()
		if closed {
			c.t.Fatalf("%s: output ended without %q; got:\n%q", c.name, want, tr.String())
		}
		select {
		case <-change:
		case <-deadline.C:
			c.t.Fatalf("%s: no %q within %v; got:\n%q", c.name, want, waitFor, tr.String())
		}
	}
}

// checkNothingRaw fails if what c received is not valid UTF-8, or holds an
// escape sequence other than our own cursor and colour codes.
func checkNothingRaw(t *testing.T, c *client) {
	t.Helper()
	got := c.out.String()
	if !utf8.ValidString(got) {
		t.Errorf("%s received invalid UTF-8:\n%q", c.name, got)
	}
	if rest := ansi.ReplaceAllString(got, ""); strings.IndexByte(rest, 0x1b) >= 0 {
		t.Errorf("%s received a stray escape:\n%q", c.name, rest)
	}
}

// Bytes that are not UTF-8 used to wedge the sender's input for good when
// they came in one packet: x/term waited for them to become a character.
// Now each run shows as U+FFFD and the next line goes through, on a
// terminal and without one, however the bytes arrive.
func TestInvalidUTF8DoesNotWedgeInput(t *testing.T) {
	const r = "\uFFFD"
	cases := []struct {
		name  string
		parts []string // the line as written, without its Enter
		want  string
	}{
		{"in one write", []string{"start \xff\xfe \xc0\xaf \xed\xa0\x80 \xf8\x88\x80\x80\x80 end"},
			"alice: start " + r + " " + r + " " + r + " " + r + " end"},
		{"split across writes", []string{"split \xe2", "\x82\xac and \xf0\x9f", "\x98 broken"},
			"alice: split € and " + r + " broken"},
		{"at the end of a bracketed paste", []string{"\x1b[200~pasted \xff\xfe\x1b[201~"},
			"alice: pasted " + r},
		{"truncated before Enter", []string{"cut \xe2\x82"}, "alice: cut " + r},
		{"U+FFFD typed", []string{"typed " + r}, "alice: typed " + r},
	}
	for _, mode := range []struct {
		name  string
		pty   bool
		enter string
	}{{"terminal", true, "\r"}, {"plain", false, "\n"}} {
		t.Run(mode.name, func(t *testing.T) {
			srv := startServer(t, noFloodLimit)
			bob := join(t, srv, "bob")
			alice := connect(t, srv.addr, "alice", clientOpts{pty: mode.pty})
			alice.expect("Welcome, alice!")
			bob.expect("alice joined")
			for i, tc := range cases {
				parts := append([]string(nil), tc.parts...)
				parts[len(parts)-1] += mode.enter
				alice.sendRaw(parts...)
				after := "after " + string(rune('a'+i)) + " ok"
				alice.sendRaw(after + mode.enter)
				if got := bob.expect("alice: "); got != tc.want {
					t.Errorf("%s: bob got %q, want %q", tc.name, got, tc.want)
				}
				bob.expect("alice: " + after)
			}
			checkNothingRaw(t, bob)
			checkNothingRaw(t, alice)
		})
	}
}

// Home and End as terminals send them (tmux, screen and the Linux console;
// rxvt; application cursor mode), and the arrows in application mode,
// move the cursor instead of typing letters, in one write or split
// byte by byte.
func TestHomeEndAndArrowForms(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	bob := join(t, srv, "bob")
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	bob.expect("alice joined")
	forms := []struct{ name, home, end string }{
		{"xterm", "\x1b[H", "\x1b[F"},
		{"tmux", "\x1b[1~", "\x1b[4~"},
		{"rxvt", "\x1b[7~", "\x1b[8~"},
		{"application mode", "\x1bOH", "\x1bOF"},
	}
	for _, f := range forms {
		keys := "abc" + f.home + "X" + f.end + "Y\r"
		alice.sendRaw(keys)
		if got := bob.expect("alice: "); got != "alice: XabcY" {
			t.Errorf("%s in one write: bob got %q, want %q", f.name, got, "alice: XabcY")
		}
		alice.sendRaw(strings.Split(keys, "")...)
		if got := bob.expect("alice: "); got != "alice: XabcY" {
			t.Errorf("%s byte by byte: bob got %q, want %q", f.name, got, "alice: XabcY")
		}
	}
	// Left and right, then up for the last line and down back to an
	// empty one.
	alice.sendRaw("ac\x1bODb\x1bOCd\r")
	if got := bob.expect("alice: "); got != "alice: abcd" {
		t.Errorf("application-mode left and right: bob got %q, want %q", got, "alice: abcd")
	}
	alice.sendRaw("\x1bOA", "!\r")
	if got := bob.expect("alice: "); got != "alice: abcd!" {
		t.Errorf("application-mode up: bob got %q, want %q", got, "alice: abcd!")
	}
	alice.sendRaw("\x1bOA\x1b", "O", "Bz\r")
	if got := bob.expect("alice: "); got != "alice: z" {
		t.Errorf("application-mode up and down: bob got %q, want %q", got, "alice: z")
	}
	checkNothingRaw(t, bob)
}

// A dumb terminal (TERM=dumb, as in an editor's shell buffer) gets no
// escape codes at all, from the welcome to the farewell; the server
// echoes what is typed, rubs out with Backspace, and shows room lines on
// lines of their own with the prompt and the half-typed line after them.
func TestDumbTerminal(t *testing.T) {
	srv := startServer(t, nil)
	bob := join(t, srv, "bob")
	dee := connectTerm(t, srv.addr, "dee", "dumb")
	dee.expect("Welcome, dee!")
	bob.expect("dee joined")
	screen := &rawOutput{c: dee}
	screen.expect("[dee] ")

	dee.sendRaw("hel")
	screen.expect("hel")
	dee.sendRaw("x\x7f")
	screen.expect("x\b \b")
	bob.send("interrupting")
	screen.expect("\r\nbob: interrupting\r\n[dee] hel")
	dee.sendRaw("lo\r")
	bob.expect("dee: hello")
	screen.expect("lo\r\ndee: hello\r\n[dee] ")

	// Keys a dumb terminal should not send are dropped whole.
	dee.sendRaw("a\x1b[Db\x1bOHc\r")
	bob.expect("dee: abc")

	dee.sendRaw("/quit\r")
	if err := dee.expectEnd(); err != nil {
		t.Errorf("session ended with %v", err)
	}
	if got := dee.out.String(); strings.IndexByte(got, 0x1b) >= 0 {
		t.Errorf("the dumb terminal received an escape code:\n%q", got)
	}
	// The dumb terminal also needs no invalid UTF-8 handling of its own.
	checkNothingRaw(t, dee)
}
