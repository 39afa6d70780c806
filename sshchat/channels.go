package sshchat

import (
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// The SSH library serves more than a chat needs: it answers agent
// forwarding with yes, keeps every environment variable sent, and opens
// as many sessions per connection as asked. This file narrows it to one
// session per connection, with only the requests a chat client uses.

type ctxKey int

const (
	ctxSessions ctxKey = iota // *atomic.Int32: sessions opened on this connection
	ctxConn                   // *limitedConn: the TCP connection, for the setup timer
	ctxWindow                 // *atomic.Uint64: the terminal's size, packed by packWindow
)

// extFingerprint is the permissions extension holding the fingerprint of
// the public key that authenticated.
const extFingerprint = "sshchat-key-fp"

// maxEnv bounds the environment variables kept per session; each one
// costs memory for the session's life.
const maxEnv = 16

// maxRequestPayload bounds what one session request may carry. The
// library keeps some of them (environment, terminal type and modes) for
// the session's life; a real client sends a few hundred bytes.
const maxRequestPayload = 4096

func (srv *Server) sessionChannel(s *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	if n, _ := ctx.Value(ctxSessions).(*atomic.Int32); n == nil || n.Add(1) > 1 {
		_ = nc.Reject(gossh.Prohibited, "one chat session per connection")
		return
	}
	win := new(atomic.Uint64)
	ctx.SetValue(ctxWindow, win)
	ssh.DefaultSessionHandler(s, conn, policedChannel{nc, win}, ctx)
}

// policedChannel filters the requests of the session channel it accepts,
// and keeps the terminal's size in win. The library hands window changes
// to a channel that must be drained or its request loop blocks; keeping
// the latest size in one word instead lets an idle session run without a
// goroutine waiting on that channel.
type policedChannel struct {
	gossh.NewChannel
	win *atomic.Uint64
}

func (p policedChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := p.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go policeRequests(reqs, out, p.win) // ends when the channel's requests end
	return ch, out, nil
}

func policeRequests(in <-chan *gossh.Request, out chan<- *gossh.Request, win *atomic.Uint64) {
	defer close(out)
	env, pty := 0, false
	for req := range in {
		switch req.Type {
		case "pty-req":
			var r struct {
				Term                    string
				Columns, Rows, Wpx, Hpx uint32
				Modes                   string
			}
			if gossh.Unmarshal(req.Payload, &r) == nil {
				win.Store(packWindow(r.Columns, r.Rows))
				pty = true
			}
		case "window-change":
			var r struct{ Columns, Rows, Wpx, Hpx uint32 }
			ok := pty && gossh.Unmarshal(req.Payload, &r) == nil
			if ok {
				win.Store(packWindow(r.Columns, r.Rows))
			}
			_ = req.Reply(ok, nil)
			continue
		}
		if !allowedRequest(req, &env) {
			_ = req.Reply(false, nil)
			continue
		}
		out <- req
	}
}

// packWindow keeps a terminal size in one word, for atomic updates.
func packWindow(cols, rows uint32) uint64 { return uint64(cols)<<32 | uint64(rows) }

// unpackWindow returns a packed size, clamped to what a terminal can be.
func unpackWindow(w uint64) (cols, rows int) {
	return clampWindow(int(min(w>>32, 1<<20)), int(min(w&0xffffffff, 1<<20)))
}

func allowedRequest(req *gossh.Request, env *int) bool {
	if len(req.Payload) > maxRequestPayload {
		return false
	}
	switch req.Type {
	case "auth-agent-req@openssh.com", "x11-req", "subsystem":
		return false
	case "signal", "break":
		// A chat has no process to signal, and the library would keep up
		// to 128 signal names per session, each as long as a packet.
		return false
	case "env":
		var kv struct{ Key, Value string }
		if gossh.Unmarshal(req.Payload, &kv) != nil {
			return false
		}
		*env++
		return *env <= maxEnv && len(kv.Key) <= 32 && len(kv.Value) <= 64 &&
			(kv.Key == "LANG" || strings.HasPrefix(kv.Key, "LC_"))
	}
	return true
}
