package sshchat

import (
	"time"
)

// startWatchdog checks, every KeepAlive interval, that the user is not
// idle past the limit and that the client still answers. wish has no
// keepalive of its own; a client that vanished without closing TCP would
// otherwise hold its name forever. It uses a timer rather than a goroutine
// per session: a goroutine exists only while a keepalive awaits its reply.
// The returned func stops it.
func (s *session) startWatchdog() (stop func()) {
	cfg := &s.srv.cfg
	if cfg.KeepAlive <= 0 && cfg.IdleTimeout <= 0 {
		return func() {}
	}
	interval := cfg.KeepAlive
	if interval <= 0 || (cfg.IdleTimeout > 0 && cfg.IdleTimeout < interval) {
		interval = cfg.IdleTimeout
	}
	var timer *time.Timer
	armed := make(chan struct{}) // timer is assigned
	timer = time.AfterFunc(interval, func() {
		<-armed
		select {
		case <-s.done:
			return
		default:
		}
		if cfg.IdleTimeout > 0 && s.clock.since() >= cfg.IdleTimeout {
			s.log.Info("idle limit hit", "idle", s.clock.since().Round(time.Second))
			s.end(leaveIdle)
			return
		}
		if cfg.KeepAlive > 0 && !s.probe() {
			s.log.Warn("keepalive unanswered: disconnecting", "timeout", cfg.KeepAliveTimeout)
			s.end(leaveTimeout)
			return
		}
		timer.Reset(interval)
	})
	close(armed)
	return func() { timer.Stop() }
}

// probe sends a keepalive request and reports whether the client answered
// within KeepAliveTimeout. Any answer counts: OpenSSH replies "failure" to
// a request it does not know, which proves it alive.
func (s *session) probe() bool {
	cfg := &s.srv.cfg
	fired := make(chan struct{})
	t := time.AfterFunc(cfg.KeepAliveTimeout, func() {
		close(fired)
		// The reply may never come; closing the connection unblocks
		// SendRequest so this goroutine ends.
		_ = s.conn.Close()
	})
	_, _, err := s.conn.SendRequest("keepalive@openssh.com", true, nil)
	if !t.Stop() {
		<-fired
		return false
	}
	return err == nil
}
