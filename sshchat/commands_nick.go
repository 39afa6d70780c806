package sshchat

import (
	"errors"
	"strings"
)

// cmdNick is /nick newname: the user goes on under another name, checked
// as a login's is, in the same room. An account stays with the name it
// registered: a key holds one registered name, so the new name is
// unregistered, and the user is told how to get the old one back.
func (s *session) cmdNick(arg string) bool {
	l := s.language()
	typed := strings.TrimSpace(arg)
	if typed == "" {
		s.reply(l.t(msgUsage, commandByName("nick").usage(l)))
		return false
	}
	shown, _ := sanitize(typed, maxNameLen+8)
	name, err := checkName(typed, isCommandName)
	if err != nil {
		var ne *nameError
		if errors.As(err, &ne) {
			s.reply(nameProblemText(l, ne.problem, shown))
		} else {
			s.reply(l.t(msgNameInvalid, shown))
		}
		return false
	}
	old := s.self
	if name == old.name {
		s.reply(l.t(msgNickSame, name))
		return false
	}
	// A mute is of a name: changing it must not end the mute.
	if u, muted := s.srv.mod.muted(old.key); muted {
		s.reply(l.t(msgNickMuted, s.untilText(l, u.Until)))
		return false
	}
	key := nameKey(name)
	if acct := s.srv.accounts.lookup(key); acct != nil && !acct.hasKey(s.fingerprint) {
		s.reply(l.t(msgNameRegistered, name))
		return false
	}
	nu := &member{
		name: name, key: key, color: nameColor(name), out: old.out,
		drop: old.drop, dropped: old.dropped, joined: old.joined,
		fingerprint: old.fingerprint, client: old.client, addr: old.addr, language: old.language,
	}
	nu.away.Store(old.away.Load())
	if err := s.srv.names.rename(old, nu); err != nil {
		s.reply(l.t(msgNameTaken, name))
		return false
	}
	if c := s.srv.cluster; c != nil {
		nu.room.Store(s.room())
		ctx, cancel := s.storeCtx()
		err := c.rename(ctx, old, nu)
		cancel()
		if err != nil {
			s.srv.names.release(nu)
			if errors.Is(err, errNameTaken) {
				s.reply(l.t(msgNameTaken, name))
			} else {
				s.reply(l.t(msgStoreFailed))
			}
			return false
		}
	}
	r := s.room()
	s.joined.Store(nu) // before the room sees it: an ending session leaves as nu
	if err := r.rename(old, nu); err != nil {
		s.joined.Store(old)
		s.srv.names.release(nu)
		if c := s.srv.cluster; c != nil {
			c.leave(nu, "")
		}
		return false // ending: the room has let it go
	}
	s.self = nu
	if s.claimed.Load() {
		<-s.done
		r.leave(nu, s.reason)
		return false
	}
	// s.log keeps the first name: the watchdog reads it meanwhile.
	s.log.Info("renamed", "to", name)
	if acct := s.srv.accounts.lookup(old.key); acct != nil && acct.hasKey(s.fingerprint) && key != old.key {
		s.reply(l.t(msgNickKeeps, acct.Name, acct.Name, name))
	}
	s.console.setPrompt(s.prompt())
	return false
}
