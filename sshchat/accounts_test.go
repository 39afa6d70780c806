package sshchat

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// newKey is a fresh ed25519 key, as ssh-keygen -t ed25519 makes.
func newKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fingerprint(k gossh.Signer) string { return gossh.FingerprintSHA256(k.PublicKey()) }

func authorized(k gossh.Signer) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.PublicKey())))
}

// withKey connects as user with key k.
func withKey(k gossh.Signer, o clientOpts) clientOpts {
	o.signers = []gossh.Signer{k}
	return o
}

var pt = map[string]string{"LANG": "pt_BR.UTF-8"}

// A registered name is its account's: another key, no key, or a
// look-alike is told the name is registered and asked for another; the
// account's own key gets it.
func TestRegisteredNameNeedsItsKey(t *testing.T) {
	srv := startServer(t, withStore(t.TempDir(), nil))
	keyA, keyB := newKey(t), newKey(t)
	alice := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{}))
	alice.expect("Welcome, alice!")
	alice.send("/register")
	alice.expect("* alice is now registered to your key " + fingerprint(keyA))
	alice.send("/register")
	alice.expect("! alice is already registered")
	alice.send("/quit")
	_ = alice.expectEnd()

	for _, who := range []struct {
		user string
		o    clientOpts
	}{
		{"alice", withKey(keyB, clientOpts{})},
		{"alice", clientOpts{}},
		{"ALICE", withKey(keyB, clientOpts{})},
		{"\u0430lice", withKey(keyB, clientOpts{})}, // a Cyrillic а
		{"a1ice", clientOpts{}},
	} {
		c := connect(t, srv.addr, who.user, who.o)
		c.expect("is a registered name, and this connection's key is not one of its keys")
		c.expect("Send another name") // the prompt for another
		c.send("notalice")
		c.expect("Welcome, notalice!")
		c.send("/quit")
		_ = c.expectEnd()
	}
	pc := connect(t, srv.addr, "alice", withKey(keyB, clientOpts{env: pt}))
	pc.expect("é um nome registrado")
	pc.send("/quit")

	back := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{}))
	back.expect("Welcome, alice!")
	back.send("/whois alice")
	back.expect("registered since")
}

// /register needs a key; without one the user is told how to make one.
func TestRegisterNeedsAKey(t *testing.T) {
	srv := startServer(t, withStore(t.TempDir(), nil))
	c := join(t, srv, "nokey")
	c.send("/register")
	c.expect("ssh-keygen -t ed25519")
	p := connect(t, srv.addr, "semchave", clientOpts{env: pt})
	p.expect("Bem-vindo(a)")
	p.send("/registrar")
	p.expect("Você se conectou sem chave")
}

// /keys lists, adds and removes an account's keys; a malformed key, a
// key of another account and an unknown fingerprint change nothing;
// removing the last key, or /unregister, frees the name.
func TestAccountKeys(t *testing.T) {
	srv := startServer(t, withStore(t.TempDir(), nil))
	keyA, keyB, keyC := newKey(t), newKey(t), newKey(t)
	alice := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{}))
	alice.expect("Welcome")
	alice.send("/register")
	alice.expect("is now registered")
	bob := connect(t, srv.addr, "bob", withKey(keyC, clientOpts{env: pt}))
	bob.expect("Bem-vindo(a)")
	bob.send("/registrar")
	bob.expect("agora está registrado")

	alice.send("/keys add not a key")
	alice.expect("! That is not a public key")
	alice.send("/keys add " + authorized(keyC))
	alice.expect("! That key belongs to another account")
	alice.send("/keys add " + authorized(keyB))
	alice.expect("* Key " + fingerprint(keyB) + " added")
	alice.send("/keys")
	alice.expect("* alice: 2 keys")
	alice.expect(fingerprint(keyA) + " ssh-ed25519 (this connection)")
	alice.expect(fingerprint(keyB) + " ssh-ed25519")

	second := connect(t, srv.addr, "alice2", withKey(keyB, clientOpts{}))
	second.expect("Welcome, alice2!")
	second.send("/quit")

	alice.send("/keys remove SHA256:nothing")
	alice.expect("! Your account has no key SHA256:nothing")
	alice.send("/keys remove " + fingerprint(keyB))
	alice.expect("* Key " + fingerprint(keyB) + " removed")

	bob.send("/chaves")
	bob.expect("* bob: 1 chaves")
	bob.send("/chaves remover " + fingerprint(keyC)) // the last key: unregisters
	bob.expect("* bob não está mais registrado")
	alice.send("/unregister")
	alice.expect("* alice is no longer registered")

	// Both names are free again, for any key.
	c := connect(t, srv.addr, "bob", withKey(keyB, clientOpts{}))
	c.expect("is taken: someone with that name") // bob is still connected: taken, not registered
}

// failingSigner offers a public key it cannot sign with: a client that
// has only the public half of someone's key.
type failingSigner struct{ gossh.Signer }

func (f failingSigner) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	return nil, errors.New("no private key")
}

