package sshchat

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These tests drive the real OpenSSH client inside tmux, so they see what a
// person sees: the screen after the terminal has interpreted every byte
// (prompt redraws, erased echoes, cursor moves). They assert on captured
// screens only.

const (
	tmuxWidth  = 100
	tmuxHeight = 30
)

// tmuxServer is a private tmux server (its own socket, no config file)
// holding one session per user; it is killed when the test ends.
type tmuxServer struct {
	t      testing.TB
	socket string
	env    []string
}

var (
	unsafeSocketChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)
	tmuxServers       atomic.Int64 // numbers the sockets of repeated runs (-count)
)

// newTmux skips the test when tmux or ssh is missing, else returns a tmux
// server with a socket name unique to this test, process and run. Call it
// before startServer: a test that ends before the server's Serve has
// started listening hangs in the server's cleanup.
func newTmux(t testing.TB) *tmuxServer {
	t.Helper()
	for _, bin := range []string{"tmux", "ssh"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not on PATH: %v", bin, err)
		}
	}
	name := unsafeSocketChars.ReplaceAllString(t.Name(), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	// The environment of the tmux server, and so of ssh: a known shell for
	// the pane commands, not nested in a tmux the tests may run in, and a
	// UTF-8 locale so that tmux stores "→" as one character.
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "TMUX", "TMUX_PANE", "SHELL", "LC_ALL", "LC_CTYPE", "LANG", "LANGUAGE", "LC_MESSAGES":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "SHELL=/bin/sh", "LC_CTYPE=C.UTF-8")
	tm := &tmuxServer{t: t, socket: fmt.Sprintf("sshchat-%s-%d-%d", name, os.Getpid(), tmuxServers.Add(1)), env: env}
	t.Cleanup(func() {
		// Fails harmlessly when no session was ever started.
		_, _ = tm.run("kill-server")
	})
	return tm
}

