package sshchat

import (
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	gossh "golang.org/x/crypto/ssh"
)

// session is one connected user, from the shell request to the end of the
// connection. Its goroutines: the reader, which settles the name (start)
// and then reads input (chat, on a fresh stack), and the writer, which
// alone renders and writes the room's events; the outbox starts the writer
// when there is something to write and the writer retires when there is
// not. None outlives the reader.
type session struct {
	srv   *Server
	ch    gossh.Channel
	conn  *gossh.ServerConn
	log   *slog.Logger
	con   console
	clock inputClock
	color bool
	pty   bool           // the client asked for a terminal
	win   *atomic.Uint64 // the terminal's size (packWindow), kept by the request filter

	lang        atomic.Uint32          // lang: set by the reader (/lang), read by the writer
	member      *member                // the reader's own copy, set once joined
	mem         atomic.Pointer[member] // the member for other goroutines, set just before joining
	lc          *limitedConn           // the TCP connection's wrapper, for closeSoon; may be nil
	gate        *floodGate             // the reader's message budget
	floodedOut  bool                   // the reader gave up on a flooder
	fingerprint string                 // of the key that authenticated, "" without one

	done       chan struct{} // closed by finish: the session is over
	over       atomic.Bool   // set by finish with done: cheaper to poll than a channel
	ending     atomic.Bool   // the first end or drop wins and sets reason
	reason     leaveReason   // written by the winner before done closes; read after
	noticed    atomic.Bool   // the shutdown notice is written directly at most once
	noticeDone chan struct{} // closed once that notice is written
	writerDone chan struct{} // closed once the last write is done
	lastOnce   sync.Once     // closes writerDone
	exited     atomic.Bool   // the exit status is sent once
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
		s.con.stopReading()
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
	s.log.Info("join", "fingerprint", s.member.fingerprint, "client", s.member.client)
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
	s.con.stopReading()
	s.end(reason)
	<-s.writerDone
	s.log.Info("leave", "reason", reasonNames[s.reason], "duration", s.srv.now().Sub(s.member.joined).Round(time.Second))
}

// failed ends a session whose reader panicked: the room is told of a
// server error, the panic is logged, the client gets a failure status.
func (s *session) failed(panicked any) {
	s.log.Error("panic in session", "panic", panicked, "stack", string(debug.Stack()))
	s.con.stopReading()
	s.end(leaveError)
	if s.mem.Load() != nil {
		<-s.writerDone
	}
	s.exit(1)
}

var reasonNames = [...]string{
	leaveQuit: "quit", leaveLost: "connection lost", leaveTimeout: "keepalive timeout",
	leaveIdle: "idle", leaveSlow: "slow consumer", leaveError: "server error",
	leaveShutdown: "shutdown", leaveFlood: "flooding",
}

// end leaves the room with reason (the hub tells the others) and finishes
// the session. The first reason wins; later calls do nothing. Any
// goroutine may call it, but not with the hub's lock held (drop is for
// that).
func (s *session) end(reason leaveReason) {
	if !s.ending.CompareAndSwap(false, true) {
		return
	}
	s.reason = reason
	if m := s.mem.Load(); m != nil {
		s.srv.hub.leave(m, reason)
	}
	s.finish()
}

// drop is member.drop: the hub, holding its lock, ends the session for a
// reason of its own and announces it itself. It reports false when the
// session was already ending for another reason.
func (s *session) drop(reason leaveReason) bool {
	if !s.ending.CompareAndSwap(false, true) {
		return false
	}
	s.reason = reason
	s.finish()
	return true
}

