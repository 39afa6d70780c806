// Tests for user name validation and identity keys, including a fuzz target
// that holds checkName and nameKey to their invariants on arbitrary bytes.
package sshchat

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

func problemOf(err error) nameProblem {
	var ne *nameError
	if errors.As(err, &ne) {
		return ne.problem
	}
	if err == nil {
		return nameOK
	}
	return -1
}

func isSair(folded string) bool { return folded == "sair" }

var checkNameCases = []struct {
	name    string
	in      string
	isCmd   func(string) bool
	want    nameProblem
	display string // only checked when want == nameOK
}{
	{"plain lowercase", "alice", nil, nameOK, "alice"},
	{"display keeps case", "Alice", nil, nameOK, "Alice"},
	{"outer ASCII spaces trimmed", "  alice ", nil, nameOK, "alice"},
	{"punctuation inside", "a.b-c_d", nil, nameOK, "a.b-c_d"},
	{"trailing punctuation", "bob_", nil, nameOK, "bob_"},
	{"digits", "r2d2", nil, nameOK, "r2d2"},
	{"leading digit", "1up", nil, nameOK, "1up"},
	{"latin accent", "joão", nil, nameOK, "joão"},
	{"decomposed accent becomes NFC", "jo\u0061\u0303o", nil, nameOK, "joão"},
	{"stacked marks after letter", "e\u0323\u0302", nil, nameOK, "ệ"},
	{"cyrillic", "Дмитрий", nil, nameOK, "Дмитрий"},
	{"cjk", "山田", nil, nameOK, "山田"},
	{"fullwidth is width-mapped", "Ａｌｉｃｅ", nil, nameOK, "Alice"},
	{"fullwidth underscore is width-mapped", "ａ＿ｂ", nil, nameOK, "a_b"},
	{"24 runes", strings.Repeat("a", 24), nil, nameOK, strings.Repeat("a", 24)},
	{"24 runes after NFC", strings.Repeat("e\u0301", 24), nil, nameOK, strings.Repeat("é", 24)},
	{"command name for other list", "sair", nil, nameOK, "sair"},
	{"not a command", "saira", isSair, nameOK, "saira"},

	{"empty", "", nil, nameEmpty, ""},
	{"only spaces", "   ", nil, nameEmpty, ""},

	{"25 runes", strings.Repeat("a", 25), nil, nameTooLong, ""},
	{"25 runes multibyte", strings.Repeat("ж", 25), nil, nameTooLong, ""},
	{"huge", strings.Repeat("a", 1<<16), nil, nameTooLong, ""},

	{"inner space", "ali ce", nil, nameHasSpace, ""},
	{"leading NBSP not trimmed", "\u00a0alice", nil, nameHasSpace, ""},
	{"ideographic space", "ali\u3000ce", nil, nameHasSpace, ""},
	{"line separator", "ali\u2028ce", nil, nameHasSpace, ""},

	{"tab", "al\tice", nil, nameHasControl, ""},
	{"newline", "alice\n", nil, nameHasControl, ""},
	{"NUL", "al\x00ice", nil, nameHasControl, ""},
	{"DEL", "alice\x7f", nil, nameHasControl, ""},
	{"C1 control", "ali\u0085ce", nil, nameHasControl, ""},
	{"escape sequence", "\x1b[31malice", nil, nameHasControl, ""},
	{"bidi override", "\u202ealice", nil, nameHasControl, ""},
	{"bidi isolate", "alice\u2066", nil, nameHasControl, ""},
	{"zero width space", "ali\u200bce", nil, nameHasControl, ""},
	{"zero width joiner", "ali\u200dce", nil, nameHasControl, ""},
	{"BOM", "\ufeffalice", nil, nameHasControl, ""},
	{"variation selector", "a\ufe0f", nil, nameHasControl, ""},
	{"hangul filler", "a\u3164b", nil, nameHasControl, ""},
	{"invalid UTF-8", "\xff", nil, nameHasControl, ""},
	{"truncated UTF-8", "ali\xc3", nil, nameHasControl, ""},
	{"control wins over space", "a b\x00", nil, nameHasControl, ""},

	{"leading slash", "/sair", nil, nameBadChar, ""},
	{"leading hyphen", "-x", nil, nameBadChar, ""},
	{"leading dot", ".x", nil, nameBadChar, ""},
	{"leading underscore", "_x", nil, nameBadChar, ""},
	{"colon", "bob:", nil, nameBadChar, ""},
	{"at sign", "a@b", nil, nameBadChar, ""},
	{"quote", "o'neil", nil, nameBadChar, ""},
	{"emoji", "alice😀", nil, nameBadChar, ""},
	{"emoji only", "😀", nil, nameBadChar, ""},
	{"leading combining mark", "\u0301a", nil, nameBadChar, ""},
	{"mark after punctuation", "a-\u0301", nil, nameBadChar, ""},
	{"superscript digit", "a²", nil, nameBadChar, ""},
	{"private use", "a\ue000", nil, nameBadChar, ""},
	{"halfwidth voiced mark becomes leading mark", "\uff9e", nil, nameBadChar, ""},

	{"command", "sair", isSair, nameIsCommand, ""},
	{"command is case-folded", "SAIR", isSair, nameIsCommand, ""},
	{"command after width mapping", "ｓａｉｒ", isSair, nameIsCommand, ""},

	{"compatibility ligature", "ﬁsh", nil, nameInvalid, ""},
	{"mixed direction", "aא", nil, nameInvalid, ""},
}

