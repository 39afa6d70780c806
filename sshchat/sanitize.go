// Cleaning and wrapping of untrusted chat text, so one user's message can
// never drive another user's terminal or pass itself off as someone else's.
package sshchat

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
)

// cells is our own condition rather than runewidth.DefaultCondition, whose
// East Asian setting follows the server's locale; every client must see the
// same widths. No LUT is built, so concurrent use is read-only and safe.
var cells = &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}

// maxMarks bounds combining marks per base: enough for real scripts
// (Vietnamese stacks two), too few for Zalgo text to spill onto other rows.
const maxMarks = 3

// sanitize cleans one line of untrusted text for display on other users'
// terminals and caps it at max runes. It reports whether it had to cut.
func sanitize(s string, max int) (clean string, truncated bool) {
	if isPlainASCII(s) && (max <= 0 || len(s) <= max) {
		return s, false
	}
	c := cleaner{max: max}
	c.out.Grow(len(s))
	c.run(s)
	return c.out.String(), c.truncated
}

// isPlainASCII is the zero-allocation fast path's test: printable ASCII with
// nothing to trim means every rule is a no-op.
func isPlainASCII(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

type cleaner struct {
	out       strings.Builder
	max       int
	n         int  // runes written or pending, compared against max
	marks     int  // combining marks since the last base rune
	truncated bool // a rune that would have been kept did not fit
	done      bool
	overCap   bool // white space arrived after the cap; only matters if more text follows
	// White space is held back until something follows it, so trimming the
	// end never needs to rewrite the builder. Plain spaces are only counted;
	// pend is allocated only for a run holding other kinds of space.
	pendN int
	pend  []byte
}

func (c *cleaner) run(s string) {
	prevBad := false
	for i := 0; i < len(s) && !c.done; {
		if b := s[i]; b > ' ' && b < 0x7F {
			// Visible ASCII needs no rule but the cap; copying it a run
			// at a time keeps ordinary text cheap on the slow path.
			j := i + 1
			for j < len(s) && s[j] > ' ' && s[j] < 0x7F {
				j++
			}
			c.emitASCII(s[i:j])
			prevBad = false
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			// One replacement per run of bad bytes: a flood of garbage
			// should not triple in size on the way out.
			if !prevBad {
				c.emit(utf8.RuneError)
			}
			prevBad = true
			i++
			continue
		}
		prevBad = false
		switch {
		case r == 0x1B:
			i = skipEscape(s, i+1)
			continue
		case r == 0x9B: // 8-bit CSI
			i = skipCSI(s, i+size)
			continue
		case r == 0x9D: // 8-bit OSC
			i = skipString(s, i+size, true)
			continue
		case r == 0x90 || r == 0x98 || r == 0x9E || r == 0x9F: // DCS, SOS, PM, APC
			i = skipString(s, i+size, false)
			continue
		case r == '\t' || r == 0x2028 || r == 0x2029:
			c.emit(' ')
		case r < 0x20 || (r >= 0x7F && r <= 0x9F):
			// Removed outright: a newline in a chat line is exactly how a
			// forged "bob: ..." row would start.
		case isFormat(r):
		case isMark(r):
			if c.out.Len() > 0 && c.marks < maxMarks {
				c.emit(r)
				c.marks++
			}
		default:
			c.emit(r)
		}
		i += size
	}
}

// emitASCII appends a run of visible ASCII, cutting it at the cap.
func (c *cleaner) emitASCII(t string) {
	if c.max > 0 && len(t) > c.max-c.n {
		t = t[:c.max-c.n]
		c.truncated = true
		c.done = true
		if t == "" {
			return
		}
	}
	c.flushPending()
	c.marks = 0
	c.out.WriteString(t)
	c.n += len(t)
}

// flushPending writes the white space held back, now that text follows it.
func (c *cleaner) flushPending() {
	for ; c.pendN > 0; c.pendN-- {
		c.out.WriteByte(' ')
	}
	if len(c.pend) > 0 {
		c.out.Write(c.pend)
		c.pend = c.pend[:0]
	}
}

// emit appends one kept rune, applying trimming and the rune cap.
func (c *cleaner) emit(r rune) {
	if isSpace(r) {
		if c.out.Len() == 0 {
			return // leading white space
		}
		c.marks = 0
		if c.max > 0 && c.n >= c.max {
			c.overCap = true
			return
		}
		switch {
		case r == ' ' && len(c.pend) == 0:
			c.pendN++
		default:
			for ; c.pendN > 0; c.pendN-- {
				c.pend = append(c.pend, ' ')
			}
			c.pend = utf8.AppendRune(c.pend, r)
		}
		c.n++
		return
	}
	if c.max > 0 && c.n >= c.max {
		// Only now is the cut certain: white space over the cap might
		// have been trailing and trimmed anyway.
		c.truncated = true
		c.done = true
		return
	}
	c.flushPending()
	if !isMark(r) {
		c.marks = 0
	}
	c.out.WriteRune(r)
	c.n++
}

// isMark reports combining marks, which draw on top of the rune before them.
func isMark(r rune) bool {
	return r >= 0x300 && unicode.In(r, unicode.Mn, unicode.Me)
}

// isSpace covers what is trimmed from the ends; controls never get this far.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' '
	}
	return unicode.IsSpace(r)
}

