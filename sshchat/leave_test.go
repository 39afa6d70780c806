package sshchat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// RF6, RF8: a user whose connection drops is announced as having lost the
// connection, and the server logs the read error.
func TestDroppedConnectionIsAnnounced(t *testing.T) {
	srv := startServer(t, nil)
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	alice.expect("bob joined")
	_ = bob.raw.Close() // TCP gone, no SSH goodbye
	alice.expect("* bob lost the connection (1 online)")
	waitUntil(t, "the read error in the log", func() bool {
		return strings.Contains(srv.logs.String(), "read failed: connection lost") &&
			strings.Contains(srv.logs.String(), "user=bob")
	})
}

// RF6, RF7: a client that stops answering (no FIN, no RST: a dead laptop,
// a dropped route) is found by keepalives and announced as timed out.
func TestUnansweredKeepalivesTimeOut(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.KeepAlive = 100 * time.Millisecond
		// Alice answers too: a second leaves room for a busy machine.
		c.KeepAliveTimeout = time.Second
	})
	alice := join(t, srv, "alice")
	var fc *freezableConn
	bob := connect(t, srv.addr, "bob", clientOpts{dial: func() (net.Conn, error) {
		c, err := net.Dial("tcp", srv.addr)
		fc = &freezableConn{Conn: c, thaw: make(chan struct{})}
		return fc, err
	}})
	bob.expect("Welcome, bob!")
	alice.expect("bob joined")
	fc.freeze()
	alice.expect("* bob timed out: no answer from their client (1 online)")
	// Meanwhile alice, who answers, stays connected.
	alice.send("still here")
	alice.send("/who")
	alice.expect("* 1 online in #lobby: alice")
}

// A connection that closes while a keepalive awaits its answer was lost,
// not timed out: the room is told so, whichever notices first.
func TestConnectionLostDuringKeepalive(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.KeepAlive = 50 * time.Millisecond
		c.KeepAliveTimeout = time.Hour
	})
	alice := join(t, srv, "alice")
	var fc *freezableConn
	bob := connect(t, srv.addr, "bob", clientOpts{dial: func() (net.Conn, error) {
		c, err := net.Dial("tcp", srv.addr)
		fc = &freezableConn{Conn: c, thaw: make(chan struct{}), heard: make(chan struct{})}
		return fc, err
	}})
	bob.expect("Welcome, bob!")
	alice.expect("bob joined")
	fc.freeze()
	select { // the keepalive reached bob, who will never answer it
	case <-fc.heard:
	case <-time.After(waitFor):
		t.Fatal("no keepalive sent")
	}
	_ = fc.Close()
	alice.expect("* bob lost the connection (1 online)")
}

// freezableConn stops a client's transport dead: reads block, writes
// vanish, as when the peer's machine is gone.
type freezableConn struct {
	net.Conn
	once      sync.Once
	mu        sync.Mutex
	cold      bool
	thaw      chan struct{} // closed when the conn is closed
	heard     chan struct{} // if set, closed when bytes arrive while frozen
	heardOnce sync.Once
}

func (f *freezableConn) freeze() {
	f.mu.Lock()
	f.cold = true
	f.mu.Unlock()
}

func (f *freezableConn) frozen() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cold
}

func (f *freezableConn) Read(p []byte) (int, error) {
	n, err := f.Conn.Read(p)
	if f.frozen() {
		if f.heard != nil && n > 0 {
			f.heardOnce.Do(func() { close(f.heard) })
		}
		<-f.thaw
		return 0, net.ErrClosed
	}
	return n, err
}

func (f *freezableConn) Write(p []byte) (int, error) {
	if f.frozen() {
		return len(p), nil
	}
	return f.Conn.Write(p)
}

func (f *freezableConn) Close() error {
	f.once.Do(func() { close(f.thaw) })
	return f.Conn.Close()
}

// A user who types nothing for longer than the idle limit is told why and
// disconnected, even while the room is busy (output must not count as
// activity), and the room is told.
func TestIdleUserIsDisconnected(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		noFloodLimit(c)
		c.IdleTimeout = 300 * time.Millisecond
	})
	idle := join(t, srv, "idle")
	busy := join(t, srv, "busy")
	stop := make(chan struct{})
	defer close(stop)
	go func() { // keep the room busy, so the idle user receives output
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				_, _ = busy.stdin.Write([]byte("chatter\n"))
			}
		}
	}()
	idle.expect("! Disconnected: no input for 300ms.")
	busy.expect("* idle was disconnected for being idle")
	if err := idle.expectEnd(); err != nil {
		t.Errorf("idle session ended with %v", err)
	}
}

