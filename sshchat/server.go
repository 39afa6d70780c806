// Package sshchat is a chat server that people join with a stock ssh
// client: one shared room, private messages, English and Portuguese.
package sshchat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/sshchat/sshchat/sshchat/chatlog"
	"github.com/sshchat/sshchat/sshchat/connlimit"
	"github.com/sshchat/sshchat/sshchat/kv"
	"github.com/sshchat/sshchat/sshchat/store"
	gossh "golang.org/x/crypto/ssh"
)

// Server is a chat server: the SSH front (wish), the rooms with their
// log, the names in use, and the sessions between them.
type Server struct {
	cfg           Config
	log           *slog.Logger
	names         *registry
	rooms         *rooms
	cluster       *cluster // the other servers sharing the store's NATS cluster; nil when embedded
	chatLog       chatlog.Log
	ownStore      *store.Store // the store New opened, closed by Shutdown or Close
	kvs           kv.Opener    // the buckets of accounts and moderation
	accounts      *accounts
	mod           *moderation
	registrations registrationLimiter
	storeOnce     sync.Once
	stopFollow    func()
	ssh           *ssh.Server
	lang          lang
	fingerprint   string
	now           func() time.Time

	limits *connlimit.Limiter

	mu       sync.Mutex
	sessions map[*session]struct{} // every live session, joined or not
	live     sync.WaitGroup        // one per tracked session
	closing  atomic.Bool
	metrics  *metrics
	pacer    pacer // spaces writes when the server delivers more than it can write one by one (pacer.go)
	// storeDown is set while the store's connection is lost
	// (availability.go).
	storeDown  atomic.Bool
	storeMu    sync.Mutex     // orders the store's reports and their probes
	storeEpoch int            // counts the reports, under storeMu
	lns        []net.Listener // closed by Close, even if the SSH library has not seen them yet
}

// New assembles a server from cfg: host key (created if missing), auth
// policy, request policy and middlewares. It does not listen yet.
func New(cfg Config) (*Server, error) {
	cfg.normalise()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	srv := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		names:    newRegistry(),
		chatLog:  cfg.Log,
		now:      cfg.Now,
		sessions: map[*session]struct{}{},
		limits: connlimit.New(connlimit.Config{
			MaxPerAddr:   cfg.MaxConnsPerAddr,
			MaxTotal:     cfg.MaxConns,
			NewPerWindow: cfg.NewConnsPerMinute,
			Window:       time.Minute,
		}, cfg.Now),
	}
	srv.metrics = newMetrics(srv)
	srv.pacer.done = make(chan struct{})
	l, ok := parseLang(cfg.Lang)
	if !ok {
		return nil, fmt.Errorf("unknown language %q: use en or pt", cfg.Lang)
	}
	srv.lang = l
	if err := srv.openLog(); err != nil {
		return nil, err
	}
	err := srv.openIdentity()
	if err != nil {
		srv.closeLog()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	srv.rooms, err = newRooms(ctx, srv.kvs, &srv.cfg, srv.chatLog, srv.names, srv.log)
	if err == nil && len(cfg.NATS) > 0 && srv.ownStore != nil {
		if srv.cluster, err = newCluster(ctx, srv, srv.ownStore.Conn(), srv.kvs); err != nil {
			err = fmt.Errorf("cluster: %w", err)
		}
	}
	cancel()
	if err != nil {
		srv.closeLog()
		return nil, fmt.Errorf("rooms: %w", err)
	}
	enforce := srv.enforceBan
	srv.mod.onBan.Store(&enforce)

	keyPath, err := hostKeyPath(cfg.KeyDir)
	if err != nil {
		srv.closeLog()
		return nil, err
	}
	s, err := wish.NewServer(
		wish.WithAddress(cfg.Addr),
		wish.WithVersion("sshchat"),
		wish.WithHostKeyPath(keyPath),
		// Anyone may join: any public key, or keyboard-interactive with
		// no questions, so nobody is ever asked for a password.
		wish.WithPublicKeyAuth(func(ctx ssh.Context, key ssh.PublicKey) bool {
			// Remembered per key: x/crypto keeps the permissions of the key
			// that finally authenticated, which verifiedKey checks against.
			perms := ctx.Permissions()
			if perms.Extensions == nil {
				perms.Extensions = map[string]string{}
			}
			perms.Extensions[extFingerprint] = gossh.FingerprintSHA256(key)
			perms.Extensions[extAuthorizedKey] = strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key)))
			return true
		}),
		wish.WithKeyboardInteractiveAuth(func(ssh.Context, gossh.KeyboardInteractiveChallenge) bool { return true }),
		ssh.WrapConn(srv.acceptConn),
		func(s *ssh.Server) error {
			s.ServerConfigCallback = func(ssh.Context) *gossh.ServerConfig {
				return &gossh.ServerConfig{PublicKeyAuthAlgorithms: keyAlgorithms}
			}
			return nil
		},
		func(s *ssh.Server) error {
			s.ChannelHandlers = map[string]ssh.ChannelHandler{"session": srv.sessionChannel}
			s.RequestHandlers = map[string]ssh.RequestHandler{} // no port forwarding, nothing global
			return nil
		},
	)
	if err != nil {
		srv.closeLog()
		return nil, fmt.Errorf("set up ssh server: %w", err)
	}
	srv.ssh = s
	if len(s.HostSigners) > 0 {
		srv.fingerprint = gossh.FingerprintSHA256(s.HostSigners[0].PublicKey())
	}
	// The log hands every message back in its order; its room shows it.
	srv.stopFollow, err = srv.chatLog.Follow(srv.rooms.deliver)
	if err != nil {
		srv.closeLog()
		return nil, fmt.Errorf("follow the chat log: %w", err)
	}
	go srv.pacer.run(srv.rooms.delivered.Load, srv.sessionCount) // owner: the server; ends at Close or Shutdown
	if cfg.Metrics != "" {
		if err := srv.serveMetrics(cfg.Metrics); err != nil {
			srv.pacer.stop()
			srv.stopFollow()
			srv.closeLog()
			return nil, fmt.Errorf("-metrics %s: %w", cfg.Metrics, err)
		}
	}
	return srv, nil
}