// run runs one tmux command against this server.
func (tm *tmuxServer) run(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-L", tm.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = tm.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (tm *tmuxServer) must(args ...string) string {
	tm.t.Helper()
	out, err := tm.run(args...)
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// pane is one user's terminal: a tmux session running ssh.
type pane struct {
	tm   *tmuxServer
	name string // the tmux session's name, also the SSH user name
}

// sshCommand is the shell command a pane runs: OpenSSH with no user
// configuration or keys (the server asks no questions), then a marker with
// its exit status, then a wait so the pane and its last screen stay.
func sshCommand(addr, user string, env map[string]string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		panic(err)
	}
	var b strings.Builder
	if len(env) > 0 {
		b.WriteString("env")
		for k, v := range env {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
		b.WriteString(" ")
	}
	b.WriteString("ssh -tt -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null" +
		" -o LogLevel=ERROR -o PubkeyAuthentication=no -o PasswordAuthentication=no")
	for k := range env {
		fmt.Fprintf(&b, " -o SendEnv=%s", k)
	}
	fmt.Fprintf(&b, " -p %s %s@%s; echo SSH-EXITED-$?; exec sleep 3600", port, user, host)
	return b.String()
}

// open starts ssh as user in a new pane; it does not wait for the welcome.
func (tm *tmuxServer) open(srv *testServer, user string, env map[string]string) *pane {
	tm.t.Helper()
	tm.must("new-session", "-d", "-s", user, "-x", fmt.Sprint(tmuxWidth), "-y", fmt.Sprint(tmuxHeight),
		sshCommand(srv.addr, user, env))
	return &pane{tm: tm, name: user}
}

// join opens a pane as user and waits for the English welcome.
func (tm *tmuxServer) join(srv *testServer, user string) *pane {
	tm.t.Helper()
	p := tm.open(srv, user, nil)
	p.waitScreen("Welcome, " + user + "!")
	return p
}

// screen is the visible pane, one line per row, trailing spaces removed.
func (p *pane) screen() string {
	p.tm.t.Helper()
	return p.tm.must("capture-pane", "-p", "-t", p.name+":")
}

// typeText types text literally, without Enter.
func (p *pane) typeText(text string) {
	p.tm.t.Helper()
	p.tm.must("send-keys", "-t", p.name+":", "-l", text)
}

// key presses one named key, such as Enter or C-d.
func (p *pane) key(name string) {
	p.tm.t.Helper()
	p.tm.must("send-keys", "-t", p.name+":", name)
}

// line types text and presses Enter.
func (p *pane) line(text string) {
	p.tm.t.Helper()
	p.typeText(text)
	p.key("Enter")
}

// waitScreen waits until the screen contains want and returns the screen.
func (p *pane) waitScreen(want string) string {
	p.tm.t.Helper()
	return p.waitScreenFunc(fmt.Sprintf("%q", want), func(s string) bool { return strings.Contains(s, want) })
}

// waitScreenFunc polls the screen until ok holds for it, or fails after
// waitFor with the last screen captured.
func (p *pane) waitScreenFunc(what string, ok func(screen string) bool) string {
	p.tm.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		s := p.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.tm.t.Fatalf("%s: screen did not show %s within %v; screen:\n%s", p.name, what, waitFor, frame(s))
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// cursor is the cursor's column and row in the pane.
func (p *pane) cursor() (x, y int) {
	p.tm.t.Helper()
	out := p.tm.must("display-message", "-p", "-t", p.name+":", "#{cursor_x} #{cursor_y}")
	if _, err := fmt.Sscan(out, &x, &y); err != nil {
		p.tm.t.Fatalf("cursor position %q: %v", out, err)
	}
	return x, y
}

// lastLine is the screen's last non-empty row, and its index.
func lastLine(screen string) (string, int) {
	rows := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	for i := len(rows) - 1; i >= 0; i-- {
		if r := strings.TrimRight(rows[i], " "); r != "" {
			return r, i
		}
	}
	return "", -1
}

// frame shows a screen in a failure message, its edges visible.
func frame(screen string) string {
	rows := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	for i, r := range rows {
		rows[i] = fmt.Sprintf("%2d |%s", i, r)
	}
	return strings.Join(rows, "\n")
}

// The whole everyday session, as seen in two terminals: join, talk, a
// private message, the list of users, leaving.
func TestOpenSSHChatSession(t *testing.T) {
	tm := newTmux(t) // first: it may skip the test
	srv := startServer(t, nil)
	alice := tm.join(srv, "alice")
	bob := tm.join(srv, "bob")
	alice.waitScreen("* bob joined (2 online)")

	alice.line("hello bob")
	bob.waitScreen("alice: hello bob")
	s := alice.waitScreen("alice: hello bob")
	if n := strings.Count(s, "alice: hello bob"); n != 1 {
		t.Errorf("alice's screen shows her message %d times, want once:\n%s", n, frame(s))
	}
	if strings.Contains(s, "[alice] hello bob") {
		t.Errorf("alice's typed line was not erased:\n%s", frame(s))
	}
	if last, _ := lastLine(s); last != "[alice]" {
		t.Errorf("alice's last line is %q, want the empty prompt %q:\n%s", last, "[alice]", frame(s))
	}

	bob.line("/alice psst")
	alice.waitScreen("[private] bob → you: psst")
	bob.waitScreen("[private] you → alice: psst")

	alice.line("/clientes")
	alice.waitScreen("* 2 online in #lobby: alice, bob")

	bob.line("/sair")
	alice.waitScreen("* bob left (1 online)")
	bob.waitScreen("SSH-EXITED-0")
}

// A line arriving while the user is typing is drawn above the prompt; the
// half-typed line stays intact and editable at the bottom.
func TestOpenSSHMessageArrivesWhileTyping(t *testing.T) {
	tm := newTmux(t) // first: it may skip the test
	srv := startServer(t, nil)
	alice := tm.join(srv, "alice")
	bob := tm.join(srv, "bob")
	alice.waitScreen("* bob joined (2 online)")

	bob.typeText("half typ")
	bob.waitScreen("[bob] half typ") // the server has echoed it: it has the bytes

	alice.line("interrupting")
	s := bob.waitScreenFunc(`"alice: interrupting" above "[bob] half typ"`, func(s string) bool {
		last, _ := lastLine(s)
		return strings.Contains(s, "alice: interrupting") && last == "[bob] half typ"
	})
	_, lastRow := lastLine(s)
	msgRow := strings.Count(s[:strings.Index(s, "alice: interrupting")], "\n")
	if msgRow >= lastRow {
		t.Errorf("the message is on row %d, not above the prompt on row %d:\n%s", msgRow, lastRow, frame(s))
	}
	if x, y := bob.cursor(); x != len("[bob] half typ") || y != lastRow {
		t.Errorf("bob's cursor is at column %d row %d, want the end of the prompt line (%d, %d):\n%s",
			x, y, len("[bob] half typ"), lastRow, frame(s))
	}

	bob.line("ed")
	alice.waitScreen("bob: half typed")
	bob.waitScreen("bob: half typed")
}

// Ctrl-D on an empty line leaves the room; ssh ends cleanly.
func TestOpenSSHCtrlDLeaves(t *testing.T) {
	tm := newTmux(t) // first: it may skip the test
	srv := startServer(t, nil)
	alice := tm.join(srv, "alice")
	bob := tm.join(srv, "bob")
	alice.waitScreen("* bob joined (2 online)")

	bob.key("C-d")
	alice.waitScreen("* bob left (1 online)")
	screen := bob.waitScreen("SSH-EXITED-0")
	if strings.Contains(screen, "[bob]") {
		t.Errorf("the prompt is still on screen after leaving:\n%s", frame(screen))
	}
}

// A client whose locale is Portuguese, sent by ssh as LANG, is served in
// Portuguese.
func TestOpenSSHPortuguese(t *testing.T) {
	tm := newTmux(t) // first: it may skip the test
	srv := startServer(t, nil)
	maria := tm.open(srv, "maria", map[string]string{"LANG": "pt_BR.UTF-8"})
	maria.waitScreen("Bem-vindo(a), maria! 1 online.")
	maria.line("/ajuda")
	s := maria.waitScreen("/sair")
	if strings.Contains(s, "Welcome") {
		t.Errorf("English on a Portuguese screen:\n%s", frame(s))
	}
}
