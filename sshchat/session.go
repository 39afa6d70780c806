package sshchat

import (
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// session is one connected user, from the shell request to the end of the
// connection: this file is its lifecycle, login.go settles its name,
// input.go reads what the user types and writer.go writes what the room
// says.
//
// Its goroutines: the reader, which settles the name (start) and then
// reads input (chat, on a fresh stack), and the writer, which alone
// renders and writes the room's events; the outbox starts the writer when
// there is something to write and the writer retires when there is not.
// None outlives the reader.
//
// Every ending goes through close(reason), or through drop when the room
// ends the session holding its lock: the first reason wins, and its row
// of leaveReasons says what follows. The writer then does the last write
// (leftovers, the farewell) and closes the channel, which ends the reader.
type session struct {
	srv     *Server
	ch      gossh.Channel // the SSH session channel the chat runs on
	conn    *gossh.ServerConn
	tcp     *limitedConn // the TCP connection's wrapper, for closeSoon; may be nil
	log     *slog.Logger
	console console
	clock   inputClock
	color   bool
	pty     bool           // the client asked for a terminal
	win     *atomic.Uint64 // the terminal's size (packWindow), kept by the request loop

	lang          atomic.Uint32                 // lang: set by the reader (/lang), read by the writer
	loc           atomic.Pointer[time.Location] // the user's time zone: set by the reader (/tz), read by the writer
	quiet         atomic.Bool                   // /bell off: set by the reader, read by the writer
	stamps        atomic.Bool                   // /timestamps on: set by the reader, read by the writer
	viewJoined    atomic.Uint64                 // the join the writer last rendered a greeting for (session.render)
	self          *member                       // the reader's own copy, set once joined
	joined        atomic.Pointer[member]        // the member for other goroutines, set just before joining
	gate          *floodGate                    // the reader's message budget
	floodedOut    bool                          // the reader gave up on a flooder
	fingerprint   string                        // of the key that authenticated, "" without one
	authorizedKey string                        // that key, in authorized_keys form

	ending
}

// ending is a session's end, decided once.
type ending struct {
	done    chan struct{} // closed once the reason is settled
	over    atomic.Bool   // set with done: cheaper for the writer to poll than a channel
	claimed atomic.Bool   // the first close or drop wins and sets reason
	// seenUpTo is the last log sequence handed out anywhere, or queued
	// to this user, when the session ended: "while you were away" starts
	// after it, or at the first message the outbox missed.
	seenUpTo   atomic.Uint64
	reason     leaveReason   // written by the winner before done closes; read after
	writerDone chan struct{} // closed once the last write is done
	lastOnce   sync.Once     // closes writerDone
	exited     atomic.Bool   // the exit status is sent once
	// A user who has not joined has no writer: the shutdown notice is
	// written directly, at most once (noticed), and noticeDone closes
	// when it is out.
	noticed    atomic.Bool
	noticeDone chan struct{}
}

func (s *session) language() lang { return lang(s.lang.Load()) }

// start is the first part of a session's life, in the goroutine that took
// the shell request: it settles the name and joins the room. It reports
// whether the chat goes on; if not, the session is over.
func (s *session) start() (joined bool) {
	defer func() {
		if joined {
			return
		}
		if r := recover(); r != nil {
			s.failed(r)
		}
		s.console.stopReading()
		if s.noticed.Load() {
			// The shutdown notice ends the session; Shutdown closes every
			// connection once the sessions it tracks are gone, so wait
			// for the notice to be out. (Bounded: closeSoon was armed
			// before writing.)
			<-s.noticeDone
		} else {
			s.exit(1)
		}
		s.srv.untrack(s)
		s.closeSoon()
	}()
	if !s.login() {
		return false
	}
	s.log.Info("join", "fingerprint", s.self.fingerprint, "client", s.self.client)
	return true
}

// chat is the rest of a session's life: reading the user's lines until
// the session ends. It runs in a goroutine of its own, started by start:
// a goroutine keeps the stack it grew for as long as it waits, setting up
// (name checks, the join, logging) grows one to 8 KB, and the reader, who
// waits for the whole session, needs half that.
func (s *session) chat() {
	defer func() {
		if r := recover(); r != nil {
			s.failed(r)
		}
		s.srv.untrack(s)
		s.closeSoon()
	}()
	stopWatchdog := s.startWatchdog()
	defer stopWatchdog()
	reason := s.readLoop()
	s.console.stopReading()
	s.close(reason)
	<-s.writerDone
	// The name's key in the cluster goes, unless a new connection of
	// this server holds the name now (a takeover).
	if c := s.srv.cluster; c != nil && s.srv.names.lookup(s.self.key) == nil {
		c.leave(s.self, s.reason.String())
	}
	if s.reason != leaveReplaced && s.srv.accounts.lookup(s.self.key) != nil {
		// For "while you were away" next time.
		ctx, cancel := s.storeCtx()
		s.srv.accounts.seen(ctx, s.self.key, s.self.out.shownUpTo(s.seenUpTo.Load()))
		cancel()
	}
	s.srv.metrics.leaves.WithLabelValues(s.reason.String()).Inc()
	s.log.Info("leave", "reason", s.reason.String(), "duration", s.srv.now().Sub(s.self.joined).Round(time.Second))
}

// failed ends a session whose reader panicked: the room is told of a
// server error, the panic is logged, the client gets a failure status.
func (s *session) failed(panicked any) {
	s.log.Error("panic in session", "panic", panicked, "stack", string(debug.Stack()))
	s.console.stopReading()
	s.close(leaveError)
	if s.joined.Load() != nil {
		<-s.writerDone
	}
	s.exit(1)
}

// close ends the session for reason: the room tells the others, and the
// session finishes. The first reason wins; later calls do nothing. Any
// goroutine may call it, but not with the room's lock held (drop is for
// that).
func (s *session) close(reason leaveReason) {
	if !s.claim(reason) {
		return
	}
	if m := s.joined.Load(); m != nil {
		if r := m.room.Load(); r != nil {
			r.leave(m, reason)
		}
	}
	s.finish()
}

// drop is member.drop: the room, holding its lock, ends the session for a
// reason of its own and tells the others itself; it calls finish
// (member.dropped) once it has released the lock. It reports false when
// the session was already ending for another reason.
func (s *session) drop(reason leaveReason) bool { return s.claim(reason) }

// claim settles reason as the session's, if no other came first.
func (s *session) claim(reason leaveReason) bool {
	if !s.claimed.CompareAndSwap(false, true) {
		return false
	}
	s.reason = reason
	seen := s.srv.rooms.last.Load()
	if m := s.joined.Load(); m != nil {
		seen = max(seen, m.out.pushedUpTo())
	}
	s.seenUpTo.Store(seen)
	return true
}

// finish marks the session over, after close or drop settled the reason.
// It never calls into the room. Where the connection cannot carry more,
// it closes it at once, which also unblocks a writer stuck on a full SSH
// window; otherwise the writer does the last write. A user still
// choosing a name, with no writer, is told of a shutdown directly.
func (s *session) finish() {
	s.over.Store(true)
	close(s.done)
	if s.reason.row().deadConn {
		_ = s.conn.Close()
	}
	if m := s.joined.Load(); m != nil {
		m.out.end()
	} else if s.reason == leaveShutdown {
		go s.shutdownNotice() // ends when written, or when closeSoon closes the connection
	}
}

// exit reports status to the client and closes the channel, once.
func (s *session) exit(status uint32) {
	if s.exited.CompareAndSwap(false, true) {
		sendExit(s.ch, status)
	}
}

// closeSoon closes the connection after FlushTimeout unless the client
// hangs up first: a farewell must not let a client that stopped answering
// hold its connection.
func (s *session) closeSoon() {
	if s.tcp != nil {
		s.tcp.closeAfter(s.srv.cfg.FlushTimeout)
		return
	}
	time.AfterFunc(s.srv.cfg.FlushTimeout, func() { _ = s.conn.Close() })
}

// shutdownNotice writes the shutdown notice to a user who has not joined
// (joined users get it through the room), once.
func (s *session) shutdownNotice() {
	// Not a sync.Once: the reader, still settling the name, may find the
	// room closed and write the notice itself while holding the screen
	// this write waits for. A flag lets it go on and release it.
	if !s.noticed.CompareAndSwap(false, true) {
		return
	}
	s.closeSoon() // before writing: the write may block on a client that does not read
	_ = s.console.write([]byte(s.language().t(msgShutdown) + "\n"))
	s.exit(0)
	close(s.noticeDone)
}
