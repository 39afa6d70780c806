package sshchat

import (
	"strings"
	"time"
	"unicode"
)

// Moderation commands, for operators: kick, ban, mute and the message of
// the day; owners also appoint and dismiss operators. Every action is
// told to the room and logged with who, whom and why.

func (s *session) isOperator() bool {
	return s.srv.mod.isOperator(s.self, s.registered() != nil)
}

// allowed tells a user who may not run c why, and reports whether they
// may.
func (s *session) allowed(c *command) bool {
	l := s.language()
	switch {
	case c.owner && !s.srv.mod.isOwner(s.fingerprint):
		s.reply(l.t(msgOwnersOnly, c.usage(l)))
		return false
	case c.operator && !s.isOperator():
		s.reply(l.t(msgOperatorsOnly, c.usage(l)))
		return false
	}
	return true
}

// target finds the connected user an operator names, refusing oneself
// and owners. It tells the operator why when there is none.
func (s *session) target(name string) (*member, bool) {
	l := s.language()
	typed, err := checkName(name, nil)
	var m *member
	if err == nil {
		m = s.srv.findUser(nameKey(typed))
	}
	switch {
	case m == nil:
		shown, _ := sanitize(name, 40)
		s.reply(l.t(msgNoSuchUser, shown))
		return nil, false
	case m.key == s.self.key:
		s.reply(l.t(msgNotYourself))
		return nil, false
	case s.srv.mod.isOwner(m.fingerprint):
		s.reply(l.t(msgNotOwner, m.name))
		return nil, false
	}
	return m, true
}

// splitDuration takes a leading duration off arg: "2h spam" is 2h and
// "spam". A first word that starts with a digit and does not parse is
// an error, not part of the reason.
func splitDuration(arg string) (d time.Duration, rest string, ok bool) {
	first, after, _ := strings.Cut(arg, " ")
	if first == "" || !unicode.IsDigit(rune(first[0])) {
		return 0, arg, true
	}
	d, err := parseDuration(first)
	if err != nil || d <= 0 {
		return 0, arg, false
	}
	return d, strings.TrimSpace(after), true
}

// until is when a measure of d taken now ends, in words of l and zone loc.
func (s *session) untilText(l lang, until time.Time) string {
	return untilIn(l, until, s.zone())
}

// byLang formats id with args in every language, for a line the room is
// told: each member reads it in their own.
func byLang(id msgID, args ...any) (out [numLangs]string) {
	for l := range numLangs {
		out[l] = l.t(id, args...)
	}
	return out
}

func (s *session) cmdKick(arg string) bool {
	l := s.language()
	name, reason, _ := strings.Cut(strings.TrimSpace(arg), " ")
	if name == "" {
		s.reply(l.t(msgUsage, commandByName("kick").usage(l)))
		return false
	}
	m, ok := s.target(name)
	if !ok {
		return false
	}
	reason, _ = sanitize(strings.TrimSpace(reason), 200)
	told, bye := byLang(msgKicked, m.name, s.self.name), m.language().t(msgKickedBye, s.self.name)
	if reason != "" {
		told, bye = byLang(msgKickedWhy, m.name, s.self.name, reason), m.language().t(msgKickedByeWhy, s.self.name, reason)
	}
	s.log.Info("kick", "whom", m.name, "reason", reason)
	if !s.srv.removeMember(m, leaveKicked, told, bye) {
		s.reply(l.t(msgNoSuchUser, m.name))
	}
	return false
}