// RF7: a planned shutdown sends every user a last line before closing,
// including a user still choosing a name.
func TestShutdownSendsLastLine(t *testing.T) {
	srv := startServer(t, nil)
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	naming := connect(t, srv.addr, "exit", clientOpts{})
	naming.expect("is the name of a command")
	alice.expect("bob joined")

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	for _, c := range []*client{alice, bob, naming} {
		c.expect("The server is shutting down. Goodbye!")
		c.expectEnd()
	}
	if strings.Contains(alice.out.String(), "bob left") {
		t.Error("shutdown announced departures one by one")
	}
}

// A user who stops reading cannot slow the room: the others get every
// message while the stuck one's SSH window and outbox fill, and then the
// stuck one is disconnected with a reason the room is told.
func TestStuckReaderDoesNotDelayOthers(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	stuck := connect(t, srv.addr, "stuck", clientOpts{noRead: true})
	watcher := join(t, srv, "watcher")
	senders := []*client{join(t, srv, "s1"), join(t, srv, "s2")}
	watcher.expect("s2 joined")
	_ = stuck

	// Past the client's 2 MiB SSH window plus the server's outbox cap,
	// so that back-pressure really reaches the server. Senders go in
	// rounds, as people do: a burst of lines, then the next once the
	// watcher has them. (A flood faster than any reader can take is the
	// flood limit's job, tested on its own.)
	line := strings.Repeat("x", 900)
	const rounds, perRound = 40, 40 // 2 senders x 40 x 40 x ~910 bytes ≈ 2.9 MB
	var worst time.Duration
	for r := range rounds {
		t0 := time.Now()
		for _, s := range senders {
			go func() {
				for range perRound {
					_, _ = s.stdin.Write([]byte(line + "\n"))
				}
			}()
		}
		for i := range 2 * perRound {
			if _, ok := watcher.out.waitLine(func(l string) bool { return strings.HasSuffix(l, line) }, waitFor); !ok {
				t.Fatalf("round %d: watcher got %d of %d messages", r, i, 2*perRound)
			}
		}
		worst = max(worst, time.Since(t0))
	}
	// A room held up by the stuck writer would never finish a round; how
	// fast rounds go on this shared machine is the benchmarks' business.
	t.Logf("slowest round of %d messages reached the watcher in %v", 2*perRound, worst)
	if !strings.Contains(watcher.out.String(), "* stuck was disconnected: too slow to receive messages") {
		t.Errorf("the room was not told the stuck user was cut off:\n%s", watcher.out.tail())
	}
}

// RF6: a session's goroutines all end when users leave, however they
// leave.
func TestNoGoroutinesLeftAfterUsersLeave(t *testing.T) {
	srv := startServer(t, nil)
	probe := join(t, srv, "probe")
	base := runtime.NumGoroutine()
	for round := range 3 {
		var cs []*client
		for i := range 10 {
			cs = append(cs, join(t, srv, "u"+string(rune('a'+round))+string(rune('a'+i))))
		}
		for i, c := range cs {
			switch i % 3 {
			case 0:
				c.send("/quit")
			case 1:
				_ = c.raw.Close()
			case 2:
				_ = c.stdin.Close() // end of input
			}
		}
		for range cs {
			probe.out.waitLine(func(l string) bool { return strings.Contains(l, "left") || strings.Contains(l, "lost") }, waitFor)
		}
		for _, c := range cs {
			_ = c.conn.Close()
		}
	}
	waitUntil(t, "goroutines back to the baseline", func() bool { return runtime.NumGoroutine() <= base })
}

// A client that stops reading while a hundred others post 1 KB lines, far
// past its SSH window, costs the server a bounded outbox: every other user
// still gets every message, and the stuck one is cut off with a reason.
//
// Each round waits for every reader, not the watcher alone: the clients
// share this process's CPU with the server, and a reader left to fall
// rounds behind (2 MiB of window and the outbox) is rightly cut off too.
func TestStuckReaderAmongHundredPosters(t *testing.T) {
	if testing.Short() {
		t.Skip("a hundred SSH connections")
	}
	srv := startServer(t, func(c *Config) { c.MsgRate, c.MsgBurst = 100, 100 })
	stuck := connect(t, srv.addr, "stuck", clientOpts{noRead: true})
	watcher := join(t, srv, "watcher")
	posters := make([]*client, 100)
	for i := range posters {
		posters[i] = connect(t, srv.addr, fmt.Sprintf("p%d", i), clientOpts{})
	}
	for _, p := range posters {
		p.expect("Welcome")
	}
	_ = stuck
	line := strings.Repeat("k", 1000)
	const rounds = 30 // 100 x 30 x ~1 KB ≈ 3 MB, past the 2 MiB window and the outbox
	watched := &lineCounter{tr: watcher.out, suffix: []byte(": " + line)}
	counted := make([]*lineCounter, len(posters))
	for i, p := range posters {
		counted[i] = &lineCounter{tr: p.out, suffix: watched.suffix}
	}
	var worst time.Duration
	for r := range rounds {
		t0 := time.Now()
		for _, p := range posters {
			_, _ = p.stdin.Write([]byte(line + "\n"))
		}
		want := (r + 1) * len(posters)
		if !watched.wait(want, waitFor) {
			// Late or lost: what comes in a while longer tells.
			got := watched.n
			watched.wait(want, 2*waitFor)
			t.Fatalf("round %d: watcher got %d of %d within %v, %d more later; missing from: %v",
				r, got-r*len(posters), len(posters), waitFor, watched.n-got, watched.missing(posters))
		}
		worst = max(worst, time.Since(t0))
		for i, c := range counted {
			// A poster is not shown its own line (no terminal): 99 a round.
			if !c.wait((r+1)*(len(posters)-1), waitFor) {
				t.Fatalf("round %d: %s is %d lines behind", r, posters[i].name, (r+1)*(len(posters)-1)-c.n)
			}
		}
	}
	t.Logf("slowest round of 100 x 1 KB lines reached the watcher in %v", worst)
	waitUntil(t, "the stuck user to be cut off and the room told", func() bool {
		return strings.Contains(watcher.out.String(), "* stuck was disconnected: too slow to receive messages")
	})
	if n := strings.Count(srv.logs.String(), `reason="slow consumer"`); n != 1 {
		t.Errorf("%d users cut off as too slow, want the stuck one alone", n)
	}
}

