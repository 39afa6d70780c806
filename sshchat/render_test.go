package sshchat

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	msg := &event{kind: evMessage, from: "alice", text: "hello there"}
	tests := []struct {
		name string
		v    viewer
		ev   *event
		want string
	}{
		{"plain message", viewer{name: "bob"}, msg, "alice: hello there\n"},
		{"own message hidden without a terminal", viewer{name: "alice"}, msg, ""},
		{"own message shown on a terminal", viewer{name: "alice", ownMessages: true}, msg, "alice: hello there\n"},
		{"wrapped with a hanging indent", viewer{name: "bob", width: 24}, &event{kind: evMessage, from: "alice", text: "hello there my friend"}, "alice: hello there my\n       friend\n"},
		{"narrow: text below the name", viewer{name: "bob", width: 14}, msg, "alice: \n  hello there\n"},
		{"private, receiver", viewer{name: "bob"}, &event{kind: evPrivate, from: "alice", to: "bob", text: "psst"}, "[private] alice → you: psst\n"},
		{"private, sender", viewer{name: "alice"}, &event{kind: evPrivate, from: "alice", to: "bob", text: "psst"}, "[private] you → bob: psst\n"},
		{"private in Portuguese", viewer{name: "bob", lang: langPT}, &event{kind: evPrivate, from: "alice", to: "bob", text: "oi"}, "[privado] alice → você: oi\n"},
		{"join seen by others", viewer{name: "bob"}, &event{kind: evJoin, from: "alice", online: 2}, "* alice joined (2 online)\n"},
		{"join seen by the joiner is the welcome", viewer{name: "alice"}, &event{kind: evJoin, from: "alice", online: 2}, "Welcome, alice! 2 online. Type /help for commands, /quit to leave.\n"},
		{"lost connection", viewer{name: "bob"}, &event{kind: evLeave, from: "alice", reason: leaveLost, online: 1}, "* alice lost the connection (1 online)\n"},
		{"system text wrapped", viewer{name: "bob", width: 20}, &event{kind: evLocal, text: "* one two three four five six"}, "* one two three four\n  five six\n"},
		{"local lines", viewer{name: "bob"}, &event{kind: evLocal, text: "a\nb"}, "a\nb\n"},
		{"a mention stands out", viewer{name: "bob", color: true}, &event{kind: evMessage, from: "alice", text: "hi @bob"}, sgrBold + "▶ " + sgrReset + "alice" + sgrReset + ": hi @bob\n"},
		{"colour resets before the newline", viewer{name: "bob", color: true}, &event{kind: evLocal, text: "! no"}, sgrError + "! no" + sgrReset + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.v.render(nil, tt.ev)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// Every rendered line fits the viewer's width, whatever the name and text,
// so the terminal never wraps a line on its own.
func TestRenderFitsWidth(t *testing.T) {
	for _, width := range []int{1, 5, 9, 20, 80} {
		v := viewer{name: "bob", width: width}
		ev := &event{kind: evMessage, from: "averyveryverylongname24", text: strings.Repeat("word ", 60) + strings.Repeat("界", 40)}
		for _, line := range strings.Split(strings.TrimSuffix(string(v.render(nil, ev)), "\n"), "\n") {
			if w := displayWidth(line); w > max(width, displayWidth("averyveryverylongname24: ")) && w > 2 {
				t.Errorf("width %d: line %q is %d wide", width, line, w)
			}
		}
	}
}
