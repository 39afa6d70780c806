package sshchat

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/sshchat/sshchat/sshchat/connlimit"
)

// Before the SSH handshake: every TCP connection is counted against the
// connection limits, where refusing costs least, and timed until its chat
// session starts.

// acceptConn runs for every TCP connection before the SSH handshake, where
// refusing costs least: connection limits apply here (wish's rate limiter
// runs after authentication, too late for a handshake flood). A refused
// client gets one line of text, which OpenSSH shows, and the connection
// closes.
//
// A timer covers the handshake, authentication and the shell request, so a
// client that stalls anywhere before the chat starts is dropped. (A
// deadline on the connection would not hold: the SSH library resets the
// deadline on every read and write.)
func (srv *Server) acceptConn(ctx ssh.Context, conn net.Conn) net.Conn {
	addr := remoteAddr(conn)
	if b, banned := srv.mod.banned(banAddrOf(addr)); banned {
		// Info, not Warn: a flood is refused thousands of times a second,
		// and its lines go out in the log's batches.
		srv.log.Info("connection refused: address banned", "remote", conn.RemoteAddr().String(), "by", b.By, "until", b.Until)
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = io.WriteString(conn, bannedLine(b))
		_ = conn.Close()
		return nil
	}
	release, err := srv.limits.Add(addr)
	if err != nil {
		srv.log.Info("connection refused", "remote", conn.RemoteAddr().String(), "reason", err)
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = io.WriteString(conn, refusalLine(err))
		return nil
	}
	lc := &limitedConn{Conn: conn, release: release}
	lc.setup = time.AfterFunc(srv.cfg.HandshakeTimeout, func() {
		srv.log.Info("connection closed: no chat session started in time", "remote", conn.RemoteAddr().String(), "timeout", srv.cfg.HandshakeTimeout)
		_ = conn.Close()
		release()
	})
	ctx.SetValue(ctxConn, lc)
	return lc
}

// limitedConn gives its slot back to the limiter when closed, and carries
// the timers that close it if no chat session starts in time, and shortly
// after the session ends if the client does not hang up.
type limitedConn struct {
	net.Conn
	release  func()
	setup    *time.Timer
	sessions atomic.Int32 // session channels opened: one is allowed

	mu     sync.Mutex
	linger *time.Timer

	ahead []byte // read ahead of the client's version line; the reader's alone
}

// Read serves what was read ahead, and reads ahead when asked for a few
// bytes: the SSH library reads the client's version line a byte at a
// time, a system call each (a dozen per connection), before it puts its
// own buffer in front of the connection.
func (c *limitedConn) Read(p []byte) (int, error) {
	if len(c.ahead) > 0 {
		n := copy(p, c.ahead)
		c.ahead = c.ahead[n:]
		if len(c.ahead) == 0 {
			c.ahead = nil
		}
		return n, nil
	}
	if len(p) >= 16 {
		return c.Conn.Read(p)
	}
	buf := make([]byte, 256) // a version line is at most 255 bytes
	n, err := c.Conn.Read(buf)
	if n > 0 {
		err = nil // the next read meets it again
	}
	c.ahead = buf[:n]
	k := copy(p, c.ahead)
	c.ahead = c.ahead[k:]
	if len(c.ahead) == 0 {
		c.ahead = nil
	}
	return k, err
}

// closeAfter closes the connection after d unless it closes first; the
// timer holds only this small wrapper, so a session's SSH state is
// garbage as soon as the client hangs up.
func (c *limitedConn) closeAfter(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.linger == nil {
		c.linger = time.AfterFunc(d, func() { _ = c.Close() })
	}
}

// SetDeadline ignores the zero deadline that the SSH library sets before
// every read and write (it sets one only when idle or maximum timeouts
// are configured, which we do not use): clearing a deadline that was never
// set is work on every packet for nothing.
func (c *limitedConn) SetDeadline(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	return c.Conn.SetDeadline(t)
}

func (c *limitedConn) Close() error {
	c.setup.Stop()
	c.mu.Lock()
	if c.linger != nil {
		c.linger.Stop()
	}
	c.mu.Unlock()
	c.release()
	return c.Conn.Close()
}

func remoteAddr(c interface{ RemoteAddr() net.Addr }) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr()
	}
	return netip.IPv6Unspecified()
}

// bannedLine tells a banned client, in both languages, until when: no
// language is known before the handshake.
func bannedLine(b ban) string {
	return "sshchat: " + langEN.t(msgYouAreBanned, untilUTC(langEN, b.Until)) + " / " + langPT.t(msgYouAreBanned, untilUTC(langPT, b.Until)) + "\r\n"
}

// untilUTC is when a measure ends, for a client whose zone is unknown.
func untilUTC(l lang, until time.Time) string {
	if until.IsZero() {
		return l.t(msgForGood)
	}
	return l.t(msgUntil, until.UTC().Format("2006-01-02 15:04 MST"))
}

// refusalLine says why a connection is refused, in both languages: no
// language is known before the handshake.
func refusalLine(err error) string {
	id := msgRefusedTotal
	switch {
	case errors.Is(err, connlimit.ErrPerAddr):
		id = msgRefusedPerAddr
	case errors.Is(err, connlimit.ErrThrottled):
		id = msgRefusedThrottled
	}
	return "sshchat: " + langEN.t(id) + " / " + langPT.t(id) + "\r\n"
}
