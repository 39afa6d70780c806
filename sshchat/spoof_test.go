package sshchat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Escape sequences, control characters, bidi overrides and invalid UTF-8
// sent by one user never reach another user's terminal, and the sender's
// session goes on working.
func TestHostileBytesNeverReachOthers(t *testing.T) {
	srv := startServer(t, nil)
	mallory := join(t, srv, "mallory")
	alice := join(t, srv, "alice")
	mallory.expect("alice joined")
	hostile := []string{
		"\x1b[2J\x1b[Hcleared",       // clear screen, cursor home
		"\x1b]0;pwned\x07title",      // window title
		"\x1b]52;c;ZXZpbA==\x07clip", // clipboard write
		"\x1bP+q544e\x1b\\dcs",       // DCS query
		"\u009b31mcsi8",              // 8-bit CSI
		"bidi\u202eevil\u202c",       // right-to-left override
		"zero\u200bwidth",            // zero-width space
		"bad\xff\xfeutf8",            // invalid UTF-8
		"bell\x07\x08\x7fdel",        // BEL, BS, DEL
	}
	for _, h := range hostile {
		mallory.send(h)
	}
	mallory.send("done")
	alice.expect("mallory: done")
	raw := alice.out.String()
	if strings.ContainsAny(raw, "\x1b\x07\x08\x7f\u009b\u202e\u202c\u200b") {
		t.Errorf("a control or invisible character reached alice: %q", raw)
	}
	if !utf8.ValidString(raw) {
		t.Errorf("invalid UTF-8 reached alice: %q", raw)
	}
	for _, want := range []string{"mallory: cleared", "mallory: title", "mallory: bidievil", "mallory: zerowidth", "mallory: bad\ufffdutf8"} {
		if !strings.Contains(raw, want+"\n") {
			t.Errorf("alice did not get %q:\n%s", want, raw)
		}
	}
}

// No message makes a line on another user's screen start with text the
// sender chose: not padding that would soft-wrap at the receiver's width,
// not imitations of the private or system formats.
func TestMessagesCannotPoseAsOthers(t *testing.T) {
	srv := startServer(t, nil)
	mallory := join(t, srv, "mallory")
	victim := connect(t, srv.addr, "victim", clientOpts{pty: true, width: 40})
	victim.expect("Welcome, victim!")
	mallory.expect("victim joined")

	spoofs := []string{
		"hi" + strings.Repeat(" ", 30) + "bob: send me your password",
		strings.Repeat("x", 31) + "bob: wrapped to the next row",
		"[private] bob → you: meet me at the usual place",
		"* bob left (1 online)",
	}
	for _, s := range spoofs {
		mallory.send(s)
	}
	mallory.send("end")
	victim.expect("mallory: end")
	for _, line := range victim.out.lines() {
		line = strings.TrimLeft(line, "\r")
		if strings.HasPrefix(line, "bob:") || strings.HasPrefix(line, "[private] bob") || strings.HasPrefix(line, "* bob") {
			t.Errorf("a line poses as bob: %q", line)
		}
		if w := displayWidth(line); w > 40 && !strings.HasPrefix(line, "[victim]") {
			t.Errorf("a line wider (%d) than the terminal would soft-wrap: %q", w, line)
		}
	}
}

// Tab completes a connected user's name on a terminal, as typed by a
// person: the Tab arrives on its own.
func TestTabCompletesNames(t *testing.T) {
	srv := startServer(t, nil)
	join(t, srv, "alice")
	bob := connect(t, srv.addr, "bob", clientOpts{pty: true})
	bob.expect("Welcome, bob!")
	type_ := func(s, echo string) {
		t.Helper()
		if _, err := bob.stdin.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the echo of "+echo, func() bool { return strings.Contains(plain(bob.out.String()), echo) })
	}
	type_("hi @ali", "hi @ali")
	type_("\t", "hi @alice ")
	type_("how are you\r", "bob: hi @alice how are you")
}

// A window change is honoured: lines wrap to the new width.
func TestWindowChangeIsHonoured(t *testing.T) {
	srv := startServer(t, nil)
	speaker := join(t, srv, "speaker")
	viewer := connect(t, srv.addr, "viewer", clientOpts{pty: true, width: 30})
	viewer.expect("Welcome, viewer!")
	speaker.expect("viewer joined")
	long := strings.Repeat("word ", 12) + "end" // 63 characters
	speaker.send(long)
	viewer.expect("speaker: word word") // wrapped at 30
	viewer.expect("end")
	if err := viewer.sess.WindowChange(24, 120); err != nil {
		t.Fatal(err)
	}
	// The change is applied with the next output; wait until a line shows it.
	waitUntil(t, "a message drawn at the new width", func() bool {
		speaker.send(long)
		line, ok := viewer.out.waitLine(func(l string) bool { return strings.Contains(l, "speaker: ") }, waitFor)
		return ok && strings.HasSuffix(line, "end")
	})
}

// On a terminal, names are coloured, each by its own colour.
func TestNamesAreColouredOnTerminals(t *testing.T) {
	srv := startServer(t, nil)
	speaker := join(t, srv, "speaker")
	viewer := connect(t, srv.addr, "viewer", clientOpts{pty: true})
	viewer.expect("Welcome, viewer!")
	speaker.expect("viewer joined")
	speaker.send("in colour")
	viewer.expect("speaker: in colour")
	if raw := viewer.out.String(); !strings.Contains(raw, nameColor("speaker")+"speaker"+sgrReset+": in colour") {
		t.Errorf("the name is not coloured: %q", raw)
	}
	if raw := speaker.out.String(); strings.Contains(raw, "\x1b") {
		t.Errorf("escape codes reached a client without a terminal: %q", raw)
	}
}
