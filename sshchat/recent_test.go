package sshchat

import (
	"slices"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

func seqs(es []chatlog.Entry) []uint64 {
	var s []uint64
	for _, e := range es {
		s = append(s, e.Seq)
	}
	return s
}

// The room's memory of its last messages: unready until seeded, merged
// with what the room was handed meanwhile by sequence, trimmed to its
// size, and without messages older than the store keeps.
func TestRecentKeepsTheRoomsLastMessages(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(seq uint64, age time.Duration) chatlog.Entry {
		return chatlog.Entry{Seq: seq, At: now.Add(-age)}
	}
	r := newRecent(3, 100, time.Hour)
	if _, ok := r.last(3, now); ok {
		t.Fatal("an unseeded memory answered")
	}
	// Handed 4 and 5 while the log was read; the read ends at 4.
	r.add(at(4, 0))
	r.add(at(5, 0))
	r.seed([]chatlog.Entry{at(2, 0), at(3, 0), at(4, 0)})
	if got, ok := r.last(3, now); !ok || !slices.Equal(seqs(got), []uint64{3, 4, 5}) {
		t.Fatalf("after the seed: %v %v, want [3 4 5]", seqs(got), ok)
	}
	// A message the read held, handed to the room after, is not kept twice.
	r.add(at(5, 0))
	r.add(at(6, 0))
	if got, _ := r.last(3, now); !slices.Equal(seqs(got), []uint64{4, 5, 6}) {
		t.Fatalf("after 5 again and 6: %v, want [4 5 6]", seqs(got))
	}
	if got, _ := r.last(2, now); !slices.Equal(seqs(got), []uint64{5, 6}) {
		t.Fatalf("last 2: %v, want [5 6]", seqs(got))
	}
	if _, ok := r.last(4, now); ok {
		t.Error("asked for more than it keeps, it answered")
	}
	// What the store no longer keeps is not shown.
	old := newRecent(3, 100, time.Hour)
	old.seed([]chatlog.Entry{at(1, 2*time.Hour), at(2, 30*time.Minute), at(3, 0)})
	if got, _ := old.last(3, now); !slices.Equal(seqs(got), []uint64{2, 3}) {
		t.Fatalf("with one too old: %v, want [2 3]", seqs(got))
	}
	// The answer is a copy: a later add does not change it.
	got, _ := old.last(3, now)
	old.add(at(4, 0))
	if !slices.Equal(seqs(got), []uint64{2, 3}) {
		t.Errorf("a later add changed an answer: %v", seqs(got))
	}
	// A log keeping fewer than the history shown: the memory keeps as few.
	short := newRecent(5, 2, 0)
	short.seed([]chatlog.Entry{at(2, 0), at(3, 0)})
	short.add(at(4, 0))
	if got, ok := short.last(5, now); !ok || !slices.Equal(seqs(got), []uint64{3, 4}) {
		t.Errorf("with the log keeping 2: %v %v, want [3 4]", seqs(got), ok)
	}
	// After a purge the log is read again.
	old.forget()
	if _, ok := old.last(3, now); ok {
		t.Error("a forgotten memory answered")
	}
	// Nothing is kept when no history is shown.
	none := newRecent(0, 100, 0)
	none.add(at(1, 0))
	none.seed(nil)
	if len(none.entries) != 0 {
		t.Error("a room that shows no history kept messages")
	}
}
