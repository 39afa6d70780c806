package sshchat

import (
	"strings"
	"time"
)

// command is one entry of the command table. /help is generated from this
// table, and the naming rules refuse every name listed here, so a user
// called like a command can never shadow it in /<name> text.
type command struct {
	names    [numLangs][]string // names per language; all work in every language
	args     msgID              // argument synopsis, or -1
	help     msgID
	operator bool // for operators (and owners) only
	owner    bool // for owners only
	run      func(s *session, arg string) (quit bool)
}

// commands is the table, in the order of /help. It is filled in init
// because its entries refer to methods that refer back to it.
var commands []*command

// commandIndex maps every command name, lower-cased, to its entry.
var commandIndex = map[string]*command{}

func init() {
	commands = []*command{
		{names: [numLangs][]string{{"help", "?"}, {"ajuda"}}, args: -1, help: msgCmdHelp, run: (*session).cmdHelp},
		{names: [numLangs][]string{{"who", "names"}, {"clientes"}}, args: msgArgsAll, help: msgCmdWho, run: (*session).cmdWho},
		{names: [numLangs][]string{{"join"}, {"entrar"}}, args: msgArgsRoom, help: msgCmdJoin, run: (*session).cmdJoin},
		{names: [numLangs][]string{{"leave"}, {"deixar"}}, args: -1, help: msgCmdLeave, run: (*session).cmdLeave},
		{names: [numLangs][]string{{"rooms"}, {"salas"}}, args: -1, help: msgCmdRooms, run: (*session).cmdRooms},
		{names: [numLangs][]string{{"topic"}, {"topico", "tópico"}}, args: msgArgsTopic, help: msgCmdTopic, run: (*session).cmdTopic},
		{names: [numLangs][]string{{"msg"}, {"privado"}}, args: msgArgsMsg, help: msgCmdMsg, run: (*session).cmdMsg},
		{names: [numLangs][]string{{"whois"}, {"quem"}}, args: msgArgsName, help: msgCmdWhois, run: (*session).cmdWhois},
		{names: [numLangs][]string{{"me"}, {"eu"}}, args: msgArgsAction, help: msgCmdMe, run: (*session).cmdMe},
		{names: [numLangs][]string{{"nick"}, {"nome"}}, args: msgArgsNewName, help: msgCmdNick, run: (*session).cmdNick},
		{names: [numLangs][]string{{"away"}, {"ausente"}}, args: msgArgsReason, help: msgCmdAway, run: (*session).cmdAway},
		{names: [numLangs][]string{{"back"}, {"voltei"}}, args: -1, help: msgCmdBack, run: (*session).cmdBack},
		{names: [numLangs][]string{{"history"}, {"historico", "histórico"}}, args: msgArgsHistory, help: msgCmdHistory, run: (*session).cmdHistory},
		{names: [numLangs][]string{{"search"}, {"buscar"}}, args: msgArgsSearch, help: msgCmdSearch, run: (*session).cmdSearch},
		{names: [numLangs][]string{{"lang"}, {"idioma"}}, args: msgArgsLang, help: msgCmdLang, run: (*session).cmdLang},
		{names: [numLangs][]string{{"tz"}, {"fuso"}}, args: msgArgsZone, help: msgCmdZone, run: (*session).cmdZone},
		{names: [numLangs][]string{{"bell"}, {"sino"}}, args: msgArgsOnOff, help: msgCmdBell, run: (*session).cmdBell},
		{names: [numLangs][]string{{"timestamps"}, {"horario", "horário"}}, args: msgArgsOnOff, help: msgCmdTimestamps, run: (*session).cmdTimestamps},
		{names: [numLangs][]string{{"register"}, {"registrar"}}, args: -1, help: msgCmdRegister, run: (*session).cmdRegister},
		{names: [numLangs][]string{{"keys"}, {"chaves"}}, args: msgArgsKeys, help: msgCmdKeys, run: (*session).cmdKeys},
		{names: [numLangs][]string{{"unregister"}, {"desregistrar"}}, args: -1, help: msgCmdUnregister, run: (*session).cmdUnregister},
		{names: [numLangs][]string{{"quit", "exit"}, {"sair"}}, args: -1, help: msgCmdQuit, run: (*session).cmdQuit},
		{names: [numLangs][]string{{"kick"}, {"expulsar"}}, args: msgArgsKick, help: msgCmdKick, operator: true, run: (*session).cmdKick},
		{names: [numLangs][]string{{"ban"}, {"banir"}}, args: msgArgsBan, help: msgCmdBan, operator: true, run: (*session).cmdBan},
		{names: [numLangs][]string{{"unban"}, {"desbanir"}}, args: msgArgsUnban, help: msgCmdUnban, operator: true, run: (*session).cmdUnban},
		{names: [numLangs][]string{{"bans"}, {"banidos"}}, args: -1, help: msgCmdBans, operator: true, run: (*session).cmdBans},
		{names: [numLangs][]string{{"mute"}, {"silenciar"}}, args: msgArgsMute, help: msgCmdMute, operator: true, run: (*session).cmdMute},
		{names: [numLangs][]string{{"unmute"}, {"dessilenciar"}}, args: msgArgsName, help: msgCmdUnmute, operator: true, run: (*session).cmdUnmute},
		{names: [numLangs][]string{{"motd"}, {"aviso"}}, args: msgArgsMotd, help: msgCmdMotd, operator: true, run: (*session).cmdMotd},
		{names: [numLangs][]string{{"op"}, {"operador"}}, args: msgArgsName, help: msgCmdOp, owner: true, run: (*session).cmdOp},
		{names: [numLangs][]string{{"deop"}, {"desoperador"}}, args: msgArgsName, help: msgCmdDeop, owner: true, run: (*session).cmdDeop},
	}
	for _, c := range commands {
		for _, names := range c.names {
			for _, n := range names {
				commandIndex[n] = c
			}
		}
	}
}

