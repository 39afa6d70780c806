package sshchat

import (
	"context"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// recent is a room's last messages, kept as the log hands them to the
// room, so that a joiner's history is read from memory. From the store
// it took up to twenty direct gets, each a request through the embedded
// NATS server: in a connect storm into a room with history, that was a
// fifth of the server's work. The first joiner reads the store once, and
// what the room was handed meanwhile is merged in by sequence.
//
// It is guarded by its room's mu.
type recent struct {
	max     int           // messages kept: the history a joiner is shown
	maxAge  time.Duration // older ones are gone from the store too, and not shown (0: kept)
	ready   bool          // seeded from the log: entries are the room's last messages
	entries []chatlog.Entry
}

// add keeps e, a message the log handed the room, in order. One the
// seeding read already held (the room is handed it a moment after the
// log has it) is not kept twice.
func (t *recent) add(e chatlog.Entry) {
	if t.max <= 0 || len(t.entries) > 0 && e.Seq <= t.entries[len(t.entries)-1].Seq {
		return
	}
	if len(t.entries) == t.max {
		copy(t.entries, t.entries[1:])
		t.entries = t.entries[:t.max-1]
	}
	t.entries = append(t.entries, e)
}

// last is a copy of the last n messages younger than maxAge, if the
// room keeps that many.
func (t *recent) last(n int, now time.Time) ([]chatlog.Entry, bool) {
	if !t.ready || n > t.max {
		return nil, false
	}
	es := t.entries[len(t.entries)-min(n, len(t.entries)):]
	for t.maxAge > 0 && len(es) > 0 && now.Sub(es[0].At) > t.maxAge {
		es = es[1:]
	}
	return append([]chatlog.Entry(nil), es...), true
}

// seed makes read, the room's last messages as the log gave them, what
// is kept, followed by any the room was handed after them.
func (t *recent) seed(read []chatlog.Entry) {
	if t.ready || t.max <= 0 {
		return
	}
	var after uint64
	if len(read) > 0 {
		after = read[len(read)-1].Seq
	}
	since := t.entries
	t.entries = make([]chatlog.Entry, 0, t.max)
	for _, e := range read {
		t.add(e)
	}
	for _, e := range since {
		if e.Seq > after {
			t.add(e)
		}
	}
	t.ready = true
}

// history is the room's last n messages: from memory, or from the log
// (which then seeds the memory, when n is what it keeps).
func (r *room) history(ctx context.Context, n int, now time.Time) ([]chatlog.Entry, error) {
	r.mu.Lock()
	es, ok := r.recent.last(n, now)
	r.mu.Unlock()
	if ok {
		return es, nil
	}
	es, err := r.log.Last(ctx, r.name, n, 0)
	if err != nil || n != r.recent.max {
		return es, err
	}
	r.mu.Lock()
	r.recent.seed(es)
	r.mu.Unlock()
	return es, nil
}
