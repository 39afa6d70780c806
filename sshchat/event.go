package sshchat

import "time"

// eventKind says what happened in the room.
type eventKind uint8

const (
	evMessage  eventKind = iota // a line said to the room
	evPrivate                   // a private message: delivered to sender and target only
	evJoin                      // a user joined; the joiner renders it as the welcome
	evLeave                     // a user left; reason says how
	evShutdown                  // the server is going down: the last line a user sees
	evLocal                     // a line for one user only (command output, errors), already in that user's language
)

// leaveReason says how a user left; the room is told it when the user did
// not leave by choice.
type leaveReason uint8

const (
	leaveQuit     leaveReason = iota // /sair, /quit, Ctrl-D, end of input
	leaveLost                        // reading from the connection failed
	leaveTimeout                     // keepalives went unanswered
	leaveIdle                        // no input for longer than the idle limit
	leaveSlow                        // output backlog over the outbox cap
	leaveError                       // the server failed while handling this user
	leaveShutdown                    // the server is shutting down
	leaveFlood                       // kept sending while over the message budget
)

// event is what flows through the hub: structured data, never terminal
// bytes. Each session renders it for its own user (language, colour,
// width). An event is shared by every recipient and must not be modified
// once published.
type event struct {
	seq    uint64
	kind   eventKind
	at     time.Time // when the hub published it
	from   string    // display name of the sender, joiner or leaver
	color  string    // the sender's name colour (an SGR sequence)
	to     string    // display name of the target of a private message
	text   string    // sanitised message text, or the local line
	reason leaveReason
	online int // members in the room after a join or leave
}

// size is what an event costs in a member's outbox, for the byte cap.
func (e *event) size() int {
	return 64 + len(e.from) + len(e.to) + len(e.text)
}
