package sshchat

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// Chat history: what a room said before, read from its log. A joiner is
// shown the room's last messages before anything live; /history and
// /search show more on request. Reading never holds the room: the
// joiner's outbox is held while its history is read, and whatever the
// room says meanwhile is shown after it, once.

const (
	defaultHistoryShown = 50   // /history without N
	maxHistoryShown     = 1000 // /history N at most
	maxSearchShown      = 50   // /search shows at most this many matches
)

// newHistory is the event showing entries under a title line, each with
// its time, and the footer line after them.
func newHistory(title, footer string, entries []chatlog.Entry) *event {
	n := len(title) + len(footer)
	for _, e := range entries {
		n += len(e.From) + len(e.Text) + 32
	}
	return &event{kind: evHistory, text: title, to: footer, entries: entries, changeBytes: n}
}

// showEarlier releases a joiner's held outbox with what it should see
// first: the message of the day, then the room's last messages or, for a
// registered user, what was said since they were last here. A message
// the room delivered while these were read is in both: the live copy is
// dropped (outbox.release).
func (s *session) showEarlier(m *member, acct *account) {
	l := s.language()
	var first []*event
	if motd := s.srv.mod.motd(); motd != "" {
		first = append(first, &event{kind: evLocal, text: l.t(msgMotd, motd)})
	}
	if ev := s.earlier(l, acct); ev != nil {
		first = append(first, ev)
	}
	m.out.release(first...)
}

// showRoomHistory releases a member's held outbox, after a move, with the
// new room's last messages first.
func (s *session) showRoomHistory(m *member) {
	if ev := s.earlier(s.language(), nil); ev != nil {
		m.out.release(ev)
		return
	}
	m.out.release()
}

// earlier is the history a joiner is shown, or nil.
func (s *session) earlier(l lang, acct *account) *event {
	cfg := &s.srv.cfg
	ctx, cancel := context.WithTimeout(context.Background(), cfg.StoreTimeout)
	defer cancel()
	room := s.room().name
	if acct != nil && cfg.Replay > 0 {
		unseen, err := s.srv.chatLog.Count(ctx, room, acct.SeenSeq)
		if err != nil {
			s.log.Warn("history not read", "err", err)
			return &event{kind: evLocal, text: l.t(msgHistoryUnavailable)}
		}
		if unseen == 0 {
			return &event{kind: evLocal, text: l.t(msgAwayNothing)}
		}
		entries, err := s.srv.chatLog.Last(ctx, room, min(unseen, cfg.Replay), 0)
		if err != nil {
			s.log.Warn("history not read", "err", err)
			return &event{kind: evLocal, text: l.t(msgHistoryUnavailable)}
		}
		title := l.t(msgAway, len(entries))
		if skipped := unseen - len(entries); skipped > 0 {
			title += "\n" + l.t(msgAwaySkipped, skipped)
		}
		ev := newHistory(title, l.t(msgEarlierEnd), entries)
		ev.logSeq = acct.SeenSeq + 1
		return ev
	}
	if cfg.HistoryLen <= 0 {
		return nil
	}
	entries, err := s.room().history(ctx, cfg.HistoryLen, s.srv.now())
	switch {
	case err != nil:
		s.log.Warn("history not read", "err", err)
		return &event{kind: evLocal, text: l.t(msgHistoryUnavailable)}
	case len(entries) == 0:
		return nil
	}
	return newHistory(l.t(msgEarlier), l.t(msgEarlierEnd), entries)
}

// cmdHistory is /history [N]: the room's last N messages.
func (s *session) cmdHistory(arg string) bool {
	l := s.language()
	n := defaultHistoryShown
	if arg = strings.TrimSpace(arg); arg != "" {
		var err error
		n, err = strconv.Atoi(arg)
		if err != nil || n < 1 || n > maxHistoryShown {
			s.reply(l.t(msgUsage, commandByName("history").usage(l)) + " " + l.t(msgHistoryRange, maxHistoryShown))
			return false
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.StoreTimeout)
	defer cancel()
	entries, err := s.srv.chatLog.Last(ctx, s.room().name, n, 0)
	if err != nil {
		s.log.Warn("history not read", "err", err)
		s.reply(l.t(msgHistoryUnavailable))
		return false
	}
	if len(entries) == 0 {
		s.reply(l.t(msgHistoryEmpty))
		return false
	}
	s.show(newHistory(l.t(msgHistoryTitle, len(entries)), "", entries))
	return false
}

// cmdSearch is /search words: the room's most recent messages holding
// every word, ignoring case and accents.
func (s *session) cmdSearch(arg string) bool {
	l := s.language()
	words := strings.Fields(arg)
	if len(words) == 0 || len(arg) > 200 {
		s.reply(l.t(msgUsage, commandByName("search").usage(l)))
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.StoreTimeout)
	defer cancel()
	entries, err := s.srv.chatLog.Search(ctx, s.room().name, words, maxSearchShown)
	if err != nil {
		s.log.Warn("search failed", "err", err)
		s.reply(l.t(msgHistoryUnavailable))
		return false
	}
	shown, _ := sanitize(strings.Join(words, " "), 80)
	if len(entries) == 0 {
		s.reply(l.t(msgSearchNone, shown))
		return false
	}
	s.show(newHistory(l.t(msgSearchTitle, len(entries), shown), "", entries))
	return false
}

// show queues ev for this user alone, in order with the room's events.
func (s *session) show(ev *event) {
	s.room().show(s.self, ev)
}

// appendHistory renders a history event: its title, each entry with its
// time in the viewer's zone, and its footer.
func (v *viewer) appendHistory(dst []byte, ev *event) []byte {
	dst = v.appendSystem(dst, ev.text, sgrDim)
	for i := range ev.entries {
		e := &ev.entries[i]
		stamp := v.stamp(e.At)
		if e.Me {
			prefix := stamp + " * " + e.From + " "
			w := displayWidth(prefix)
			if v.color {
				prefix = sgrDim + stamp + sgrReset + " * " + nameColor(e.From) + e.From + sgrReset + " "
			}
			dst = v.appendWrapped(dst, prefix, w, e.Text, displayWidth(e.Text))
			continue
		}
		prefix := stamp + " " + e.From + ": "
		w := displayWidth(prefix)
		if v.color {
			prefix = sgrDim + stamp + sgrReset + " " + nameColor(e.From) + e.From + sgrReset + ": "
		}
		dst = v.appendWrapped(dst, prefix, w, e.Text, displayWidth(e.Text))
	}
	return v.appendSystem(dst, ev.to, sgrDim)
}

// stamp is t as the viewer reads it: the time of day for today, with the
// date before that, in the viewer's zone.
func (v *viewer) stamp(t time.Time) string {
	loc := v.loc
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	now := v.now.In(loc)
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}
