package sshchat

import (
	"strings"
	"testing"
	"time"
)

// Any text given as a zone is refused or names a zone of the database:
// never a path, never a panic.
func FuzzParseZone(f *testing.F) {
	for _, s := range []string{"America/Sao_Paulo", "UTC", "utc", "Etc/GMT+3", "../../etc/passwd", "/etc/localtime", "Mars/Olympus", "", "Europe/Lisbon\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, ok := parseZone(s)
		if !ok {
			return
		}
		if strings.Contains(s, "..") || strings.HasPrefix(strings.TrimSpace(s), "/") {
			t.Fatalf("%q accepted", s)
		}
		if _, err := time.LoadLocation(loc.String()); err != nil && loc != time.UTC {
			t.Fatalf("%q gave %v, which does not load: %v", s, loc, err)
		}
	})
}

// A ban's or mute's leading duration is taken, refused when it starts
// like one and does not parse, and otherwise left as the reason.
func TestSplitDuration(t *testing.T) {
	for in, want := range map[string]struct {
		d    time.Duration
		rest string
		ok   bool
	}{
		"2h spam":   {2 * time.Hour, "spam", true},
		"7d":        {7 * 24 * time.Hour, "", true},
		"spam 2h":   {0, "spam 2h", true},
		"":          {0, "", true},
		"1x reason": {0, "1x reason", false},
		"0s reason": {0, "0s reason", false},
	} {
		d, rest, ok := splitDuration(in)
		if d != want.d || rest != want.rest || ok != want.ok {
			t.Errorf("splitDuration(%q) = %v, %q, %v; want %v, %q, %v", in, d, rest, ok, want.d, want.rest, want.ok)
		}
	}
}
