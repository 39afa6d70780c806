package sshchat

import (
	"context"
	"strings"
	"testing"
	"time"
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
// who left), so leaving is never mistaken for being slow. The shutdown
// notice goes in whatever is queued.
func TestPushResults(t *testing.T) {
	o := newOutbox(100, func() {})
	if r := o.push(&event{text: "ok"}); r != pushed {
		t.Fatalf("first push: %d", r)
	}
	if r := o.push(&event{text: strings.Repeat("x", 100)}); r != pushFull {
		t.Fatalf("over the cap: %d", r)
	}
	// Once one is refused, so are the rest: the user would see a gap.
	if r := o.push(&event{text: "small"}); r != pushFull {
		t.Fatalf("after a refusal, a push that fits: %d", r)
	}
	if r := o.push(&event{kind: evShutdown}); r != pushed {
		t.Fatalf("the shutdown notice: %d", r)
	}
	o.close()
	if r := o.push(&event{text: "late"}); r != pushClosed {
		t.Fatalf("after close: %d", r)
	}
}

// After the shutdown notice nothing else is queued: it stays the last line.
func TestShutdownNoticeIsTheLastEvent(t *testing.T) {
	h := newTestRoom(0, time.Now)
	m := bareMember("a", 1<<20)
	b := bareMember("b", 1<<20)
	_ = h.join(m)
	_ = h.join(b)
	h.shutdown()
	h.say(context.Background(), m, "after")
	_ = h.whisper(m, "b", "psst")
	h.notice(m, "a reply")
	for _, x := range []*member{m, b} {
		evs := x.out.take(nil)
		if last := evs[len(evs)-1]; last.kind != evShutdown {
			t.Errorf("%s: the last event is kind %d, not the shutdown notice", x.name, last.kind)
		}
	}
}
