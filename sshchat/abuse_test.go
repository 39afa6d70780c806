package sshchat

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// manualClock is a Config.Now that tests move by hand.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// refusal dials and returns the line the server sends before closing, or
// "" when the server starts SSH instead.
func refusal(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	line, _ := bufio.NewReader(c).ReadString('\n')
	if strings.HasPrefix(line, "SSH-") {
		return ""
	}
	return line
}

// Over the per-address cap, a new client is refused with a reason in one
// line; existing users go on; once one leaves, a newcomer gets in.
func TestConnectionCapPerAddress(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.MaxConnsPerAddr = 2 })
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	if got := refusal(t, srv.addr); !strings.Contains(got, "too many connections from your address") ||
		!strings.Contains(got, "conexões demais") {
		t.Fatalf("third connection got %q", got)
	}
	alice.send("still fine")
	bob.expect("alice: still fine")
	bob.send("/quit")
	alice.expect("bob left")
	bob.expectEnd()
	_ = bob.conn.Close()
	waitUntil(t, "bob's slot to be released", func() bool { total, _ := srv.limits.Live(); return total == 1 })
	join(t, srv, "carol")
}

// A burst of new connections from one address is throttled, but only for
// the window: afterwards a first-time user from that address gets in.
func TestConnectionThrottleEnds(t *testing.T) {
	clock := &manualClock{t: time.Unix(1e9, 0)}
	srv := startServer(t, func(c *Config) {
		c.NewConnsPerMinute = 3
		c.Now = clock.now
	})
	for range 3 {
		if got := refusal(t, srv.addr); got != "" {
			t.Fatalf("within the budget: %q", got)
		}
	}
	if got := refusal(t, srv.addr); !strings.Contains(got, "wait a minute") {
		t.Fatalf("fourth connection got %q", got)
	}
	clock.advance(time.Minute)
	join(t, srv, "newcomer")
}

// A connection that never completes the handshake, or stalls during
// authentication, or never asks for a shell, is closed in bounded time.
func TestStalledConnectionsClosed(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.HandshakeTimeout = 300 * time.Millisecond })

	closedWithin := func(what string, c net.Conn) {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(waitFor))
		start := time.Now()
		_, err := io.Copy(io.Discard, c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%s: still open after %v", what, waitFor)
		}
		t.Logf("%s: closed after %v", what, time.Since(start).Round(time.Millisecond))
	}

	silent, _ := net.Dial("tcp", srv.addr) // says nothing at all
	defer silent.Close()
	closedWithin("silent TCP", silent)

	versionOnly, _ := net.Dial("tcp", srv.addr) // stops after the version line
	defer versionOnly.Close()
	_, _ = io.WriteString(versionOnly, "SSH-2.0-stall\r\n")
	closedWithin("stalled handshake", versionOnly)

	// Authenticated, but no session (ssh -N).
	raw, _ := net.Dial("tcp", srv.addr)
	defer raw.Close()
	conn, _, _, err := gossh.NewClientConn(raw, srv.addr, &gossh.ClientConfig{
		User: "lurker",
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			return nil, nil
		})},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- conn.Wait() }()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Error("a connection without a shell stayed open")
	}
}

// A flooder is told to slow down, then cut off, and the room told; the
// other users' messages go on arriving promptly meanwhile.
func TestFlooderIsCutOffOthersUnaffected(t *testing.T) {
	srv := startServer(t, nil)
	flooder := join(t, srv, "flooder")
	bystander := join(t, srv, "bystander")
	listener := join(t, srv, "listener")
	bystander.expect("listener joined")

	go func() {
		for i := 0; i < 5000; i++ {
			if _, err := io.WriteString(flooder.stdin, "spam spam spam spam\n"); err != nil {
				return
			}
		}
	}()
	flooder.expect("! Slow down")
	bystander.send("hello through the flood")
	start := time.Now()
	// A flood that held the room up would hold this past expect's wait;
	// how fast it comes on this shared machine is the benchmarks' business.
	listener.expect("bystander: hello through the flood")
	t.Logf("the bystander's message came through the flood in %v", time.Since(start))
	waitUntil(t, "the room to be told of the flooder", func() bool {
		return strings.Contains(listener.out.String(), "* flooder was disconnected for flooding")
	})
	flooder.expect("! Disconnected for flooding.")
	if n := strings.Count(listener.out.String(), "flooder: spam"); n > srv.cfg.MsgBurst+2 {
		t.Errorf("the room got %d spam lines; the burst is %d", n, srv.cfg.MsgBurst)
	}
}

