package sshchat

import (
	"errors"
	"sync/atomic"
	"time"
)

// Login: a session's name is settled before it joins a room. The SSH user
// name is tried first; when it breaks a naming rule or is taken, the user
// is told why and asked for another, within LoginTries and LoginTimeout.

// joinHook, when set by a test, runs just before a session joins the room
// (to hold it there).
var joinHook func()

// login settles the user's name: the SSH user name if it passes the rules
// and is free, else names typed at a prompt, with bounded tries and time.
func (s *session) login() bool {
	cfg := &s.srv.cfg
	expired := atomic.Bool{}
	timer := time.AfterFunc(cfg.LoginTimeout, func() {
		expired.Store(true)
		s.closeSoon() // before writing: the write may block on a client that does not read
		_ = s.console.write([]byte(s.language().t(msgLoginTimeout) + "\n"))
		s.exit(1)
	})
	defer timer.Stop()

	l := s.language()
	problem, closing := s.tryJoin(s.conn.User())
	for try := 1; problem != ""; try++ {
		if closing {
			if s.noticed.CompareAndSwap(false, true) {
				s.console.writeOwn([]byte(problem + "\n"))
				s.exit(0)
				close(s.noticeDone)
			}
			// Otherwise shutdownNotice, waiting for the screen, writes the
			// notice and ends the session.
			return false
		}
		s.console.writeOwn([]byte(problem + "\n"))
		if try >= cfg.LoginTries {
			s.console.writeOwn([]byte(l.t(msgLoginTries) + "\n"))
			return false
		}
		if _, ok := s.console.(*ptyConsole); ok {
			s.console.writeOwn([]byte(l.t(msgNameAgain) + "\n"))
		} else {
			s.console.writeOwn([]byte(l.t(msgNameAgainPlain) + "\n"))
		}
		s.console.setPrompt(l.t(msgNamePrompt))
		line, _, err := s.console.readLine()
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
	key := nameKey(name)
	// A registered name (or a look-alike: the same identity key) is its
	// account's: only a key of the account gets it.
	acct := s.srv.accounts.lookup(key)
	if acct != nil && !acct.hasKey(s.fingerprint) {
		s.log.Info("registered name refused", "name", name, "fingerprint", s.fingerprint)
		return l.t(msgNameRegistered, name), false
	}
	m := &member{
		name:        name,
		key:         key,
		color:       nameColor(name),
		drop:        s.drop,
		joined:      s.srv.now(),
		fingerprint: s.fingerprint,
		addr:        remoteAddr(s.conn),
		language:    s.language,
	}
	m.client, _ = sanitize(string(s.conn.ClientVersion()), 80) // untrusted: the client chose it
	m.dropped = s.finish
	userLog := s.log.With("user", name)
	m.out = newOutbox(s.srv.cfg.OutboxBytes, func() { go s.writer(m, userLog) }) // ends when idle, or after the last write
	// The same user connecting again while a lost connection still holds
	// the name takes it over: the same verified key, or any key of the
	// name's account. Without a key nobody takes over anyone.
	ghost, err := s.srv.names.claimOrTake(m, func(holder *member) bool {
		return s.fingerprint != "" && (holder.fingerprint == s.fingerprint || acct.hasKey(s.fingerprint))
	})
	if err != nil {
		return l.t(msgNameTaken, name), false
	}
	if c := s.srv.cluster; c != nil {
		ctx, cancel := s.storeCtx()
		err := c.claim(ctx, m, func(holderFP string) bool {
			return s.fingerprint != "" && (holderFP == s.fingerprint || acct.hasKey(s.fingerprint))
		})
		cancel()
		if err != nil {
			s.srv.names.release(m)
			if errors.Is(err, errNameTaken) {
				return l.t(msgNameTaken, name), false
			}
			s.log.Warn("name not claimed in the cluster", "err", err)
			return l.t(msgStoreFailed), false
		}
	}
	if joinHook != nil {
		joinHook()
	}
	m.out.hold()      // until its history is in front: showEarlier
	s.joined.Store(m) // before joining: the writer may start, and end, inside join
	if ghost != nil {
		// The user comes back where the lost connection was.
		s.log.Info("took over a connection of the same user", "old_remote", ghost.addr.String())
		err = errNotMember
		if r := ghost.room.Load(); r != nil {
			err = r.replace(ghost, m)
		}
		if err != nil && !errors.Is(err, errShuttingDown) {
			err = s.srv.rooms.lobby.join(m)
		}
	} else {
		err = s.srv.rooms.lobby.join(m)
	}
	if err != nil {
		s.joined.Store(nil)
		s.srv.names.release(m)
		if c := s.srv.cluster; c != nil {
			c.leave(m, "")
		}
		if errors.Is(err, errNameTaken) {
			return l.t(msgNameTaken, name), false
		}
		return l.t(msgShutdown), true
	}
	s.self = m
	s.log = userLog
	if c := s.srv.cluster; c != nil {
		c.update(m)
	}
	s.showEarlier(m, acct)
	s.console.setPrompt(s.prompt())
	if pc, ok := s.console.(*ptyConsole); ok {
		pc.complete = func(line string, pos int, key rune) (string, int, bool) {
			return s.complete(line, pos, key)
		}
	}
	return "", false
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
	// The lobby is home: the prompt names any other room.
	room := ""
	if r := s.room(); r != s.srv.rooms.lobby {
		room = " #" + r.name
	}
	if s.color {
		return "[" + s.self.color + s.self.name + sgrReset + room + "] "
	}
	return "[" + s.self.name + room + "] "
}