// isFormat reports invisible format characters: bidi controls that reorder
// text, zero-width characters that hide it, and tags. The explicit ranges
// also catch unassigned code points in those blocks, which a newer terminal
// might treat as format characters.
func isFormat(r rune) bool {
	switch {
	case r < 0xAD:
		return false
	case r >= 0x2060 && r <= 0x206F, r >= 0xE0000 && r <= 0xE007F:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// skipEscape returns the index just past the escape sequence whose ESC was
// at i-1. Removing the whole sequence, not just ESC, keeps its parameters
// from appearing as junk text.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i // lone ESC at the end
	}
	switch b := s[i]; {
	case b == '[':
		return skipCSI(s, i+1)
	case b == ']':
		return skipString(s, i+1, true)
	case b == 'P' || b == 'X' || b == '^' || b == '_':
		return skipString(s, i+1, false)
	case b >= 0x20 && b <= 0x2F:
		// nF sequences such as "ESC ( 0", which switches to line-drawing
		// glyphs: intermediates then one final byte.
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2F {
			i++
		}
		if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7E {
			i++
		}
		return i
	case b >= 0x30 && b <= 0x7E:
		return i + 1
	default:
		// ESC before a control or non-ASCII byte starts nothing we
		// recognise; drop the ESC and let the next byte be judged alone.
		return i
	}
}

// skipCSI skips parameter and intermediate bytes and the final byte. A byte
// outside the grammar ends the sequence unconsumed; since no control survives
// cleaning, a mis-parse can only lose text, never let a sequence through.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3F {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7E {
		i++
	}
	return i
}

// skipString skips the body of an OSC, DCS, SOS, PM or APC string up to its
// terminator: ST (ESC \ or U+009C), BEL when belEnds, or the end of input.
// Another ESC aborts the string, as in xterm, and is left to be parsed anew.
func skipString(s string, i int, belEnds bool) int {
	for i < len(s) {
		switch s[i] {
		case 0x07:
			if belEnds {
				return i + 1
			}
		case 0x1B:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i
		case 0xC2:
			if i+1 < len(s) && s[i+1] == 0x9C {
				return i + 2
			}
		}
		i++
	}
	return i
}

// displayWidth is the number of terminal cells s occupies.
func displayWidth(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return w + runesWidth(s[i:])
		}
		w++
	}
	return w
}

// runesWidth sums per-rune widths rather than using grapheme clusters: a sum
// is never narrower than the terminal's rendering of a sequence, and
// over-estimating only wraps a little early, while under-estimating would let
// the terminal soft-wrap user text to column 0.
func runesWidth(s string) int {
	w := 0
	for _, r := range s {
		w += cells.RuneWidth(r)
	}
	return w
}

// wrap splits already-sanitised text into display lines of at most width
// terminal cells (go-runewidth), breaking at spaces when it can and inside
// words when it must. The first line has firstWidth cells available (the rest
// of the first line after a "name: " prefix); later lines have width-indent
// cells, and the caller prefixes them with indent spaces. Always returns at
// least one line; never loops forever; width or firstWidth < 1 is treated
// as 1 (a 0x0 or absurd window must not break it).
func wrap(text string, firstWidth, width, indent int) []string {
	if firstWidth < 1 {
		firstWidth = 1
	}
	if displayWidth(text) <= firstWidth {
		return []string{text}
	}
	if width < 1 {
		width = 1 // before subtracting, so a huge negative cannot wrap around
	}
	if indent < 0 {
		indent = 0
	}
	rest := width - indent
	if rest < 1 {
		rest = 1
	}

	var lines []string
	avail := firstWidth
	start := 0      // byte offset where the current line begins
	lineW := 0      // cells used by text[start:i]
	lastSpace := -1 // offset of the last breakable space on this line
	for i := 0; i < len(text); {
		end, w := nextCluster(text, i)
		space := end == i+1 && text[i] == ' '
		if lineW+w <= avail {
			if space && i > start {
				lastSpace = i
			}
			lineW += w
			i = end
			continue
		}
		switch {
		case space:
			// The space itself overflows: it becomes the break and is dropped.
			lines = append(lines, text[start:i])
			start = end
		case lastSpace > start:
			lines = append(lines, text[start:lastSpace])
			start = lastSpace + 1
		case lineW == 0:
			// Even alone this cluster is too wide (a wide rune on a line
			// of width 1): give it a line of its own rather than split it.
			lines = append(lines, text[start:end])
			start = end
		default:
			lines = append(lines, text[start:i])
			start = i
		}
		// Re-lay whatever follows the break against the new line's width,
		// which may be narrower than the first line's. Every branch above
		// moved start forward, so this terminates.
		i = start
		avail = rest
		lineW = 0
		lastSpace = -1
	}
	if start < len(text) || len(lines) == 0 {
		lines = append(lines, text[start:])
	}
	return lines
}

// nextCluster returns the end of the cluster starting at i and its width: a
// rune plus the combining or zero-width runes after it, which must never be
// separated from it onto another line.
func nextCluster(s string, i int) (end, w int) {
	r, size := utf8.DecodeRuneInString(s[i:])
	w = cells.RuneWidth(r)
	end = i + size
	for end < len(s) {
		r, size = utf8.DecodeRuneInString(s[end:])
		rw := cells.RuneWidth(r)
		if rw != 0 && !isMark(r) {
			break
		}
		w += rw
		end += size
	}
	return end, w
}
