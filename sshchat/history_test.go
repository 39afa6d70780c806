package sshchat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// stamped matches a history line: a time of day, then the message.
func stamped(msg string) *regexp.Regexp {
	return regexp.MustCompile(`^\d\d:\d\d ` + regexp.QuoteMeta(msg) + `$`)
}

// expectStamped waits for a history line holding msg with its time.
func (c *client) expectStamped(msg string) string {
	c.t.Helper()
	re := stamped(msg)
	line, ok := c.out.waitLine(re.MatchString, waitFor)
	if !ok {
		c.t.Fatalf("%s: no history line %q within %v; got:\n%s", c.name, msg, waitFor, c.out.tail())
	}
	return line
}

// A joiner is shown the room's last -history messages, with their times,
// set apart from the live conversation, before its welcome.
func TestHistoryOnJoining(t *testing.T) {
	srv := startServer(t, func(c *Config) { noFloodLimit(c); c.HistoryLen = 3 })
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	for i := range 5 {
		alice.send(fmt.Sprintf("message %d", i))
		alice.expect(fmt.Sprintf("alice: message %d", i))
	}
	bob := connect(t, srv.addr, "bob", clientOpts{})
	bob.expect("── earlier messages ──")
	for i := 2; i < 5; i++ {
		bob.expectStamped(fmt.Sprintf("alice: message %d", i))
	}
	bob.expect("── now ──")
	bob.expect("Welcome, bob!")
	if strings.Contains(bob.out.String(), "message 1") {
		t.Errorf("bob was shown more than 3 messages:\n%s", bob.out.String())
	}
	// Portuguese, and joins are not history.
	carol := connect(t, srv.addr, "carol", clientOpts{env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	carol.expect("── mensagens anteriores ──")
	carol.expect("── agora ──")
	carol.expect("Bem-vindo(a), carol!")
	if strings.Contains(carol.out.String(), "bob") {
		t.Errorf("carol was shown a join as history:\n%s", carol.out.String())
	}
}

// /history shows the last N messages (50 without N); nonsense gets the
// usage, in the user's language.
func TestHistoryCommand(t *testing.T) {
	srv := startServer(t, func(c *Config) { noFloodLimit(c); c.HistoryLen = 0 })
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	for i := range 60 {
		alice.send(fmt.Sprintf("line %02d", i))
	}
	alice.expect("alice: line 59")
	alice.send("/history 2")
	alice.expect("── the last messages (2) ──")
	alice.expectStamped("alice: line 58")
	alice.expectStamped("alice: line 59")
	alice.send("/history")
	alice.expect("── the last messages (50) ──")
	alice.expectStamped("alice: line 10")
	for _, bad := range []string{"-1", "0", "1001", "lots", "99999999999999999999"} {
		alice.send("/history " + bad)
		alice.expect("! Usage: /history [N] (N from 1 to 1000)")
	}
	bob := connect(t, srv.addr, "bob", clientOpts{env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	bob.expect("Bem-vindo(a), bob!")
	bob.send("/historico 1")
	bob.expect("── as últimas mensagens (1) ──")
	bob.expectStamped("alice: line 59")
	bob.send("/histórico x")
	bob.expect("! Uso: /historico [N] (N de 1 a 1000)")
}

// /search finds the latest messages holding every word, ignoring case
// and accents, newest last.
func TestSearchCommand(t *testing.T) {
	srv := startServer(t, func(c *Config) { noFloodLimit(c); c.HistoryLen = 0 })
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	for _, m := range []string{"O JOAO chegou", "nada aqui", "joão chegou cedo", "Chegou a Maria"} {
		alice.send(m)
		alice.expect("alice: " + m)
	}
	alice.send("/search joão CHEGOU")
	alice.expect("── messages holding joão CHEGOU (2) ──")
	alice.expectStamped("alice: O JOAO chegou")
	alice.expectStamped("alice: joão chegou cedo")
	alice.send("/buscar zebra")
	alice.expect("* No message holds all of: zebra")
	alice.send("/search")
	alice.expect("! Usage: /search <words>")
	bob := connect(t, srv.addr, "bob", clientOpts{env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	bob.expect("Bem-vindo(a), bob!")
	bob.send("/buscar maria")
	bob.expect("── mensagens com maria (1) ──")
	bob.expectStamped("alice: Chegou a Maria")
	bob.send("/buscar")
	bob.expect("! Uso: /buscar <palavras>")
}

// Times are in UTC unless the client sends TZ or the user picks a zone;
// a zone that is not in the database is refused.
func TestTimeZones(t *testing.T) {
	at := time.Date(2026, 12, 2, 15, 4, 0, 0, time.UTC)
	srv := startServer(t, func(c *Config) { c.HistoryLen = 5; c.Now = func() time.Time { return at } })
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	alice.send("hello")
	alice.expect("alice: hello")
	bob := connect(t, srv.addr, "bob", clientOpts{env: map[string]string{"TZ": "America/Sao_Paulo"}})
	bob.expect("12:04 alice: hello")
	bob.send("/tz Asia/Tokyo")
	bob.expect("* Time zone: Asia/Tokyo (now")
	bob.send("/history 1")
	bob.expect("00:04 alice: hello") // the next day there: shown with its date
	bob.send("/tz Mars/Olympus")
	bob.expect("! Unknown time zone Mars/Olympus")
	bob.send("/tz ../../etc/passwd")
	bob.expect("! Unknown time zone")
	carol := connect(t, srv.addr, "carol", clientOpts{env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	carol.expect("15:04 alice: hello")
	carol.send("/fuso Europe/Lisbon")
	carol.expect("* Fuso horário: Europe/Lisbon")
}

// gatedLog is a log whose Last can fail, or wait until released, so a
// test can send while a joiner's history is being read; it counts the
// reads.
type gatedLog struct {
	chatlog.Log
	fail    atomic.Int32 // this many calls fail
	hold    atomic.Bool  // calls wait for release
	reads   atomic.Int32
	reading chan struct{}
	release chan struct{}
}

func (g *gatedLog) Last(ctx context.Context, room string, n int, upTo uint64) ([]chatlog.Entry, error) {
	g.reads.Add(1)
	if g.fail.Add(-1) >= 0 {
		return nil, errors.New("store not answering")
	}
	if g.hold.Load() {
		g.reading <- struct{}{}
		<-g.release
	}
	return g.Log.Last(ctx, room, n, upTo)
}

// A message said while a joiner's history is read reaches the joiner
// once, after the history, in order. The read that fills the room's
// memory is that one (the first joiner's failed); later joiners are
// shown the same lines from memory, without reading the log.
func TestMessageDuringHistoryReadIsShownOnce(t *testing.T) {
	gate := &gatedLog{Log: chatlog.NewMemory(100, nil), reading: make(chan struct{}), release: make(chan struct{})}
	gate.fail.Store(1)
	srv := startServer(t, func(c *Config) { c.Log = gate; c.HistoryLen = 10 })
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("! History unavailable")
	alice.expect("Welcome, alice!")
	alice.send("before")
	alice.expect("alice: before")

	gate.hold.Store(true)
	bob := connect(t, srv.addr, "bob", clientOpts{})
	<-gate.reading // bob has joined and his history is being read
	gate.hold.Store(false)
	alice.expect("* bob joined")
	// Dan joins while bob's read runs: he is given its answer, not a
	// read of his own.
	dan := connect(t, srv.addr, "dan", clientOpts{})
	alice.expect("* dan joined")
	alice.send("during")
	alice.expect("alice: during")
	gate.release <- struct{}{}
	bob.expect("Welcome, bob!")
	dan.expect("Welcome, dan!")
	alice.send("after")
	bob.expect("alice: after")
	dan.expect("alice: after")
	said := func(c *client) string {
		var seen []string
		for _, l := range c.out.lines() {
			if strings.Contains(l, "alice: ") {
				seen = append(seen, l[strings.Index(l, "alice: "):])
			}
		}
		return strings.Join(seen, "|")
	}
	if got := said(bob); got != "alice: before|alice: during|alice: after" {
		t.Errorf("bob saw %q, want before, during and after once each, in order:\n%s", got, bob.out.String())
	}

	if got := said(dan); got != "alice: before|alice: during|alice: after" {
		t.Errorf("dan saw %q, want before, during and after once each, in order:\n%s", got, dan.out.String())
	}
	if n := gate.reads.Load(); n != 2 {
		t.Errorf("the log was read %d times, want 2 (alice's failed read, bob's)", n)
	}

	reads := gate.reads.Load()
	carol := connect(t, srv.addr, "carol", clientOpts{})
	carol.expect("Welcome, carol!")
	if got := said(carol); got != "alice: before|alice: during|alice: after" {
		t.Errorf("carol was shown %q, want before, during and after:\n%s", got, carol.out.String())
	}
	if n := gate.reads.Load() - reads; n != 0 {
		t.Errorf("carol's history took %d reads of the log, want it from memory", n)
	}
}

// /me tells the room an action, "* alice waves", live and in history,
// in both languages; /me with nothing gets its usage.
func TestMeAction(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.HistoryLen = 5 })
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	bob := join(t, srv, "bob")
	alice.send("/me waves")
	bob.expect("* alice waves")
	alice.expect("* alice waves")
	alice.send("/me")
	alice.expect("! Usage: /me <action>")
	carol := connect(t, srv.addr, "carol", clientOpts{env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	carol.expectStamped("* alice waves")
	carol.expect("Bem-vindo(a), carol!")
	carol.send("/eu acena de volta")
	bob.expect("* carol acena de volta")
	carol.send("/eu")
	carol.expect("! Uso: /eu <ação>")
}

// A line that names you (@you) rings your terminal's bell, unless you
// turned it off; never without a terminal.
func TestBellOnMention(t *testing.T) {
	srv := startServer(t, nil)
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	carol := join(t, srv, "carol")
	bob := connect(t, srv.addr, "bob", clientOpts{pty: true, env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	bob.expect("Bem-vindo(a), bob!")
	bob.send("@alice @carol lunch?")
	line := alice.expect("lunch?")
	if !strings.Contains(line, "\a") {
		t.Errorf("alice's line %q does not ring", line)
	}
	if l := carol.expect("lunch?"); strings.Contains(l, "\a") {
		t.Errorf("a user without a terminal was rung: %q", l)
	}
	alice.send("/bell off")
	alice.expect("* Bell off.")
	bob.send("@alice again?")
	if l := alice.expect("again?"); strings.Contains(l, "\a") {
		t.Errorf("the bell rang while off: %q", l)
	}
	bob.send("/sino talvez")
	bob.expect("! Uso: /sino ligado|desligado")
	bob.send("/sino desligado")
	bob.expect("* Sino desligado.")
}

// /away shows in /who and /whois and answers private messages; the next
// line, or /back, ends it.
func TestAway(t *testing.T) {
	srv := startServer(t, nil)
	alice := join(t, srv, "alice")
	bob := connect(t, srv.addr, "bob", clientOpts{env: map[string]string{"LANG": "pt_BR.UTF-8"}})
	bob.expect("Bem-vindo(a), bob!")
	alice.send("/away lunch")
	alice.expect("* You are away: lunch.")
	bob.send("/clientes")
	bob.expect("alice (ausente: lunch)")
	bob.send("/quem alice")
	bob.expect("  ausente: lunch")
	bob.send("/alice are you there?")
	bob.expect("* alice está ausente: lunch")
	alice.expect("[private] bob → you: are you there?")
	alice.send("/who")
	alice.expect("* Welcome back: you are no longer away.")
	alice.expect("in #lobby: alice, bob")
	bob.send("/ausente")
	bob.expect("* Você está ausente: ausente.")
	bob.send("/voltei")
	bob.expect("* Bem-vindo(a) de volta")
	alice.send("/msg bob ok")
	if strings.Contains(alice.out.String(), "bob is away") {
		t.Errorf("bob is still away:\n%s", alice.out.String())
	}
}
