package sshchat

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
	gossh "golang.org/x/crypto/ssh"
)

// waitFor is how long a test waits for an expected line. Generous: the
// machines are shared; a passing test never waits this long.
const waitFor = 10 * time.Second

// testServer is a server on 127.0.0.1:0 with its own key directory.
type testServer struct {
	*Server
	addr string
	logs *syncBuffer
}

// newListening makes a server of cfg and a listener on 127.0.0.1:0 for it
// to serve.
func newListening(t testing.TB, cfg Config) (*Server, net.Listener) {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return srv, ln
}

// startServer starts a server with test-friendly defaults, changed by edit.
func startServer(t testing.TB, edit func(*Config)) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	cfg := DefaultConfig()
	cfg.KeyDir = t.TempDir()
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Every test client comes from 127.0.0.1; the tests of these limits
	// set them again.
	cfg.MaxConnsPerAddr = 0
	cfg.NewConnsPerMinute = 0
	// Each join and leave told at once, so tests can wait for its line;
	// presence_test.go tests the default's batching.
	cfg.AnnounceWindow = 0
	// History in memory: the tests of the store (store_test.go) give a
	// data directory.
	cfg.DataDir = ""
	if edit != nil {
		edit(&cfg)
	}
	srv, ln := newListening(t, cfg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &testServer{Server: srv, addr: ln.Addr().String(), logs: logs}
}

// noFloodLimit lifts the message budget, for tests that send at machine
// speed on purpose.
func noFloodLimit(c *Config) {
	c.MsgRate = 1e6
	c.MsgBurst = 1e6
}

// syncBuffer is a bytes.Buffer safe for concurrent use, for server logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// client is a user connected with golang.org/x/crypto/ssh.
type client struct {
	t       testing.TB
	name    string
	conn    *gossh.Client
	raw     net.Conn
	sess    *gossh.Session
	stdin   io.WriteCloser
	out     *transcript
	waitErr chan error
}

type clientOpts struct {
	pty     bool
	width   int
	env     map[string]string
	signers []gossh.Signer           // public keys to offer, in order
	auth    []gossh.AuthMethod       // the client's methods, in place of signers or keyboard-interactive
	noRead  bool                     // never read the session's output (a stuck client)
	dial    func() (net.Conn, error) // custom transport (a proxy that can freeze)
	command string                   // run a command instead of a shell
	unowned bool                     // the test closes the client itself (no cleanup holds it)
}

// connect joins as user; it does not wait for the welcome.
func connect(t testing.TB, addr, user string, o clientOpts) *client {
	t.Helper()
	auth := []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
		return nil, nil
	})}
	if o.signers != nil {
		auth = []gossh.AuthMethod{gossh.PublicKeys(o.signers...)}
	}
	if o.auth != nil {
		auth = o.auth
	}
	cfg := &gossh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         waitFor,
	}
	var raw net.Conn
	var err error
	if o.dial != nil {
		raw, err = o.dial()
	} else {
		raw, err = net.DialTimeout("tcp", addr, waitFor)
	}
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c, chans, reqs, err := gossh.NewClientConn(raw, addr, cfg)
	if err != nil {
		t.Fatalf("ssh handshake as %q: %v", user, err)
	}
	conn := gossh.NewClient(c, chans, reqs)
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	for k, v := range o.env {
		if err := sess.Setenv(k, v); err != nil {
			t.Fatalf("setenv %s: %v", k, err)
		}
	}
	cl := &client{t: t, name: user, conn: conn, raw: raw, sess: sess, out: newTranscript(), waitErr: make(chan error, 1)}
	cl.stdin, _ = sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	sess.Stderr = cl.out
	if o.pty {
		w := o.width
		if w == 0 {
			w = 80
		}
		if err := sess.RequestPty("xterm", 24, w, gossh.TerminalModes{}); err != nil {
			t.Fatalf("pty: %v", err)
		}
	}
	if o.command != "" {
		err = sess.Start(o.command)
	} else {
		err = sess.Shell()
	}
	if err != nil {
		t.Fatalf("shell: %v", err)
	}
	if !o.noRead {
		go func() { _, _ = io.Copy(cl.out, stdout); cl.out.close() }() // ends when the session's output ends
	}
	go func() { cl.waitErr <- sess.Wait() }() // ends when the session ends
	if !o.unowned {
		t.Cleanup(func() { _ = conn.Close() })
	}
	return cl
}