// finish marks the session over, after end or drop settled the reason. It
// never calls into the hub. Where the client cannot be written to any
// more, it closes the connection at once, which also unblocks a writer
// stuck on a full SSH window; otherwise a writer is kept running for the
// last write.
func (s *session) finish() {
	s.over.Store(true)
	close(s.done)
	switch s.reason {
	case leaveSlow, leaveTimeout, leaveLost:
		_ = s.conn.Close()
	}
	if m := s.mem.Load(); m != nil {
		m.out.end()
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
	if s.lc != nil {
		s.lc.closeAfter(s.srv.cfg.FlushTimeout)
		return
	}
	time.AfterFunc(s.srv.cfg.FlushTimeout, func() { _ = s.conn.Close() })
}

// shutdownNotice writes the shutdown notice to a user who has not joined
// (joined users get it through the room), once.
func (s *session) shutdownNotice() {
	// Not a sync.Once: the reader, still settling the name, may find the
	// room closed and try to write the notice itself while holding the
	// screen this write waits for. A flag lets it go on and release it.
	if !s.noticed.CompareAndSwap(false, true) {
		return
	}
	s.closeSoon() // before writing: the write may block on a client that does not read
	_ = s.con.write([]byte(s.language().t(msgShutdown) + "\n"))
	s.exit(0)
	close(s.noticeDone)
}

// login settles the user's name: the SSH user name if it passes the rules
// and is free, else names typed at a prompt, with bounded tries and time.
func (s *session) login() bool {
	cfg := &s.srv.cfg
	expired := atomic.Bool{}
	timer := time.AfterFunc(cfg.LoginTimeout, func() {
		expired.Store(true)
		s.closeSoon() // before writing: the write may block on a client that does not read
		_ = s.con.write([]byte(s.language().t(msgLoginTimeout) + "\n"))
		s.exit(1)
	})
	defer timer.Stop()

	l := s.language()
	problem, closing := s.tryJoin(s.conn.User())
	for try := 1; problem != ""; try++ {
		if closing {
			if s.noticed.CompareAndSwap(false, true) {
				s.con.writeOwn([]byte(problem + "\n"))
				s.exit(0)
				close(s.noticeDone)
			}
			// Otherwise shutdownNotice, waiting for the screen, writes the
			// notice and ends the session.
			return false
		}
		s.con.writeOwn([]byte(problem + "\n"))
		if try >= cfg.LoginTries {
			s.con.writeOwn([]byte(l.t(msgLoginTries) + "\n"))
			return false
		}
		if _, ok := s.con.(*ptyConsole); ok {
			s.con.writeOwn([]byte(l.t(msgNameAgain) + "\n"))
		} else {
			s.con.writeOwn([]byte(l.t(msgNameAgainPlain) + "\n"))
		}
		s.con.setPrompt(l.t(msgNamePrompt))
		line, _, err := s.con.readLine()
		switch {
		case expired.Load():
			return false
		case errors.Is(err, errLineTooLong):
			problem = l.t(msgNameTooLong, "…", maxNameLen)
		case err != nil:
			return false
		default:
			problem, closing = s.tryJoin(line)
		}
	}
	return true
}

// tryJoin checks candidate against the naming rules and joins the room
// under it. It returns "" on success, else the line telling the user why;
// closing says the server is shutting down, so there is no point asking
// again.
func (s *session) tryJoin(candidate string) (problem string, closing bool) {
	l := s.language()
	shown, _ := sanitize(candidate, maxNameLen+8)
	name, err := checkName(candidate, isCommandName)
	if err != nil {
		var ne *nameError
		if errors.As(err, &ne) {
			return nameProblemText(l, ne.problem, shown), false
		}
		return l.t(msgNameInvalid, shown), false
	}
	m := &member{
		name:        name,
		key:         nameKey(name),
		color:       nameColor(name),
		drop:        s.drop,
		joined:      s.srv.now(),
		fingerprint: s.fingerprint,
	}
	m.client, _ = sanitize(string(s.conn.ClientVersion()), 80) // untrusted: the client chose it
	userLog := s.log.With("user", name)
	m.out = newOutbox(s.srv.cfg.OutboxBytes, func() { go s.writer(m, userLog) }) // ends when idle, or after the last write
	if joinHook != nil {
		joinHook()
	}
	s.mem.Store(m) // before joining: the writer may start, and end, inside join
	switch err := s.srv.hub.join(m); {
	case err == nil:
		s.member = m
		s.log = userLog
		s.con.setPrompt(s.prompt())
		if pc, ok := s.con.(*ptyConsole); ok {
			pc.complete = func(line string, pos int, key rune) (string, int, bool) {
				return completeName(s.srv.hub.completions, line, pos, key)
			}
		}
		return "", false
	case errors.Is(err, errNameTaken):
		s.mem.Store(nil)
		return l.t(msgNameTaken, name), false
	default:
		s.mem.Store(nil)
		return l.t(msgShutdown), true
	}
}

func nameProblemText(l lang, p nameProblem, shown string) string {
	switch p {
	case nameEmpty:
		return l.t(msgNameEmpty)
	case nameTooLong:
		return l.t(msgNameTooLong, shown, maxNameLen)
	case nameHasSpace:
		return l.t(msgNameSpace, shown)
	case nameHasControl:
		return l.t(msgNameControl)
	case nameBadChar:
		return l.t(msgNameBadChar, shown)
	case nameIsCommand:
		return l.t(msgNameCommand, shown)
	}
	return l.t(msgNameInvalid, shown)
}

func (s *session) prompt() string {
	if s.color {
		return "[" + s.member.color + s.member.name + sgrReset + "] "
	}
	return "[" + s.member.name + "] "
}

// readLoop reads and handles lines until the user leaves or input fails,
// and says how the session ended.
func (s *session) readLoop() leaveReason {
	for {
		select {
		case <-s.done:
			return s.reason
		default:
		}
		line, pasted, err := s.con.readLine()
		if errors.Is(err, errLineTooLong) {
			s.reply(s.language().t(msgTooLong, s.srv.cfg.MaxMessageLen))
			continue
		}
		if err != nil {
			return s.inputEnded(err)
		}
		if strings.TrimSpace(line) == "" {
			continue // costs nothing, shows nothing
		}
		if !s.admit(pasted) {
			if s.floodedOut {
				return leaveFlood
			}
			continue
		}
		if quit := s.handleLine(line); quit {
			return leaveQuit
		}
	}
}

// admit applies the flood limit to one line, telling the user when a
// line is refused.
func (s *session) admit(pasted bool) bool {
	cfg := &s.srv.cfg
	switch s.gate.admit(s.srv.now(), pasted) {
	case floodAllow:
		return true
	case floodRefuseNotify:
		s.log.Info("message rate limit hit")
		s.reply(s.language().t(msgSlowDown, cfg.MsgBurst, cfg.MsgRate))
	case floodPasteCapped:
		s.reply(s.language().t(msgPasteTooLong, cfg.MaxPasteLines))
	case floodDisconnect:
		s.log.Warn("flood limit hit: disconnecting", "strikes", cfg.FloodStrikes)
		s.floodedOut = true
	}
	return false
}

// inputEnded decides how a session whose input ended is announced. Ctrl-D
// on a terminal is leaving by choice. A transport that ended is checked
// with a keepalive: a client that answers closed its input on purpose
// (the end of a piped script); one that does not has lost the connection.
func (s *session) inputEnded(err error) leaveReason {
	rerr := s.con.readErr()
	if rerr == nil {
		return leaveQuit
	}
	// Reading is over: let the writer go on while the probe waits, so a
	// busy room does not overflow this user's outbox meanwhile.
	s.con.stopReading()
	select {
	case <-s.done:
		return s.reason // already ended for another reason (kicked, shutdown)
	default:
	}
	if s.probe(leaveLost) == nil {
		return leaveQuit
	}
	s.log.Warn("read failed: connection lost", "err", rerr)
	return leaveLost
}

// testHook, when set by a test, sees every line before it is handled
// (to inject a failure).
var testHook func(line string)

// joinHook, when set by a test, runs just before a session joins the room
// (to hold it there).
var joinHook func()

// handleLine acts on one typed line and reports whether the user asked
// to leave.
func (s *session) handleLine(line string) (quit bool) {
	if testHook != nil {
		testHook(line)
	}
	l := s.language()
	if strings.TrimSpace(line) == "" {
		return false
	}
	if utf8.RuneCountInString(line) > s.srv.cfg.MaxMessageLen {
		s.reply(l.t(msgTooLong, s.srv.cfg.MaxMessageLen))
		return false
	}
	word, arg, isCmd, text := parseLine(line)
	if !isCmd {
		s.say(text)
		return false
	}
	if c, ok := lookupCommand(word); ok {
		return c.run(s, arg)
	}
	// /<name> text: a private message, when name is connected.
	if key, ok := s.lookupName(word); ok {
		s.whisper(key, word, arg)
		return false
	}
	shown, _ := sanitize(word, 40)
	s.reply(l.t(msgUnknownCommand, shown))
	return false
}

func (s *session) say(text string) {
	clean, _ := sanitize(text, s.srv.cfg.MaxMessageLen)
	if clean == "" {
		return
	}
	s.srv.hub.say(s.member, clean)
}

// lookupName finds the key of a connected user by the name typed.
func (s *session) lookupName(typed string) (string, bool) {
	name, err := checkName(typed, nil)
	if err != nil {
		return "", false
	}
	key := nameKey(name)
	_, ok := s.srv.hub.lookup(key)
	return key, ok
}

func (s *session) whisper(key, typed, text string) {
	l := s.language()
	clean, _ := sanitize(text, s.srv.cfg.MaxMessageLen)
	if clean == "" {
		s.reply(l.t(msgUsage, commandByName("msg").usage(l)))
		return
	}
	if key == s.member.key {
		s.reply(l.t(msgPrivateSelf))
		return
	}
	if err := s.srv.hub.whisper(s.member, key, clean); err != nil {
		shown, _ := sanitize(typed, 40)
		s.reply(l.t(msgNoSuchUser, shown))
	}
}

// reply queues a line for this user alone, in order with the room's events.
func (s *session) reply(text string) {
	s.srv.hub.local(s.member, text)
}

// writerLinger is how long a writer waits for more to write before it
// retires. It outlasts the gap between messages in a lively room: a
// writer that retires between every two messages costs a goroutine start,
// a stack grown again through the SSH library, a timer and an exit per
// delivery (14% of the server's CPU in a 10,000-user room at one message
// a second with a one-second linger).
const writerLinger = 5 * time.Second

// writer renders and writes m's events: everything queued at a wake-up
// becomes one write. It retires after writerLinger with nothing to do; the
// outbox starts another when an event arrives. The one that sees the
// session end does the last write. It takes m rather than reading
// s.member: the first writer starts inside hub.join, before the session
// has recorded its member.
func (s *session) writer(m *member, log *slog.Logger) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("panic in writer", "panic", r, "stack", string(debug.Stack()))
			s.end(leaveError)
			_ = s.conn.Close()
			s.lastOnce.Do(func() { close(s.writerDone) })
		}
	}()
	v := viewer{name: m.name, color: s.color, ownMessages: s.pty, joined: m.joinSeq}
	var applied uint64
	var batch []*event
	var buf []byte
	// The writer waits on the outbox's wake channel alone: the session's
	// end (outbox.end) and the linger timer wake it through it too, so
	// waiting is a plain receive rather than a select over a timer. The
	// timer is armed once per linger period, not per write: when it has
	// fired, the writer checks when the last write was and re-arms for the
	// rest, or retires.
	lastActive := time.Now()
	var lingered atomic.Bool
	idle := time.AfterFunc(writerLinger, func() {
		lingered.Store(true)
		m.out.signal()
	})
	defer idle.Stop()
	for {
		if s.over.Load() {
			s.lastWrite(m, &v, batch, buf)
			s.lastOnce.Do(func() { close(s.writerDone) })
			return
		}
		batch = m.out.take(batch)
		if len(batch) == 0 {
			if lingered.Swap(false) {
				if quiet := time.Since(lastActive); quiet < writerLinger {
					idle.Reset(writerLinger - quiet)
				} else if m.out.retire() {
					return
				} else {
					idle.Reset(writerLinger)
				}
			}
			<-m.out.wake
			continue
		}
		v.lang = s.language()
		if w := s.win.Load(); s.pty && w != applied {
			applied = w
			cols, _ := unpackWindow(w)
			v.width = textWidth(cols)
		}
		buf = buf[:0]
		for _, ev := range batch {
			buf = v.render(buf, ev)
		}
		if len(buf) == 0 {
			continue // nothing for this user (its own join, told to the room)
		}
		if err := s.con.write(buf); err != nil {
			s.end(leaveLost) // the loop's next turn sees the end
		}
		if cap(buf) > 4<<10 {
			buf = nil // a burst's buffer is not kept while the writer runs
		}
		lastActive = time.Now()
	}
}

