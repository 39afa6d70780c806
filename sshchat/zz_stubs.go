package sshchat

import (
	"unicode/utf8"
)

func sanitize(s string, max int) (string, bool) {
	if max > 0 && utf8.RuneCountInString(s) > max {
		return string([]rune(s)[:max]), true
	}
	return s, false
}
func wrap(text string, firstWidth, width, indent int) []string { return []string{text} }
func displayWidth(s string) int                                { return utf8.RuneCountInString(s) }
