// The user's input is cleaned up here, before any line editor sees it,
// because x/term trusts its input in ways it should not. It stops at a
// byte that is not UTF-8 and waits for more input to complete it, for
// good: one bad byte in a packet wedged the sender, with everything after
// it unread. And it knows Home, End and the arrows in one spelling each,
// so the other spellings terminals send typed letters into the line.
//
// Nor can x/term hold U+FFFD itself: it takes the character for its own
// sign of input not yet complete, and waits in the same way. For x/term
// the decoder hands on substitute instead, which the terminal's console
// turns back into U+FFFD in the lines it reads.
package sshchat

import (
	"io"
	"unicode/utf8"
)

// substitute stands for U+FFFD inside x/term: a character one cell wide
// everywhere, as the user sees it echoed, and one nobody types (a typed
// one comes out as U+FFFD).
const substitute = '\u2426' // ␦, the symbol for the SUB control

// maxEscapeRun bounds how far an escape sequence may run before the
// decoder ends it. x/term reads a sequence it does not know up to the
// first letter or '~', keeping it in a 256-byte buffer; a sequence longer
// than that fills the buffer, and x/term then asks for more input into no
// space at all, forever.
const maxEscapeRun = 64

// inputDecoder reads the user's input from r and hands on valid UTF-8:
// each run of bytes that is not UTF-8 becomes one U+FFFD, as the
// sanitiser treats such runs, and the other spellings of Home, End and
// the arrows become the ones x/term knows. A character or key split
// across reads is held until the next read completes it, or shows that it
// is broken. It never splits a character in its output unless the
// caller's buffer cannot hold one.
//
// It works in fixed buffers, allocating nothing after it is made.
type inputDecoder struct {
	r       io.Reader
	forTerm bool      // U+FFFD, from bad bytes or typed, goes out as substitute
	in      [256]byte // input read from r: in[:n], not yet decoded
	n       int
	err     error // r's error, returned once in[:n] is decoded

	// spill is what did not fit a caller's tiny buffer: spill[spillAt:spillN].
	spill           [4]byte
	spillAt, spillN int
	bad             bool // the last input byte decoded was not UTF-8
	escRun          int  // bytes since an ESC not yet ended by a letter or '~', or 0
}

func newInputDecoder(r io.Reader) *inputDecoder { return &inputDecoder{r: r} }

// Read decodes into b. It reads from r only when what it holds cannot be
// decoded without more input, and returns no bytes only with an error.
func (d *inputDecoder) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if d.spillAt < d.spillN {
			n := copy(b, d.spill[d.spillAt:d.spillN])
			d.spillAt += n
			return n, nil
		}
		if n := d.decode(b, d.err != nil); n > 0 {
			return n, nil
		}
		if d.spillAt < d.spillN {
			continue
		}
		if d.err != nil {
			return 0, d.err
		}
		// Whatever is held is a prefix of at most three bytes (see
		// decode), so there is always room to read into.
		k, err := d.r.Read(d.in[d.n:])
		d.n += k
		d.err = err
	}
}

// decode decodes in[:n] into b, as far as b has room and the input is
// complete, and keeps the rest at the start of in. At the end of input
// (final), nothing is left incomplete: a partial character is broken and
// a partial key is passed on as it is.
func (d *inputDecoder) decode(b []byte, final bool) int {
	in := d.in[:d.n]
	w, i := 0, 0
	for {
		var buf [4]byte
		unit, used, bad := d.next(in[i:], final, &buf)
		if unit == nil && used == 0 {
			break // the rest needs more input
		}
		if len(unit) > len(b)-w {
			if w > 0 {
				break // it goes in the next read
			}
			// The caller's buffer is smaller than one character.
			d.spillN = copy(d.spill[:], unit)
			d.spillAt = copy(b, unit)
			w = d.spillAt
			d.commit(unit, bad)
			i += used
			break
		}
		w += copy(b[w:], unit)
		d.commit(unit, bad)
		i += used
	}
	d.n = copy(d.in[:], in[i:])
	return w
}

var (
	replacement = []byte(string(utf8.RuneError))
	substituted = []byte(string(substitute))
	escapeEnd   = []byte{'~'}
	noBytes     = []byte{}
)

// next decodes the start of in: the bytes to hand on for it, how many
// bytes of in they stand for, and whether those were not UTF-8. It
// returns nil and none used when in is empty, or when in may begin
// something to be decided with more input.
func (d *inputDecoder) next(in []byte, final bool, buf *[4]byte) (unit []byte, used int, bad bool) {
	if d.escRun >= maxEscapeRun {
		// A sequence that never ends: end it where x/term will see it end.
		return escapeEnd, 0, false
	}
	if len(in) == 0 {
		return nil, 0, false
	}
	switch c := in[0]; {
	case c == 0x1b:
		unit, used = escape(in, final, buf)
		return unit, used, false
	case c < utf8.RuneSelf:
		return in[:1], 1, false
	case !final && !utf8.FullRune(in):
		return nil, 0, false // a character begun: wait for the rest
	}
	r, size := utf8.DecodeRune(in)
	switch {
	case r != utf8.RuneError:
		return in[:size], size, false
	case size > 1: // U+FFFD itself
		if d.forTerm {
			return substituted, size, false
		}
		return in[:size], size, false
	case d.bad:
		return noBytes, 1, true // one U+FFFD for the whole run
	case d.forTerm:
		return substituted, 1, true
	}
	return replacement, 1, true
}

// commit records the decoder's state after it handed on out.
func (d *inputDecoder) commit(out []byte, bad bool) {
	d.bad = bad
	for _, c := range out {
		switch {
		case d.escRun == 0:
			if c == 0x1b {
				d.escRun = 1
			}
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '~':
			d.escRun = 0
		default:
			d.escRun++
		}
	}
}

// escape decodes the key whose ESC starts in: Home and End as
// "ESC [ n ~" (n = 1 or 7 for Home, 4 or 8 for End), and the keys of
// application cursor mode ("ESC O" and a letter), become the "ESC [" and
// letter x/term knows; anything else passes on, byte for byte. It returns
// nil and none used when in may be the start of a key it translates, to
// be decided with more input.
func escape(in []byte, final bool, buf *[4]byte) (unit []byte, used int) {
	if len(in) >= 2 {
		switch in[1] {
		case '[':
			if len(in) < 3 {
				break
			}
			switch in[2] {
			case '1', '4', '7', '8':
			default:
				return in[:2], 2
			}
			if len(in) < 4 {
				break
			}
			if in[3] != '~' {
				return in[:3], 3
			}
			key := byte('H')
			if in[2] == '4' || in[2] == '8' {
				key = 'F'
			}
			return append(buf[:0], 0x1b, '[', key), 4
		case 'O':
			if len(in) < 3 {
				break
			}
			if c := in[2]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
				// x/term knows A to D, H and F; any other letter ends a
				// key it ignores whole, where "ESC O" alone would end at
				// the O and type the letter.
				return append(buf[:0], 0x1b, '[', c), 3
			}
			return in[:2], 2
		default:
			return in[:1], 1
		}
	}
	if final {
		return in, len(in)
	}
	return nil, 0
}
