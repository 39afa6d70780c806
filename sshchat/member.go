package sshchat

import (
	"net/netip"
	"sync/atomic"
	"time"
)

// member is a room's view of one joined session: enough to deliver to it,
// find it by name, describe it, and disconnect it.
type member struct {
	name  string // display form
	key   string // nameKey(name): identity for uniqueness and look-ups
	color string // nameColor(name), computed once: it costs a skeleton
	out   *outbox

	// drop is how the room ends the member's session for a reason of its
	// own (a full outbox), holding its lock: it must neither block nor
	// call back into the room. It reports false when the session was
	// already ending for a reason of its own, which it will tell itself.
	drop func(leaveReason) bool
	// dropped finishes what drop began, once the room has released its
	// lock (closing a connection is a system call).
	dropped func()

	joined      time.Time
	joinSeq     atomic.Uint64 // the event counter at its join into its current room; set by the room
	fingerprint string        // SHA256 fingerprint of the key that authenticated, or ""
	client      string        // SSH client version string
	addr        netip.Addr
	language    func() lang // the user's language, for lines written to them by others' commands
	node        string      // the server the user is on, when it is another (cluster.go); "": this one

	away atomic.Pointer[string] // why the user is away (/away), nil when here
	// room is the room the member is in, or was last in: set by that
	// room, under its lock, when the member enters it.
	room atomic.Pointer[room]
	// told is the room's line for an operator's removal, kept for the
	// other servers of a cluster to tell it too.
	told atomic.Pointer[[numLangs]string]
}

// awayReason is why the member is away, and whether they are.
func (m *member) awayReason() (string, bool) {
	if p := m.away.Load(); p != nil {
		return *p, true
	}
	return "", false
}
