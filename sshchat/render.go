package sshchat

import (
	"bytes"
	"hash/fnv"
	"strings"
	"time"
)

// viewer is what rendering needs to know about the user an event is drawn
// for. Event text was sanitised on the way in, so rendering trusts it; what
// it must still guarantee is that no line of a message starts at column 0
// with text the sender chose, or a message could pose as another's. It
// does so by wrapping to the viewer's width itself, with continuation lines
// indented, so the terminal never soft-wraps user text.
type viewer struct {
	name  string
	lang  lang
	color bool
	// width is the terminal's width less one cell of margin, for terminals
	// that draw a character wider than we measure it (ambiguous-width
	// characters in CJK locales, some emoji); 0: unknown, no wrapping.
	width int
	// ownMessages: show the user's own room messages. A terminal user's
	// typed line is erased and replaced by the room's copy; without a
	// terminal the client has already shown what was typed.
	ownMessages bool
	// joined is the sequence number of the viewer's join: it is told of
	// the joins and leaves after it, and welcomed instead of the rest.
	joined uint64
	// loc is the viewer's time zone and now the time of the batch being
	// rendered, for times in history.
	loc *time.Location
	now time.Time
	// bell rings the terminal for a line that mentions the viewer.
	bell bool
	// stamps puts the time before each live line (/timestamps).
	stamps bool
}

const (
	sgrReset  = "\x1b[0m"
	sgrDim    = "\x1b[90m"
	sgrError  = "\x1b[31m"
	sgrPriv   = "\x1b[35m"
	sgrBold   = "\x1b[1m"
	minIndent = 2
)

// nameColors are 16-colour palette entries readable on dark and light
// backgrounds; every terminal supports them.
var nameColors = [...]string{"31", "32", "33", "34", "35", "36", "91", "92", "93", "94", "95", "96"}

func nameColor(name string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(nameKey(name)))
	return "\x1b[" + nameColors[h.Sum32()%uint32(len(nameColors))] + "m"
}

// render appends ev as the viewer should see it, ending with "\n". It runs
// once per recipient, so the common case allocates nothing: the sender's
// prefix is appended in place and a join or leave line is formatted once
// per language (event.system).
func (v *viewer) render(dst []byte, ev *event) []byte {
	l := v.lang
	switch ev.kind {
	case evMessage:
		if !v.ownMessages && ev.from == v.name {
			return dst
		}
		// The line names this user: marked, where colour can draw it.
		mark := v.color && ev.from != v.name && mentions(ev.text, v.name)
		if mark && v.bell {
			dst = append(dst, '\a') // the terminal's bell: someone is calling
		}
		if ev.me {
			return v.appendAction(dst, ev)
		}
		w := ev.fromWidth + len(": ")
		if mark {
			w += 2 // "▶ "
		}
		var stamp []byte
		if v.stamps {
			stamp = v.appendStamp(nil, ev.at)
			w += stampWidth
		}
		if v.width <= 0 || w+ev.textWidth <= v.width {
			dst = append(dst, stamp...)
			dst = v.appendSender(dst, ev, mark)
			dst = append(dst, ev.text...)
			return append(dst, '\n')
		}
		return v.appendWrapped(dst, string(v.appendSender(stamp, ev, mark)), w, ev.text, ev.textWidth)
	case evPrivate:
		var prefix string
		if ev.from == v.name {
			prefix = l.t(msgPrivateTo, ev.to, "")
		} else {
			prefix = l.t(msgPrivateFrom, ev.from, "")
		}
		w := displayWidth(prefix)
		if v.color {
			prefix = sgrPriv + prefix + sgrReset
		}
		if v.stamps {
			prefix = string(v.appendStamp(nil, ev.at)) + prefix
			w += stampWidth
		}
		return v.appendWrapped(dst, prefix, w, ev.text, ev.textWidth)
	case evWelcome, evArrived:
		if ev.kind == evWelcome {
			dst = v.appendSystem(dst, l.t(msgWelcome, ev.from, ev.to, ev.online), "")
		} else {
			dst = v.appendSystem(dst, l.t(msgArrived, ev.to, ev.online), "")
		}
		if ev.text != "" {
			dst = v.appendSystem(dst, l.t(msgTopicIs, ev.to, ev.text), sgrDim)
		}
		return dst
	case evPresence:
		if v.joined >= ev.changes[0].seq {
			// Joined during the window: told only of those after it.
			return v.appendSystem(dst, ev.presenceLine(l, v.joined), sgrDim)
		}
		if r := ev.shown[l].Load(); r != nil && r.width == v.width && r.color == v.color {
			return append(dst, r.bytes...)
		}
		start := len(dst)
		dst = v.appendSystem(dst, ev.presenceLine(l, v.joined), sgrDim)
		// A copy: dst is the writer's buffer, reused for its next batch.
		ev.shown[l].Store(&renderedLine{width: v.width, color: v.color, bytes: bytes.Clone(dst[start:])})
		return dst
	case evShutdown:
		return v.appendSystem(dst, l.t(msgShutdown), sgrBold)
	case evHistory:
		return v.appendHistory(dst, ev)
	case evAnnounce:
		return v.appendSystem(dst, ev.lines[l], sgrDim)
	case evLocal:
		color := ""
		if len(ev.text) > 0 && ev.text[0] == '!' {
			color = sgrError
		}
		return v.appendSystem(dst, ev.text, color)
	}
	return dst
}

