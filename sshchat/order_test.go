package sshchat

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzRoomOrder drives a room through joins, leaves, messages, private
// messages, look-ups and the ends of announce windows, in an order the
// fuzzer picks, then checks what each member was told against what
// happened:
//   - every join and leave after a member's own join is told to it once,
//     in order (all of them, for a member still there at the end);
//   - no one reads a line from, or to, a user it has not been told of, or
//     has been told has left;
//   - an answer about names (/who, /whois, "no such user") agrees with
//     what the member has been told by then.
//
// Each byte is one step: its low three bits the operation, the rest
// whom it concerns.
func FuzzRoomOrder(f *testing.F) {
	f.Add([]byte{0, 8, 16, 2, 10, 1, 3, 11, 4, 12, 5, 2})
	f.Add([]byte{0, 8, 16, 24, 1, 9, 0, 2, 3, 19, 4, 5, 6, 14, 7, 2})
	f.Add([]byte{0, 8, 9, 8, 11, 6, 14, 5, 16, 17, 16, 19, 6, 4, 12, 20})
	f.Add([]byte("\x00\x08\x10\x18\x20\x28\x30\x38\x01\x09\x11\x02\x0a\x05\x03\x0b\x13\x04\x0c"))
	f.Fuzz(func(t *testing.T, steps []byte) {
		if len(steps) > 400 {
			steps = steps[:400]
		}
		r := newRoomModel()
		for _, b := range steps {
			r.step(b)
		}
		r.finish(t)
	})
}

// roomModel runs a room (on a clock that moves only when told, with a
// window no test outlasts) next to a record of what happened in it.
type roomModel struct {
	h       *room
	clock   *testClock
	present map[string]*member // by name
	all     []*watched         // every member ever joined
	changes []change           // every join and leave, in order
}

// watched is one member and what the room held when it joined.
type watched struct {
	m      *member
	before []string // names present at its join, itself excluded
}

var modelNames = [...]string{"ana", "bia", "caio", "duda", "eli", "fabi", "gil", "hugo"}

var modelReasons = [...]leaveReason{leaveQuit, leaveLost, leaveTimeout, leaveIdle, leaveSlow, leaveError, leaveFlood}

func newRoomModel() *roomModel {
	clock := &testClock{}
	clock.ns.Store(time.Now().UnixNano())
	return &roomModel{h: newTestRoom(time.Hour, clock.now), clock: clock, present: make(map[string]*member)}
}

func (r *roomModel) step(b byte) {
	name := modelNames[int(b>>3)%len(modelNames)]
	m := r.present[name]
	// The member acting when the step names one who is not there: the
	// first present, if any.
	actor := m
	if actor == nil {
		for _, n := range modelNames {
			if p := r.present[n]; p != nil {
				actor = p
				break
			}
		}
	}
	switch b & 7 {
	case 0, 6: // join (twice as likely: rooms must fill)
		if m != nil {
			return
		}
		m = bareMember(name, 1<<30)
		before := make([]string, 0, len(r.present))
		for n := range r.present {
			before = append(before, n)
		}
		if err := r.h.join(m); err != nil {
			panic(err)
		}
		r.present[name] = m
		r.all = append(r.all, &watched{m: m, before: before})
		r.changes = append(r.changes, change{seq: m.joinSeq.Load(), name: name, online: len(r.present)})
	case 1: // leave
		if m == nil {
			return
		}
		reason := modelReasons[int(b>>3)%len(modelReasons)]
		seq := r.h.seq.Load() + 1 // the leave's; telling it may take more
		r.h.leave(m, reason)
		delete(r.present, name)
		r.changes = append(r.changes, change{seq: seq, name: name, left: true, reason: reason})
	case 2: // a message to the room
		if actor != nil {
			r.h.say(context.Background(), actor, "hi")
		}
	case 3: // a private message to name, there or not
		if actor == nil {
			return
		}
		if err := r.h.whisper(actor, name, "psst"); err != nil {
			r.h.notice(actor, "nosuch "+name)
		}
	case 4: // /who
		if actor != nil {
			r.h.notice(actor, "who "+strings.Join(r.h.memberNames(), " "))
		}
	case 5: // /whois name
		if actor == nil {
			return
		}
		if _, ok := r.h.lookup(name); ok {
			r.h.notice(actor, "found "+name)
		} else {
			r.h.notice(actor, "nosuch "+name)
		}
	case 7: // the window ends
		r.clock.ns.Add(int64(2 * time.Hour))
		r.h.flushLater()
	}
}