func TestCheckName(t *testing.T) {
	for _, tc := range checkNameCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkName(tc.in, tc.isCmd)
			if p := problemOf(err); p != tc.want {
				t.Fatalf("checkName(%q) problem = %d (%v), want %d", tc.in, p, err, tc.want)
			}
			if tc.want == nameOK && got != tc.display {
				t.Fatalf("checkName(%q) = %q, want %q", tc.in, got, tc.display)
			}
			if tc.want != nameOK && got != "" {
				t.Fatalf("checkName(%q) returned %q with an error", tc.in, got)
			}
		})
	}
}

func TestCheckNamePassesFoldedNameToIsCommand(t *testing.T) {
	var seen []string
	_, err := checkName("ＳａＩｒ", func(f string) bool { seen = append(seen, f); return false })
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != "sair" {
		t.Fatalf("isCommand saw %q, want [sair]", seen)
	}
}

func TestNameErrorTextsAreDistinct(t *testing.T) {
	seen := map[string]nameProblem{}
	for p := nameOK; p <= nameInvalid; p++ {
		msg := (&nameError{problem: p}).Error()
		if q, dup := seen[msg]; dup {
			t.Fatalf("problems %d and %d share the text %q", p, q, msg)
		}
		seen[msg] = p
	}
}

func TestNameKey(t *testing.T) {
	same := []struct {
		name string
		a, b string
	}{
		{"case", "alice", "ALICE"},
		{"mixed case", "alice", "Alice"},
		{"cyrillic capital A", "alice", "\u0410lice"},
		{"cyrillic small a", "alice", "\u0430lice"},
		{"cyrillic paypal", "paypal", "раураl"},
		{"greek omicron", "bob", "bοb"},
		{"greek kappa and tau", "kat", "κaτ"},
		{"armenian o", "bob", "bօb"},
		{"zero and o", "bob", "b0b"},
		{"one and l", "bill", "bi11"},
		{"capital I and l", "Alice", "AIice"},
		{"dotless i", "ali", "alı"},
		{"rn and m", "mary", "rnary"},
		{"fullwidth", "alice", "ａｌｉｃｅ"},
		{"an accent is easy to miss", "joão", "joao"},
		{"an overlay mark", "bob", "bo\u0335b"},
	}
	for _, tc := range same {
		t.Run("same/"+tc.name, func(t *testing.T) {
			if ka, kb := nameKey(tc.a), nameKey(tc.b); ka != kb {
				t.Fatalf("nameKey(%q) = %q, nameKey(%q) = %q; want equal", tc.a, ka, tc.b, kb)
			}
		})
	}

	different := []struct {
		name string
		a, b string
	}{
		{"different names", "alice", "bob"},
		{"punctuation matters", "a.b", "a_b"},
		{"extra letter", "alice", "alices"},
	}
	for _, tc := range different {
		t.Run("different/"+tc.name, func(t *testing.T) {
			if ka, kb := nameKey(tc.a), nameKey(tc.b); ka == kb {
				t.Fatalf("nameKey(%q) = nameKey(%q) = %q; want different", tc.a, tc.b, ka)
			}
		})
	}
}

