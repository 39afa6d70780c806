package sshchat

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
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

// What a user counts as seen when the session ends stops before the first
// message its outbox refused or never wrote: "while you were away" then
// starts with it.
func TestSeenStopsBeforeWhatWasMissed(t *testing.T) {
	msg := func(seq uint64, size int) *event {
		ev := newMessage("bob", "", strings.Repeat("x", size))
		ev.logSeq = seq
		return ev
	}
	full := newOutbox(300, func() {})
	full.push(msg(5, 10))
	if r := full.push(msg(6, 400)); r != pushFull {
		t.Fatalf("over the cap: %d", r)
	}
	full.push(msg(7, 10))
	if got := full.shownUpTo(7); got != 5 {
		t.Errorf("refused from 6 on: seen up to %d, want 5", got)
	}
	if got := full.shownUpTo(4); got != 4 {
		t.Errorf("ended at 4, before the refusal: seen up to %d, want 4", got)
	}

	unwritten := newOutbox(1<<20, func() {})
	for seq := range uint64(4) {
		unwritten.push(msg(10+seq, 10))
	}
	batch := unwritten.take(nil)
	unwritten.miss(batch[2:]) // a write that failed, or a dead connection's leftovers
	if got := unwritten.shownUpTo(20); got != 11 {
		t.Errorf("12 and 13 never written: seen up to %d, want 11", got)
	}
	// A joiner's history stands for the live copies it replaced: if it is
	// never written, neither were they.
	joiner := newOutbox(1<<20, func() {})
	joiner.hold()
	joiner.push(msg(7, 10))
	joiner.push(msg(8, 10))
	joiner.release(newHistory("earlier", "now", []chatlog.Entry{{Seq: 6}, {Seq: 7}}))
	joiner.miss(joiner.take(nil)[:1])
	if got := joiner.shownUpTo(8); got != 6 {
		t.Errorf("history with 7 in it never written: shown up to %d, want 6", got)
	}
	if got := newOutbox(100, func() {}).shownUpTo(9); got != 9 {
		t.Errorf("nothing missed: seen up to %d, want 9", got)
	}
}

// A member dropped as too slow by a message has not seen that message:
// the server's "last handed out" moves past an entry only once its room
// has handed it to everyone.
func TestDroppedByAMessageHasNotSeenIt(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome")
	var lastAtDrop atomic.Uint64
	slow := bareMember("slow", 500) // its join fits; a message of 700 bytes does not
	slow.drop = func(leaveReason) bool { lastAtDrop.Store(srv.rooms.last.Load()); return true }
	if err := srv.rooms.lobby.join(slow); err != nil {
		t.Fatal(err)
	}
	alice.send("one " + strings.Repeat("x", 700))
	alice.expect("alice: one")
	alice.expect("* slow was disconnected")
	at := srv.rooms.lobby.lastSeq()
	if lastAtDrop.Load() >= at {
		t.Errorf("dropped by message %d with %d already counted as handed out", at, lastAtDrop.Load())
	}
	if got := slow.out.shownUpTo(at); got >= at {
		t.Errorf("the outbox refused %d: shown up to %d", at, got)
	}
}

// An entry that reaches a room already closed for shutdown was not shown
// to anyone still in it.
func TestClosingRoomNotesWhatItCouldNotHandOut(t *testing.T) {
	h := newTestRoom(0, time.Now)
	m := bareMember("ana", 1<<20)
	if err := h.join(m); err != nil {
		t.Fatal(err)
	}
	h.shutdown()
	seq, err := h.log.Append(context.Background(), chatlog.Entry{Room: h.name, ID: "late", From: "bob", Text: "too late"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.out.shownUpTo(seq); got != seq-1 {
		t.Errorf("shown up to %d, want %d: the closed room could not hand out %d", got, seq-1, seq)
	}
}
