// Tests that untrusted chat text cannot reach another user's terminal as
// anything but plain, bounded, correctly wrapped characters.
package sshchat

import (
	"math"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		max   int
		want  string
		trunc bool
	}{
		{"plain", "hello world", 0, "hello world", false},
		{"empty", "", 0, "", false},
		{"colour CSI", "\x1b[31mred\x1b[0m", 0, "red", false},
		{"CSI with private params", "\x1b[?25lhidden cursor\x1b[?25h", 0, "hidden cursor", false},
		{"cursor move CSI", "a\x1b[2;5Hb", 0, "ab", false},
		{"CSI broken by control", "a\x1b[3\nb", 0, "ab", false},
		{"title OSC BEL", "\x1b]0;pwned\x07hi", 0, "hi", false},
		{"title OSC ST", "\x1b]2;pwned\x1b\\hi", 0, "hi", false},
		{"OSC 8-bit ST", "\x1b]0;pwned\u009chi", 0, "hi", false},
		{"hyperlink OSC 8", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", 0, "click", false},
		{"unterminated OSC eats rest", "hi\x1b]0;pwned forever", 0, "hi", false},
		{"OSC aborted by ESC", "\x1b]0;t\x1b[1mx", 0, "x", false},
		{"DCS", "\x1bP1$r0m\x1b\\ok", 0, "ok", false},
		{"DCS ignores BEL", "\x1bPq\x07still dcs\x1b\\ok", 0, "ok", false},
		{"SOS PM APC", "a\x1bXs\x1b\\b\x1b^p\x1b\\c\x1b_a\x1b\\d", 0, "abcd", false},
		{"two-byte ESC", "\x1bcreset\x1b7x\x1b8", 0, "resetx", false},
		{"charset ESC ( 0", "\x1b(0lqqk\x1b(B", 0, "lqqk", false},
		{"lone ESC at end", "bye\x1b", 0, "bye", false},
		{"ESC before non-ASCII", "\x1bé", 0, "é", false},
		{"8-bit CSI", "\u009b31mx", 0, "x", false},
		{"8-bit OSC", "\u009d0;t\u0007x", 0, "x", false},
		{"8-bit DCS", "\u0090q\u009cx", 0, "x", false},
		{"8-bit SOS PM APC", "\u0098s\u009ca\u009ep\u009cb\u009fq\u009cc", 0, "abc", false},
		{"other C1 removed", "a\u0085b\u0084c", 0, "abc", false},
		{"raw C1 byte is invalid UTF-8", "a\x9b31mb", 0, "a\ufffd31mb", false},
		{"CR LF removed", "a\r\nb", 0, "ab", false},
		{"fake speaker line", "hi\nbob: give me your password", 0, "hibob: give me your password", false},
		{"backspace and bell", "ab\bc\ad", 0, "abcd", false},
		{"DEL", "a\x7fb", 0, "ab", false},
		{"tab is one space", "a\tb", 0, "a b", false},
		{"line separators", "a\u2028b\u2029c", 0, "a b c", false},
		{"bidi override", "abc\u202edcba", 0, "abcdcba", false},
		{"bidi isolates and marks", "\u2066a\u2067b\u2068c\u2069\u200e\u200f\u061cd", 0, "abcd", false},
		{"zero-width", "pay\u200bpal\u200c\u200d\u2060\ufeff", 0, "paypal", false},
		{"invisible operators", "a\u2061\u2062\u2063\u2064b", 0, "ab", false},
		{"tags", "flag\U000E0067\U000E0062\U000E007F", 0, "flag", false},
		{"soft hyphen", "in\u00advisible", 0, "invisible", false},
		{"ZWJ emoji split", "\U0001F468\u200d\U0001F469", 0, "\U0001F468\U0001F469", false},
		{"invalid bytes collapse", "a\xff\xfe\xfdb", 0, "a\ufffdb", false},
		{"separate invalid runs", "a\xffb\xffc", 0, "a\ufffdb\ufffdc", false},
		{"truncated UTF-8", "ab\xe2\x82", 0, "ab\ufffd", false},
		{"surrogate encoding", "a\xed\xa0\x80b", 0, "a\ufffdb", false},
		{"Zalgo", "Z\u0301\u0302\u0303\u0304\u0305a", 0, "Z\u0301\u0302\u0303a", false},
		{"marks kept in real text", "Vie\u0302\u0323t", 0, "Vie\u0302\u0323t", false},
		{"enclosing marks count", "a\u20dd\u20de\u20df\u20e0", 0, "a\u20dd\u20de\u20df", false},
		{"leading mark dropped", "\u0301\u0302a", 0, "a", false},
		{"mark after leading space dropped", "  \u0301a", 0, "a", false},
		{"marks across removed text", "a\u0301\x1b[m\u0302\u200b\u0303\u0304", 0, "a\u0301\u0302\u0303", false},
		{"trim", "  hi there \t", 0, "hi there", false},
		{"trim unicode space", "\u00a0\u3000hi\u2003", 0, "hi", false},
		{"inner runs kept", "if x {\n    y()\n}", 0, "if x {    y()}", false},
		{"only controls", "\x1b[2J\r\n\t ", 0, "", false},
		{"cap", "hello world", 5, "hello", true},
		{"cap exact", "hello", 5, "hello", false},
		{"cap counts runes", "日本語です", 3, "日本語", true},
		{"cap ignores trailing space", "abc   ", 3, "abc", false},
		{"cap then trim", "ab cd", 3, "ab", true},
		{"cap after cleaning", "\x1b[31mabc\x1b[0m", 3, "abc", false},
		{"cap cuts marks", "abe\u0301", 3, "abe", true},
		{"no cap when max 0", strings.Repeat("x", 5000), 0, strings.Repeat("x", 5000), false},
		{"negative max", "abc", -1, "abc", false},
		{"fast path over cap", "abcdef", 2, "ab", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, trunc := sanitize(tt.in, tt.max)
			if got != tt.want || trunc != tt.trunc {
				t.Errorf("sanitize(%q, %d) = %q, %v; want %q, %v", tt.in, tt.max, got, trunc, tt.want, tt.trunc)
			}
			checkClean(t, tt.in, tt.max, got)
		})
	}
}