func TestNameKeyArbitraryInput(t *testing.T) {
	for _, s := range []string{"", "\xff\xfe", "a\x00b", "ǅ", "ℓ", "\u202e", strings.Repeat("\u0301", 100)} {
		k1, k2 := nameKey(s), nameKey(s)
		if k1 != k2 {
			t.Fatalf("nameKey(%q) not deterministic: %q vs %q", s, k1, k2)
		}
	}
}

func BenchmarkNameKey(b *testing.B) {
	for b.Loop() {
		nameKey("Alice_Smith-1984")
	}
}

func BenchmarkCheckName(b *testing.B) {
	for b.Loop() {
		_, _ = checkName("Alice_Smith-1984", isSair)
	}
}

func FuzzCheckName(f *testing.F) {
	for _, tc := range checkNameCases {
		if len(tc.in) <= 256 {
			f.Add(tc.in)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		k1, k2 := nameKey(raw), nameKey(raw)
		if k1 != k2 {
			t.Fatalf("nameKey(%q) not deterministic", raw)
		}

		display, err := checkName(raw, nil)
		if err != nil {
			var ne *nameError
			if !errors.As(err, &ne) || ne.problem == nameOK {
				t.Fatalf("checkName(%q) returned a non-nameError or nameOK error: %#v", raw, err)
			}
			if display != "" {
				t.Fatalf("checkName(%q) returned %q with an error", raw, display)
			}
			return
		}

		if !utf8.ValidString(display) {
			t.Fatalf("display %q is not valid UTF-8", display)
		}
		if n := utf8.RuneCountInString(display); n < 1 || n > maxNameLen {
			t.Fatalf("display %q has %d runes", display, n)
		}
		for _, r := range display {
			if unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || isInvisible(r) {
				t.Fatalf("display %q contains %U", display, r)
			}
		}
		again, err := checkName(display, nil)
		if err != nil || again != display {
			t.Fatalf("checkName not idempotent: %q -> %q -> %q, %v", raw, display, again, err)
		}
		key := nameKey(display)
		if key == "" {
			t.Fatalf("nameKey(%q) is empty", display)
		}

		// Uppercasing can change more than case outside ASCII (ß, final
		// sigma, dotless i), so the key is only required to match when
		// PRECIS still sees the same folded name, and always for ASCII.
		upper := strings.ToUpper(display)
		upDisplay, err := checkName(upper, nil)
		if err != nil {
			return
		}
		f1, err1 := precis.UsernameCaseMapped.String(display)
		f2, err2 := precis.UsernameCaseMapped.String(upDisplay)
		sameFold := err1 == nil && err2 == nil && f1 == f2
		if sameFold || isASCII(display) {
			if ku := nameKey(upDisplay); ku != key {
				t.Fatalf("nameKey(%q) = %q but nameKey(%q) = %q", display, key, upDisplay, ku)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Marks: a few in a row are real scripts, more are a Zalgo tower; and a
// mark added to a name does not make a new identity.
func TestNameMarks(t *testing.T) {
	if _, err := checkName("a"+strings.Repeat("\u0301", maxMarks+1), nil); err == nil {
		t.Error("a tower of combining marks is accepted in a name")
	}
	if _, err := checkName("Nguye\u0302\u0303n", nil); err != nil {
		t.Errorf("a Vietnamese name with two marks is refused: %v", err)
	}
	if nameKey("bob") != nameKey("bo\u0335b") {
		t.Error("a combining stroke makes a different identity")
	}
}