// isCommandName reports whether a case-folded word names a command.
func isCommandName(folded string) bool {
	_, ok := commandIndex[folded]
	return ok
}

// lookupCommand finds a command by the word typed after the slash.
func lookupCommand(word string) (*command, bool) {
	c, ok := commandIndex[strings.ToLower(word)]
	return c, ok
}

// parseLine splits one typed line. A line starting with a single slash is
// a command: word is what follows the slash up to the first space, arg the
// rest with leading spaces removed. "//text" is the message "/text". Any
// other line is a message and text is the whole line.
func parseLine(line string) (word, arg string, isCommand bool, text string) {
	if !strings.HasPrefix(line, "/") {
		return "", "", false, line
	}
	if strings.HasPrefix(line, "//") {
		return "", "", false, line[1:]
	}
	rest := line[1:]
	i := strings.IndexAny(rest, " \t")
	if i < 0 {
		return rest, "", true, ""
	}
	return rest[:i], strings.TrimLeft(rest[i:], " \t"), true, ""
}

// commandByName finds a command by its English name; for the code's own use.
func commandByName(name string) *command {
	c, ok := commandIndex[name]
	if !ok {
		panic("no command " + name)
	}
	return c
}

// usage renders "/name args" for c in language l.
func (c *command) usage(l lang) string {
	names := c.names[l]
	if len(names) == 0 {
		names = c.names[langEN]
	}
	u := "/" + names[0]
	if c.args >= 0 {
		u += " " + l.t(c.args)
	}
	return u
}

// helpLine renders one /help line: the names in the user's language first,
// then the others, the arguments and the description.
func (c *command) helpLine(l lang) string {
	var b strings.Builder
	b.WriteString("  ")
	first := true
	add := func(names []string) {
		for _, n := range names {
			if !first {
				b.WriteString(", ")
			}
			first = false
			b.WriteString("/" + n)
		}
	}
	add(c.names[l])
	for other := lang(0); other < numLangs; other++ {
		if other != l {
			add(c.names[other])
		}
	}
	if c.args >= 0 {
		b.WriteString(" " + l.t(c.args))
	}
	b.WriteString(" — " + l.t(c.help))
	return b.String()
}

// maxWhoNames caps /who output; with thousands connected a full list
// would flood the asker's screen and outbox.
const maxWhoNames = 200

func (s *session) cmdHelp(string) bool {
	l := s.language()
	lines := []string{l.t(msgHelpHeader)}
	op, owner := s.isOperator(), s.srv.mod.isOwner(s.fingerprint)
	for _, c := range commands {
		if (c.operator && !op) || (c.owner && !owner) {
			continue // shown to those who may use it
		}
		lines = append(lines, c.helpLine(l))
	}
	lines = append(lines, l.t(msgHelpFooter))
	s.reply(strings.Join(lines, "\n"))
	return false
}

func (s *session) cmdMsg(arg string) bool {
	name, text, _ := strings.Cut(arg, " ")
	if name == "" || strings.TrimSpace(text) == "" {
		l := s.language()
		s.reply(l.t(msgUsage, commandByName("msg").usage(l)))
		return false
	}
	to, ok := s.lookupName(name)
	if !ok {
		shown, _ := sanitize(name, 40)
		s.reply(s.language().t(msgNoSuchUser, shown))
		return false
	}
	s.whisper(to, name, text)
	return false
}