// finish tells the room what is pending and checks every member's view.
func (r *roomModel) finish(t *testing.T) {
	t.Helper()
	r.h.memberNames()
	defer r.h.close()
	for _, w := range r.all {
		r.check(t, w)
	}
}

func (r *roomModel) check(t *testing.T, w *watched) {
	t.Helper()
	m := w.m
	known := make(map[string]bool)
	for _, n := range w.before {
		known[n] = true
	}
	known[m.name] = true
	var told []change
	var lastSeq uint64
	events := m.out.take(nil)
	if len(events) == 0 || events[0].kind != evWelcome {
		t.Fatalf("%s: first event is not a welcome", m.name)
	}
	for i, ev := range events {
		if ev.seq != 0 {
			if ev.seq <= lastSeq {
				t.Fatalf("%s: event %d has seq %d after %d", m.name, i, ev.seq, lastSeq)
			}
			lastSeq = ev.seq
		}
		switch ev.kind {
		case evPresence:
			for _, c := range ev.changes {
				if c.seq <= m.joinSeq.Load() {
					continue // before its join: it was welcomed instead
				}
				told = append(told, c)
				known[c.name] = !c.left
			}
		case evMessage:
			if !known[ev.from] {
				t.Fatalf("%s: message from %s, who it was not told of", m.name, ev.from)
			}
		case evPrivate:
			if !known[ev.from] || !known[ev.to] {
				t.Fatalf("%s: private message %s → %s before being told of both", m.name, ev.from, ev.to)
			}
		case evLocal:
			what, arg, _ := strings.Cut(ev.text, " ")
			switch what {
			case "who":
				var knownNames []string
				for n, k := range known {
					if k {
						knownNames = append(knownNames, n)
					}
				}
				listed := strings.Fields(arg)
				slices.Sort(knownNames)
				slices.Sort(listed)
				if !slices.Equal(listed, knownNames) {
					t.Fatalf("%s: /who lists %v, told of %v", m.name, listed, knownNames)
				}
			case "found":
				if !known[arg] {
					t.Fatalf("%s: %s found before being told of", m.name, arg)
				}
			case "nosuch":
				if known[arg] {
					t.Fatalf("%s: no such user %s, yet not told they left", m.name, arg)
				}
			}
		}
	}
	// What happened while it was there, and what it was told of it.
	var want []change
	left := leftAt(r.changes, m)
	for _, c := range r.changes {
		if c.seq > m.joinSeq.Load() && c.seq < left {
			want = append(want, c)
		}
	}
	stillHere := r.present[m.name] == m
	if len(told) > len(want) || (stillHere && len(told) != len(want)) {
		t.Fatalf("%s: told %d changes, %d happened while it was there", m.name, len(told), len(want))
	}
	for i, c := range told {
		if c.seq != want[i].seq || c.name != want[i].name || c.left != want[i].left || c.reason != want[i].reason {
			t.Fatalf("%s: change %d told as %+v, happened as %+v", m.name, i, c, want[i])
		}
	}
}

// leftAt is the sequence number of m's leave, or the largest one while
// m is still there.
func leftAt(changes []change, m *member) uint64 {
	for _, c := range changes {
		if c.left && c.name == m.name && c.seq > m.joinSeq.Load() {
			return c.seq
		}
	}
	return ^uint64(0)
}
