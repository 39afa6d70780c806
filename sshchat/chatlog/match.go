package chatlog

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Both logs search the same way, so the rule lives here once: a user who
// types "joao" expects to find "João" and "JOÃO", whichever log answers.

// Fold returns s without case or accents: decomposed (NFD), stripped of
// combining marks, then case-folded. "JOÃO" and "joao" fold alike.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	// A fresh Caser per call: cases.Caser is stateful and not safe for
	// concurrent use, and Fold is called from many goroutines.
	return cases.Fold().String(b.String())
}

// Matcher tells whether a text contains every one of a set of words,
// ignoring case and accents. The words are folded once, when it is made.
type Matcher struct {
	words []string
}

// NewMatcher returns a Matcher for words; blank words are dropped, and a
// Matcher with no words matches every text.
func NewMatcher(words []string) Matcher {
	m := Matcher{}
	for _, w := range words {
		if f := Fold(strings.TrimSpace(w)); f != "" {
			m.words = append(m.words, f)
		}
	}
	return m
}

// Match reports whether text contains every word of m.
func (m Matcher) Match(text string) bool {
	if len(m.words) == 0 {
		return true
	}
	f := Fold(text)
	for _, w := range m.words {
		if !strings.Contains(f, w) {
			return false
		}
	}
	return true
}
