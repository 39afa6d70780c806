package sshchat

import (
	"strings"
	"time"
)

// Joins and leaves are told to the room as they happen, except in a storm:
// a change within the announce window of the last announcement waits, and
// every change of that window is told in one event, with the names of a
// run of joins (or of leaves for one reason) on one line. When 10,000
// users connect, each of them would otherwise be sent a line for everyone
// who connects after them: 50 million lines, written while the room is
// trying to talk.
//
// Order holds: anything else published to the room first tells it what
// is pending, so no one reads a message from a user whose arrival they
// have not yet been told of.

// change is one join or leave, as the room is told it.
type change struct {
	seq    uint64 // the hub's sequence number when it happened
	name   string
	left   bool
	reason leaveReason // for a leave
	online int         // members after it
}

// maxChanges is the most changes one announcement carries, so that a
// storm's line stays a few screen lines long.
const maxChanges = 50

// announceLocked records c and tells the room now, or schedules it with
// the other changes of the window.
func (h *hub) announceLocked(c change) {
	h.pending = append(h.pending, c)
	wait := h.told.Add(h.window).Sub(h.now())
	if wait <= 0 || len(h.pending) >= maxChanges {
		h.flushLocked()
		return
	}
	if h.armed {
		return
	}
	h.armed = true
	if h.timer == nil {
		h.timer = time.AfterFunc(wait, h.flushLater)
	} else {
		h.timer.Reset(wait)
	}
}

// flushLocked publishes the pending changes, if any, as one event.
func (h *hub) flushLocked() {
	if len(h.pending) == 0 {
		return
	}
	h.publishLocked(newPresence(h.pending))
	h.pending = nil // the event owns them now
	h.told = h.now()
}

// newPresence is the event telling cs, which it keeps. Its size counts
// each name and a line per run, as they will be rendered.
func newPresence(cs []change) *event {
	n := 0
	for i, c := range cs {
		n += len(c.name) + 2
		if i == 0 || c.left != cs[i-1].left || c.reason != cs[i-1].reason {
			n += 100
		}
	}
	return &event{kind: evPresence, changes: cs, changeBytes: n}
}

// flushLater is the window's end. A message may have told the room since
// the timer was set, opening a new window: what came after waits for its
// end.
func (h *hub) flushLater() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.armed = false
	if h.closed || len(h.pending) == 0 {
		return
	}
	if wait := h.told.Add(h.window).Sub(h.now()); wait > 0 {
		h.armed = true
		h.timer.Reset(wait)
		return
	}
	h.flushLocked()
	h.dropSlowLocked()
}

// presenceLine is what a viewer who joined at sequence number joined is
// told of ev's changes: those after its own join (it was welcomed instead
// of being told of the users before it). Most viewers joined before every
// change and share one line per language, formatted by the first of them.
func (ev *event) presenceLine(l lang, joined uint64) string {
	cs := ev.changes
	if joined < cs[0].seq {
		if p := ev.system[l].Load(); p != nil {
			return *p
		}
		line := formatChanges(l, cs)
		ev.system[l].Store(&line) // a racing writer stores the same text
		return line
	}
	for len(cs) > 0 && cs[0].seq <= joined {
		cs = cs[1:]
	}
	return formatChanges(l, cs)
}

// formatChanges writes one line per run of joins, or of leaves for one
// reason: "* ana, bia and caio joined (12 online)".
func formatChanges(l lang, cs []change) string {
	var b strings.Builder
	for len(cs) > 0 {
		n := 1
		for n < len(cs) && cs[n].left == cs[0].left && cs[n].reason == cs[0].reason {
			n++
		}
		run := cs[:n]
		cs = cs[n:]
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		id := msgJoined
		if run[0].left {
			id = leaveMessages[run[0].reason]
		}
		if n == 1 {
			b.WriteString(l.t(id, run[0].name, run[0].online))
			continue
		}
		b.WriteString(l.t(plural[id], listNames(l, run), run[n-1].online))
	}
	return b.String()
}

// listNames is "a, b and c" in l.
func listNames(l lang, run []change) string {
	var b strings.Builder
	for i, c := range run {
		switch {
		case i == 0:
		case i == len(run)-1:
			b.WriteString(l.t(msgListAnd))
		default:
			b.WriteString(", ")
		}
		b.WriteString(c.name)
	}
	return b.String()
}

var leaveMessages = [...]msgID{
	leaveQuit:     msgLeftQuit,
	leaveLost:     msgLeftLost,
	leaveTimeout:  msgLeftTimeout,
	leaveIdle:     msgLeftIdle,
	leaveSlow:     msgLeftSlow,
	leaveError:    msgLeftError,
	leaveShutdown: msgLeftQuit,
	leaveFlood:    msgLeftFlood,
}

// plural is each announcement's form for several names.
var plural = map[msgID]msgID{
	msgJoined:      msgJoinedMany,
	msgLeftQuit:    msgLeftQuitMany,
	msgLeftLost:    msgLeftLostMany,
	msgLeftTimeout: msgLeftTimeoutMany,
	msgLeftIdle:    msgLeftIdleMany,
	msgLeftSlow:    msgLeftSlowMany,
	msgLeftError:   msgLeftErrorMany,
	msgLeftFlood:   msgLeftFloodMany,
}
