package sshchat

import "sync"

// outbox is one member's queue of events waiting to be written. The hub
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
	mu      sync.Mutex
	queue   []*event
	bytes   int
	max     int
	closed  bool
	full    bool          // a push was refused: later ones are too, so the user never sees a gap
	writing bool          // a writer is running or starting
	ending  bool          // the session is ending: the running writer must not retire
	woken   bool          // a wake is pending: the writer has not taken since
	start   func()        // starts a writer goroutine; set before the first push
	wake    chan struct{} // capacity 1: "there is something to take"
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
		o.mu.Unlock()
		return pushFull
	}
	o.queue = append(o.queue, ev)
	o.bytes += n
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

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// take moves everything queued into dst (whose contents it discards) and
// returns it. Swapping slices keeps both allocations alive across batches.
func (o *outbox) take(dst []*event) []*event {
	clear(dst)
	o.mu.Lock()
	dst, o.queue = o.queue, dst[:0]
	o.bytes = 0
	o.woken = false
	o.mu.Unlock()
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
	startWriter := !o.writing
	o.writing = true
	o.mu.Unlock()
	if startWriter {
		o.start()
	} else {
		o.signal()
	}
}

// close makes later pushes fail; what is queued can still be taken.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}
