package sshchat

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// Room commands: /join, /leave, /rooms, /topic and /who. A user is in one
// room at a time; moving tells the old room where they went and the new
// one that they joined, then shows the new room's history.

// room is the room this session's user is in. Only the reader moves it.
func (s *session) room() *room { return s.self.room.Load() }

// maxRoomsShown caps /rooms, as maxWhoNames caps /who.
const maxRoomsShown = 100

// cmdJoin is /join #name.
func (s *session) cmdJoin(arg string) bool {
	l := s.language()
	typed := strings.TrimSpace(arg)
	if typed == "" {
		s.reply(l.t(msgUsage, commandByName("join").usage(l)))
		return false
	}
	name, ok := checkRoomName(typed)
	if !ok {
		shown, _ := sanitize(typed, 40)
		s.reply(l.t(msgRoomInvalid, shown, maxNameLen))
		return false
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	r, created, err := s.srv.rooms.open(ctx, name, s.self)
	switch {
	case errors.Is(err, errRoomLookAlike):
		s.reply(l.t(msgRoomLookAlike, name, r.name, r.name))
		return false
	case errors.Is(err, errTooManyRooms):
		s.reply(l.t(msgRoomTooMany, s.srv.cfg.MaxRooms))
		return false
	case errors.Is(err, errRoomBusy):
		s.reply(l.t(msgRoomBusy, name))
		return false
	case err != nil:
		s.log.Warn("room not created", "room", name, "err", err)
		s.reply(l.t(msgStoreFailed))
		return false
	}
	if created {
		s.log.Info("room created", "room", r.name)
	}
	s.moveTo(r)
	return false
}

// cmdLeave is /leave: back to the lobby.
func (s *session) cmdLeave(string) bool {
	s.moveTo(s.srv.rooms.lobby)
	return false
}

// moveTo takes the user from their room to r: the old room is told where
// they went, the new one that they joined, and they are shown its
// history, then its welcome, then what it says from then on.
func (s *session) moveTo(r *room) {
	l := s.language()
	from := s.room()
	if from == r {
		s.reply(l.t(msgAlreadyIn, r.name))
		return
	}
	// Each move is told to two rooms: it costs a second line of the
	// message budget.
	if !s.admit(false) {
		return
	}
	m := s.self
	if !from.moveOut(m, r.name) {
		return // the session is ending: the room has let it go
	}
	m.out.hold() // until the new room's history is in front
	err := r.enter(m)
	for errors.Is(err, errRoomGone) {
		// It expired as the user came: made again, empty.
		ctx, cancel := s.storeCtx()
		var again *room
		again, _, err = s.srv.rooms.open(ctx, r.name, m)
		cancel()
		if err == nil {
			r = again
			err = r.enter(m)
		}
	}
	if err != nil {
		// Shutting down, or the store lost the room: back where it was,
		// or, if that is gone too, the session ends.
		m.out.release()
		if errors.Is(err, errShuttingDown) || from.enter(m) != nil {
			s.close(leaveShutdown)
			return
		}
		if s.claimed.Load() { // ended meanwhile, as below
			<-s.done
			from.leave(m, s.reason)
			return
		}
		s.reply(l.t(msgStoreFailed))
		return
	}
	// The session may have ended while it was between rooms: whoever
	// ended it found it in neither, so it leaves the new one here.
	if s.claimed.Load() {
		<-s.done
		r.leave(m, s.reason)
		return
	}
	s.log.Info("moved", "from", from.name, "to", r.name)
	if c := s.srv.cluster; c != nil {
		c.update(m)
	}
	s.showRoomHistory(m)
	s.console.setPrompt(s.prompt())
}

// cmdRooms is /rooms: every room, with how many are in it and its topic.
func (s *session) cmdRooms(string) bool {
	l := s.language()
	all := s.srv.rooms.all()
	lines := []string{l.t(msgRoomsHeader, len(all))}
	for i, r := range all {
		if i == maxRoomsShown {
			lines = append(lines, l.t(msgWhoMore, len(all)-i))
			break
		}
		r.mu.Lock()
		n, topic := r.onlineLocked(), r.meta.Topic
		r.mu.Unlock()
		line := l.t(msgRoomsLine, r.name, n)
		if r == s.room() {
			line = "▸" + line[1:]
		}
		if topic != "" {
			line += " — " + topic
		}
		lines = append(lines, line)
	}
	s.reply(strings.Join(lines, "\n"))
	return false
}

// cmdTopic is /topic [text]: without text, the topic; with it, a new one,
// from the room's creator or an operator. "/topic -" clears it.
func (s *session) cmdTopic(arg string) bool {
	l := s.language()
	r := s.room()
	r.mu.Lock()
	meta := r.meta
	r.mu.Unlock()
	text, _ := sanitize(strings.TrimSpace(arg), 200)
	if text == "" {
		if meta.Topic == "" {
			s.reply(l.t(msgTopicNone, r.name))
		} else {
			s.reply(l.t(msgTopicIs, r.name, meta.Topic))
		}
		return false
	}
	if r == s.srv.rooms.lobby {
		s.reply(l.t(msgTopicLobby))
		return false
	}
	creator := (meta.CreatorFP != "" && meta.CreatorFP == s.fingerprint) || (meta.CreatorFP == "" && meta.CreatorKey == s.self.key)
	if !creator && !s.isOperator() {
		s.reply(l.t(msgTopicNotAllowed, meta.Creator, r.name))
		return false
	}
	if text == "-" {
		text = ""
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	if err := s.srv.rooms.setTopic(ctx, r, text, s.self); err != nil {
		s.log.Warn("topic not stored", "err", err)
		s.reply(l.t(msgStoreFailed))
		return false
	}
	s.log.Info("topic", "room", r.name, "topic", text)
	if text == "" {
		s.srv.announce(r, byLang(msgTopicCleared, s.self.name, r.name))
	} else {
		s.srv.announce(r, byLang(msgTopicSet, s.self.name, r.name, text))
	}
	return false
}

// cmdWho is /who: who is in this room; /who all: everyone, by room.
func (s *session) cmdWho(arg string) bool {
	l := s.language()
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "":
	case "all", "todos":
		s.whoAll()
		return false
	default:
		s.reply(l.t(msgUsage, commandByName("who").usage(l)))
		return false
	}
	r := s.room()
	names := s.listed(r.memberList())
	s.reply(l.t(msgWhoRoom, len(names), r.name, s.joinNames(names)))
	return false
}

// whoAll lists every room with anyone in it, and who.
func (s *session) whoAll() {
	l := s.language()
	var lines []string
	total, rooms := 0, 0
	for _, r := range s.srv.rooms.all() {
		members := r.memberList()
		if len(members) == 0 {
			continue
		}
		total += len(members)
		rooms++
		names := s.listed(members)
		lines = append(lines, l.t(msgWhoAllLine, r.name, len(names), s.joinNames(names)))
	}
	s.reply(l.t(msgWhoAll, total, rooms) + "\n" + strings.Join(lines, "\n"))
}

// listed is members as /who shows them: names, with why they are away.
func (s *session) listed(members []*member) []string {
	l := s.language()
	names := make([]string, 0, len(members))
	for _, m := range members {
		if why, away := m.awayReason(); away {
			names = append(names, l.t(msgWhoAway, m.name, why))
		} else {
			names = append(names, m.name)
		}
	}
	return names
}

// joinNames is names for one line, at most maxWhoNames of them.
func (s *session) joinNames(names []string) string {
	shown := names
	if len(shown) > maxWhoNames {
		shown = shown[:maxWhoNames]
	}
	text := strings.Join(shown, ", ")
	if more := len(names) - len(shown); more > 0 {
		text += " " + s.language().t(msgWhoMore, more)
	}
	return text
}

// announceAround tells a server-wide line (a mute, a new operator) in
// this user's room and in the rooms of the members it concerns.
func (s *session) announceAround(told [numLangs]string, about ...*member) {
	rooms := []*room{s.room()}
	for _, m := range about {
		if m == nil {
			continue
		}
		if r := m.room.Load(); r != nil && !slices.Contains(rooms, r) {
			rooms = append(rooms, r)
		}
	}
	for _, r := range rooms {
		s.srv.announce(r, told)
	}
}

// announce tells a server line in r, on every server.
func (srv *Server) announce(r *room, told [numLangs]string) {
	r.announce(told)
	if srv.cluster != nil {
		srv.cluster.announce(r, told)
	}
}

// removeMember ends m's session for reason, as an operator decided, in
// whichever room it is; it reports whether m was still connected. A
// member moving between rooms is looked for again.
func (srv *Server) removeMember(m *member, reason leaveReason, told [numLangs]string, farewell string) bool {
	if m.node != "" {
		return srv.cluster != nil && srv.cluster.remove(m, reason, told, [numLangs]string{farewell, farewell})
	}
	// A move waits for the store to make a new room: until then the
	// member is in none.
	deadline := time.Now().Add(srv.cfg.StoreTimeout + 2*time.Second)
	for {
		if r := m.room.Load(); r != nil && r.remove(m, reason, told, farewell) {
			return true
		}
		if srv.names.lookup(m.key) != m || time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond) // the member is between rooms
	}
}