// appendSender appends a room message's "name: ", coloured and marked as
// the viewer's terminal allows.
func (v *viewer) appendSender(dst []byte, ev *event, mark bool) []byte {
	if !v.color {
		dst = append(dst, ev.from...)
		return append(dst, ": "...)
	}
	if mark {
		dst = append(dst, sgrBold+"▶ "+sgrReset...)
	}
	dst = append(dst, ev.color...)
	dst = append(dst, ev.from...)
	return append(dst, sgrReset+": "...)
}

// appendSystem appends the server's own text (which may hold several
// lines), wrapped to the viewer's width with an indent, so it reads as
// tidily as messages do.
func (v *viewer) appendSystem(dst []byte, text, color string) []byte {
	if text == "" {
		return dst
	}
	colored := v.color && color != ""
	if colored {
		dst = append(dst, color...)
	}
	for len(text) > 0 {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		if v.width <= 0 || displayWidth(line) <= v.width {
			dst = append(dst, line...)
			dst = append(dst, '\n')
			continue
		}
		for i, part := range wrap(line, v.width, v.width, minIndent) {
			if i > 0 {
				dst = append(dst, "  "...)
			}
			dst = append(dst, part...)
			dst = append(dst, '\n')
		}
	}
	if colored {
		// Reset before the final newline's successor, not after it: the
		// terminal's prompt redraw follows.
		dst = append(dst[:len(dst)-1], sgrReset+"\n"...)
	}
	return dst
}

// appendWrapped appends prefix then text, wrapped to the viewer's width
// with continuation lines indented. prefixWidth and textWidth are their
// widths on screen (without colour codes).
func (v *viewer) appendWrapped(dst []byte, prefix string, prefixWidth int, text string, textWidth int) []byte {
	dst = append(dst, prefix...)
	if v.width <= 0 || prefixWidth+textWidth <= v.width {
		dst = append(dst, text...)
		return append(dst, '\n')
	}
	indent := prefixWidth
	if indent > v.width/3 {
		indent = minIndent
	}
	first := v.width - prefixWidth
	narrow := first < 8
	if narrow {
		// A narrow window: the text starts on its own indented line
		// rather than being squeezed beside (or wrapped under) the prefix.
		dst = append(dst, '\n')
		first = v.width - indent
	}
	for i, line := range wrap(text, first, v.width, indent) {
		if i > 0 || narrow {
			for range indent {
				dst = append(dst, ' ')
			}
		}
		dst = append(dst, line...)
		dst = append(dst, '\n')
	}
	return dst
}

// appendAction renders "/me waves" from alice as "* alice waves".
func (v *viewer) appendAction(dst []byte, ev *event) []byte {
	prefix, w := "* "+ev.from+" ", ev.fromWidth+3
	if v.color {
		prefix = "* " + ev.color + ev.from + sgrReset + " "
	}
	if v.stamps {
		prefix = string(v.appendStamp(nil, ev.at)) + prefix
		w += stampWidth
	}
	return v.appendWrapped(dst, prefix, w, ev.text, ev.textWidth)
}

// stampWidth is the width of a live line's time, "15:04 ".
const stampWidth = 6

// appendStamp appends the time of a live line, at (or now, for lines the
// log did not stamp), as the viewer reads it, and a space.
func (v *viewer) appendStamp(dst []byte, at time.Time) []byte {
	if at.IsZero() {
		at = v.now
	}
	loc := v.loc
	if loc == nil {
		loc = time.UTC
	}
	if v.color {
		dst = append(dst, sgrDim...)
		dst = at.In(loc).AppendFormat(dst, "15:04")
		return append(dst, sgrReset+" "...)
	}
	dst = at.In(loc).AppendFormat(dst, "15:04")
	return append(dst, ' ')
}
