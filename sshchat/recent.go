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
// fifth of the server's work. The first joiner reads the store once
// (joiners arriving meanwhile wait for that read), and what the room was
// handed meanwhile is merged in by sequence.
//
// It is guarded by its room's mu.
type recent struct {
	max    int           // the history a joiner is shown (-history)
	keep   int           // messages kept: max, or fewer if the log keeps fewer
	maxAge time.Duration // older ones are gone from the store too, and not shown (0: kept)

	ready   bool  // seeded from the log: entries are the room's last messages
	gen     int   // counts forget calls: a read begun before one seeds nothing
	filling *fill // the read that will seed, while it runs
	entries []chatlog.Entry
}

// fill is one read of the log that seeds a room's memory; joiners that
// arrive while it runs are given its answer.
type fill struct {
	done    chan struct{} // closed when entries and err are set
	entries []chatlog.Entry
	err     error
}

// newRecent is an empty memory of a room's last max messages, in a log
// keeping logMax per room, without those older than maxAge.
func newRecent(max, logMax int, maxAge time.Duration) recent {
	return recent{max: max, keep: min(max, logMax), maxAge: maxAge}
}

// add keeps e, a message the log handed the room, in order. One the
// seeding read already held (the room is handed it a moment after the
// log has it) is not kept twice.
func (t *recent) add(e chatlog.Entry) {
	if t.keep <= 0 || len(t.entries) > 0 && e.Seq <= t.entries[len(t.entries)-1].Seq {
		return
	}
	if len(t.entries) == t.keep {
		copy(t.entries, t.entries[1:])
		t.entries = t.entries[:t.keep-1]
	}
	t.entries = append(t.entries, e)
}

// last is a copy of the last n messages younger than maxAge, if the
// room keeps that many.
func (t *recent) last(n int, now time.Time) ([]chatlog.Entry, bool) {
	if !t.ready || n > t.max {
		return nil, false
	}
	return t.young(t.entries[len(t.entries)-min(n, len(t.entries)):], now), true
}

// young is a copy of es without the messages older than maxAge.
func (t *recent) young(es []chatlog.Entry, now time.Time) []chatlog.Entry {
	for t.maxAge > 0 && len(es) > 0 && now.Sub(es[0].At) > t.maxAge {
		es = es[1:]
	}
	return append([]chatlog.Entry(nil), es...)
}

// seed makes read, the room's last messages as the log gave them, what
// is kept, followed by any the room was handed after them.
func (t *recent) seed(read []chatlog.Entry) {
	if t.ready || t.keep <= 0 {
		return
	}
	var after uint64
	if len(read) > 0 {
		after = read[len(read)-1].Seq
	}
	since := t.entries
	t.entries = make([]chatlog.Entry, 0, t.keep)
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

// forget drops what is kept, after the room's log was purged: the next
// joiner reads the log again, and a read begun before now seeds nothing.
func (t *recent) forget() {
	t.ready, t.entries, t.filling = false, nil, nil
	t.gen++
}

// history is the room's last n messages younger than the memory's
// maxAge: from memory, or from the log. A read of n == max seeds the
// memory; one already running is waited for instead of made again.
func (r *room) history(ctx context.Context, n int, now time.Time) ([]chatlog.Entry, error) {
	r.mu.Lock()
	t := &r.recent
	if es, ok := t.last(n, now); ok {
		r.mu.Unlock()
		return es, nil
	}
	if n != t.max || t.keep <= 0 {
		r.mu.Unlock()
		es, err := r.log.Last(ctx, r.name, n, 0)
		return t.young(es, now), err // maxAge is set at creation: no lock needed
	}
	f := t.filling
	if f == nil {
		f = &fill{done: make(chan struct{})}
		t.filling = f
		gen := t.gen
		r.mu.Unlock()
		f.entries, f.err = r.log.Last(ctx, r.name, n, 0)
		r.mu.Lock()
		if f.err == nil && gen == t.gen {
			t.seed(f.entries)
		}
		if t.filling == f {
			t.filling = nil
		}
		close(f.done)
	} else {
		r.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		r.mu.Lock()
	}
	// From memory once seeded: it holds what the room was handed after
	// the read too, which a joiner who waited may not have been.
	es, ok := t.last(n, now)
	r.mu.Unlock()
	if ok {
		return es, nil
	}
	return t.young(f.entries, now), f.err
}