func (s *session) cmdLang(arg string) bool {
	l, ok := parseLang(arg)
	if !ok {
		cur := s.language()
		s.reply(cur.t(msgUsage, commandByName("lang").usage(cur)))
		return false
	}
	s.lang.Store(uint32(l))
	s.reply(l.t(msgLangSet))
	return false
}

func (s *session) cmdQuit(string) bool { return true }

// cmdBell is /bell on|off: whether a line naming you (@you) rings the
// terminal's bell.
func (s *session) cmdBell(arg string) bool {
	s.onOff(arg, "bell", func(on bool) { s.quiet.Store(!on) }, msgBellOn, msgBellOff)
	return false
}

// cmdTimestamps is /timestamps on|off: the time before each live line,
// in the user's zone.
func (s *session) cmdTimestamps(arg string) bool {
	s.onOff(arg, "timestamps", s.stamps.Store, msgStampsOn, msgStampsOff)
	return false
}

// onOff runs a command that turns something on or off: set applies the
// choice, and the user is told which, or the command's usage.
func (s *session) onOff(arg, cmd string, set func(on bool), onMsg, offMsg msgID) {
	l := s.language()
	on, ok := parseOnOff(arg)
	switch {
	case !ok:
		s.reply(l.t(msgUsage, commandByName(cmd).usage(l)))
	case on:
		set(true)
		s.reply(l.t(onMsg))
	default:
		set(false)
		s.reply(l.t(offMsg))
	}
}

// parseOnOff reads "on" or "off", in either language.
func parseOnOff(arg string) (on, ok bool) {
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "on", "ligado", "sim", "yes":
		return true, true
	case "off", "desligado", "nao", "não", "no":
		return false, true
	}
	return false, false
}

// cmdAway is /away [reason]: others see it in /who and /whois, and a
// private message to you tells its sender.
func (s *session) cmdAway(arg string) bool {
	l := s.language()
	why, _ := sanitize(strings.TrimSpace(arg), 100)
	if why == "" {
		why = l.t(msgAwayDefault)
	}
	s.self.away.Store(&why)
	s.reply(l.t(msgAwaySet, why))
	if c := s.srv.cluster; c != nil {
		c.update(s.self)
	}
	return false
}

// cmdBack is /back: here again. Any other line does it too.
func (s *session) cmdBack(string) bool {
	s.back()
	return false
}

// back ends the user's away, if any.
func (s *session) back() {
	if s.self.away.Swap(nil) != nil {
		s.reply(s.language().t(msgBack))
		if c := s.srv.cluster; c != nil {
			c.update(s.self)
		}
	}
}

// cmdMe is /me waves: an action, told as "* alice waves".
func (s *session) cmdMe(arg string) bool {
	if strings.TrimSpace(arg) == "" {
		l := s.language()
		s.reply(l.t(msgUsage, commandByName("me").usage(l)))
		return false
	}
	s.post(arg, true)
	return false
}

func (s *session) cmdWhois(arg string) bool {
	l := s.language()
	name := strings.TrimSpace(arg)
	if name == "" {
		s.reply(l.t(msgUsage, commandByName("whois").usage(l)))
		return false
	}
	m, ok := s.lookupName(name)
	if !ok {
		shown, _ := sanitize(name, 40)
		s.reply(l.t(msgNoSuchUser, shown))
		return false
	}
	fp := m.fingerprint
	if fp == "" {
		fp = l.t(msgWhoisNoKey)
	}
	since := s.srv.now().Sub(m.joined).Round(time.Second)
	text := l.t(msgWhois, m.name, fp, m.client, since)
	if acct := s.srv.accounts.lookup(m.key); acct != nil {
		text += "\n" + l.t(msgWhoisRegistered, acct.Created.In(s.zone()).Format("2006-01-02"))
	}
	if r := m.room.Load(); r != nil {
		text += "\n" + l.t(msgWhoisRoom, r.name)
	}
	if why, away := m.awayReason(); away {
		text += "\n" + l.t(msgWhoisAway, why)
	}
	if s.srv.mod.isOwner(m.fingerprint) {
		text += "\n" + l.t(msgWhoisOwner)
	} else if s.srv.mod.isOperator(m, s.srv.accounts.lookup(m.key) != nil) {
		text += "\n" + l.t(msgWhoisOperator)
	}
	s.reply(text)
	return false
}
