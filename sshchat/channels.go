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
)

// extFingerprint is the permissions extension holding the fingerprint of
// the public key that authenticated.
const extFingerprint = "sshchat-key-fp"

// maxEnv bounds the environment variables kept per session; each one
// costs memory for the session's life.
const maxEnv = 16

func (srv *Server) sessionChannel(s *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	if n, _ := ctx.Value(ctxSessions).(*atomic.Int32); n == nil || n.Add(1) > 1 {
		_ = nc.Reject(gossh.Prohibited, "one chat session per connection")
		return
	}
	ssh.DefaultSessionHandler(s, conn, policedChannel{nc}, ctx)
}

// policedChannel filters the requests of the session channel it accepts.
type policedChannel struct{ gossh.NewChannel }

func (p policedChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := p.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go policeRequests(reqs, out) // ends when the channel's requests end
	return ch, out, nil
}

func policeRequests(in <-chan *gossh.Request, out chan<- *gossh.Request) {
	defer close(out)
	env := 0
	for req := range in {
		if !allowedRequest(req, &env) {
			_ = req.Reply(false, nil)
			continue
		}
		out <- req
	}
}

func allowedRequest(req *gossh.Request, env *int) bool {
	switch req.Type {
	case "auth-agent-req@openssh.com", "x11-req", "subsystem":
		return false
	case "env":
		var kv struct{ Key, Value string }
		if gossh.Unmarshal(req.Payload, &kv) != nil {
			return false
		}
		*env++
		return *env <= maxEnv && len(kv.Value) <= 64 && (kv.Key == "LANG" || strings.HasPrefix(kv.Key, "LC_"))
	}
	return true
}
