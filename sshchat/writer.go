package sshchat

import (
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A session's output: the room pushes events into its outbox, and its one
// writer goroutine renders them for the user and writes them, all that is
// queued at once. The writer does the session's last write too.

// outbox is one member's queue of events waiting to be written. The room
// pushes into it and must never block on it; the member's writer drains
// everything queued at once, so a burst becomes one write.
//
// It is capped in bytes rather than in events, as a long line costs more
// than a short one. A push that would pass the cap fails: the member is a
// slow consumer and gets disconnected, instead of slowing anyone else down.
//
// The writer goroutine runs only while there is something to write: push
// starts one when none is running, and the writer retires after a quiet
// spell. An idle user costs no goroutine of its own for output.
type outbox struct {
	mu        sync.Mutex
	queue     []*event
	bytes     int
	max       int
	closed    bool
	full      bool          // a push was refused: later ones are too, so the user never sees a gap
	writing   bool          // a writer is running or starting
	ending    bool          // the session is ending: the running writer must not retire
	woken     bool          // a wake is pending: the writer has not taken since
	held      bool          // events queue but no writer starts: a joiner's history comes first
	heldAt    int           // where in queue the hold began: what came before is the old room's
	start     func()        // starts a writer goroutine; set before the first push
	wake      chan struct{} // capacity 1: "there is something to take"
	pushedSeq uint64        // the last message (log sequence) queued
	missed    uint64        // the first message (log sequence) refused or never written; 0: none
}

func newOutbox(maxBytes int, start func()) *outbox {
	return &outbox{max: maxBytes, start: start, wake: make(chan struct{}, 1)}
}

// pushResult says what became of a pushed event.
type pushResult uint8

const (
	pushed     pushResult = iota
	pushFull              // over the byte cap: the member is too slow
	pushClosed            // the member has left; the event is dropped
)

// push queues ev without blocking.
func (o *outbox) push(ev *event) pushResult {
	n := ev.size()
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return pushClosed
	}
	// The shutdown notice, one per session and the last, always fits.
	if (o.full || o.bytes+n > o.max) && ev.kind != evShutdown {
		o.full = true
		o.missLocked(ev)
		o.mu.Unlock()
		return pushFull
	}
	o.queue = append(o.queue, ev)
	o.bytes += n
	o.pushedSeq = max(o.pushedSeq, ev.logSeq)
	if o.held {
		o.mu.Unlock()
		return pushed
	}
	startWriter := !o.writing
	o.writing = true
	// A writer that is behind already has a wake pending: the send on the
	// channel, one per delivery otherwise, is skipped.
	signal := !startWriter && !o.woken
	o.woken = true
	o.mu.Unlock()
	if startWriter {
		o.start()
	} else if signal {
		o.signal()
	}
	return pushed
}

// hold queues what is pushed without writing it, until release.
func (o *outbox) hold() {
	o.mu.Lock()
	o.held = true
	o.heldAt = len(o.queue)
	o.mu.Unlock()
}

// release puts first (if any) before everything queued while held (after
// what was queued before: a room the member moved out of), and lets the
// writer have it all.
func (o *outbox) release(first ...*event) {
	o.mu.Lock()
	if !o.held {
		o.mu.Unlock()
		return
	}
	o.held = false
	if at := min(o.heldAt, len(o.queue)); len(first) > 0 && !o.closed {
		for _, ev := range first {
			// A message the room delivered while the history was read is
			// in both; the live copy goes, and the history stands for it.
			if n := len(ev.entries); n > 0 {
				last := ev.entries[n-1].Seq
				held := slices.DeleteFunc(o.queue[at:], func(q *event) bool {
					if q.kind == evMessage && q.logSeq <= last {
						o.bytes -= q.size()
						if ev.logSeq == 0 || q.logSeq < ev.logSeq {
							ev.logSeq = q.logSeq
						}
						return true
					}
					return false
				})
				o.queue = o.queue[:at+len(held)]
			}
			o.bytes += ev.size()
		}
		o.queue = slices.Insert(o.queue, at, first...)
	}
	o.mu.Unlock()
	o.kick()
}

