package sshchat

import (
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
