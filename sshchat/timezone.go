package sshchat

import (
	"strings"
	"time"
	_ "time/tzdata" // zones by name on a machine without a zone database
)

// Every user reads times in their own zone: UTC unless the client sends
// TZ (beside LANG) or the user picks one with /tz.

// parseZone reads a zone name from the IANA database ("America/Sao_Paulo",
// "UTC"). Only names are taken: a path or a POSIX rule string is refused.
func parseZone(name string) (*time.Location, bool) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 64 || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, false
	}
	for _, r := range name {
		if !(r == '/' || r == '_' || r == '-' || r == '+' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')) {
			return nil, false
		}
	}
	if strings.EqualFold(name, "utc") {
		return time.UTC, true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// zoneFromEnv is the zone the client's TZ names, or UTC.
func zoneFromEnv(env []string) *time.Location {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TZ="); ok {
			if loc, ok := parseZone(strings.TrimPrefix(v, ":")); ok {
				return loc
			}
		}
	}
	return time.UTC
}

func (s *session) zone() *time.Location { return s.loc.Load() }

// cmdZone is /tz zone: times are shown in that zone from now on.
func (s *session) cmdZone(arg string) bool {
	l := s.language()
	if strings.TrimSpace(arg) == "" {
		s.reply(l.t(msgZoneIs, s.zone().String()) + " " + l.t(msgUsage, commandByName("tz").usage(l)))
		return false
	}
	loc, ok := parseZone(arg)
	if !ok {
		shown, _ := sanitize(arg, 64)
		s.reply(l.t(msgZoneUnknown, shown))
		return false
	}
	s.loc.Store(loc)
	s.reply(l.t(msgZoneSet, loc.String(), time.Now().In(loc).Format("15:04")))
	return false
}
