// User name validation and identity keys for the chat: what a user may call
// themself, how it is displayed, and which names count as "the same person".
package sshchat

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/width"
)

// nameProblem is why a user name was refused. The caller maps it to a
// translated message, so keep it a plain enum.
type nameProblem int

const (
	nameOK         nameProblem = iota
	nameEmpty                  // empty after trimming
	nameTooLong                // more than maxNameLen runes (after PRECIS)
	nameHasSpace               // contains any white space (unicode.IsSpace or Zs)
	nameHasControl             // control, format (Cf), bidi, zero-width, or invalid UTF-8
	nameBadChar                // a character outside the allowed set
	nameIsCommand              // equal (case-folded) to a command name
	nameInvalid                // PRECIS rejected it for another reason
)

const maxNameLen = 24

// NFC composes at most four code points into one (the longest canonical
// decomposition), so anything longer than this cannot fit after PRECIS.
// Refusing it early keeps an attacker from making us normalise huge lines.
const maxRawNameRunes = 4 * maxNameLen

// nameError carries the problem; Error() returns a short English text for logs.
type nameError struct{ problem nameProblem }

func (e *nameError) Error() string {
	switch e.problem {
	case nameOK:
		return "name is valid"
	case nameEmpty:
		return "name is empty"
	case nameTooLong:
		return "name is too long"
	case nameHasSpace:
		return "name contains white space"
	case nameHasControl:
		return "name contains control or invisible characters"
	case nameBadChar:
		return "name contains a character that is not allowed"
	case nameIsCommand:
		return "name is a command name"
	case nameInvalid:
		return "name is not a valid PRECIS user name"
	}
	return "name is invalid"
}

func refuse(p nameProblem) (string, error) { return "", &nameError{problem: p} }

// checkName validates a proposed user name and returns the name to display
// (PRECIS UsernameCasePreserved form: width-mapped, NFC) or a *nameError.
// isCommand reports whether a case-folded name is a command's name (may be nil).
func checkName(raw string, isCommand func(folded string) bool) (string, error) {
	s := strings.Trim(raw, " ")
	if s == "" {
		return refuse(nameEmpty)
	}

	// The whole input is scanned before deciding so that the reason does not
	// depend on where in the name the offending characters happen to be.
	var hasControl, hasSpace bool
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1, isInvisible(r):
			hasControl = true
		case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
			hasSpace = true
		}
	}
	switch {
	case hasControl:
		return refuse(nameHasControl)
	case hasSpace:
		return refuse(nameHasSpace)
	}

	// PRECIS refuses symbols too, but "bad character" is the more useful
	// answer; width folding here keeps fullwidth "＿" as acceptable as "_",
	// since PRECIS will map it anyway.
	if !allowedChars(s, true) {
		return refuse(nameBadChar)
	}
	if utf8.RuneCountInString(s) > maxRawNameRunes {
		return refuse(nameTooLong)
	}

	display, err := precis.UsernameCasePreserved.String(s)
	if err != nil {
		return refuse(nameInvalid)
	}
	// Mapping can still change what a character is (a halfwidth voiced mark,
	// a letter, becomes a combining mark), so the rule is enforced on what
	// will actually be shown.
	if !allowedChars(display, false) {
		return refuse(nameBadChar)
	}
	if n := utf8.RuneCountInString(display); n < 1 || n > maxNameLen {
		return refuse(nameTooLong)
	}

	if isCommand != nil {
		folded, err := precis.UsernameCaseMapped.String(display)
		if err != nil {
			return refuse(nameInvalid)
		}
		if isCommand(folded) {
			return refuse(nameIsCommand)
		}
	}
	return display, nil
}

// isInvisible reports characters that can hide, reorder or disguise text on
// a terminal: controls, format characters (bidi, zero-width, BOM) and the
// other default-ignorable code points (variation selectors, Hangul fillers).
func isInvisible(r rune) bool {
	return unicode.IsControl(r) ||
		unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// allowedChars applies the character rules: a letter or digit first, then
// letters, digits, "_-." and combining marks attached to a letter or digit.
// A leading "/" would read as a command and ":" could fake "name: text".
func allowedChars(s string, foldWidth bool) bool {
	first := true
	afterAlnum := false // a mark may follow a letter, a digit or another such mark
	marks := 0          // marks in a row: a few for real scripts, not a Zalgo tower
	for _, r := range s {
		if foldWidth {
			if f := width.LookupRune(r).Folded(); f != 0 {
				r = f
			}
		}
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Nd, r):
			afterAlnum, marks = true, 0
		case unicode.IsMark(r):
			if marks++; !afterAlnum || marks > maxMarks {
				return false
			}
		case r == '_' || r == '-' || r == '.':
			if first {
				return false
			}
			afterAlnum = false
		default:
			return false
		}
		first = false
	}
	return !first
}

// keyFixups completes the TR39 skeleton for our purpose. Skeleton targets
// may be capitals ("0" becomes "O"), which must fold again to meet the
// lowercase letters. TR39 sends Greek kappa and tau to the Latin-looking
// small capitals "ĸ" and "ᴛ" rather than to "k" and "t", which they resemble
// in lowercase. And since keys are case-insensitive while display keeps
// case, "I" (→ "i") must meet "l" and "1" (→ "l"): i and l share one letter.
func keyFixups(r rune) rune {
	if unicode.In(r, unicode.Mn, unicode.Me) {
		return -1
	}
	switch r {
	case 'i':
		return 'l'
	case 'ĸ':
		return 'k'
	case 'ᴛ':
		return 't'
	}
	return unicode.ToLower(r)
}

// nameKey is the identity used for uniqueness and look-up: case-folded
// (precis.UsernameCaseMapped) and reduced to a confusable skeleton, so that
// "Alice", "ALICE" and "Аlice" (Cyrillic А) share one key. Only called on
// names that passed checkName; must never panic on any input anyway.
func nameKey(display string) string {
	folded, err := precis.UsernameCaseMapped.String(display)
	if err != nil {
		folded = strings.ToLower(display)
	}
	return strings.Map(keyFixups, confusables.Skeleton(folded))
}

// keyFixups also drops combining marks (returning -1 removes the rune): a
// name with an accent or a stroke added looks like the name without, so
// "bob" and "bob" with a combining stroke are one identity.
