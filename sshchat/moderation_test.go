package sshchat

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// from dials addr from the loopback address local, so that a test can
// have users at several addresses.
func from(local, addr string) func() (net.Conn, error) {
	return func() (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: waitFor}
		return d.Dial("tcp", addr)
	}
}

// refusedBeforeHandshake reads what the server says to a connection
// from local before any SSH: the refusal line, then the end.
func refusedBeforeHandshake(t *testing.T, local, addr string) string {
	t.Helper()
	c, err := from(local, addr)()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(waitFor))
	b, _ := io.ReadAll(c)
	return string(b)
}

// moderated is a server on the real store with an owner, the owner
// connected, and a registered operator appointed by the owner.
type moderated struct {
	srv       *testServer
	dir       string
	ownerKey  gossh.Signer
	owner, op *client
	opKey     gossh.Signer
}

func newModerated(t *testing.T, edit func(*Config)) *moderated {
	m := &moderated{dir: t.TempDir(), ownerKey: newKey(t), opKey: newKey(t)}
	m.srv = startServer(t, withStore(m.dir, func(c *Config) {
		c.Owners = []string{fingerprint(m.ownerKey)}
		if edit != nil {
			edit(c)
		}
	}))
	m.owner = connect(t, m.srv.addr, "owner", withKey(m.ownerKey, clientOpts{dial: from("127.0.0.1", m.srv.addr)}))
	m.owner.expect("Welcome, owner!")
	m.op = connect(t, m.srv.addr, "oper", withKey(m.opKey, clientOpts{env: pt, dial: from("127.0.0.1", m.srv.addr)}))
	m.op.expect("Bem-vindo(a), oper!")
	m.op.send("/registrar")
	m.op.expect("agora está registrado")
	m.owner.send("/op oper")
	m.owner.expect("* oper is now an operator (by owner)")
	m.op.expect("* oper agora é operador(a) (por owner)")
	return m
}

// Operators are accounts appointed by owners; others are refused, and
// nobody acts against an owner.
func TestOperatorsAndOwners(t *testing.T) {
	m := newModerated(t, nil)
	carol := connect(t, m.srv.addr, "carol", clientOpts{})
	carol.expect("Welcome, carol!")
	for _, cmd := range []string{"/kick owner", "/ban oper", "/mute oper", "/motd hi", "/bans", "/unban x"} {
		carol.send(cmd)
		carol.expect("! Only operators can use")
	}
	carol.send("/op carol")
	carol.expect("! Only the server's owners can use /op")
	m.op.send("/op carol")
	m.op.expect("! Só os donos do servidor podem usar /operador")
	m.op.send("/expulsar owner")
	m.op.expect("! owner é dono(a) do servidor")
	m.op.send("/banir oper")
	m.op.expect("! Você mesmo(a), não.")
	m.owner.send("/op carol")
	m.owner.expect("! carol is not a registered name")
	m.owner.send("/deop owner")
	m.owner.expect("! owner is an owner")
	carol.send("/help")
	carol.expect("/quit")
	if _, help, _ := strings.Cut(carol.out.String(), "* Commands:"); strings.Contains(help, "/kick") {
		t.Errorf("a user was shown operator commands:\n%s", carol.out.String())
	}
	m.owner.send("/whois oper")
	m.owner.expect("  operator")

	// The grant survives a restart.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
	srv := startServer(t, withStore(m.dir, func(c *Config) { c.Owners = []string{fingerprint(m.ownerKey)} }))
	op := connect(t, srv.addr, "oper", withKey(m.opKey, clientOpts{}))
	op.expect("Welcome, oper!")
	op.send("/bans")
	op.expect("* Nobody is banned.")
	m2 := connect(t, srv.addr, "owner", withKey(m.ownerKey, clientOpts{}))
	m2.expect("Welcome")
	m2.send("/deop oper")
	m2.expect("* oper is no longer an operator (by owner)")
	op.send("/bans")
	op.expect("! Only operators can use /bans")
}

// /kick sends a user away with a reason the room and the user are told.
func TestKick(t *testing.T) {
	m := newModerated(t, nil)
	carol := connect(t, m.srv.addr, "carol", clientOpts{env: pt})
	carol.expect("Bem-vindo(a), carol!")
	m.owner.send("/kick carol spam, spam")
	m.owner.expect("* carol was kicked by owner: spam, spam")
	m.op.expect("* carol foi expulso(a) por owner: spam, spam")
	carol.expect("! Você foi expulso(a) por owner: spam, spam")
	_ = carol.expectEnd()
	m.op.send("/expulsar ninguem")
	m.op.expect("! Nenhum usuário chamado ninguem")
	if !strings.Contains(m.srv.logs.String(), "msg=kick") {
		t.Error("the kick is not in the log")
	}
}

