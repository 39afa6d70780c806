package sshchat

import (
	"errors"
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
			s.close(leaveIdle)
			return
		}
		if cfg.KeepAlive > 0 {
			switch err := s.probe(leaveTimeout); {
			case errors.Is(err, errNoAnswer):
				s.log.Warn("keepalive unanswered: disconnecting", "timeout", cfg.KeepAliveTimeout)
				return
			case err != nil:
				return // the connection closed under the probe: the reader says so
			}
		}
		timer.Reset(interval)
	})
	close(armed)
	return func() { timer.Stop() }
}

var errNoAnswer = errors.New("no answer to a keepalive")

// probe sends a keepalive request and waits up to KeepAliveTimeout for the
// answer: errNoAnswer when none came, another error when the connection
// failed first. Any answer counts: OpenSSH replies "failure" to a request
// it does not know, which proves it alive.
//
// Without an answer the session ends for reason, which closes the
// connection and so unblocks SendRequest. The reason is settled before
// the close: the reader, failing on the closed connection, must not get
// its own reason in first.
func (s *session) probe(reason leaveReason) error {
	cfg := &s.srv.cfg
	fired := make(chan struct{})
	t := time.AfterFunc(cfg.KeepAliveTimeout, func() {
		close(fired)
		s.close(reason)
		_ = s.conn.Close() // if the session had already ended otherwise
	})
	_, _, err := s.conn.SendRequest("keepalive@openssh.com", true, nil)
	if !t.Stop() {
		<-fired
		return errNoAnswer
	}
	return err
}
