package sshchat

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// parseDuration reads Go's durations ("90s", "1h30m") plus whole days
// ("7d", "2d12h"), which people use for retention and bans. It refuses
// negative values and anything past about 290 years (time.Duration's
// range).
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days int64
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || n > 106_000 {
			return 0, errors.New("bad duration: " + strconv.Quote(s))
		}
		days, s = n, s[i+1:]
		if s == "" {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("bad duration: " + strconv.Quote(s))
	}
	total := time.Duration(days)*24*time.Hour + d
	if total < d {
		return 0, errors.New("duration out of range")
	}
	return total, nil
}

// formatDuration is d as parseDuration reads it, in days when whole.
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// durationValue is a flag.Value for parseDuration's durations.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return formatDuration(*v.d)
}

func (v durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}