// keyAlgorithms are the signature algorithms a client may authenticate
// with: x/crypto's, less SHA-1 RSA signatures ("ssh-rsa"), as OpenSSH
// since 8.8. A key is an identity here, so its signature must prove
// something; RSA keys still work through rsa-sha2-256 and -512.
var keyAlgorithms = slices.DeleteFunc(gossh.SupportedAlgorithms().PublicKeyAuths, func(a string) bool {
	return a == gossh.KeyAlgoRSA || a == gossh.CertAlgoRSAv01
})

// hostKeyPath makes sure dir exists and returns the host key's path in it.
func hostKeyPath(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("host key directory: %w", err)
	}
	return filepath.Join(dir, "ssh_host_ed25519_key"), nil
}

// Fingerprint is the SHA256 fingerprint of the host key, for users to check
// on first connection.
func (srv *Server) Fingerprint() string { return srv.fingerprint }

// ListenAndServe listens on the configured address and serves until
// Shutdown or Close.
func (srv *Server) ListenAndServe() error {
	// No TCP keepalive: the SSH keepalive (keepalive.go) finds a peer
	// that is gone, and TCP's costs four system calls a connection.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", srv.cfg.Addr)
	if err != nil {
		return err
	}
	return srv.Serve(ln)
}

// Serve serves on ln until Shutdown or Close. It returns nil after those,
// including when they came first.
func (srv *Server) Serve(ln net.Listener) error {
	srv.mu.Lock()
	if srv.closing.Load() {
		srv.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	srv.lns = append(srv.lns, ln)
	srv.mu.Unlock()
	srv.log.Info("listening", "addr", ln.Addr().String(), "fingerprint", srv.fingerprint)
	err := srv.ssh.Serve(ln)
	// Close and Shutdown close the listener before the SSH library marks
	// itself closed, so its Accept may fail first with the closed listener.
	if errors.Is(err, ssh.ErrServerClosed) || srv.closing.Load() && errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// handle serves one chat session, from the shell request to the end,
// then closes its connection: a connection carries one chat session. The
// client is given FlushTimeout to close it first, so a stock client ends
// quietly instead of reporting that the remote host closed the
// connection. A panic ends this session alone.
func (srv *Server) handle(conn *gossh.ServerConn, lc *limitedConn, ch gossh.Channel, req sessionRequest) {
	defer srv.contain(conn)
	lc.setup.Stop() // the chat has started
	s := &session{
		srv:   srv,
		ch:    ch,
		conn:  conn,
		log:   srv.log.With("remote", conn.RemoteAddr().String()),
		tcp:   lc,
		win:   req.win,
		pty:   req.pty,
		color: req.pty && req.term != "dumb",
		ending: ending{
			done:       make(chan struct{}),
			writerDone: make(chan struct{}),
			noticeDone: make(chan struct{}),
		},
	}
	s.lang.Store(uint32(langFromEnv(req.env, srv.lang)))
	s.loc.Store(zoneFromEnv(req.env))
	// The fingerprint comes from the permissions of the key that actually
	// authenticated: the auth callback also sees keys a client only offers
	// (CVE-2024-45337's shape).
	if conn.Permissions != nil {
		s.fingerprint = conn.Permissions.Extensions[extFingerprint]
		s.authorizedKey = conn.Permissions.Extensions[extAuthorizedKey]
	}
	s.clock.now = srv.now
	s.clock.touch()
	s.gate = newFloodGate(srv.cfg.MsgRate, srv.cfg.MsgBurst, srv.cfg.MaxPasteLines, srv.cfg.FloodStrikes)
	s.console = newConsole(ch, &s.clock, s.win, req.pty, req.term, 4*srv.cfg.MaxMessageLen)

	// A banned key is refused with one line saying until when. (The
	// address was checked before the handshake.)
	if b, banned := srv.mod.banned(banKeyOf(s.fingerprint), banAddrOf(remoteAddr(conn))); banned {
		s.log.Warn("connection refused: key banned", "fingerprint", s.fingerprint, "by", b.By, "until", b.Until)
		s.console.writeOwn([]byte(s.language().t(msgYouAreBanned, s.untilText(s.language(), b.Until)) + "\n"))
		s.exit(1)
		s.closeSoon()
		return
	}
	if !srv.track(s) {
		s.console.writeOwn([]byte(s.language().t(msgShutdown) + "\n"))
		s.exit(0)
		s.closeSoon()
		return
	}
	if s.start() {
		go s.chat() // ends with the session
	}
}

// contain, deferred at the top of a connection's goroutine, turns a panic
// into the end of that connection, logged, instead of the server's. (A
// joined session has its own recovery, which also tells the room.)
func (srv *Server) contain(conn gossh.Conn) {
	if r := recover(); r != nil {
		srv.log.Error("panic: connection closed", "remote", conn.RemoteAddr().String(), "panic", r, "stack", string(debug.Stack()))
		_ = conn.Close()
	}
}

// sendExit reports status to the client and closes the channel.
func sendExit(ch gossh.Channel, status uint32) {
	_, _ = ch.SendRequest("exit-status", false, gossh.Marshal(struct{ Status uint32 }{status}))
	_ = ch.Close()
}

func (srv *Server) track(s *session) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closing.Load() {
		return false
	}
	srv.sessions[s] = struct{}{}
	srv.live.Add(1)
	return true
}

// sessionCount is how many sessions are open.
func (srv *Server) sessionCount() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.sessions)
}

