package sshchat

import (
	"fmt"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	msg := newMessage("alice", "", "hello there")
	tests := []struct {
		name string
		v    viewer
		ev   *event
		want string
	}{
		{"plain message", viewer{name: "bob"}, msg, "alice: hello there\n"},
		{"own message hidden without a terminal", viewer{name: "alice"}, msg, ""},
		{"own message shown on a terminal", viewer{name: "alice", ownMessages: true}, msg, "alice: hello there\n"},
		{"wrapped with a hanging indent", viewer{name: "bob", width: 24}, newMessage("alice", "", "hello there my friend"), "alice: hello there my\n       friend\n"},
		{"narrow: text below the name", viewer{name: "bob", width: 14}, msg, "alice: \n  hello there\n"},
		{"private, receiver", viewer{name: "bob"}, newPrivate("alice", "bob", "psst"), "[private] alice → you: psst\n"},
		{"private, sender", viewer{name: "alice"}, newPrivate("alice", "bob", "psst"), "[private] you → bob: psst\n"},
		{"private in Portuguese", viewer{name: "bob", lang: langPT}, newPrivate("alice", "bob", "oi"), "[privado] alice → você: oi\n"},
		{"join seen by others", viewer{name: "bob"}, newPresence([]change{{seq: 2, name: "alice", online: 2}}), "* alice joined (2 online)\n"},
		{"the joiner is welcomed", viewer{name: "alice"}, &event{kind: evWelcome, from: "alice", to: "lobby", online: 2}, "Welcome, alice! 2 online. You are in #lobby. Type /help for commands, /quit to leave.\n"},
		{"a move's arrival, with the topic", viewer{name: "alice"}, &event{kind: evArrived, from: "alice", to: "rust", text: "crabs", online: 3}, "* You are now in #rust (3 here).\nTopic of #rust: crabs\n"},
		{"lost connection", viewer{name: "bob"}, newPresence([]change{{seq: 2, name: "alice", left: true, reason: leaveLost, online: 1}}), "* alice lost the connection (1 online)\n"},
		{"system text wrapped", viewer{name: "bob", width: 20}, &event{kind: evLocal, text: "* one two three four five six"}, "* one two three four\n  five six\n"},
		{"local lines", viewer{name: "bob"}, &event{kind: evLocal, text: "a\nb"}, "a\nb\n"},
		{"a mention stands out", viewer{name: "bob", color: true}, newMessage("alice", "", "hi @bob"), sgrBold + "▶ " + sgrReset + "alice" + sgrReset + ": hi @bob\n"},
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
		ev := newMessage("averyveryverylongname24", "", strings.Repeat("word ", 60)+strings.Repeat("界", 40))
		for _, line := range strings.Split(strings.TrimSuffix(string(v.render(nil, ev)), "\n"), "\n") {
			if w := displayWidth(line); w > max(width, displayWidth("averyveryverylongname24: ")) && w > 2 {
				t.Errorf("width %d: line %q is %d wide", width, line, w)
			}
		}
	}
}

// A join or leave line is formatted once per language and shared by
// every viewer of that language; each language still gets its own.
func TestSystemLinePerLanguage(t *testing.T) {
	ev := newPresence([]change{{seq: 1, name: "alice", left: true, reason: leaveLost, online: 3}})
	want := map[lang]string{
		langEN: "* alice lost the connection (3 online)\n",
		langPT: "* alice perdeu a conexão (3 online)\n",
	}
	for range 2 {
		for _, l := range []lang{langEN, langPT, langEN} {
			v := viewer{name: "bob", lang: l}
			if got := string(v.render(nil, ev)); got != want[l] {
				t.Errorf("%v: got %q, want %q", l, got, want[l])
			}
		}
	}
}

// A storm's line is wrapped once per width and shared: viewers of one
// width get the same bytes, another width its own wrapping, and a viewer
// who joined within the window only the changes after it.
func TestPresenceLineIsWrappedOncePerWidth(t *testing.T) {
	var cs []change
	for i := range 30 {
		cs = append(cs, change{seq: uint64(10 + i), name: fmt.Sprintf("user%02d", i), online: 10 + i})
	}
	ev := newPresence(cs)
	narrow := viewer{name: "a", width: 40, joined: 1}
	wide := viewer{name: "b", width: 100, joined: 2}
	late := viewer{name: "user20", width: 40, joined: 30}
	first := string(narrow.render(nil, ev))
	again := string((&viewer{name: "c", width: 40, joined: 3}).render([]byte("x"), ev))
	if again != "x"+first {
		t.Errorf("the same width rendered differently:\n%q\n%q", first, again)
	}
	if w := string(wide.render(nil, ev)); w == first || strings.Count(w, "\n") >= strings.Count(first, "\n") {
		t.Errorf("a wider viewer got the narrow wrapping:\n%s", w)
	}
	if l := string(late.render(nil, ev)); strings.Contains(l, "user19") || !strings.Contains(l, "user21") {
		t.Errorf("a viewer who joined in the window got:\n%s", l)
	}
	for _, line := range strings.Split(strings.TrimSuffix(first, "\n"), "\n") {
		if displayWidth(line) > 40 {
			t.Errorf("a line wider than 40: %q", line)
		}
	}
}