// lineCounter counts, as they arrive, a client's lines that end in
// suffix, and who said them: cheaper than waitLine for thousands of
// lines.
type lineCounter struct {
	tr     *transcript
	suffix []byte
	off, n int
	from   map[string]int
}

// wait waits until n such lines have come, and reports whether they did.
func (c *lineCounter) wait(n int, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		c.tr.mu.Lock()
		for {
			i := bytes.IndexByte(c.tr.buf[c.off:], '\n')
			if i < 0 {
				break
			}
			l := bytes.TrimSuffix(c.tr.buf[c.off:c.off+i], []byte("\r"))
			c.off += i + 1
			if who, ok := bytes.CutSuffix(l, c.suffix); ok {
				c.n++
				if c.from == nil {
					c.from = map[string]int{}
				}
				c.from[string(who)]++
			}
		}
		change := c.tr.change
		c.tr.mu.Unlock()
		if c.n >= n {
			return true
		}
		select {
		case <-change:
		case <-deadline.C:
			return false
		}
	}
}

// missing names the clients of whom fewer lines came than of the most.
func (c *lineCounter) missing(from []*client) []string {
	most := 0
	for _, n := range c.from {
		most = max(most, n)
	}
	var names []string
	for _, p := range from {
		if c.from[p.name] < most {
			names = append(names, p.name)
		}
	}
	return names
}

// Close before Serve has started leaves nothing blocked: a signal during
// start-up must still stop the process.
func TestCloseBeforeServe(t *testing.T) {
	cfg := DefaultConfig()
	cfg.KeyDir = t.TempDir()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_ = srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after Close = %v, want nil", err)
		}
	case <-time.After(waitFor):
		t.Fatal("Serve after Close is still running")
	}
}

// Close on a serving server reports no error: its listener was closed
// once, by the server, and the SSH library's second close of it, while
// Serve is still returning, is no failure.
func TestCloseWhileServingReportsNoError(t *testing.T) {
	for i := range 30 {
		cfg := DefaultConfig()
		cfg.KeyDir, cfg.DataDir = t.TempDir(), ""
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		srv, ln := newListening(t, cfg)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }() // ends with Close
		// A client is connecting as the server closes.
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("server %d: Close = %v, want nil", i, err)
		}
		_ = c.Close()
		if err := <-served; err != nil {
			t.Errorf("server %d: Serve = %v, want nil", i, err)
		}
	}
}

// A user whose name is being checked when the server shuts down still
// gets the notice, and Shutdown does not wait for its deadline on them:
// the notice and the user's own reader must not wait on each other.
func TestShutdownWhileJoining(t *testing.T) {
	srv := startServer(t, nil)
	inJoin, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	joinHook = func() { once.Do(func() { close(inJoin); <-release }) }
	t.Cleanup(func() { joinHook = nil })
	c := connect(t, srv.addr, "alice", clientOpts{pty: true})
	<-inJoin

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }() // ends when every session has
	waitUntil(t, "the room to close", func() bool {
		srv.rooms.lobby.mu.Lock()
		defer srv.rooms.lobby.mu.Unlock()
		return srv.rooms.lobby.closed
	})
	waitUntil(t, "the shutdown notice to be claimed for the user", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		for s := range srv.sessions {
			if s.noticed.Load() {
				return true
			}
		}
		return false
	})
	close(release) // the user's reader now finds the room closed
	c.expect("The server is shutting down. Goodbye!")
	c.expectEnd()
	if err := <-shut; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}
