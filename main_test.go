package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// The binary, killed with SIGKILL, keeps every message a client was shown:
// started again on the same data directory, it shows them as history.
func TestKilledServerKeepsHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "sshchat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, keys := t.TempDir(), t.TempDir()

	srv, addr := startBinary(t, bin, data, keys)
	alice := dialChat(t, addr, "alice")
	var shown []string
	for i := range 20 {
		msg := fmt.Sprintf("message %02d before the crash", i)
		fmt.Fprintf(alice.in, "%s\r", msg)
		alice.waitFor(t, "alice: "+msg)
		shown = append(shown, msg)
	}
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()

	_, addr = startBinary(t, bin, data, keys)
	bob := dialChat(t, addr, "bob")
	fmt.Fprintf(bob.in, "/history 100\r")
	for _, msg := range shown {
		bob.waitFor(t, "alice: "+msg)
	}
}

// startBinary runs the server on a free loopback port and returns once
// it listens.
func startBinary(t *testing.T, bin, data, keys string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-data", data, "-keys", keys, "-rate", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() { // ends when the server's stderr closes
		re := regexp.MustCompile(`msg=listening addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		return cmd, addr
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start listening")
		return nil, ""
	}
}

// ansi matches the escape sequences a terminal is sent (colours, cursor).
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

type chatClient struct {
	in      io.Writer
	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (c *chatClient) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.changed)
	c.changed = make(chan struct{})
	return c.out.Write(p)
}

// waitFor waits until the screen, escape codes removed, holds want.
func (c *chatClient) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		ok := strings.Contains(ansi.ReplaceAllString(c.out.String(), ""), want)
		changed, got := c.changed, c.out.String()
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %q within 10s; got:\n%s", want, got)
		}
	}
}

// dialChat joins as user on a terminal.
func dialChat(t *testing.T, addr, user string) *chatClient {
	t.Helper()
	conn, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User:            user,
		Auth:            []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	c := &chatClient{changed: make(chan struct{})}
	sess.Stdout = c
	if c.in, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 40, 200, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, "Welcome, "+user+"!")
	return c
}
