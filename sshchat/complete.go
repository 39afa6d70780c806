package sshchat

import (
	"strings"
	"unicode/utf8"
)

// completeName is the terminal's Tab handler: it completes the word before
// the cursor to one of the candidates for its sigil, which it keeps: a
// leading "/" on the line (a command, or a name for a private message, so
// "/bo" becomes "/bob "), "#" (a room), "@" or none (a connected user).
// With several matches it completes their common prefix.
func completeName(candidates func(sigil string) []string, line string, pos int, key rune) (string, int, bool) {
	if key != '\t' || pos > len(line) {
		return "", 0, false
	}
	start := strings.LastIndexAny(line[:pos], " \t") + 1
	word := line[start:pos]
	sigil := ""
	if strings.HasPrefix(word, "@") || strings.HasPrefix(word, "#") || (start == 0 && strings.HasPrefix(word, "/")) {
		sigil, word = word[:1], word[1:]
	}
	if word == "" {
		return "", 0, false
	}
	var match string
	n := 0
	for _, name := range candidates(sigil) {
		if len(name) < len(word) || !strings.EqualFold(name[:len(word)], word) {
			continue
		}
		if n == 0 {
			match = name
		} else {
			match = commonPrefixFold(match, name)
		}
		n++
	}
	if n == 0 || len(match) < len(word) {
		return "", 0, false
	}
	completed := sigil + match
	if n == 1 {
		completed += " "
		if start == 0 && sigil == "" {
			completed = match + ": " // addressing someone at the start of a line
		}
	}
	newLine := line[:start] + completed + line[pos:]
	return newLine, start + len(completed), true
}

// commonPrefixFold is the longest prefix of a that b shares, ignoring case.
func commonPrefixFold(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) {
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[i:])
		if na != nb || !strings.EqualFold(string(ra), string(rb)) {
			break
		}
		i += na
	}
	return a[:i]
}

// mentions reports whether text addresses name as "@name" (ignoring case),
// so the renderer can make that line stand out for that user.
func mentions(text, name string) bool {
	for i := strings.IndexByte(text, '@'); i >= 0; {
		rest := text[i+1:]
		if len(rest) >= len(name) && strings.EqualFold(rest[:len(name)], name) {
			if len(rest) == len(name) {
				return true
			}
			r, _ := utf8.DecodeRuneInString(rest[len(name):])
			if !isNameRune(r) {
				return true
			}
		}
		j := strings.IndexByte(rest, '@')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// isNameRune reports whether r can continue a name, so "@bob" does not
// mention "bo".
func isNameRune(r rune) bool {
	return r == '_' || r == '-' || r == '.' || r >= utf8.RuneSelf || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
}

// complete is this session's Tab handler: commands in the user's language
// and names after "/", rooms after "#", names of everyone connected
// otherwise (private messages reach every room).
func (s *session) complete(line string, pos int, key rune) (string, int, bool) {
	return completeName(func(sigil string) []string {
		switch sigil {
		case "#":
			var names []string
			for _, r := range s.srv.rooms.all() {
				names = append(names, r.name)
			}
			return names
		case "/":
			l := s.language()
			var names []string
			for _, c := range commands {
				if (c.operator && !s.isOperator()) || (c.owner && !s.srv.mod.isOwner(s.fingerprint)) {
					continue
				}
				names = append(names, c.names[l]...)
			}
			return append(names, s.completableNames()...)
		}
		return s.completableNames()
	}, line, pos, key)
}

// completableNames is everyone connected, on this server and the others.
func (s *session) completableNames() []string {
	names := s.srv.names.completions()
	if c := s.srv.cluster; c != nil {
		names = sortNames(append(names, c.names()...))
	}
	return names
}