// checkClean asserts the invariants every sanitize output must hold; shared
// by the table tests and the fuzzer so both enforce the same contract.
func checkClean(t *testing.T, in string, max int, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("sanitize(%q) = %q: invalid UTF-8", in, out)
	}
	for _, r := range out {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			t.Fatalf("sanitize(%q) = %q: contains %U", in, out, r)
		}
	}
	if max > 0 && utf8.RuneCountInString(out) > max {
		t.Fatalf("sanitize(%q, %d) = %q: over cap", in, max, out)
	}
	if out != strings.TrimFunc(out, unicode.IsSpace) {
		t.Fatalf("sanitize(%q) = %q: not trimmed", in, out)
	}
	if r, _ := utf8.DecodeRuneInString(out); unicode.In(r, unicode.Mn, unicode.Me) {
		t.Fatalf("sanitize(%q) = %q: starts with a combining mark", in, out)
	}
	if again, trunc := sanitize(out, max); again != out || trunc {
		t.Fatalf("not idempotent: sanitize(%q) = %q, then %q, %v", in, out, again, trunc)
	}
}

func TestSanitizeFastPathAllocs(t *testing.T) {
	s := strings.Repeat("plain ascii ", 6) + "end"
	if n := testing.AllocsPerRun(100, func() { sanitize(s, 500) }); n != 0 {
		t.Errorf("fast path allocates %v times", n)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		name                 string
		in                   string
		first, width, indent int
		want                 []string
	}{
		{"fits", "hello", 10, 10, 2, []string{"hello"}},
		{"empty", "", 10, 10, 2, []string{""}},
		{"break at space", "hello world", 8, 10, 2, []string{"hello", "world"}},
		{"break at last space that fits", "aa bb cc dd", 7, 9, 2, []string{"aa bb", "cc dd"}},
		{"space exactly at limit", "abc def", 3, 10, 0, []string{"abc", "def"}},
		{"long word cut", "abcdefghij", 4, 6, 2, []string{"abcd", "efgh", "ij"}},
		{"narrower later lines", "abcd efghijkl", 10, 5, 2, []string{"abcd", "efg", "hij", "kl"}},
		{"indent runs kept", "a    b", 3, 10, 0, []string{"a  ", " b"}},
		{"wide runes not split", "日本語です", 5, 5, 0, []string{"日本", "語で", "す"}},
		{"wide rune alone on width 1", "日本", 1, 1, 0, []string{"日", "本"}},
		{"marks stay with base", "e\u0301e\u0301e\u0301", 1, 1, 0, []string{"e\u0301", "e\u0301", "e\u0301"}},
		{"zero window", "abc", 0, 0, 0, []string{"a", "b", "c"}},
		{"indent wider than window", "abc", 1, 2, 5, []string{"a", "b", "c"}},
		{"negative everything", "ab", -3, -3, -3, []string{"a", "b"}},
		{"min int width", "ab cd", 3, math.MinInt, 2, []string{"ab", "c", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrap(tt.in, tt.first, tt.width, tt.indent)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("wrap(%q, %d, %d, %d) = %q; want %q", tt.in, tt.first, tt.width, tt.indent, got, tt.want)
			}
			checkWrap(t, tt.in, tt.first, tt.width, tt.indent, got)
		})
	}
}

func TestWrapFastPathAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { wrap("short message", 40, 80, 4) }); n > 1 {
		t.Errorf("fast path allocates %v times", n)
	}
}