// lastWrite flushes what is still queued (such as the shutdown notice) and
// a farewell for the reason the session ended, then closes the channel so
// the reader and the client see the end. A client that will not take the
// bytes gets a bounded wait.
func (s *session) lastWrite(m *member, v *viewer, batch []*event, buf []byte) {
	switch s.reason {
	case leaveSlow, leaveTimeout, leaveLost:
		return // the connection is closed or useless
	}
	if w := s.win.Load(); s.pty {
		cols, _ := unpackWindow(w)
		v.width = textWidth(cols)
	}
	batch = m.out.take(batch)
	v.lang = s.language()
	buf = buf[:0]
	for _, ev := range batch {
		buf = v.render(buf, ev)
	}
	switch s.reason {
	case leaveIdle:
		buf = append(buf, v.lang.t(msgIdleBye, s.srv.cfg.IdleTimeout)...)
		buf = append(buf, '\n')
	case leaveFlood:
		buf = append(buf, v.lang.t(msgFloodBye)...)
		buf = append(buf, '\n')
	}
	if s.pty {
		buf = append(buf, "\x1b[?2004l"...) // bracketed paste off: leave the terminal as found
	}
	stop := time.AfterFunc(s.srv.cfg.FlushTimeout, func() { _ = s.conn.Close() })
	_ = s.con.writeLast(buf)
	stop.Stop()
	code := uint32(0)
	if s.reason == leaveError {
		code = 1
	}
	s.exit(code)
	s.closeSoon()
}

// textWidth is the width messages are wrapped to on a terminal of width
// cells: one cell of margin (see viewer.width).
func textWidth(cells int) int {
	if cells <= 0 {
		return 0
	}
	return cells - 1
}

// clampWindow keeps a claimed window size within what a real terminal can
// be, so nothing sized from it can be abused. Zero means unknown (80x24);
// narrower than minWidth is treated as minWidth, where text is still
// readable.
func clampWindow(w, h int) (int, int) {
	const maxCells, minWidth = 4096, 16
	if w <= 0 {
		w = 80
	}
	if h <= 0 {
		h = 24
	}
	return min(max(w, minWidth), maxCells), min(h, maxCells)
}
