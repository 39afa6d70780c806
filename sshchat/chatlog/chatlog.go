// Package chatlog is a room's ordered record of what was said: the one
// place a message gets its sequence number. A room appends a message and
// shows it when the log hands it back through Follow, so every reader of
// the log sees one order, whether the log lives in this process (Memory)
// or in a NATS JetStream stream shared by several nodes (package store).
package chatlog

import (
	"context"
	"errors"
	"time"
)

// Entry is one message of a room's history.
type Entry struct {
	Seq  uint64    // the log's sequence number: the room's order; set by the log
	Room string    // the room's name
	ID   string    // unique per message, chosen by the sender: a retried append is stored once
	From string    // the sender's display name
	Text string    // sanitised text
	Me   bool      // an action, "/me waves": shown as "* alice waves"
	At   time.Time // when the log accepted it
}

// Log is the interface every implementation satisfies; the conformance
// tests in this package's test files hold each of them to it.
type Log interface {
	// Append stores e (its Seq and At are set by the log) and returns its
	// sequence number, once it is stored or ctx is done. Appending an ID
	// that is already stored returns the stored entry's number and stores
	// nothing new.
	Append(ctx context.Context, e Entry) (uint64, error)

	// Follow calls fn with every entry appended after Follow returns, of
	// every room, in the log's order, from one goroutine at a time. fn
	// must not block for long. stop ends the calls; after it returns fn
	// is not called again.
	Follow(fn func(Entry)) (stop func(), err error)

	// Last returns at most n of room's most recent entries whose sequence
	// is at most upTo (0: no bound), oldest first.
	Last(ctx context.Context, room string, n int, upTo uint64) ([]Entry, error)

	// Count is how many of room's retained entries come after sequence
	// after: what a user who was last shown after has not seen.
	Count(ctx context.Context, room string, after uint64) (int, error)

	// Search returns at most limit of room's most recent entries whose
	// text contains every one of words, ignoring case and accents (see
	// Matcher), oldest first.
	Search(ctx context.Context, room string, words []string, limit int) ([]Entry, error)

	// Purge removes every entry of room: a room that is gone takes its
	// history with it. Other rooms and the sequence are untouched.
	Purge(ctx context.Context, room string) error
}

// ErrUnavailable wraps every failure of a log to answer in time: a full
// disk, a store that stopped, a timeout. Callers tell the user the
// message was not sent.
var ErrUnavailable = errors.New("chat log unavailable")
