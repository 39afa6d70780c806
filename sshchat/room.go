package sshchat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// Lock order, outermost first: room.mu, then registry.mu, then an
// outbox's mu. rooms.mu (rooms.go) is never taken with a room.mu held. A room's lock is never held while waiting for the log
// (the store) or for a connection; the log's follow callback takes
// room.mu, so a room never calls the log with it held.

// defaultLobby is the name of the room everyone joins (-lobby).
const defaultLobby = "lobby"

var (
	errNameTaken    = errors.New("name in use")
	errShuttingDown = errors.New("server shutting down")
	errNoSuchUser   = errors.New("no such user")
	errNotMember    = errors.New("not in the room")
	errRoomGone     = errors.New("room removed")
)

// room is one conversation: its members and the single order in which
// they are told of everything. Every join, leave and message gets its
// place under mu, and is handed to every member's outbox before mu is
// released, so all members see one order and one sender's messages can
// never overtake each other.
//
// Messages take their order from the log: say appends, and the log hands
// the entry back to deliver in the log's order, which is the room's. Joins
// and leaves are this node's own and are not kept in the log.
//
// Fan-out is one non-blocking push of a shared pointer per member: the
// room never formats text and never waits for a connection.
type room struct {
	name  string // display form, without '#'; the log's name for it
	key   string // nameKey(name): look-alikes of a room are that room
	log   chatlog.Log
	names *registry
	// seq is the server's one counter of events, shared by every room, so
	// that a member's join in one room is comparable with the changes of
	// the next room it moves to (viewer.joined).
	seq *atomic.Uint64

	mu         sync.Mutex
	members    map[string]*member // by key: this server's
	remote     map[string]*member // by key: on other servers sharing the cluster (room_remote.go)
	meta       roomMeta           // topic and creator, as stored (rooms.go)
	metaRev    uint64             // the stored record's revision
	emptySince time.Time          // when the last member left; zero while anyone is here
	gone       bool               // expired: it takes no one, and is no longer listed
	closed     bool
	presence   presence // joins and leaves not yet told (presence.go)

	logSeq uint64 // the last message of the log the room has shown
	recent recent // its last messages, for joiners (recent.go)

	// slow collects members whose outbox overflowed during a fan-out;
	// they are removed once the fan-out is done. Reused to avoid garbage.
	slow []*member
	// dropped are members removed under mu whose sessions are finished
	// once it is released.
	dropped []*member
}

// newRoom makes a room named name whose messages are ordered by log and
// whose members' names are held in names. Joins and leaves within window
// of the last announcement are told together (0: each at once); now is
// its clock.
func newRoom(name string, log chatlog.Log, names *registry, seq *atomic.Uint64, window time.Duration, now func() time.Time) *room {
	return &room{name: name, key: nameKey(name), log: log, names: names, seq: seq, members: make(map[string]*member),
		presence: presence{window: window, now: now}}
}

// nextSeq stamps the next event.
func (r *room) nextSeq() uint64 { return r.seq.Add(1) }

// join adds m, whose name it has claimed in the registry, welcomes it,
// and tells the room.
func (r *room) join(m *member) error {
	r.mu.Lock()
	defer r.unlock()
	return r.joinLocked(m)
}

func (r *room) joinLocked(m *member) error {
	return r.enterLocked(m, evWelcome)
}

// enterLocked adds m, greeting it with an event of kind greet (a login's
// welcome, or a move's arrival), and tells the room.
func (r *room) enterLocked(m *member, greet eventKind) error {
	if r.gone {
		return errRoomGone
	}
	if r.closed {
		return errShuttingDown
	}
	if _, taken := r.members[m.key]; taken {
		return errNameTaken
	}
	r.members[m.key] = m
	r.emptySince = time.Time{}
	m.room.Store(r)
	seq := r.nextSeq()
	m.joinSeq.Store(seq)
	r.deliverLocked(m, &event{kind: greet, seq: seq, from: m.name, to: r.name, text: r.meta.Topic, online: r.onlineLocked()})
	r.announceLocked(change{seq: seq, name: m.name, online: r.onlineLocked()})
	r.dropSlowLocked()
	return nil
}

