package sshchat

import (
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// eventKind says what happened in the room.
type eventKind uint8

const (
	evMessage  eventKind = iota // a line said to the room
	evPrivate                   // a private message: delivered to sender and target only
	evWelcome                   // to a joiner alone: the room it has joined (to), its topic (text)
	evArrived                   // to a member that moved rooms alone: as evWelcome
	evPresence                  // joins and leaves, told to the room (presence.go)
	evShutdown                  // the server is going down: the last line a user sees
	evLocal                     // a line for one user only (command output, errors), already in that user's language
	evHistory                   // earlier messages for one user: text is the title, to the footer (history.go)
	evAnnounce                  // a line of the server's to the room, in each language (lines)
)

// event is what flows through a room: structured data, never terminal
// bytes. Each session renders it for its own user (language, colour,
// width). An event is shared by every recipient and must not be modified
// once published.
type event struct {
	seq    uint64 // the room's order
	kind   eventKind
	from   string // display name of the sender, or of the welcomed joiner
	color  string // the sender's name colour (an SGR sequence)
	to     string // display name of the target of a private message
	text   string // sanitised message text, or the local line
	online int    // members in the room, for a welcome

	entries []chatlog.Entry  // a history event's messages, oldest first
	lines   [numLangs]string // an announcement, per language

	me bool // a message that is an action: "* alice waves"
	// logSeq is a message's place in the room's log. For a joiner's
	// history, it is the first message the user has not seen elsewhere:
	// if the history is never written, they have not seen it (0: none).
	logSeq uint64
	at     time.Time // when the log took a message

	// Measured once when published, for every recipient's wrapping.
	fromWidth, textWidth int

	// changes are the joins and leaves of a presence event, oldest first;
	// changeBytes is their names' share of the event's size.
	changes     []change
	changeBytes int

	// system caches a presence event's line as the room sees it, per
	// language: the first writer to render it formats it and the others
	// share the string, so a join costs one format per language, not one
	// per member.
	system [numLangs]atomic.Pointer[string]
	// shown caches that line as last rendered, wrapped to one width, per
	// language: in a join storm most viewers share a width, and wrapping
	// a line of fifty names for each of them was a tenth of the server's
	// CPU.
	shown [numLangs]atomic.Pointer[renderedLine]
}

// renderedLine is a line rendered for viewers of one width and colour.
type renderedLine struct {
	width int
	color bool
	bytes []byte
}

// size is what an event costs in a member's outbox, for the byte cap.
func (e *event) size() int {
	return 64 + len(e.from) + len(e.to) + len(e.text) + e.changeBytes + len(e.lines[langEN]) + len(e.lines[langPT])
}

// newMessage is a room message, measured once for every recipient.
func newMessage(from, color, text string) *event {
	return &event{kind: evMessage, from: from, color: color, text: text,
		fromWidth: displayWidth(from), textWidth: displayWidth(text)}
}

// newPrivate is a private message from one user to another.
func newPrivate(from, to, text string) *event {
	return &event{kind: evPrivate, from: from, to: to, text: text,
		fromWidth: displayWidth(from), textWidth: displayWidth(text)}
}
