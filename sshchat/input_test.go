package sshchat

import (
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// sendRaw writes each part as one write, exactly as given.
func (c *client) sendRaw(parts ...string) {
	c.t.Helper()
	for _, p := range parts {
		if _, err := io.WriteString(c.stdin, p); err != nil {
			c.t.Fatalf("%s: send %q: %v", c.name, p, err)
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
