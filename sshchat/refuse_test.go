package sshchat

import (
	"errors"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// A command request (ssh host something) is refused in one line with exit
// status 1.
func TestCommandRequestRefused(t *testing.T) {
	srv := startServer(t, nil)
	c := connect(t, srv.addr, "alice", clientOpts{command: "ls -la"})
	err := c.expectEnd()
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Fatalf("exit = %v, want status 1", err)
	}
	got := c.out.String()
	if !strings.Contains(got, "runs no commands") {
		t.Errorf("output %q does not explain the refusal", got)
	}
	_, port, _ := strings.Cut(srv.addr, ":")
	if want := "ssh -p " + port + " alice@127.0.0.1"; !strings.Contains(got, want) {
		t.Errorf("output %q does not show how to connect: %q", got, want)
	}
	waitUntil(t, "the refusal in the log", func() bool { return strings.Contains(srv.logs.String(), "command refused") })
}

// The refusal is in the user's language, and a name that breaks the
// rules is not echoed back as a way to connect.
func TestCommandRequestRefusedInPortuguese(t *testing.T) {
	srv := startServer(t, nil)
	c := connect(t, srv.addr, "sair", clientOpts{command: "ls", env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	_ = c.expectEnd()
	got := c.out.String()
	if !strings.Contains(got, "não executa comandos") || !strings.Contains(got, " <nome>@127.0.0.1") {
		t.Errorf("output %q", got)
	}
}

// Agent forwarding and variables other than the locale are refused.
func TestSessionRequestsRefused(t *testing.T) {
	srv := startServer(t, nil)
	c := connect(t, srv.addr, "alice", clientOpts{})
	c.expect("Welcome")
	sess, err := c.conn.NewSession()
	if err == nil {
		sess.Close()
		t.Error("a second session on one connection was accepted")
	}

	conn := connect(t, srv.addr, "bob", clientOpts{}).conn
	s2, err := conn.NewSession() // second session refused; use a fresh connection
	if err == nil {
		s2.Close()
	}
	c3 := dialOnly(t, srv.addr, "carol")
	s3, err := c3.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := agent.RequestAgentForwarding(s3); err == nil {
		t.Error("agent forwarding was accepted")
	}
	if err := s3.Setenv("LD_PRELOAD", "/tmp/x.so"); err == nil {
		t.Error("an arbitrary environment variable was accepted")
	}
	if err := s3.Setenv("LANG", "pt_BR.UTF-8"); err != nil {
		t.Errorf("LANG refused: %v", err)
	}
	if _, err := c3.Dial("tcp", "127.0.0.1:22"); err == nil {
		t.Error("direct-tcpip port forwarding was accepted")
	}
	if _, err := c3.Listen("tcp", "127.0.0.1:0"); err == nil {
		t.Error("remote port forwarding was accepted")
	}
}

func dialOnly(t *testing.T, addr, user string) *gossh.Client {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: user,
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			return nil, nil
		})},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// A client sending LANG=pt_* gets Portuguese; /lang switches.
func TestLanguageFromClientLocale(t *testing.T) {
	srv := startServer(t, nil)
	ze := connect(t, srv.addr, "ze", clientOpts{env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	ze.expect("Bem-vindo(a), ze!")
	ze.send("/clientes")
	ze.expect("* 1 online em #lobby: ze")
	ze.send("/nada")
	ze.expect("! Comando ou usuário desconhecido: /nada.")
	ze.send("/lang en")
	ze.expect("* Language: English.")
	ze.send("/idioma pt")
	ze.expect("* Idioma: português.")
	alice := join(t, srv, "alice")
	ze.expect("* alice entrou (2 online)")
	alice.send("/sair")
	ze.expect("* alice saiu (1 online)")
}

// An over-long line is refused with a clear line and nothing is sent; the
// session goes on.
func TestOverlongMessageRefused(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.MaxMessageLen = 50 })
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	alice.send(strings.Repeat("y", 51))
	alice.expect("! Message too long (at most 50 characters); nothing was sent.")
	alice.send(strings.Repeat("z", 10000)) // past the line buffer too
	alice.expect("! Message too long")
	alice.send("short")
	if line := bob.expect("alice:"); line != "alice: short" {
		t.Errorf("bob got %q", line)
	}
}

// Requests that would hold memory for the session's life are refused, as
// the server answers them on a real connection.
func TestRequestsThatHoldMemoryRefused(t *testing.T) {
	srv := startServer(t, nil)
	env := func(k, v string) []byte { return gossh.Marshal(struct{ K, V string }{k, v}) }
	tests := []struct {
		name    string
		typ     string
		payload []byte
		want    bool
	}{
		{"LANG", "env", env("LANG", "pt_BR.UTF-8"), true},
		{"LC_ALL", "env", env("LC_ALL", "C.UTF-8"), true},
		{"other variable", "env", env("LD_PRELOAD", "x.so"), false},
		{"huge key", "env", env("LC_"+strings.Repeat("X", 1000), "C"), false},
		{"huge value", "env", env("LANG", strings.Repeat("x", 1000)), false},
		{"signal", "signal", gossh.Marshal(struct{ S string }{"INT"}), false},
		{"break", "break", make([]byte, 4), false},
		{"agent forwarding", "auth-agent-req@openssh.com", nil, false},
		{"huge pty-req", "pty-req", make([]byte, 8<<10), false},
	}
	c := dialOnly(t, srv.addr, "probe")
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		got, err := s.SendRequest(tt.typ, true, tt.payload)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: accepted = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Two locale variables were taken above; the cap counts those.
	for i := 2; i < maxEnv; i++ {
		if ok, _ := s.SendRequest("env", true, env("LANG", "C")); !ok {
			t.Fatalf("environment variable %d refused, want %d accepted", i+1, maxEnv)
		}
	}
	if ok, _ := s.SendRequest("env", true, env("LANG", "C")); ok {
		t.Errorf("more than %d environment variables accepted", maxEnv)
	}
}
