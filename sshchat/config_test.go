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
	}
	for flag, edit := range refused {
		c := DefaultConfig()
		c.KeyDir = t.TempDir()
		edit(&c)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%s: New = %v, want an error naming the flag", flag, err)
		}
	}
	off := DefaultConfig()
	off.KeyDir = t.TempDir()
	off.MsgRate, off.MsgBurst, off.MaxPasteLines, off.FloodStrikes = 0, 0, 0, 0
	off.KeepAlive, off.KeepAliveTimeout, off.IdleTimeout = 0, 0, 0
	if _, err := New(off); err != nil {
		t.Errorf("limits turned off: %v", err)
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
