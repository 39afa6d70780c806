package sshchat

import (
	"io"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// A connection carries one chat session. Its session channel is served
// here, in place of the SSH library's general session handler: that one
// answers agent forwarding with yes, keeps every environment variable
// sent, and costs a goroutine, a context and a relay per session that a
// chat does not need. One goroutine answers the channel's requests for
// its whole life; the shell request starts the chat in another.

type ctxKey int

// ctxConn holds the connection's *limitedConn: its limiter slot, setup
// timer and session count.
const ctxConn ctxKey = 0

// extFingerprint is the permissions extension holding the fingerprint of
// the public key that authenticated.
const extFingerprint = "sshchat-key-fp"

// extAuthorizedKey holds that key in authorized_keys form, for /register.
const extAuthorizedKey = "sshchat-key"

// maxEnv bounds the environment variables kept per session; each one
// costs memory for the session's life.
const maxEnv = 16

// maxRequestPayload bounds what one session request may carry; a real
// client sends a few hundred bytes.
const maxRequestPayload = 4096

// sessionRequest is what a client asked for before its shell: the
// terminal, if any, and the locale variables.
type sessionRequest struct {
	pty  bool
	term string
	env  []string // "KEY=value", LANG, LC_* and TZ only
	win  *atomic.Uint64
}

func (srv *Server) sessionChannel(_ *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	lc, _ := ctx.Value(ctxConn).(*limitedConn)
	if lc == nil || lc.sessions.Add(1) > 1 {
		_ = nc.Reject(gossh.Prohibited, "one chat session per connection")
		return
	}
	defer srv.contain(conn)
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	srv.serveRequests(conn, lc, ch, reqs)
}

// serveRequests answers a session channel's requests until the channel
// closes. Before the shell it records the terminal and locale; the shell
// starts the chat; afterwards only window changes are taken, into one
// word the writer reads, so an idle session has nothing else to wait on.
func (srv *Server) serveRequests(conn *gossh.ServerConn, lc *limitedConn, ch gossh.Channel, reqs <-chan *gossh.Request) {
	req := sessionRequest{win: new(atomic.Uint64)}
	started := false
	for r := range reqs {
		ok := false
		var start func() // begins the session, once the request is answered
		switch {
		case len(r.Payload) > maxRequestPayload:
		case r.Type == "window-change":
			var w struct{ Columns, Rows, Wpx, Hpx uint32 }
			if ok = req.pty && gossh.Unmarshal(r.Payload, &w) == nil; ok {
				req.win.Store(packWindow(w.Columns, w.Rows))
			}
		case started:
			// One shell per channel; nothing else changes once it runs.
		case r.Type == "pty-req":
			var p struct {
				Term                    string
				Columns, Rows, Wpx, Hpx uint32
				Modes                   string
			}
			if ok = gossh.Unmarshal(r.Payload, &p) == nil; ok {
				req.pty, req.term = true, p.Term
				req.win.Store(packWindow(p.Columns, p.Rows))
			}
		case r.Type == "env":
			if kv, good := localeVar(r.Payload); good && len(req.env) < maxEnv {
				req.env = append(req.env, kv)
				ok = true
			}
		case r.Type == "shell":
			ok, started = true, true
			start = func() { go srv.handle(conn, lc, ch, req) } // ends with the session
		case r.Type == "exec":
			// A chat runs no commands. Accepting the request lets the
			// client show why, and exit with a failure status.
			ok, started = true, true
			start = func() { go srv.refuseCommand(conn, lc, ch, req) } // ends once the line is written
		}
		// Everything else (agent or X11 forwarding, subsystems, signals)
		// is refused: a chat has no use for it.
		if r.WantReply {
			_ = r.Reply(ok, nil)
		}
		if start != nil {
			start() // after the reply: the session may end, and close the channel, at once
		}
	}
}

// localeVar returns an env request as "KEY=value" if it is a locale
// variable (LANG, LC_*, TZ) of sane size, the only kind the chat uses.
func localeVar(payload []byte) (string, bool) {
	var kv struct{ Key, Value string }
	if gossh.Unmarshal(payload, &kv) != nil {
		return "", false
	}
	ok := len(kv.Key) <= 32 && len(kv.Value) <= 64 &&
		(kv.Key == "LANG" || kv.Key == "TZ" || strings.HasPrefix(kv.Key, "LC_"))
	return kv.Key + "=" + kv.Value, ok
}

// packWindow keeps a terminal size in one word, for atomic updates.
func packWindow(cols, rows uint32) uint64 { return uint64(cols)<<32 | uint64(rows) }

// unpackWindow returns a packed size, clamped to what a terminal can be.
func unpackWindow(w uint64) (cols, rows int) {
	return clampWindow(int(min(w>>32, 1<<20)), int(min(w&0xffffffff, 1<<20)))
}

// refuseCommand answers "ssh host command" with one line saying the chat
// runs no commands, and a failure status.
func (srv *Server) refuseCommand(conn gossh.Conn, lc *limitedConn, ch gossh.Channel, req sessionRequest) {
	defer srv.contain(conn)
	lc.setup.Stop()
	lc.closeAfter(srv.cfg.FlushTimeout) // before writing: the client may not read
	l := langFromEnv(req.env, srv.lang)
	srv.log.Info("command refused", "remote", conn.RemoteAddr().String(), "user", conn.User())
	_, _ = io.WriteString(ch.Stderr(), l.t(msgNoCommands, joinCommand(conn, l))+"\r\n")
	sendExit(ch, 1)
}

// joinCommand is how the user of conn connects without a command: the
// port they reached and the name they gave. The host is the address they
// reached, which behind a proxy may not be the one they typed.
func joinCommand(conn gossh.Conn, l lang) string {
	user, err := checkName(conn.User(), isCommandName) // untrusted: the client chose it
	if err != nil {
		user = l.t(msgArgsName)
	}
	host, port := "host", "22"
	if ap, err := netip.ParseAddrPort(conn.LocalAddr().String()); err == nil {
		port = strconv.Itoa(int(ap.Port()))
		if a := ap.Addr().Unmap(); !a.IsUnspecified() {
			host = a.String()
			if a.Is6() {
				host = "[" + host + "]"
			}
		}
	}
	if port == "22" {
		return "ssh " + user + "@" + host
	}
	return "ssh -p " + port + " " + user + "@" + host
}