// enter adds m, which has just left another room for this one, and tells
// it where it is (evArrived).
func (r *room) enter(m *member) error {
	r.mu.Lock()
	defer r.unlock()
	return r.enterLocked(m, evArrived)
}

// moveOut takes m out of this room for the room called to, keeping its
// name and its outbox, and tells the room where it went. It reports
// whether m was a member.
func (r *room) moveOut(m *member, to string) bool {
	r.mu.Lock()
	defer r.unlock()
	if r.members[m.key] != m {
		return false
	}
	delete(r.members, m.key)
	r.vacatedLocked()
	if !r.closed {
		r.announceLocked(change{seq: r.nextSeq(), name: m.name, left: true, online: r.onlineLocked(),
			told: byLang(msgWentTo, m.name, to, r.onlineLocked())})
	}
	r.dropSlowLocked()
	return true
}

// rename puts nu, the same session under a new name, where old was, and
// tells the room. The registry already holds nu's name; old's is freed.
func (r *room) rename(old, nu *member) error {
	r.mu.Lock()
	defer r.unlock()
	if r.members[old.key] != old || r.closed {
		return errNotMember
	}
	if other, taken := r.members[nu.key]; taken && other != old {
		return errNameTaken
	}
	delete(r.members, old.key)
	r.members[nu.key] = nu
	nu.room.Store(r)
	nu.joinSeq.Store(old.joinSeq.Load())
	r.names.release(old)
	r.announceLocked(change{seq: r.nextSeq(), name: nu.name, online: r.onlineLocked(),
		told: byLang(msgRenamed, old.name, nu.name)})
	r.dropSlowLocked()
	return nil
}

// vacatedLocked notes when the room became empty, for its expiry.
func (r *room) vacatedLocked() {
	if r.onlineLocked() == 0 && r.emptySince.IsZero() {
		r.emptySince = r.presence.now()
	}
}

// tell queues ev for m alone if m is a member, in order with the room's
// events, and reports whether it was.
func (r *room) tell(m *member, ev *event) bool {
	r.mu.Lock()
	defer r.unlock()
	if r.closed || r.members[m.key] != m {
		return false
	}
	r.deliverLocked(m, ev)
	r.dropSlowLocked()
	return true
}

// replace puts m where old, a ghost of the same user, was: old is ended
// (leaveReplaced) and m welcomed, and the room is told once that the
// user reconnected. When old is no longer a member, m simply joins.
func (r *room) replace(old, m *member) error {
	r.mu.Lock()
	defer r.unlock()
	if r.closed {
		return errShuttingDown
	}
	if r.members[old.key] != old {
		return r.joinLocked(m)
	}
	delete(r.members, old.key)
	old.out.close()
	if old.drop(leaveReplaced) {
		r.dropped = append(r.dropped, old)
	}
	r.members[m.key] = m
	m.room.Store(r)
	seq := r.nextSeq()
	m.joinSeq.Store(seq)
	r.deliverLocked(m, &event{kind: evWelcome, seq: seq, from: m.name, to: r.name, text: r.meta.Topic, online: r.onlineLocked()})
	r.announceLocked(change{seq: seq, name: m.name, left: true, reason: leaveReplaced, online: r.onlineLocked()})
	r.dropSlowLocked()
	return nil
}

// remove ends m's membership for reason, as an operator decided: the
// room is told its line (a line per language), and the session ends with
// farewell, its last line. It reports whether m was a member.
func (r *room) remove(m *member, reason leaveReason, told [numLangs]string, farewell string) bool {
	r.mu.Lock()
	defer r.unlock()
	if r.members[m.key] != m {
		return false
	}
	if m.drop(reason) {
		if told[langEN] != "" {
			m.told.Store(&told)
		}
		m.out.push(&event{kind: evLocal, text: farewell})
		delete(r.members, m.key)
		r.vacatedLocked()
		r.names.release(m)
		m.out.close()
		r.announceLocked(change{seq: r.nextSeq(), name: m.name, left: true, reason: reason, online: r.onlineLocked(), told: told})
		r.dropped = append(r.dropped, m)
	}
	r.dropSlowLocked()
	return true
}

