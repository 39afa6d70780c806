package chatlog

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Matcher finds texts that contain every one of some words, ignoring case
// and accents: "joão" finds "JOAO", and "JOAO" finds "joão".
type Matcher struct{ words []string }

func NewMatcher(words []string) Matcher {
	m := Matcher{}
	for _, w := range words {
		if f := Fold(w); f != "" {
			m.words = append(m.words, f)
		}
	}
	return m
}

// Match reports whether text holds every word; no words match nothing.
func (m Matcher) Match(text string) bool {
	if len(m.words) == 0 {
		return false
	}
	folded := Fold(text)
	for _, w := range m.words {
		if !strings.Contains(folded, w) {
			return false
		}
	}
	return true
}

// Fold is s without combining marks (after canonical decomposition),
// case-folded: the form in which texts are compared.
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}
