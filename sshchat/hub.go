package sshchat

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

var (
	errNameTaken    = errors.New("name in use")
	errShuttingDown = errors.New("server shutting down")
	errNoSuchUser   = errors.New("no such user")
)

// member is the hub's view of one joined session: enough to deliver to it,
// find it by name, describe it, and disconnect it.
type member struct {
	name  string // display form
	key   string // nameKey(name): identity for uniqueness and look-ups
	color string // nameColor(name), computed once: it costs a skeleton
	out   *outbox

	// drop disconnects the member for a reason the hub decided (a full
	// outbox, shutdown). It must not block and must not call back into the
	// hub. It reports false when the session was already ending for a
	// reason of its own, which it will announce itself.
	drop func(leaveReason) bool

	joined      time.Time
	joinSeq     uint64 // the room's sequence number at its join; set by the hub, then fixed
	fingerprint string // SHA256 fingerprint of the key that authenticated, or ""
	client      string // SSH client version string
}

// hub is the room: membership and the single ordered log. Every join,
// leave and message gets its sequence number under mu, and is handed to
// every member's outbox before mu is released, so all members see one
// order and one sender's messages can never overtake each other.
//
// Fan-out is one non-blocking push of a shared pointer per member: the hub
// never formats text and never waits for a connection.
type hub struct {
	mu      sync.Mutex
	seq     uint64
	members map[string]*member // by key
	closed  bool

	// slow collects members whose outbox overflowed during a fan-out;
	// they are removed once the fan-out is done. Reused to avoid garbage.
	slow []*member

	// Joins and leaves not yet told to the room (presence.go).
	window  time.Duration // changes this soon after the last announcement wait
	pending []change
	told    time.Time   // when the room was last told of changes
	timer   *time.Timer // tells the pending changes at the window's end
	armed   bool        // the timer is set
	now     func() time.Time
}

// newHub makes a room that tells joins and leaves within window of the
// last announcement together (0: each at once). now is its clock.
func newHub(window time.Duration, now func() time.Time) *hub {
	return &hub{members: make(map[string]*member), window: window, now: now}
}

// join adds m if its key is free, welcomes it, and tells the room.
func (h *hub) join(m *member) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errShuttingDown
	}
	if _, taken := h.members[m.key]; taken {
		return errNameTaken
	}
	h.members[m.key] = m
	h.seq++
	m.joinSeq = h.seq
	h.deliverLocked(m, &event{kind: evWelcome, seq: h.seq, from: m.name, online: len(h.members)})
	h.announceLocked(change{seq: h.seq, name: m.name, online: len(h.members)})
	h.dropSlowLocked()
	return nil
}

// leave removes m and tells the others how it left. It is a no-op when m
// is no longer a member (already dropped), so callers need not coordinate.
func (h *hub) leave(m *member, reason leaveReason) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(m, reason)
	h.dropSlowLocked()
}

// say publishes a message from m to the room, m included, so the sender
// sees its line at its place in the shared order.
func (h *hub) say(m *member, text string) {
	ev := newMessage(m.name, m.color, text)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.members[m.key] != m {
		return // after shutdown, the notice stays the last line
	}
	h.flushLocked()
	h.publishLocked(ev)
	h.dropSlowLocked()
}

// whisper sends a private message from m to the member whose key is
// toKey. Sender and target both receive it, in the room's order.
func (h *hub) whisper(m *member, toKey, text string) error {
	ev := newPrivate(m.name, "", text)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.tellPendingLocked() // a pending leave is told before "no such user"
	to, ok := h.members[toKey]
	if !ok {
		return errNoSuchUser
	}
	if h.members[m.key] != m {
		return nil
	}
	h.seq++
	ev.seq, ev.to = h.seq, to.name
	h.deliverLocked(m, ev)
	if to != m {
		h.deliverLocked(to, ev)
	}
	h.dropSlowLocked()
	return nil
}

// lookup returns the member with the given key, after telling the room
// what is pending: a user's answer about a name (found or not) never comes
// before the join or leave it depends on.
func (h *hub) lookup(key string) (*member, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tellPendingLocked()
	m, ok := h.members[key]
	return m, ok
}

// names returns the display names of the members, sorted
// case-insensitively, after telling the room what is pending, so no one
// is listed before the room is told they joined.
func (h *hub) names() []string {
	h.mu.Lock()
	h.tellPendingLocked()
	names := h.namesLocked()
	h.mu.Unlock()
	return sortNames(names)
}

// completions is names for Tab completion, without telling what is
// pending: a key press, which no message budget limits, must not force a
// storm's joins out one at a time. Whatever the completed line does next
// (a private message) tells them first.
func (h *hub) completions() []string {
	h.mu.Lock()
	names := h.namesLocked()
	h.mu.Unlock()
	return sortNames(names)
}

func (h *hub) namesLocked() []string {
	names := make([]string, 0, len(h.members))
	for _, m := range h.members {
		names = append(names, m.name)
	}
	return names
}

func sortNames(names []string) []string {
	slices.SortFunc(names, func(a, b string) int {
		if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return names
}

// count is the number of members.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.members)
}

// shutdown refuses new joins and queues the shutdown notice as every
// member's last event. Members leaving after this are not announced.
func (h *hub) shutdown() []*member {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.flushLocked()
	h.publishLocked(&event{kind: evShutdown})
	h.closed = true
	if h.timer != nil {
		h.timer.Stop()
	}
	all := make([]*member, 0, len(h.members))
	for _, m := range h.members {
		all = append(all, m)
	}
	return all
}

// close refuses new joins and stops telling the room anything, without a
// notice: the server is closing every connection at once.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.pending = nil
	if h.timer != nil {
		h.timer.Stop()
	}
}

// local queues a line for m alone, outside the room's order.
func (h *hub) local(m *member, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return // after shutdown, the notice stays the last line
	}
	if m.out.push(&event{kind: evLocal, text: text}) == pushFull {
		h.slow = append(h.slow, m)
		h.dropSlowLocked()
	}
}

func (h *hub) removeLocked(m *member, reason leaveReason) {
	if h.members[m.key] != m {
		return
	}
	delete(h.members, m.key)
	m.out.close()
	if h.closed {
		return
	}
	h.seq++
	h.announceLocked(change{seq: h.seq, name: m.name, left: true, reason: reason, online: len(h.members)})
}

// publishLocked stamps ev and hands it to every member.
func (h *hub) publishLocked(ev *event) {
	h.seq++
	ev.seq = h.seq
	for _, m := range h.members {
		h.deliverLocked(m, ev)
	}
}

func (h *hub) deliverLocked(m *member, ev *event) {
	if m.out.push(ev) == pushFull {
		h.slow = append(h.slow, m)
	}
}

// tellPendingLocked tells the room the changes waiting for the window's
// end, and drops whoever that overflowed.
func (h *hub) tellPendingLocked() {
	h.flushLocked()
	h.dropSlowLocked()
}

// dropSlowLocked removes the members whose outbox overflowed, telling the
// room. Announcing a departure may overflow further outboxes; the loop
// handles those too, and ends because each pass removes a member.
func (h *hub) dropSlowLocked() {
	for len(h.slow) > 0 {
		m := h.slow[len(h.slow)-1]
		h.slow[len(h.slow)-1] = nil
		h.slow = h.slow[:len(h.slow)-1]
		if h.members[m.key] != m {
			continue
		}
		if m.drop(leaveSlow) {
			h.removeLocked(m, leaveSlow)
		}
	}
}