// announce tells the room a line of the server's, one per language, in
// order with everything else.
func (r *room) announce(told [numLangs]string) {
	ev := &event{kind: evAnnounce, lines: told}
	r.mu.Lock()
	defer r.unlock()
	if r.closed {
		return
	}
	r.presence.tellLocked(r)
	r.publishLocked(ev)
	r.dropSlowLocked()
}

// leave removes m and tells the others how it left. It is a no-op when m
// is no longer a member (already dropped), so callers need not coordinate.
func (r *room) leave(m *member, reason leaveReason) {
	r.mu.Lock()
	defer r.unlock()
	r.removeLocked(m, reason)
	r.dropSlowLocked()
}

// say appends a message from m to the room's log; the room shows it, to
// m too, when the log hands it back in order (deliver). It fails when m
// is no longer a member or the log did not take the message: then nobody
// is shown it.
func (r *room) say(ctx context.Context, m *member, text string) error {
	return r.post(ctx, m, text, false)
}

// post is say, or, with me, an action ("/me waves").
func (r *room) post(ctx context.Context, m *member, text string, me bool) error {
	r.mu.Lock()
	ok := !r.closed && r.members[m.key] == m
	r.mu.Unlock()
	if !ok {
		return errNotMember // after shutdown, the notice stays the last line
	}
	_, err := r.log.Append(ctx, chatlog.Entry{Room: r.name, ID: newMessageID(), From: m.name, Text: text, Me: me})
	return err
}

// deliver is the log's follow callback for this room's entries: it
// shows e to every member, at its place in the log's order, and says to
// how many.
func (r *room) deliver(e chatlog.Entry) int {
	ev := newMessage(e.From, nameColor(e.From), e.Text)
	ev.logSeq, ev.at, ev.me = e.Seq, e.At, e.Me
	r.mu.Lock()
	defer r.unlock()
	if r.closed {
		// The server is going down: those still here have not seen it.
		missed := []*event{ev}
		for _, m := range r.members {
			m.out.miss(missed)
		}
		return 0
	}
	r.logSeq = e.Seq
	r.recent.add(e)
	r.presence.tellLocked(r)
	r.publishLocked(ev)
	n := len(r.members)
	r.dropSlowLocked()
	return n
}

// newMessageID names a message uniquely, so that a retried append is
// stored once.
func newMessageID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// whisper sends a private message from m to the member whose key is
// toKey. Sender and target both receive it, in the room's order.
func (r *room) whisper(m *member, toKey, text string) error {
	ev := newPrivate(m.name, "", text)
	r.mu.Lock()
	defer r.unlock()
	if r.closed {
		return nil
	}
	r.tellPendingLocked() // a pending leave is told before "no such user"
	to, ok := r.members[toKey]
	if !ok {
		return errNoSuchUser
	}
	if r.members[m.key] != m {
		return nil
	}
	ev.seq, ev.to = r.nextSeq(), to.name
	r.deliverLocked(m, ev)
	if to != m {
		r.deliverLocked(to, ev)
	}
	r.dropSlowLocked()
	return nil
}

// lookup returns the member with the given key, after telling the room
// what is pending: a user's answer about a name (found or not) never comes
// before the join or leave it depends on.
func (r *room) lookup(key string) (*member, bool) {
	r.mu.Lock()
	defer r.unlock()
	r.tellPendingLocked()
	m, ok := r.members[key]
	return m, ok
}

// memberNames returns the display names of the members, sorted
// case-insensitively, after telling the room what is pending, so no one
// is listed before the room is told they joined.
func (r *room) memberNames() []string {
	r.mu.Lock()
	r.tellPendingLocked()
	names := r.namesLocked()
	r.unlock()
	return sortNames(names)
}