// A bracketed paste of many lines is one message for the flood limit:
// every line arrives, and nobody is told to slow down.
func TestPasteIsNotAFlood(t *testing.T) {
	srv := startServer(t, nil)
	paster := connect(t, srv.addr, "paster", clientOpts{pty: true})
	paster.expect("Welcome, paster!")
	reader := join(t, srv, "reader")
	paster.expect("reader joined")

	var paste strings.Builder
	paste.WriteString("\x1b[200~")
	for i := range 30 {
		paste.WriteString("line " + string(rune('A'+i%26)) + strings.Repeat("-", i) + "\r")
	}
	paste.WriteString("\x1b[201~")
	if _, err := io.WriteString(paster.stdin, paste.String()); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		reader.expect("paster: line " + string(rune('A'+i%26)) + strings.Repeat("-", i))
	}
	if strings.Contains(paster.out.String(), "Slow down") {
		t.Error("a paste was treated as a flood")
	}
}

// A 10 MiB paste without a newline, or a 1 MiB line on a plain session,
// is refused with a clear line and the session goes on.
func TestHugeInputRefusedSessionGoesOn(t *testing.T) {
	srv := startServer(t, nil)
	tty := connect(t, srv.addr, "tty", clientOpts{pty: true})
	tty.expect("Welcome, tty!")
	pipe := join(t, srv, "pipe")
	tty.expect("pipe joined")

	chunk := strings.Repeat("a", 64<<10)
	for range 160 { // 10 MiB
		if _, err := io.WriteString(tty.stdin, chunk); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = io.WriteString(tty.stdin, "\r")
	tty.expect("! Message too long")
	_, _ = io.WriteString(tty.stdin, "after the paste\r")
	pipe.expect("tty: after the paste")

	_, _ = io.WriteString(pipe.stdin, strings.Repeat("b", 1<<20)+"\n")
	pipe.expect("! Message too long")
	pipe.send("after the line")
	tty.expect("pipe: after the line")
}

// Absurd window sizes, at the start and on resize, cannot hurt the server:
// the session goes on working and renders sensibly.
func TestAbsurdWindowSizes(t *testing.T) {
	srv := startServer(t, nil)
	for _, w := range []int{0, 1, 65535, 1 << 30} {
		c := connect(t, srv.addr, "w"+strings.Repeat("x", len(strings.TrimLeft(string(rune('a'+w%26)), ""))), clientOpts{pty: true, width: w})
		c.expect("Welcome")
		for _, size := range [][2]int{{0, 0}, {1 << 30, 1 << 30}, {65535, 65535}, {1, 1}} {
			if err := c.sess.WindowChange(size[0], size[1]); err != nil {
				t.Fatalf("window change: %v", err)
			}
		}
		c.send("/who")
		c.expect("online")
		c.send("/quit")
		c.expectEnd()
	}
}

// /whois shows the key that authenticated, not one that was only offered.
// OpenSSH offers a passphrase-protected key by its public half; the server
// accepts the offer; in batch mode the client cannot unlock it, so it
// authenticates with its second key instead. Without a key, /whois says so.
func TestWhoisShowsTheKeyThatAuthenticated(t *testing.T) {
	requireOpenSSH(t)
	srv := startServer(t, nil)
	dir := t.TempDir()
	offered, authed := filepath.Join(dir, "offered"), filepath.Join(dir, "authed")
	for key, pass := range map[string]string{offered: "secret", authed: ""} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", pass, "-C", "", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	_, port, _ := net.SplitHostPort(srv.addr)
	cmd := exec.Command("ssh", "-T", "-F", "/dev/null", "-v", "-p", port,
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-i", offered, "-i", authed,
		"keyed@127.0.0.1")
	cmd.Stdin = strings.NewReader("/whois keyed\n/quem keyed\n")
	out, _ := cmd.CombinedOutput()
	offeredFP, authedFP := fingerprintOf(t, offered), fingerprintOf(t, authed)
	if !strings.Contains(string(out), "Server accepts key: "+offered) {
		t.Fatalf("the client never offered the first key; output:\n%s", out)
	}
	if !strings.Contains(string(out), "* keyed: key "+authedFP) {
		t.Errorf("whois does not show the authenticated key %s; output:\n%s", authedFP, out)
	}
	if strings.Contains(string(out), "key "+offeredFP) {
		t.Errorf("whois shows the key that was only offered (%s)", offeredFP)
	}

	anon := join(t, srv, "anon")
	anon.send("/whois anon")
	anon.expect("* anon: key none (joined without a key)")
}

func fingerprintOf(t *testing.T, keyFile string) string {
	data, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pk, _, _, _, err := gossh.ParseAuthorizedKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return gossh.FingerprintSHA256(pk)
}

// requireOpenSSH skips a test when the OpenSSH client is missing; CI has it.
func requireOpenSSH(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
}

// A panic while handling one user's line ends only that session; it is
// logged with a stack and the room is told.
func TestPanicEndsOnlyThatSession(t *testing.T) {
	srv := startServer(t, nil)
	testHook = func(line string) {
		if line == "boom" {
			panic("injected failure")
		}
	}
	t.Cleanup(func() { testHook = nil })
	victim := join(t, srv, "victim")
	other := join(t, srv, "other")
	victim.expect("other joined")
	victim.send("boom")
	other.expect("* victim was disconnected by a server error")
	victim.expectEnd()
	other.send("/who")
	other.expect("* 1 online in #lobby: other")
	waitUntil(t, "the panic in the log", func() bool {
		l := srv.logs.String()
		return strings.Contains(l, "injected failure") && strings.Contains(l, "goroutine")
	})
}

// Subsystems such as sftp are refused.
func TestSubsystemRefused(t *testing.T) {
	srv := startServer(t, nil)
	c := dialOnly(t, srv.addr, "sftp-user")
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestSubsystem("sftp"); err == nil {
		t.Error("sftp subsystem accepted")
	}
}

// A client at the name prompt that types but never reads fills its SSH
// window with echo. Neither the prompt's time limit nor a shutdown may
// then wait on it for ever.
func TestStuckClientAtPromptCannotHoldTheServer(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.LoginTimeout = 500 * time.Millisecond })
	typeForever := func(c *client) {
		junk := strings.Repeat("a\x7f", 4096) // echoed, never read
		for {
			if _, err := io.WriteString(c.stdin, junk); err != nil {
				return
			}
		}
	}
	go typeForever(connect(t, srv.addr, "help", clientOpts{pty: true, noRead: true}))
	waitUntil(t, "the prompt's time limit to end the stuck session", func() bool {
		total, _ := srv.limits.Live()
		return total == 0
	})

	srv2 := startServer(t, nil)
	go typeForever(connect(t, srv2.addr, "help", clientOpts{pty: true, noRead: true}))
	waitUntil(t, "the session to be tracked", func() bool {
		srv2.mu.Lock()
		defer srv2.mu.Unlock()
		return len(srv2.sessions) == 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv2.Shutdown(ctx) }()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Shutdown with a 1 s deadline is still blocked")
	}
}

// A client that vanishes (no FIN, no answer) at the name prompt or while
// idle gives its connection back once the limit's farewell is sent.
func TestFrozenClientsGiveBackTheirConnection(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.LoginTimeout = 300 * time.Millisecond
		c.IdleTimeout = 300 * time.Millisecond
		c.KeepAlive = 0 // only the limits under test may end these sessions
		c.FlushTimeout = 300 * time.Millisecond
	})
	frozen := func(user string) *freezableConn {
		var fc *freezableConn
		c := connect(t, srv.addr, user, clientOpts{dial: func() (net.Conn, error) {
			conn, err := net.Dial("tcp", srv.addr)
			fc = &freezableConn{Conn: conn, thaw: make(chan struct{})}
			return fc, err
		}})
		if user == "help" {
			c.expect("is the name of a command")
		} else {
			c.expect("Welcome")
		}
		return fc
	}
	frozen("help").freeze()  // at the prompt
	frozen("idler").freeze() // joined, then idle
	waitUntil(t, "both connections to be closed", func() bool {
		total, _ := srv.limits.Live()
		return total == 0
	})
}