// kick starts or wakes the writer for what is queued.
func (o *outbox) kick() {
	o.mu.Lock()
	if len(o.queue) == 0 && !o.ending {
		o.mu.Unlock()
		return
	}
	startWriter := !o.writing
	o.writing = true
	o.woken = true
	o.mu.Unlock()
	if startWriter {
		o.start()
	} else {
		o.signal()
	}
}

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// take moves everything queued into dst (whose contents it discards) and
// returns it. Swapping slices keeps both allocations alive across batches.
// While held, only what came before the hold is taken.
func (o *outbox) take(dst []*event) []*event {
	clear(dst)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.woken = false
	if o.held {
		dst = append(dst[:0], o.queue[:o.heldAt]...)
		for _, ev := range dst {
			o.bytes -= ev.size()
		}
		n := copy(o.queue, o.queue[o.heldAt:])
		clear(o.queue[n:])
		o.queue = o.queue[:n]
		o.heldAt = 0
		return dst
	}
	dst, o.queue = o.queue, dst[:0]
	o.bytes = 0
	return dst
}

// retire is the writer asking to stop: it may, and must then return, only
// when nothing is queued; a later push starts a new writer.
func (o *outbox) retire() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queue) > 0 || o.ending {
		return false
	}
	o.writing = false
	o.queue = nil // an idle member keeps no slice grown by a burst
	return true
}

// end makes sure a writer is running, wakes it, and keeps it running
// until it has done the session's last write.
func (o *outbox) end() {
	o.mu.Lock()
	o.ending = true
	o.held = false
	startWriter := !o.writing
	o.writing = true
	o.mu.Unlock()
	if startWriter {
		o.start()
	} else {
		o.signal()
	}
}

// missLocked notes that the user was not shown ev.
func (o *outbox) missLocked(ev *event) {
	if ev.logSeq > 0 && (o.missed == 0 || ev.logSeq < o.missed) {
		o.missed = ev.logSeq
	}
}

// miss notes that the user was not shown the events of batch (a write
// that failed, or what a dead connection left queued).
func (o *outbox) miss(batch []*event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ev := range batch {
		o.missLocked(ev)
	}
}

// pushedUpTo is the last message queued, which may be one the rooms are
// still handing out.
func (o *outbox) pushedUpTo() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pushedSeq
}

// shownUpTo is the last log sequence the user was shown, given that the
// session ended when last had been handed out (or queued to the user):
// before the first message the outbox refused or never wrote.
func (o *outbox) shownUpTo(last uint64) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.missed > 0 && o.missed <= last {
		return o.missed - 1
	}
	return last
}

// close makes later pushes fail; what is queued can still be taken.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

// writerLinger is how long a writer waits for more to write before it
// retires. It outlasts the gap between messages in a lively room: a
// writer that retires between every two messages costs a goroutine start,
// a stack grown again through the SSH library, a timer and an exit per
// delivery (14% of the server's CPU in a 10,000-user room at one message
// a second with a one-second linger).
const writerLinger = 5 * time.Second