// join connects and waits for the welcome line.
func join(t testing.TB, srv *testServer, user string) *client {
	t.Helper()
	c := connect(t, srv.addr, user, clientOpts{})
	c.expect("Welcome, " + user + "!")
	return c
}

func (c *client) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		c.t.Fatalf("%s: send %q: %v", c.name, line, err)
	}
}

// expect waits for a line containing want, after what earlier expects
// consumed, and returns it.
func (c *client) expect(want string) string {
	c.t.Helper()
	line, ok := c.out.waitLine(func(l string) bool { return strings.Contains(l, want) }, waitFor)
	if !ok {
		c.t.Fatalf("%s: no line containing %q within %v; got:\n%s", c.name, want, waitFor, c.out.tail())
	}
	return line
}

// expectEnd waits for the session to end and returns its exit error.
func (c *client) expectEnd() error {
	c.t.Helper()
	select {
	case err := <-c.waitErr:
		return err
	case <-time.After(waitFor):
		c.t.Fatalf("%s: session did not end within %v; got:\n%s", c.name, waitFor, c.out.tail())
		return nil
	}
}

// transcript collects a client's output and lets tests wait for lines.
type transcript struct {
	mu     sync.Mutex
	buf    []byte
	next   int // offset of the first line not yet consumed by waitLine
	closed bool
	change chan struct{} // closed and replaced on every write
}

func newTranscript() *transcript { return &transcript{change: make(chan struct{})} }

func (tr *transcript) Write(p []byte) (int, error) {
	tr.mu.Lock()
	tr.buf = append(tr.buf, p...)
	close(tr.change)
	tr.change = make(chan struct{})
	tr.mu.Unlock()
	return len(p), nil
}

func (tr *transcript) close() {
	tr.mu.Lock()
	tr.closed = true
	close(tr.change)
	tr.change = make(chan struct{})
	tr.mu.Unlock()
}

// ended reports whether the session's output has ended.
func (tr *transcript) ended() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.closed
}

func (tr *transcript) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return string(tr.buf)
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// plain removes our own escape codes and carriage returns, for matching.
func plain(s string) string { return strings.ReplaceAll(ansi.ReplaceAllString(s, ""), "\r", "") }

// waitLine waits for a complete line after the consumed part that
// satisfies match, consumes through it and returns it (escape codes removed).
func (tr *transcript) waitLine(match func(string) bool, d time.Duration) (string, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		tr.mu.Lock()
		for {
			i := bytes.IndexByte(tr.buf[tr.next:], '\n')
			if i < 0 {
				break
			}
			line := plain(string(tr.buf[tr.next : tr.next+i]))
			tr.next += i + 1
			if match(line) {
				tr.mu.Unlock()
				return line, true
			}
		}
		change, closed := tr.change, tr.closed
		tr.mu.Unlock()
		if closed {
			return "", false
		}
		select {
		case <-change:
		case <-deadline.C:
			return "", false
		}
	}
}

// tail is the last lines of the transcript, long lines cut, for failure
// messages that stay readable.
func (tr *transcript) tail() string {
	ls := strings.Split(plain(tr.String()), "\n")
	if len(ls) > 40 {
		ls = append([]string{"…"}, ls[len(ls)-40:]...)
	}
	for i, l := range ls {
		if len(l) > 160 {
			ls[i] = l[:160] + "…"
		}
	}
	return strings.Join(ls, "\n")
}

// lines returns every complete line so far, escape codes removed.
func (tr *transcript) lines() []string {
	s := plain(tr.String())
	ls := strings.Split(s, "\n")
	return ls[:len(ls)-1]
}

// waitUntil polls cond until it holds or the deadline passes. For state
// with no line to wait for (goroutine counts, server-side membership).
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// newTestRoom is a lobby on an in-memory log, following it as a server
// does, for tests that drive a room directly.
func newTestRoom(window time.Duration, now func() time.Time) *room {
	log := chatlog.NewMemory(100, now)
	r := newRoom(defaultLobby, log, newRegistry(), new(atomic.Uint64), window, now)
	_, _ = log.Follow(func(e chatlog.Entry) { r.deliver(e) })
	return r
}

// bareMember is a member with no session behind it, for tests that drive
// the room directly: its outbox holds up to outboxBytes and no writer ever
// takes from it, and the room may always drop it.
func bareMember(name string, outboxBytes int) *member {
	return &member{name: name, key: name, out: newOutbox(outboxBytes, func() {}), drop: func(leaveReason) bool { return true }}
}
