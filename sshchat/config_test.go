package sshchat

import (
	"strings"
	"testing"
)

// One rule for every flag: 0 turns off the limits that say so, and any
// other setting at 0 or below is refused at start, naming the flag,
// never silently replaced by its default.
func TestConfigZeroIsOffOrRefused(t *testing.T) {
	refused := map[string]func(*Config){
		"-login-tries":       func(c *Config) { c.LoginTries = 0 },
		"-outbox":            func(c *Config) { c.OutboxBytes = 0 },
		"-max-message":       func(c *Config) { c.MaxMessageLen = 0 },
		"-keepalive-timeout": func(c *Config) { c.KeepAliveTimeout = 0 },
		"-burst":             func(c *Config) { c.MsgBurst = 0 },
		"-handshake-timeout": func(c *Config) { c.HandshakeTimeout = -1 },
		"-rate":              func(c *Config) { c.MsgRate = -1 },
		"-max-rooms":         func(c *Config) { c.MaxRooms = 0 },
		"-room-expiry":       func(c *Config) { c.RoomExpiry = -1 },
		"-replicas":          func(c *Config) { c.Replicas = 7 },
		"-lobby":             func(c *Config) { c.Lobby = "#the lobby" },
	}
	for flag, edit := range refused {
		c := DefaultConfig()
		c.KeyDir, c.DataDir = t.TempDir(), ""
		edit(&c)
		srv, err := New(c)
		if err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%s: New = %v, want an error naming the flag", flag, err)
		}
		if srv != nil {
			_ = srv.Close()
		}
	}
	off := DefaultConfig()
	off.KeyDir, off.DataDir = t.TempDir(), ""
	off.MsgRate, off.MsgBurst, off.MaxPasteLines, off.FloodStrikes = 0, 0, 0, 0
	off.KeepAlive, off.KeepAliveTimeout, off.IdleTimeout, off.RoomExpiry = 0, 0, 0, 0
	srv, err := New(off)
	if err != nil {
		t.Errorf("limits turned off: %v", err)
	} else {
		_ = srv.Close()
	}
}

// With -rate 0 a user may send as fast as they like: nothing is refused.
func TestRateZeroIsNoLimit(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.MsgRate, c.MsgBurst, c.FloodStrikes = 0, 0, 0 })
	alice := connect(t, srv.addr, "alice", clientOpts{})
	alice.expect("Welcome")
	bob := connect(t, srv.addr, "bob", clientOpts{})
	bob.expect("Welcome")
	for i := range 100 {
		alice.send("line " + string(rune('a'+i%26)))
	}
	alice.send("last line")
	bob.expect("alice: last line")
	if strings.Contains(alice.out.String(), "\n!") {
		t.Errorf("alice was refused something:\n%s", alice.out.String())
	}
}