// writer renders and writes m's events: everything queued at a wake-up
// becomes one write. It retires after writerLinger with nothing to do; the
// outbox starts another when an event arrives. The one that sees the
// session end does the last write. It takes m rather than reading
// s.self: the first writer starts inside room.join, before the session
// has recorded its member.
func (s *session) writer(m *member, log *slog.Logger) {
	var batch []*event
	defer func() {
		if r := recover(); r != nil {
			log.Error("panic in writer", "panic", r, "stack", string(debug.Stack()))
			m.out.miss(batch) // perhaps half written
			m.out.miss(m.out.take(nil))
			s.close(leaveError)
			_ = s.conn.Close()
			s.lastOnce.Do(func() { close(s.writerDone) })
		}
	}()
	v := viewer{name: m.name, color: s.color, ownMessages: s.pty, joined: s.viewJoined.Load()}
	var applied uint64
	var buf []byte
	// The writer waits on the outbox's wake channel alone: the session's
	// end (outbox.end) and the linger timer wake it through it too, so
	// waiting is a plain receive rather than a select over a timer. The
	// timer is armed once per linger period, not per write: when it has
	// fired, the writer checks when the last write was and re-arms for the
	// rest, or retires.
	lastActive := time.Now()
	var lingered atomic.Bool
	idle := time.AfterFunc(writerLinger, func() {
		lingered.Store(true)
		m.out.signal()
	})
	defer idle.Stop()
	for {
		if s.over.Load() {
			s.lastWrite(m, &v, batch, buf)
			s.lastOnce.Do(func() { close(s.writerDone) })
			return
		}
		batch = m.out.take(batch)
		if len(batch) == 0 {
			if lingered.Swap(false) {
				if quiet := time.Since(lastActive); quiet < writerLinger {
					idle.Reset(writerLinger - quiet)
				} else if m.out.retire() {
					return
				} else {
					idle.Reset(writerLinger)
				}
			}
			<-m.out.wake
			continue
		}
		v.lang, v.loc, v.now, v.bell, v.stamps = s.language(), s.zone(), s.srv.now(), !s.quiet.Load(), s.stamps.Load()
		// The member moves between rooms and may be renamed (/nick): the
		// session's current member says who and since when.
		cur := s.joined.Load()
		if cur == nil {
			cur = m
		}
		v.name = cur.name
		if w := s.win.Load(); s.pty && w != applied {
			applied = w
			cols, _ := unpackWindow(w)
			v.width = textWidth(cols)
		}
		buf = buf[:0]
		for _, ev := range batch {
			buf = s.render(&v, buf, ev)
		}
		if len(buf) == 0 {
			continue // nothing for this user (its own join, told to the room)
		}
		if err := s.console.write(buf); err != nil {
			m.out.miss(batch)
			s.close(leaveLost) // the loop's next turn sees the end
		}
		if cap(buf) > 4<<10 {
			buf = nil // a burst's buffer is not kept while the writer runs
		}
		lastActive = time.Now()
		if gap := time.Duration(s.srv.pacer.gap.Load()); gap > 0 {
			// The server is busy: what arrives during the gap goes out
			// with the next write (pacer.go).
			time.Sleep(gap)
		}
	}
}

// lastWrite flushes what is still queued (such as the shutdown notice) and
// a farewell for the reason the session ended, then closes the channel so
// the reader and the client see the end. A client that will not take the
// bytes gets a bounded wait.
func (s *session) lastWrite(m *member, v *viewer, batch []*event, buf []byte) {
	row := s.reason.row()
	if row.deadConn {
		m.out.miss(m.out.take(batch)) // the connection is closed or useless
		return
	}
	if w := s.win.Load(); s.pty {
		cols, _ := unpackWindow(w)
		v.width = textWidth(cols)
	}
	batch = m.out.take(batch)
	v.lang, v.loc, v.now = s.language(), s.zone(), s.srv.now()
	buf = buf[:0]
	for _, ev := range batch {
		buf = s.render(v, buf, ev)
	}
	if row.farewell >= 0 {
		var args []any
		if row.farewellArgs != nil {
			args = row.farewellArgs(&s.srv.cfg)
		}
		buf = append(buf, v.lang.t(row.farewell, args...)...)
		buf = append(buf, '\n')
	}
	if _, ok := s.console.(*ptyConsole); ok {
		buf = append(buf, "\x1b[?2004l"...) // bracketed paste off: leave the terminal as found
	}
	stop := time.AfterFunc(s.srv.cfg.FlushTimeout, func() { _ = s.conn.Close() })
	if err := s.console.writeLast(buf); err != nil {
		m.out.miss(batch)
	}
	stop.Stop()
	s.exit(row.status)
	s.closeSoon()
}

// textWidth is the width messages are wrapped to on a terminal of width
// cells: one cell of margin (see viewer.width).
func textWidth(cells int) int {
	if cells <= 0 {
		return 0
	}
	return cells - 1
}

// clampWindow keeps a claimed window size within what a real terminal can
// be, so nothing sized from it can be abused. Zero means unknown (80x24);
// narrower than minWidth is treated as minWidth, where text is still
// readable.
func clampWindow(w, h int) (int, int) {
	const maxCells, minWidth = 4096, 16
	if w <= 0 {
		w = 80
	}
	if h <= 0 {
		h = 24
	}
	return min(max(w, minWidth), maxCells), min(h, maxCells)
}

// render renders ev for the session's viewer. A room's greeting (a
// login's welcome, a move's arrival) carries the viewer's join into that
// room: the joins and leaves after it are told, and those before it in
// the queue, of the room left, still against the join before.
func (s *session) render(v *viewer, dst []byte, ev *event) []byte {
	if ev.kind == evWelcome || ev.kind == evArrived {
		v.joined = ev.seq
		s.viewJoined.Store(ev.seq) // for the next writer, if this one retires
	}
	return v.render(dst, ev)
}
