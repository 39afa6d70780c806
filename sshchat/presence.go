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
	seq    uint64 // the room's sequence number when it happened
	name   string
	left   bool
	reason leaveReason // for a leave
	online int         // members after it
	// told is the line itself, per language, for a change that carries
	// more than a name (who kicked whom, and why); it is told alone.
	told [numLangs]string
}

// maxNamed is the most names one announcement lists; the rest of its
// changes are counted ("* 312 more joined"). Below it, which is every
// window but a storm's, every name is told. Above it a name list is
// noise nobody reads, and its cost is the storm's: each of 10,000
// arrivals told by name to everyone after it is 350 MB to encrypt,
// write and read, and took a 10,000-user connect storm from 21 s to 29
// s. /who still lists everyone.
const maxNamed = 50

// maxChanges is the most changes one announcement carries: what a room
// keeps waiting for a window's end is bounded even in a storm no window
// can outlast.
const maxChanges = 2000

// announceWrites bounds the write calls a second a storm's
// announcements cost: each is a write to every member, so in a room
// larger than this the window is members/announceWrites seconds (5 s at
// 10,000). A window's changes are told at its end, or sooner when
// maxChanges wait or something else is said to the room, which tells
// what waits first.
const announceWrites = 2000

// presence is a room's joins and leaves not yet told, and when it last
// told any. It is guarded by its room's mu.
type presence struct {
	window  time.Duration // changes this soon after the last announcement wait (longer in a large room: windowFor)
	now     func() time.Time
	pending []change
	told    time.Time   // when the room was last told of changes
	timer   *time.Timer // tells the pending changes at the window's end
	armed   bool        // the timer is set
}

// add records c. It reports whether the room is to be told now; if not,
// it arms the timer that calls later at the window's end.
func (p *presence) add(c change, later func()) (tellNow bool) {
	p.pending = append(p.pending, c)
	wait := p.told.Add(p.windowFor(c.online)).Sub(p.now())
	if wait <= 0 || len(p.pending) >= maxChanges {
		return true
	}
	p.arm(wait, later)
	return false
}

// windowFor is the window of a room of online members.
func (p *presence) windowFor(online int) time.Duration {
	if p.window <= 0 {
		return 0 // each change is told at once
	}
	return max(p.window, time.Duration(online)*time.Second/announceWrites)
}

func (p *presence) arm(wait time.Duration, later func()) {
	if p.armed {
		return
	}
	p.armed = true
	if p.timer == nil {
		p.timer = time.AfterFunc(wait, later)
	} else {
		p.timer.Reset(wait)
	}
}

// due is the timer's firing: it reports whether the pending changes are
// to be told now. A message may have told the room since the timer was
// set, opening a new window: then what came after waits for its end.
func (p *presence) due(online int, later func()) bool {
	p.armed = false
	if len(p.pending) == 0 {
		return false
	}
	if wait := p.told.Add(p.windowFor(online)).Sub(p.now()); wait > 0 {
		p.arm(wait, later)
		return false
	}
	return true
}

// tellLocked publishes the pending changes, if any, to r as one event.
func (p *presence) tellLocked(r *room) {
	if len(p.pending) == 0 {
		return
	}
	r.publishLocked(newPresence(p.pending))
	p.pending = nil // the event owns them now
	p.told = p.now()
}

func (p *presence) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}

// newPresence is the event telling cs, which it keeps. Its size counts
// what will be rendered: the names listed, a line per run, the lines told
// alone and the count of the rest.
func newPresence(cs []change) *event {
	n, named := 100, 0
	for i, c := range cs {
		n += len(c.told[langEN]) + len(c.told[langPT])
		if c.told[langEN] != "" || named >= maxNamed {
			continue
		}
		named++
		n += len(c.name) + 2
		if i == 0 || c.left != cs[i-1].left || c.reason != cs[i-1].reason {
			n += 100
		}
	}
	return &event{kind: evPresence, changes: cs, changeBytes: n}
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
// reason: "* ana, bia and caio joined (12 online)". After maxNamed names
// the rest are counted, joins on one line and leaves on another; a change
// told alone (who kicked whom) is always told, in its place.
func formatChanges(l lang, cs []change) string {
	var b strings.Builder
	line := func(s string) {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	named := 0
	for len(cs) > 0 {
		if cs[0].told[l] != "" {
			line(cs[0].told[l])
			cs = cs[1:]
			continue
		}
		if named >= maxNamed {
			n := 0
			for n < len(cs) && cs[n].told[l] == "" {
				n++
			}
			countChanges(l, cs[:n], line)
			cs = cs[n:]
			continue
		}
		n := 1
		for n < len(cs) && named+n < maxNamed && cs[n].left == cs[0].left && cs[n].reason == cs[0].reason && cs[n].told[l] == "" {
			n++
		}
		run := cs[:n]
		cs = cs[n:]
		named += n
		one, many := msgJoined, msgJoinedMany
		if run[0].left {
			row := run[0].reason.row()
			one, many = row.told, row.toldMany
		}
		if n == 1 {
			line(l.t(one, run[0].name, run[0].online))
			continue
		}
		line(l.t(many, listNames(l, run), run[n-1].online))
	}
	return b.String()
}

// countChanges tells cs, changes past the names an announcement lists,
// as a line for the joins and one for the leaves, each with the count
// online after its last; a lone one is told by name. The group whose last
// change came last is told last, so the last line has the room's count.
func countChanges(l lang, cs []change, line func(string)) {
	joins, leaves := 0, 0
	lastJoin, lastLeave := -1, -1
	for i, c := range cs {
		if c.left {
			leaves++
			lastLeave = i
		} else {
			joins++
			lastJoin = i
		}
	}
	tellJoins := func() {
		switch c := cs[max(lastJoin, 0)]; {
		case joins == 1:
			line(l.t(msgJoined, c.name, c.online))
		case joins > 1:
			line(l.t(msgMoreJoined, joins, c.online))
		}
	}
	tellLeaves := func() {
		switch c := cs[max(lastLeave, 0)]; {
		case leaves == 1:
			line(l.t(c.reason.row().told, c.name, c.online))
		case leaves > 1:
			line(l.t(msgMoreLeft, leaves, c.online))
		}
	}
	if lastLeave < lastJoin {
		tellLeaves()
		tellJoins()
	} else {
		tellJoins()
		tellLeaves()
	}
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
