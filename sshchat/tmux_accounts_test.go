package sshchat

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sshWithKey is a pane's command: OpenSSH authenticating with the key
// in file alone, as a user with that key in ~/.ssh would.
func sshWithKey(addr, user, file string) string {
	host, port, _ := net.SplitHostPort(addr)
	return "ssh -tt -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR" +
		" -o IdentitiesOnly=yes -o PasswordAuthentication=no -i " + file +
		fmt.Sprintf(" -p %s %s@%s; echo SSH-EXITED-$?; exec sleep 3600", port, user, host)
}

// With OpenSSH: register, quit, come back with another key and be asked
// for another name; come back with the right key and see what was said
// while away.
func TestOpenSSHRegisterAndComeBack(t *testing.T) {
	tm := newTmux(t)
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("no ssh-keygen")
	}
	dir := t.TempDir()
	keys := map[string]string{}
	for _, k := range []string{"laptop", "other"} {
		keys[k] = filepath.Join(dir, k)
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keys[k]).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
	}
	srv := startServer(t, withStore(t.TempDir(), nil))
	open := func(session, user, key string) *pane {
		tm.must("new-session", "-d", "-s", session, "-x", fmt.Sprint(tmuxWidth), "-y", fmt.Sprint(tmuxHeight),
			sshWithKey(srv.addr, user, keys[key]))
		return &pane{tm: tm, name: session}
	}
	alice := open("first", "alice", "laptop")
	alice.waitScreen("Welcome, alice!")
	alice.line("/register")
	alice.waitScreen("alice is now registered to your key SHA256:")
	alice.line("/quit")
	alice.waitScreen("SSH-EXITED-0")

	bob := tm.join(srv, "bob")
	bob.line("anything new while she is out")
	bob.waitScreen("bob: anything new while she is out")

	impostor := open("impostor", "alice", "other")
	impostor.waitScreen("alice is a registered name")
	impostor.waitScreen("Choose another name below")
	impostor.line("mallory")
	impostor.waitScreen("Welcome, mallory!")

	back := open("back", "alice", "laptop")
	s := back.waitScreen("Welcome, alice!")
	if !strings.Contains(s, "── while you were away (1) ──") || !strings.Contains(s, "bob: anything new while she is out") {
		t.Errorf("alice's screen on coming back:\n%s", frame(s))
	}
}