// /ban bans a user's key and address: a banned address is refused
// before the SSH handshake, a banned key at the start of its session;
// both survive a restart, /unban lifts them, and a timed ban ends by
// itself.
func TestBans(t *testing.T) {
	m := newModerated(t, nil)
	keyC := newKey(t)
	carol := connect(t, m.srv.addr, "carol", withKey(keyC, clientOpts{dial: from("127.0.0.2", m.srv.addr)}))
	carol.expect("Welcome, carol!")
	sock := connect(t, m.srv.addr, "sockpuppet", clientOpts{dial: from("127.0.0.2", m.srv.addr)})
	sock.expect("Welcome, sockpuppet!")
	m.op.send("/banir carol 1x")
	m.op.expect("! Essa duração não é válida")
	m.op.send("/banir carol 2h flood")
	m.op.expect("* carol foi banido(a) por oper, até")
	m.owner.expect("* carol was banned by oper, until")
	carol.expect("! You were banned by oper, until")
	_ = carol.expectEnd()
	sock.expect("! You were banned by oper, until") // the same address
	_ = sock.expectEnd()
	m.owner.expect("* sockpuppet left: banned with carol (same key or address)")

	if got := refusedBeforeHandshake(t, "127.0.0.2", m.srv.addr); !strings.Contains(got, "you are banned, until") || !strings.Contains(got, "você está banido(a)") {
		t.Errorf("a banned address got %q", got)
	}
	// The key is banned wherever it comes from.
	again := connect(t, m.srv.addr, "carol", withKey(keyC, clientOpts{dial: from("127.0.0.3", m.srv.addr)}))
	again.expect("you are banned, until")
	_ = again.expectEnd()
	m.owner.send("/bans")
	m.owner.expect("* 2 bans:")
	m.owner.expect("addr 127.0.0.2/32 — carol, by oper, until")
	m.owner.expect("key " + fingerprint(keyC) + " — carol, by oper, until")

	// Both survive a restart.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
	srv := startServer(t, withStore(m.dir, func(c *Config) { c.Owners = []string{fingerprint(m.ownerKey)} }))
	if got := refusedBeforeHandshake(t, "127.0.0.2", srv.addr); !strings.Contains(got, "you are banned") {
		t.Errorf("after a restart, a banned address got %q", got)
	}
	owner := connect(t, srv.addr, "owner", withKey(m.ownerKey, clientOpts{}))
	owner.expect("Welcome")
	owner.send("/unban 127.0.0.2")
	owner.expect("* Lifted 1 bans matching 127.0.0.2.")
	owner.send("/unban carol")
	owner.expect("* Lifted 1 bans matching carol.")
	owner.send("/unban carol")
	owner.expect("! Nothing banned matches carol.")
	back := connect(t, srv.addr, "carol", withKey(keyC, clientOpts{dial: from("127.0.0.2", srv.addr)}))
	back.expect("Welcome, carol!")

	// A timed ban ends by itself.
	owner.send("/ban carol 1s")
	owner.expect("* carol was banned by owner, until")
	_ = back.expectEnd()
	waitUntil(t, "the timed ban to end", func() bool {
		return !strings.Contains(refusedBeforeHandshake(t, "127.0.0.2", srv.addr), "banned")
	})
	free := connect(t, srv.addr, "carol", withKey(keyC, clientOpts{dial: from("127.0.0.2", srv.addr)}))
	free.expect("Welcome, carol!")
}

// A muted user's lines are refused with until when, except private
// messages to operators; /unmute lets them speak.
func TestMute(t *testing.T) {
	m := newModerated(t, nil)
	carol := connect(t, m.srv.addr, "carol", clientOpts{pty: true})
	carol.expect("Welcome, carol!")
	m.owner.send("/mute carol 10m")
	m.owner.expect("* carol was muted by owner, until")
	carol.expect("* carol was muted by owner, until")
	carol.send("can I talk?")
	carol.expect("! You are muted, until")
	carol.send("/msg oper please unmute me")
	m.op.expect("[privado] carol → você: please unmute me")
	m.op.send("/silenciar carol x1")
	m.op.expect("! Essa duração não é válida")
	carol.send("/msg nobody hi")
	carol.expect("! No user named nobody")
	m.op.send("/dessilenciar carol")
	m.op.expect("* carol pode falar de novo (por oper)")
	carol.send("thanks")
	m.owner.expect("carol: thanks")
	m.op.send("/dessilenciar carol")
	m.op.expect("! carol não está silenciado(a).")
}

// /motd sets the line every joiner sees first; /motd alone clears it.
func TestMessageOfTheDay(t *testing.T) {
	m := newModerated(t, nil)
	m.op.send("/aviso Be kind. Seja gentil.")
	m.op.expect("* Aviso definido")
	c := connect(t, m.srv.addr, "newcomer", clientOpts{})
	if first := c.expect("Be kind"); first != "* Be kind. Seja gentil." {
		t.Errorf("the motd line is %q", first)
	}
	c.expect("Welcome, newcomer!")
	if lines := c.out.lines(); !strings.Contains(lines[0], "Be kind") {
		t.Errorf("the motd is not the first line: %q", lines)
	}
	m.owner.send("/motd")
	m.owner.expect("* Message of the day cleared.")
	d := connect(t, m.srv.addr, "later", clientOpts{})
	d.expect("Welcome, later!")
	if strings.Contains(d.out.String(), "Be kind") {
		t.Errorf("a cleared motd was shown:\n%s", d.out.String())
	}
}

// Every moderation and account command answers in Portuguese under its
// Portuguese name.
func TestModerationInPortuguese(t *testing.T) {
	m := newModerated(t, nil)
	dono := connect(t, m.srv.addr, "dono", withKey(m.ownerKey, clientOpts{env: pt}))
	dono.expect("Bem-vindo(a), dono!") // the owner's key, on a second device
	carol := connect(t, m.srv.addr, "carol", clientOpts{dial: from("127.0.0.4", m.srv.addr)})
	carol.expect("Welcome, carol!")
	m.op.send("/banir carol 1h")
	m.op.expect("* carol foi banido(a) por oper, até")
	m.op.send("/banidos")
	m.op.expect("* 1 banimentos:")
	m.op.expect("addr 127.0.0.4/32 — carol, por oper, até")
	m.op.send("/desbanir carol")
	m.op.expect("* 1 banimentos suspensos para carol.")
	dono.send("/desoperador oper")
	dono.expect("* oper não é mais operador(a) (por dono)")
	dono.send("/desoperador oper")
	dono.expect("! oper não é operador(a).")
	m.op.send("/desregistrar")
	m.op.expect("* oper não está mais registrado.")
	m.op.send("/chaves")
	m.op.expect("! Seu nome não está registrado")
}