// A user who connects again while a lost connection holds the name takes
// it over with the same verified key: the old connection is told and
// closed, and the room sees one line. Without the key, by offering it
// without its private half, or with no key, nobody takes over anyone.
func TestReconnectionTakesOverTheGhost(t *testing.T) {
	srv := startServer(t, withStore(t.TempDir(), nil))
	keyA := newKey(t)
	bob := connect(t, srv.addr, "bob", clientOpts{pty: true})
	bob.expect("Welcome, bob!")
	ghost := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{}))
	ghost.expect("Welcome, alice!")
	bob.expect("* alice joined")

	offered := connect(t, srv.addr, "alice", clientOpts{auth: []gossh.AuthMethod{
		gossh.PublicKeys(failingSigner{keyA}),
		gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil }),
	}})
	offered.expect("is taken: someone with that name")
	offered.send("/quit")
	keyless := connect(t, srv.addr, "alice", clientOpts{})
	keyless.expect("is taken: someone with that name")
	keyless.send("/quit")

	again := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{}))
	again.expect("Welcome, alice!")
	ghost.expect("! You connected again from elsewhere")
	if err := ghost.expectEnd(); err != nil {
		t.Errorf("the old connection ended with %v", err)
	}
	bob.expect("* alice reconnected (2 online)")
	bob.send("still here?")
	again.expect("bob: still here?")
	out := bob.out.String()
	if strings.Count(out, "alice joined") != 1 || strings.Contains(out, "alice left") || strings.Contains(out, "alice lost") {
		t.Errorf("bob was told more than a reconnection:\n%s", out)
	}
}

// A registered user is shown what the room said since they were last
// seen, at most -replay messages, with how many more there were.
func TestWhileYouWereAway(t *testing.T) {
	srv := startServer(t, withStore(t.TempDir(), func(c *Config) { c.Replay = 2; noFloodLimit(c) }))
	keyA := newKey(t)
	alice := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{pty: true}))
	alice.expect("Welcome")
	alice.send("/register")
	alice.expect("is now registered")
	alice.send("before I go")
	alice.expect("alice: before I go")
	alice.send("/quit")
	_ = alice.expectEnd()
	// The client is told goodbye before the server records what it saw.
	leftTimes := func(n int) {
		waitUntil(t, "alice's leave in the log", func() bool {
			return strings.Count(srv.logs.String(), "msg=leave remote=") >= n
		})
	}
	leftTimes(1)

	bob := connect(t, srv.addr, "bob", clientOpts{pty: true})
	bob.expect("Welcome")
	for _, m := range []string{"one", "two", "three"} {
		bob.send(m)
		bob.expect("bob: " + m)
	}
	back := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{}))
	back.expect("── while you were away (2) ──")
	back.expect("* … and 1 earlier ones; /history shows more.")
	back.expectStamped("bob: two")
	back.expectStamped("bob: three")
	back.expect("── now ──")
	back.expect("Welcome, alice!")
	if strings.Contains(back.out.String(), "before I go") {
		t.Errorf("alice was shown what she had seen:\n%s", back.out.String())
	}
	// Nothing new: said so.
	back.send("/quit")
	_ = back.expectEnd()
	leftTimes(2)
	again := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{env: pt}))
	again.expect("Ninguém disse nada enquanto você esteve fora.")
}

// An account unused for -account-expiry lapses: its name is free for
// another key. An account has at most ten keys.
func TestAccountsLapseAndAreBounded(t *testing.T) {
	clock := &testClock{}
	clock.ns.Store(time.Now().UnixNano())
	srv := startServer(t, withStore(t.TempDir(), func(c *Config) { c.Now = clock.now; c.AccountExpiry = 24 * time.Hour; noFloodLimit(c) }))
	keyA := newKey(t)
	alice := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{}))
	alice.expect("Welcome")
	alice.send("/register")
	alice.expect("is now registered")
	for range maxAccountKeys - 1 {
		alice.send("/keys add " + authorized(newKey(t)))
		alice.expect("* Key ")
	}
	alice.send("/keys add " + authorized(newKey(t)))
	alice.expect("! An account has at most 10 keys")
	alice.send("/quit")
	_ = alice.expectEnd()

	other := connect(t, srv.addr, "alice", withKey(newKey(t), clientOpts{}))
	other.expect("is a registered name")
	other.send("/quit")

	clock.ns.Add(int64(25 * time.Hour))
	keyB := newKey(t)
	taker := connect(t, srv.addr, "alice", withKey(keyB, clientOpts{}))
	taker.expect("Welcome, alice!")
	taker.send("/register")
	taker.expect("* alice is now registered to your key " + fingerprint(keyB))
}

// Connections with one key racing for one name end with exactly one of
// them in the room, and every other told it connected again elsewhere
// or asked for another name; nothing hangs, and the room lists alice
// once.
func TestReconnectionRace(t *testing.T) {
	srv := startServer(t, withStore(t.TempDir(), nil))
	key := newKey(t)
	bob := join(t, srv, "bob")
	const n = 6
	clients := make(chan *client, n)
	for range n {
		go func() { clients <- connect(t, srv.addr, "alice", withKey(key, clientOpts{})) }() // ends once connected
	}
	var all []*client
	for range n {
		select {
		case c := <-clients:
			all = append(all, c)
		case <-time.After(waitFor):
			t.Fatal("a connection did not complete") // its goroutine has failed the test
		}
	}
	waitUntil(t, "one alice to remain", func() bool {
		live := 0
		for _, c := range all {
			if !c.out.ended() && strings.Contains(c.out.String(), "Welcome, alice!") {
				live++
			}
		}
		return live == 1
	})
	bob.send("/who")
	who := bob.expect("online in #lobby:")
	if strings.Count(who, "alice") != 1 {
		t.Errorf("/who lists %q", who)
	}
}