func (s *session) cmdBan(arg string) bool {
	l := s.language()
	name, rest, _ := strings.Cut(strings.TrimSpace(arg), " ")
	if name == "" {
		s.reply(l.t(msgUsage, commandByName("ban").usage(l)))
		return false
	}
	d, reason, ok := splitDuration(strings.TrimSpace(rest))
	if !ok {
		s.reply(l.t(msgBadDuration) + " " + l.t(msgUsage, commandByName("ban").usage(l)))
		return false
	}
	m, ok := s.target(name)
	if !ok {
		return false
	}
	reason, _ = sanitize(reason, 200)
	now := s.srv.now()
	b := ban{Name: m.name, By: s.self.name, Reason: reason, At: now, Node: s.srv.cfg.Node}
	if d > 0 {
		b.Until = now.Add(d)
	}
	keys := []string{banAddrOf(m.addr)}
	if m.fingerprint != "" {
		keys = append(keys, banKeyOf(m.fingerprint))
	}
	if acct := s.srv.accounts.lookup(m.key); acct != nil {
		for _, k := range acct.Keys {
			if k.Fingerprint != m.fingerprint {
				keys = append(keys, banKeyOf(k.Fingerprint))
			}
		}
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	for _, k := range keys {
		if err := s.srv.mod.addBan(ctx, k, b); err != nil {
			s.log.Warn("ban not stored", "err", err)
			s.reply(l.t(msgStoreFailed))
			return false
		}
	}
	s.log.Info("ban", "whom", m.name, "until", b.Until, "reason", reason, "bans", keys)
	s.srv.metrics.bans.Inc()
	var told [numLangs]string
	for tl := range numLangs {
		when := s.untilText(tl, b.Until)
		if reason == "" {
			told[tl] = tl.t(msgBanned, m.name, s.self.name, when)
		} else {
			told[tl] = tl.t(msgBannedWhy, m.name, s.self.name, when, reason)
		}
	}
	ml := m.language()
	s.srv.removeMember(m, leaveBanned, told, ml.t(msgBannedBye, s.self.name, s.untilText(ml, b.Until)))
	// Everyone else the ban covers goes too: any other connection with
	// one of the banned keys or from the banned address.
	banned := map[string]bool{}
	for _, k := range keys {
		banned[k] = true
	}
	for _, other := range s.srv.names.all() {
		if other != m && other.key != s.self.key && !s.srv.mod.isOwner(other.fingerprint) &&
			(banned[banKeyOf(other.fingerprint)] || banned[banAddrOf(other.addr)]) {
			ol := other.language()
			s.srv.removeMember(other, leaveBanned, byLang(msgBannedAlso, other.name, m.name),
				ol.t(msgBannedBye, s.self.name, s.untilText(ol, b.Until)))
		}
	}
	return false
}

func (s *session) cmdUnban(arg string) bool {
	l := s.language()
	what := strings.TrimSpace(arg)
	if what == "" {
		s.reply(l.t(msgUsage, commandByName("unban").usage(l)))
		return false
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	n, err := s.srv.mod.unban(ctx, what)
	shown, _ := sanitize(what, 80)
	switch {
	case err != nil:
		s.log.Warn("unban failed", "err", err)
		s.reply(l.t(msgStoreFailed))
	case n == 0:
		s.reply(l.t(msgNotBanned, shown))
	default:
		s.log.Info("unban", "what", what, "lifted", n)
		s.reply(l.t(msgUnbanned, shown, n))
	}
	return false
}

func (s *session) cmdBans(string) bool {
	l := s.language()
	keys, bans := s.srv.mod.banList()
	if len(keys) == 0 {
		s.reply(l.t(msgNoBans))
		return false
	}
	lines := []string{l.t(msgBansHeader, len(keys))}
	for _, k := range keys {
		b := bans[k]
		line := "  " + k + " — " + b.Name + ", " + l.t(msgBansBy, b.By) + ", " + s.untilText(l, b.Until)
		if b.Reason != "" {
			line += ": " + b.Reason
		}
		lines = append(lines, line)
	}
	s.reply(strings.Join(lines, "\n"))
	return false
}

func (s *session) cmdMute(arg string) bool {
	l := s.language()
	name, rest, _ := strings.Cut(strings.TrimSpace(arg), " ")
	if name == "" {
		s.reply(l.t(msgUsage, commandByName("mute").usage(l)))
		return false
	}
	var d time.Duration
	if rest = strings.TrimSpace(rest); rest != "" {
		var err error
		if d, err = parseDuration(rest); err != nil || d <= 0 {
			s.reply(l.t(msgBadDuration) + " " + l.t(msgUsage, commandByName("mute").usage(l)))
			return false
		}
	}
	m, ok := s.target(name)
	if !ok {
		return false
	}
	u := mute{By: s.self.name}
	if d > 0 {
		u.Until = s.srv.now().Add(d)
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	if err := s.srv.mod.addMute(ctx, m.key, u); err != nil {
		s.log.Warn("mute not stored", "err", err)
		s.reply(l.t(msgStoreFailed))
		return false
	}
	s.log.Info("mute", "whom", m.name, "until", u.Until)
	var told [numLangs]string
	for tl := range numLangs {
		told[tl] = tl.t(msgMutedRoom, m.name, s.self.name, s.untilText(tl, u.Until))
	}
	s.announceAround(told, m)
	return false
}

// nameArg is a command's one argument, a name under the naming rules; a
// missing or malformed one gets the command's usage.
func (s *session) nameArg(arg, cmd string) (string, bool) {
	l := s.language()
	name, err := checkName(strings.TrimSpace(arg), nil)
	if err != nil {
		s.reply(l.t(msgUsage, commandByName(cmd).usage(l)))
		return "", false
	}
	return name, true
}

func (s *session) cmdUnmute(arg string) bool {
	l := s.language()
	typed, ok := s.nameArg(arg, "unmute")
	if !ok {
		return false
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	ok, err := s.srv.mod.unmute(ctx, nameKey(typed))
	switch {
	case err != nil:
		s.log.Warn("unmute failed", "err", err)
		s.reply(l.t(msgStoreFailed))
	case !ok:
		s.reply(l.t(msgNotMuted, typed))
	default:
		s.log.Info("unmute", "whom", typed)
		s.announceAround(byLang(msgUnmutedRoom, typed, s.self.name), s.srv.names.lookup(nameKey(typed)))
	}
	return false
}

func (s *session) cmdMotd(arg string) bool {
	l := s.language()
	text, _ := sanitize(strings.TrimSpace(arg), s.srv.cfg.MaxMessageLen)
	ctx, cancel := s.storeCtx()
	defer cancel()
	if err := s.srv.mod.setMotd(ctx, text); err != nil {
		s.log.Warn("motd not stored", "err", err)
		s.reply(l.t(msgStoreFailed))
		return false
	}
	s.log.Info("motd", "text", text)
	if text == "" {
		s.reply(l.t(msgMotdCleared))
	} else {
		s.reply(l.t(msgMotdSet))
	}
	return false
}

func (s *session) cmdOp(arg string) bool {
	l := s.language()
	typed, ok := s.nameArg(arg, "op")
	if !ok {
		return false
	}
	acct := s.srv.accounts.lookup(nameKey(typed))
	if acct == nil {
		s.reply(l.t(msgOpNeedsAccount, typed))
		return false
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	if err := s.srv.mod.appoint(ctx, acct.key(), s.self.name); err != nil {
		s.log.Warn("op not stored", "err", err)
		s.reply(l.t(msgStoreFailed))
		return false
	}
	s.log.Info("op", "whom", acct.Name)
	s.announceAround(byLang(msgOpped, acct.Name, s.self.name), s.srv.names.lookup(acct.key()))
	return false
}

func (s *session) cmdDeop(arg string) bool {
	l := s.language()
	typed, ok := s.nameArg(arg, "deop")
	if !ok {
		return false
	}
	if m := s.srv.names.lookup(nameKey(typed)); m != nil && s.srv.mod.isOwner(m.fingerprint) {
		s.reply(l.t(msgNotOwner, m.name))
		return false
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	ok, err := s.srv.mod.dismiss(ctx, nameKey(typed))
	switch {
	case err != nil:
		s.log.Warn("deop not stored", "err", err)
		s.reply(l.t(msgStoreFailed))
	case !ok:
		s.reply(l.t(msgNotOp, typed))
	default:
		s.log.Info("deop", "whom", typed)
		s.announceAround(byLang(msgDeopped, typed, s.self.name), s.srv.names.lookup(nameKey(typed)))
	}
	return false
}

// enforceBan ends this server's sessions that a ban decided on another
// server covers (its key or its address), within a second of the
// decision: the watch brings it. The deciding server ends its own.
func (srv *Server) enforceBan(key string, b ban) {
	if srv.cluster == nil || b.Node == srv.cfg.Node {
		return
	}
	for _, m := range srv.names.all() {
		if m.room.Load() == nil || srv.mod.isOwner(m.fingerprint) {
			continue
		}
		if (m.fingerprint != "" && banKeyOf(m.fingerprint) == key) || banAddrOf(m.addr) == key {
			var told [numLangs]string
			for l := range numLangs {
				told[l] = l.t(msgBanned, m.name, b.By, untilIn(l, b.Until, time.UTC))
			}
			ml := m.language()
			srv.log.Info("ban from another server", "whom", m.name, "by", b.By, "node", b.Node)
			srv.removeMember(m, leaveBanned, told, ml.t(msgBannedBye, b.By, untilIn(ml, b.Until, time.UTC)))
		}
	}
}

// untilIn is "until <time>" in loc, or "for good".
func untilIn(l lang, until time.Time, loc *time.Location) string {
	if until.IsZero() {
		return l.t(msgForGood)
	}
	return l.t(msgUntil, until.In(loc).Format("2006-01-02 15:04 MST"))
}