func (srv *Server) untrack(s *session) {
	srv.mu.Lock()
	delete(srv.sessions, s)
	srv.mu.Unlock()
	srv.live.Done()
}

// Shutdown stops accepting users, sends every connected user a last line
// saying the server is going down, waits until ctx is done for every
// session to have written it, and then closes all connections.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.stopListening()
	srv.mu.Lock()
	pending := make([]*session, 0, len(srv.sessions))
	for s := range srv.sessions {
		pending = append(pending, s)
	}
	srv.mu.Unlock()

	for _, r := range srv.rooms.all() {
		for _, m := range r.shutdown() {
			if m.drop(leaveShutdown) { // the writer flushes the notice, then closes
				m.dropped()
			}
		}
	}
	for _, s := range pending {
		if s.joined.Load() == nil { // still choosing a name: no writer
			s.close(leaveShutdown)
		}
	}
	finished := make(chan struct{})
	go func() { srv.live.Wait(); close(finished) }() // ends when the last session does
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = ctx.Err()
	}
	_ = srv.ssh.Close()
	srv.stopFollow()
	srv.stopMetrics()
	srv.pacer.stop()
	srv.closeLog() // after the notice: users are told first
	srv.log.Info("shut down")
	return err
}

// Close closes the listener and every connection at once, without notice.
func (srv *Server) Close() error {
	srv.stopListening()
	for _, r := range srv.rooms.all() {
		r.close()
	}
	err := srv.ssh.Close()
	if errors.Is(err, net.ErrClosed) { // the listener, closed above; Serve had not yet let go of it
		err = nil
	}
	srv.stopFollow()
	srv.stopMetrics()
	srv.pacer.stop()
	srv.closeLog()
	return err
}

// stopListening marks the server closing and closes its listeners itself:
// the SSH library closes only listeners its Serve has already registered,
// so a Close racing a starting Serve would otherwise leave Serve blocked
// in Accept for good.
func (srv *Server) stopListening() {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.closing.Store(true)
	for _, ln := range srv.lns {
		_ = ln.Close()
	}
}
