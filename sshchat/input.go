package sshchat

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Input: the reader goroutine's loop over what the user types, each line
// a message, a command or a private message, within the message budget.

// readLoop reads and handles lines until the user leaves or input fails,
// and says how the session ended.
func (s *session) readLoop() leaveReason {
	for {
		select {
		case <-s.done:
			return s.reason
		default:
		}
		line, pasted, err := s.console.readLine()
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
	rerr := s.console.readErr()
	if rerr == nil {
		return leaveQuit
	}
	// Reading is over: let the writer go on while the probe waits, so a
	// busy room does not overflow this user's outbox meanwhile.
	s.console.stopReading()
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
	// Any line but /away itself means the user is back.
	if c, ok := lookupCommand(word); !isCmd || !ok || c != commandByName("away") {
		s.back()
	}
	if !isCmd {
		s.say(text)
		return false
	}
	if c, ok := lookupCommand(word); ok {
		if !s.allowed(c) {
			return false
		}
		return c.run(s, arg)
	}
	// /<name> text: a private message, when name is connected.
	if to, ok := s.lookupName(word); ok {
		s.whisper(to, word, arg)
		return false
	}
	shown, _ := sanitize(word, 40)
	s.reply(l.t(msgUnknownCommand, shown))
	return false
}

func (s *session) say(text string) { s.post(text, false) }

// post sends a message, or with me an action, to the room.
func (s *session) post(text string, me bool) {
	clean, _ := sanitize(text, s.srv.cfg.MaxMessageLen)
	if clean == "" {
		return
	}
	if u, muted := s.srv.mod.muted(s.self.key); muted {
		s.reply(s.language().t(msgYouAreMuted, s.untilText(s.language(), u.Until)))
		return
	}
	if !s.srv.available() {
		s.reply(s.language().t(msgChatUnavailable))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.StoreTimeout)
	defer cancel()
	start := time.Now()
	err := s.room().post(ctx, s.self, clean, me)
	switch {
	case err == nil:
		s.srv.metrics.messages.Inc()
		s.srv.metrics.storeRTT.Observe(time.Since(start).Seconds())
	case !errors.Is(err, errNotMember):
		s.log.Warn("message not sent", "err", err)
		s.reply(s.language().t(msgNotSent))
	}
}

// lookupName finds a connected user, in any room, by the name typed. This
// user's room is told what is pending first, so that "no such user"
// never comes before the leave it follows from.
func (s *session) lookupName(typed string) (*member, bool) {
	name, err := checkName(typed, nil)
	if err != nil {
		return nil, false
	}
	s.room().tellPending()
	key := nameKey(name)
	m := s.srv.findUser(key)
	if m == nil || m.room.Load() == nil { // not joined yet
		return nil, false
	}
	return m, true
}

// whisper sends text privately to the member to, in whichever room: both
// see it in order with their own room's events.
func (s *session) whisper(to *member, typed, text string) {
	l := s.language()
	clean, _ := sanitize(text, s.srv.cfg.MaxMessageLen)
	if clean == "" {
		s.reply(l.t(msgUsage, commandByName("msg").usage(l)))
		return
	}
	if to.key == s.self.key {
		s.reply(l.t(msgPrivateSelf))
		return
	}
	// A muted user may still write to operators, to appeal.
	if u, muted := s.srv.mod.muted(s.self.key); muted {
		if !s.srv.mod.isOperator(to, s.srv.accounts.lookup(to.key) != nil) {
			s.reply(l.t(msgYouAreMutedPrivate, s.untilText(l, u.Until)))
			return
		}
	}
	from, there := s.room(), to.room.Load()
	var err error
	if to.node != "" {
		// On another server: it delivers, and says whether it could.
		ok, why := s.srv.cluster.private(s.self, to, clean)
		if !ok {
			shown, _ := sanitize(typed, 40)
			s.reply(l.t(msgNoSuchUser, shown))
			return
		}
		from.tell(s.self, newPrivate(s.self.name, to.name, clean))
		if why != "" {
			s.reply(l.t(msgIsAway, to.name, why))
		}
		return
	}
	if there == from {
		err = from.whisper(s.self, to.key, clean)
	} else {
		ev := newPrivate(s.self.name, to.name, clean)
		if there == nil || !there.tell(to, ev) {
			err = errNoSuchUser
		} else {
			from.tell(s.self, ev)
		}
	}
	if err != nil {
		shown, _ := sanitize(typed, 40)
		s.reply(l.t(msgNoSuchUser, shown))
		return
	}
	if why, away := to.awayReason(); away {
		s.reply(l.t(msgIsAway, to.name, why))
	}
}

// reply queues a line for this user alone, in order with the room's events.
func (s *session) reply(text string) {
	s.room().notice(s.self, text)
}

// findUser is the user holding a name's identity key, on this server or
// another sharing the cluster, or nil.
func (srv *Server) findUser(key string) *member {
	if m := srv.names.lookup(key); m != nil {
		return m
	}
	if srv.cluster != nil {
		return srv.cluster.lookup(key)
	}
	return nil
}