// memberList is the members, sorted by name as memberNames, after
// telling the room what is pending.
func (r *room) memberList() []*member {
	r.mu.Lock()
	r.tellPendingLocked()
	list := make([]*member, 0, r.onlineLocked())
	for _, m := range r.members {
		list = append(list, m)
	}
	for _, m := range r.remote {
		list = append(list, m)
	}
	r.unlock()
	slices.SortFunc(list, func(a, b *member) int {
		if c := strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return list
}

func (r *room) namesLocked() []string {
	names := make([]string, 0, len(r.members))
	for _, m := range r.members {
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

// lastSeq is the log sequence of the last message the room has shown.
func (r *room) lastSeq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logSeq
}

// count is the number of members.
func (r *room) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.onlineLocked()
}

// shutdown refuses new joins and queues the shutdown notice as every
// member's last event. Members leaving after this are not announced.
func (r *room) shutdown() []*member {
	r.mu.Lock()
	defer r.unlock()
	if r.closed {
		return nil
	}
	r.presence.tellLocked(r)
	r.publishLocked(&event{kind: evShutdown})
	r.closed = true
	r.presence.stop()
	all := make([]*member, 0, len(r.members))
	for _, m := range r.members {
		all = append(all, m)
	}
	return all
}

// close refuses new joins and stops telling the room anything, without a
// notice: the server is closing every connection at once.
func (r *room) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.presence.pending = nil
	r.presence.stop()
}

// notice queues a line for m alone, outside the room's order.
func (r *room) notice(m *member, text string) {
	r.show(m, &event{kind: evLocal, text: text})
}

// show queues ev for m alone, outside the room's order.
func (r *room) show(m *member, ev *event) {
	r.mu.Lock()
	defer r.unlock()
	if r.closed {
		return // after shutdown, the notice stays the last line
	}
	if m.out.push(ev) == pushFull {
		r.slow = append(r.slow, m)
		r.dropSlowLocked()
	}
}

func (r *room) removeLocked(m *member, reason leaveReason) {
	if r.members[m.key] != m {
		return
	}
	delete(r.members, m.key)
	r.vacatedLocked()
	r.names.release(m)
	m.out.close()
	if r.closed {
		return
	}
	r.announceLocked(change{seq: r.nextSeq(), name: m.name, left: true, reason: reason, online: r.onlineLocked()})
}

// publishLocked stamps ev and hands it to every member.
func (r *room) publishLocked(ev *event) {
	ev.seq = r.nextSeq()
	for _, m := range r.members {
		r.deliverLocked(m, ev)
	}
}

func (r *room) deliverLocked(m *member, ev *event) {
	if m.out.push(ev) == pushFull {
		r.slow = append(r.slow, m)
	}
}

// announceLocked records a join or leave, and tells the room now or when
// the presence window ends.
func (r *room) announceLocked(c change) {
	if r.presence.add(c, r.flushLater) {
		r.presence.tellLocked(r)
	}
}

// flushLater is the presence window's end.
func (r *room) flushLater() {
	r.mu.Lock()
	defer r.unlock()
	if r.closed {
		return
	}
	if r.presence.due(r.onlineLocked(), r.flushLater) {
		r.presence.tellLocked(r)
		r.dropSlowLocked()
	}
}

// tellPending tells the room the changes waiting for the window's end.
func (r *room) tellPending() {
	r.mu.Lock()
	defer r.unlock()
	r.tellPendingLocked()
}

// tellPendingLocked tells the room the changes waiting for the window's
// end, and drops whoever that overflowed.
func (r *room) tellPendingLocked() {
	r.presence.tellLocked(r)
	r.dropSlowLocked()
}

// dropSlowLocked removes the members whose outbox overflowed, telling the
// room. Announcing a departure may overflow further outboxes; the loop
// handles those too, and ends because each pass removes a member.
func (r *room) dropSlowLocked() {
	for len(r.slow) > 0 {
		m := r.slow[len(r.slow)-1]
		r.slow[len(r.slow)-1] = nil
		r.slow = r.slow[:len(r.slow)-1]
		if r.members[m.key] != m {
			continue
		}
		if m.drop(leaveSlow) {
			r.removeLocked(m, leaveSlow)
			r.dropped = append(r.dropped, m)
		}
	}
}

// unlock releases mu, then finishes the sessions of the members dropped
// under it.
func (r *room) unlock() {
	if len(r.dropped) == 0 {
		r.mu.Unlock()
		return
	}
	dropped := r.dropped
	r.dropped = nil
	r.mu.Unlock()
	for _, m := range dropped {
		if m.dropped != nil {
			m.dropped()
		}
	}
}
