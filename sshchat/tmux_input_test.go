package sshchat

import "testing"

// Bytes that are not UTF-8, arriving from a real terminal in the middle of
// a line, show as U+FFFD, and the sender goes on chatting.
func TestOpenSSHInvalidBytesKeepChatting(t *testing.T) {
	tm := newTmux(t) // first: it may skip the test
	srv := startServer(t, nil)
	alice := tm.join(srv, "alice")
	bob := tm.join(srv, "bob")
	alice.waitScreen("* bob joined (2 online)")

	alice.typeText("broken ")
	tm.must("send-keys", "-t", "alice:", "-H", "ff", "fe", "c0", "af") // raw bytes, in one write
	alice.typeText(" bytes")
	alice.key("Enter")
	bob.waitScreen("alice: broken \uFFFD bytes")

	alice.line("still chatting")
	bob.waitScreen("alice: still chatting")
	alice.waitScreen("alice: still chatting")
}

// Home and End as tmux sends them (ESC [ 1 ~ and ESC [ 4 ~) move the
// cursor rather than vanish or type letters.
func TestOpenSSHHomeEnd(t *testing.T) {
	tm := newTmux(t) // first: it may skip the test
	srv := startServer(t, nil)
	alice := tm.join(srv, "alice")
	bob := tm.join(srv, "bob")
	alice.waitScreen("* bob joined (2 online)")

	alice.typeText("abc")
	alice.key("Home")
	alice.typeText("X")
	alice.key("End")
	alice.typeText("Y")
	alice.key("Enter")
	bob.waitScreen("alice: XabcY")
}
