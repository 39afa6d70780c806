package sshchat

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// withStore runs the server on the embedded store in dir.
func withStore(dir string, edit func(*Config)) func(*Config) {
	return func(c *Config) {
		c.DataDir = dir
		c.StoreTimeout = time.Second
		if edit != nil {
			edit(c)
		}
	}
}

// A server started again on the same data directory shows what was said
// before, on joining and with /history.
func TestHistorySurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	first := startServer(t, withStore(dir, nil))
	alice := connect(t, first.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	alice.send("olá, João")
	alice.expect("alice: olá, João")
	alice.send("second")
	alice.expect("alice: second")
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := first.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	alice.expect("shutting down")

	second := startServer(t, withStore(dir, nil))
	bob := connect(t, second.addr, "bob", clientOpts{})
	bob.expect("── earlier messages ──")
	bob.expectStamped("alice: olá, João")
	bob.expectStamped("alice: second")
	bob.expect("Welcome, bob!")
	bob.send("/search joao")
	bob.expect("── messages holding joao (1) ──")
	bob.expectStamped("alice: olá, João")
}

// A store that stops answering: everyone is told the chat is
// unavailable and retrying, a line is refused with that reason, nobody
// sees it, sessions go on, and the chat recovers by itself when the
// store does, saying so.
func TestStoreThatStopsAnswering(t *testing.T) {
	srv := startServer(t, withStore(t.TempDir(), nil))
	st := srv.ownStore
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	bob := connect(t, srv.addr, "bob", clientOpts{env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	bob.expect("Bem-vindo(a), bob!")
	alice.send("before")
	bob.expect("alice: before")

	st.Suspend()
	alice.expect("! The chat is unavailable: its store is not answering. Retrying by itself")
	bob.expect("! O chat está indisponível")
	alice.send("lost in the dark")
	alice.expect("! The chat is unavailable")
	bob.send("/history 1")
	bob.expect("! Histórico indisponível")
	bob.send("/alice ainda aqui?") // private messages do not need the store
	alice.expect("[private] bob → you: ainda aqui?")

	if err := st.Resume(); err != nil {
		t.Fatal(err)
	}
	alice.expect("* The chat is back: lines are sent again.")
	bob.expect("* O chat voltou")
	alice.send("back")
	bob.expect("alice: back")
	if strings.Contains(bob.out.String(), "lost in the dark") {
		t.Errorf("bob saw the message that was not sent:\n%s", bob.out.String())
	}
	if !strings.Contains(srv.logs.String(), "store unreachable") {
		t.Error("the log does not say the store was unreachable")
	}
}

// A data directory that cannot be used fails New at once with an error
// naming it, never a hang.
func TestBadDataDirFailsAtStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.KeyDir = t.TempDir()
	cfg.DataDir = file
	start := time.Now()
	_, err := New(cfg)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("New = %v, want an error naming %s", err, file)
	}
	if d := time.Since(start); d > waitFor {
		t.Errorf("took %v to fail", d)
	}
}

var _ = store.Open // the store under test is the real embedded one