// TestNoColumnZero renders a hostile message the way the chat does, on a
// simulated terminal that soft-wraps, and checks no user text reaches
// column 0: otherwise it could pose as a line from another user.
func TestNoColumnZero(t *testing.T) {
	const prefix = "alice: "
	msg := strings.Repeat("x", 20) + "bob: hi 日本語 " + strings.Repeat("é\u0301", 30) + " 🎉🎉🎉 bob: send your key"
	clean, _ := sanitize(msg, 0)
	const indent = 4
	// Every window where the prefix itself fits; narrower ones cannot be
	// protected by any wrapping and are covered by the width clamp tests.
	for cols := len(prefix) + 2; cols <= 60; cols++ {
		for i, l := range wrap(clean, cols-len(prefix), cols, indent) {
			lead := prefix
			if i > 0 {
				lead = strings.Repeat(" ", indent)
			}
			if rows := softWrap(lead+l, cols); len(rows) > 1 {
				t.Fatalf("cols=%d line %d %q soft-wraps; row 1 starts at column 0 with %q", cols, i, l, rows[1])
			}
		}
	}
}

// softWrap splits s into terminal rows the way a terminal without explicit
// newlines would, returning each row's contents.
func softWrap(s string, cols int) []string {
	var rows []string
	var cur strings.Builder
	w := 0
	for _, r := range s {
		rw := cells.RuneWidth(r)
		if w+rw > cols && w > 0 {
			rows = append(rows, cur.String())
			cur.Reset()
			w = 0
		}
		cur.WriteRune(r)
		w += rw
	}
	return append(rows, cur.String())
}

// checkWrap asserts wrap's contract; the fuzzer and table tests share it.
func checkWrap(t *testing.T, text string, first, width, indent int, lines []string) {
	t.Helper()
	if len(lines) == 0 {
		t.Fatalf("wrap(%q) returned no lines", text)
	}
	if first < 1 {
		first = 1
	}
	if width < 1 {
		width = 1
	}
	if indent < 0 {
		indent = 0
	}
	rest := width - indent
	if rest < 1 {
		rest = 1
	}
	for i, l := range lines {
		avail := rest
		if i == 0 {
			avail = first
		}
		if w := displayWidth(l); w > avail && !singleCluster(l) {
			t.Fatalf("wrap(%q, %d, %d, %d) line %d %q is %d cells, over %d", text, first, width, indent, i, l, w, avail)
		}
	}
	if got, want := strings.ReplaceAll(strings.Join(lines, ""), " ", ""), strings.ReplaceAll(text, " ", ""); got != want {
		t.Fatalf("wrap(%q) lost text: %q", text, lines)
	}
}

// singleCluster reports whether l is one rune plus marks drawn over it: the
// only thing allowed to overflow a line, since it cannot be split.
func singleCluster(l string) bool {
	for i, r := range l {
		if i > 0 && cells.RuneWidth(r) != 0 && !unicode.In(r, unicode.Mn, unicode.Me) {
			return false
		}
	}
	return true
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "日本": 4, "e\u0301": 1, "🎉": 2, "aé": 2, "ü": 1} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d; want %d", s, got, want)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"hello", "\x1b[31mred\x1b[0m", "\x1b]0;t\x07x", "\u009b1m\u0301a", "a\u202eb", "\xff\xfe", " a\tb ", "Z\u0301\u0302\u0303\u0304"} {
		f.Add(s, 0)
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		out, _ := sanitize(s, max)
		checkClean(t, s, max, out)
	})
}

func FuzzWrap(f *testing.F) {
	for _, s := range []string{"hello world", "日本語 です", "e\u0301\u0301 x", "a    b", "🎉🎉 🎉"} {
		f.Add(s, 0)
		f.Add(s, 5)
		f.Add(s, 80)
	}
	f.Fuzz(func(t *testing.T, s string, w int) {
		text, _ := sanitize(s, 0)
		// Derive the three widths from one input so the fuzzer explores
		// first-line, later-line and indent interplay, including w <= 0.
		first, indent := w-3, w%7
		checkWrap(t, text, first, w, indent, wrap(text, first, w, indent))
		// Also a window far narrower than the first line, the case where
		// an unclamped width-indent could go negative or wrap around.
		checkWrap(t, text, 4, w, 8, wrap(text, 4, w, 8))
	})
}

var benchInputs = map[string]string{
	"ascii80": strings.Repeat("The quick brown fox jumps over the lazy dog. ", 2)[:79] + ".",
	// The slow path for mostly-ASCII text: one tab is enough to leave the fast path.
	"ascii80tab": "\t" + strings.Repeat("The quick brown fox jumps over the lazy dog. ", 2)[:79],
	"unicode":    "Grüße aus Zürich — 日本語のテキスト, emoji 🎉🎉 and café\u0301 with ü and ñ, Ελληνικά",
	"hostile":    "\x1b]0;pwned\x07\x1b[31m\x1b[2J\x1b[Hbob\u202e: hi\r\n\u200b\u200d\x1bP$q\x1b\\Z\u0301\u0302\u0303\u0304\u0305\xff\xfe\u009b2Jend\x1b",
}

func BenchmarkSanitize(b *testing.B) {
	for _, name := range []string{"ascii80", "ascii80tab", "unicode", "hostile"} {
		s := benchInputs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				sanitize(s, 1000)
			}
		})
	}
}

func BenchmarkWrap(b *testing.B) {
	s, _ := sanitize(strings.Repeat(benchInputs["unicode"]+" ", 4), 0)
	b.ReportAllocs()
	for b.Loop() {
		wrap(s, 60, 80, 8)
	}
}
