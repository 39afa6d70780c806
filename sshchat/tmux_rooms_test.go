package sshchat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With OpenSSH: a room's history and topic on joining it, the prompt
// naming the room, /me, and a mention that rings the terminal's bell
// (the byte itself, as ssh wrote it to the terminal) in English and
// Portuguese.
func TestOpenSSHRooms(t *testing.T) {
	tm := newTmux(t)
	srv := startServer(t, noFloodLimit)
	alice := tm.join(srv, "alice")
	alice.line("/join #rust")
	alice.waitScreen("* You are now in #rust (1 here).")
	alice.waitScreen("[alice #rust]")
	alice.line("/topic borrow checker support group")
	alice.waitScreen("* alice set the topic of #rust: borrow checker support group")
	alice.line("/me waves")
	alice.waitScreen("* alice waves")
	alice.line("first in rust")
	alice.waitScreen("alice: first in rust")

	bob := tm.join(srv, "bob")
	raw := filepath.Join(t.TempDir(), "bob.raw")
	tm.must("pipe-pane", "-t", "bob:", "cat >> "+raw)
	bob.line("/join #rust")
	s := bob.waitScreen("Topic of #rust: borrow checker support group")
	for _, want := range []string{"── earlier messages ──", "* alice waves", "alice: first in rust", "── now ──", "* You are now in #rust (2 here).", "[bob #rust]"} {
		if !strings.Contains(s, want) {
			t.Errorf("bob's screen lacks %q:\n%s", want, frame(s))
		}
	}
	alice.waitScreen("* bob joined (2 online)")
	alice.line("@bob welcome aboard")
	bob.waitScreen("▶ alice: @bob welcome aboard")
	got, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "\a") {
		t.Errorf("no bell reached bob's terminal: %q", got)
	}

	carol := tm.open(srv, "carol", map[string]string{"LANG": "pt_BR.UTF-8"})
	carol.waitScreen("Bem-vindo(a), carol!")
	carol.line("/entrar #rust")
	carol.waitScreen("Tópico de #rust: borrow checker support group")
	carol.waitScreen("[carol #rust]")
	carol.line("/deixar")
	carol.waitScreen("* Você está agora em #lobby (1 aqui).")
	alice.waitScreen("* carol went to #lobby (2 online)")
}
