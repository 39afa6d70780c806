package sshchat

import (
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// A writer must not retire once the session is ending: someone has to do
// the last write, and the session waits for it.
func TestWriterCannotRetireWhileEnding(t *testing.T) {
	started := 0
	o := newOutbox(1<<20, func() { started++ })
	o.push(&event{kind: evLocal, text: "x"}) // starts a writer
	o.take(nil)                              // which drains the queue
	o.end()                                  // the session ends: a writer is running, none started
	if o.retire() {
		t.Fatal("the last writer retired after the session ended")
	}
	if started != 1 {
		t.Fatalf("%d writers started, want 1", started)
	}
}

// A push tells a full outbox (a slow member) from a closed one (a member
// who left), so leaving is never mistaken for being slow.
func TestPushResults(t *testing.T) {
	o := newOutbox(100, func() {})
	if r := o.push(&event{text: "ok"}); r != pushed {
		t.Fatalf("first push: %d", r)
	}
	if r := o.push(&event{text: strings.Repeat("x", 100)}); r != pushFull {
		t.Fatalf("over the cap: %d", r)
	}
	o.close()
	if r := o.push(&event{text: "late"}); r != pushClosed {
		t.Fatalf("after close: %d", r)
	}
}

// After the shutdown notice nothing else is queued: it stays the last line.
func TestShutdownNoticeIsTheLastEvent(t *testing.T) {
	h := newHub()
	m := &member{name: "a", key: "a", out: newOutbox(1<<20, func() {}), drop: func(leaveReason) bool { return true }}
	b := &member{name: "b", key: "b", out: newOutbox(1<<20, func() {}), drop: func(leaveReason) bool { return true }}
	_ = h.join(m)
	_ = h.join(b)
	h.shutdown()
	h.say(m, "after")
	_ = h.whisper(m, "b", "psst")
	h.local(m, "a reply")
	for _, x := range []*member{m, b} {
		evs := x.out.take(nil)
		if last := evs[len(evs)-1]; last.kind != evShutdown {
			t.Errorf("%s: the last event is kind %d, not the shutdown notice", x.name, last.kind)
		}
	}
}

// Requests that would hold memory for the session's life are refused.
func TestRequestsThatHoldMemoryRefused(t *testing.T) {
	env := func(k, v string) *gossh.Request {
		return &gossh.Request{Type: "env", Payload: gossh.Marshal(struct{ K, V string }{k, v})}
	}
	tests := []struct {
		name string
		req  *gossh.Request
		want bool
	}{
		{"LANG", env("LANG", "pt_BR.UTF-8"), true},
		{"LC_ALL", env("LC_ALL", "C.UTF-8"), true},
		{"other variable", env("LD_PRELOAD", "x.so"), false},
		{"huge key", env("LC_"+strings.Repeat("X", 1000), "C"), false},
		{"huge value", env("LANG", strings.Repeat("x", 1000)), false},
		{"signal", &gossh.Request{Type: "signal", Payload: gossh.Marshal(struct{ S string }{"INT"})}, false},
		{"break", &gossh.Request{Type: "break", Payload: make([]byte, 4)}, false},
		{"huge pty-req", &gossh.Request{Type: "pty-req", Payload: make([]byte, 64<<10)}, false},
		{"shell", &gossh.Request{Type: "shell"}, true},
	}
	for _, tt := range tests {
		n := 0
		if got := allowedRequest(tt.req, &n); got != tt.want {
			t.Errorf("%s: allowed = %v, want %v", tt.name, got, tt.want)
		}
	}
	n := 0
	for range maxEnv {
		allowedRequest(env("LANG", "C"), &n)
	}
	if allowedRequest(env("LANG", "C"), &n) {
		t.Errorf("more than %d environment variables accepted", maxEnv)
	}
}
