package sshchat

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"30s": 30 * time.Second, "10m": 10 * time.Minute, "2h": 2 * time.Hour,
		"7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "1d12h": 36 * time.Hour, "0": 0, "0d": 0,
	}
	for in, want := range good {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "-1d", "-5s", "1x", "7dd", "d7", "1e9d", "99999999d", "1d-1h", "1.5d", "abc"} {
		if got, err := parseDuration(bad); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", bad, got)
		}
	}
}

// Any input parses to a non-negative duration or an error, never a
// panic, and what formatDuration writes reads back the same.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "7d", "1d12h", "-1d", "99999999d", "2562047h", "106000d1h", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("%q: negative %v", s, d)
		}
		if back, err := parseDuration(formatDuration(d)); err != nil || back != d {
			t.Fatalf("%q: %v formats as %q, which reads %v, %v", s, d, formatDuration(d), back, err)
		}
	})
}
