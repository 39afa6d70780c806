package sshchat

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A line said in one room never reaches another; moving is told to both
// rooms; private messages cross rooms; /who lists the room, /who all
// everyone by room; /leave goes back to the lobby.
func TestRoomsAreIsolated(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice! 1 online. You are in #lobby.")
	bob := connect(t, srv.addr, "bob", clientOpts{pty: true})
	bob.expect("Welcome, bob!")
	alice.expect("* bob joined (2 online)")

	alice.send("/join #rust")
	alice.expect("* You are now in #rust (1 here).")
	bob.expect("* alice went to #rust (1 online)")
	carol := connect(t, srv.addr, "carol", clientOpts{pty: true, env: pt})
	carol.expect("Bem-vindo(a), carol!")
	carol.send("/entrar #Rust") // another case: the same room
	carol.expect("* Você está agora em #rust (2 aqui).")
	alice.expect("* carol joined (2 online)")

	bob.send("said in the lobby")
	bob.expect("bob: said in the lobby")
	alice.send("said in rust")
	carol.expect("alice: said in rust")
	alice.expect("alice: said in rust")
	if strings.Contains(bob.out.String(), "said in rust") {
		t.Errorf("the lobby saw a line of #rust:\n%s", bob.out.String())
	}
	if strings.Contains(alice.out.String()+carol.out.String(), "said in the lobby") {
		t.Errorf("#rust saw a line of the lobby")
	}

	bob.send("/msg carol across rooms")
	carol.expect("[privado] bob → você: across rooms")
	bob.expect("[private] you → carol: across rooms")
	carol.send("/bob de volta")
	bob.expect("[private] carol → you: de volta")

	alice.send("/who")
	alice.expect("* 2 online in #rust: alice, carol")
	alice.send("/who all")
	alice.expect("* 3 online in 2 rooms:")
	alice.expect("  #lobby (1): bob")
	alice.expect("  #rust (2): alice, carol")
	carol.send("/clientes todos")
	carol.expect("* 3 online em 2 salas:")
	bob.send("/whois alice")
	bob.expect("  in #rust")

	alice.send("/rooms")
	alice.expect("* 2 rooms:")
	alice.expect("  #lobby (1)")
	alice.expect("▸ #rust (2)")
	alice.send("/join rust")
	alice.expect("* You are already in #rust.")

	alice.send("/leave")
	carol.expect("* alice foi para #lobby (1 online)")
	bob.expect("* alice joined (2 online)")
	alice.expect("* You are now in #lobby (2 here).")
	carol.send("/deixar")
	bob.expect("* carol joined (3 online)")
	carol.send("/salas")
	carol.expect("* 2 salas:")
}

// Each room has its own history: a newcomer is shown the room's, and
// /history and /search read the room's alone.
func TestRoomHistory(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome")
	alice.send("lobby one")
	alice.expect("alice: lobby one")
	alice.send("/join #go")
	alice.expect("* You are now in #go")
	for _, m := range []string{"go one", "go two"} {
		alice.send(m)
		alice.expect("alice: " + m)
	}

	bob := connect(t, srv.addr, "bob", clientOpts{})
	bob.expect("── earlier messages ──")
	bob.expectStamped("alice: lobby one")
	bob.expect("Welcome, bob!")
	bob.send("/join #go")
	bob.expect("── earlier messages ──")
	bob.expectStamped("alice: go one")
	bob.expectStamped("alice: go two")
	bob.expect("── now ──")
	bob.expect("* You are now in #go (2 here)")
	alice.send("go three")
	bob.expect("alice: go three")
	bob.send("/history")
	bob.expect("── the last messages (3) ──")
	bob.expectStamped("alice: go one")
	bob.send("/search one")
	bob.expectStamped("alice: go one")
	if strings.Contains(bob.out.String()[strings.LastIndex(bob.out.String(), "── the last messages"):], "lobby one") {
		t.Errorf("#go's history showed the lobby's:\n%s", bob.out.String())
	}
}

// Malformed names, look-alikes of a room, a room past -max-rooms, and a
// topic from someone not allowed each get a clear line; nothing changes.
func TestRoomsRefused(t *testing.T) {
	srv := startServer(t, func(c *Config) { noFloodLimit(c); c.MaxRooms = 3 })
	alice := join(t, srv, "alice")
	bob := connect(t, srv.addr, "bob", clientOpts{env: pt})
	bob.expect("Bem-vindo(a)")
	for _, bad := range []string{"#", "#a b", "#" + strings.Repeat("x", 25), "#tab\x01"} {
		alice.send("/join " + bad)
		alice.expect("is not a room name: # and 1 to 24 letters")
	}
	alice.send("/join")
	alice.expect("Usage: /join <#room>")
	alice.send("/join #rust")
	alice.expect("* You are now in #rust")
	alice.send("/leave")
	alice.expect("* You are now in #lobby")
	bob.send("/entrar #rսst") // Armenian ս
	bob.expect("! #rսst se parece com #rust, que já existe; para entrar nela, digite /entrar #rust.")
	alice.send("/join #go")
	alice.expect("* You are now in #go")
	alice.send("/join #zig")
	alice.expect("! This server already has 3 rooms, the most it keeps; join one of /rooms.")
	bob.send("/salas")
	bob.expect("* 3 salas:")

	// The topic: the creator sets it, others may read it, the lobby's is
	// the motd.
	alice.send("/topic all things go")
	alice.expect("* alice set the topic of #go: all things go")
	bob.send("/entrar #go")
	bob.expect("* Você está agora em #go (2 aqui).")
	bob.expect("Tópico de #go: all things go")
	bob.send("/topico outra coisa")
	bob.expect("! Só quem criou a sala (alice) ou um operador pode definir o tópico de #go.")
	bob.send("/topico")
	bob.expect("Tópico de #go: all things go")
	alice.send("/topic -")
	bob.expect("* alice apagou o tópico de #go")
	bob.send("/deixar")
	bob.expect("* Você está agora em #lobby")
	bob.send("/topico algo")
	bob.expect("! O tópico do saguão é o aviso do dia")
}

// Moving costs two lines of the message budget: it is told to two rooms.
func TestRoomSwitchingIsRateLimited(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.MsgRate = 0.01; c.MsgBurst = 5 })
	alice := join(t, srv, "alice")
	alice.send("/join #a")
	alice.expect("* You are now in #a")
	alice.send("/join #b")
	alice.expect("* You are now in #b")
	alice.send("/join #c")
	alice.expect("! Slow down")
}

// /nick renames under the naming rules and registrations; the room is
// told; a registered user is told the account keeps its name.
func TestNick(t *testing.T) {
	srv := startServer(t, withStore(t.TempDir(), noFloodLimit))
	keyA := newKey(t)
	alice := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{pty: true}))
	alice.expect("Welcome")
	bob := connect(t, srv.addr, "bob", clientOpts{pty: true, env: pt})
	bob.expect("Bem-vindo(a)")

	alice.send("/nick ana")
	bob.expect("* alice agora é ana")
	alice.expect("* alice is now ana")
	bob.send("oi @ana")
	alice.expect("bob: oi @ana")
	bob.send("/clientes")
	bob.expect("* 2 online em #lobby: ana, bob")
	bob.send("/ana privado")
	alice.expect("[private] bob → you: privado")
	bob.send("/msg alice sumiu")
	bob.expect("! Nenhum usuário chamado alice está conectado")

	bob.send("/nome ana")
	bob.expect("! ana já está em uso")
	bob.send("/nome join")
	bob.expect("é o nome de um comando")
	bob.send("/nome a b")
	bob.expect("nomes não podem conter espaços")
	bob.send("/nome bob")
	bob.expect("* Você já é bob.")
	alice.send("/nick Ana") // another case is allowed
	bob.expect("* ana agora é Ana")

	// Registered: the account keeps its name.
	alice.send("/nick alice")
	alice.expect("* Ana is now alice")
	alice.send("/register")
	alice.expect("is now registered")
	alice.send("/nick ally")
	alice.expect("* Your account keeps the name alice")
	bob.send("/nome alice")
	bob.expect("! alice é um nome registrado")
	alice.send("/nick alice")
	bob.expect("* ally agora é alice")
	alice.send("/quit")
	_ = alice.expectEnd()
	bob.send("/quit")
	_ = bob.expectEnd()
}

// /timestamps shows the time before each live line, in the user's zone.
func TestTimestamps(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	alice := connect(t, srv.addr, "alice", clientOpts{env: map[string]string{"TZ": "UTC"}})
	alice.expect("Welcome")
	bob := connect(t, srv.addr, "bob", clientOpts{pty: true, env: pt})
	bob.expect("Bem-vindo(a)")
	alice.send("/timestamps on")
	alice.expect("* The time is shown before each line.")
	bob.send("hello")
	line := alice.expect("bob: hello")
	if !regexp.MustCompile(`^\d\d:\d\d bob: hello$`).MatchString(line) {
		t.Errorf("stamped line %q", line)
	}
	bob.send("/eu acena")
	line = alice.expect("* bob acena")
	if !regexp.MustCompile(`^\d\d:\d\d \* bob acena$`).MatchString(line) {
		t.Errorf("stamped action %q", line)
	}
	alice.send("/timestamps maybe")
	alice.expect("Usage: /timestamps on|off")
	alice.send("/timestamps off")
	alice.expect("* Times are hidden.")
	bob.send("/horario ligado")
	bob.expect("* A hora aparece antes de cada linha.")
	alice.send("again")
	line = bob.expect("alice: again")
	if !regexp.MustCompile(`\d\d:\d\d alice: again$`).MatchString(line) {
		t.Errorf("stamped line %q", line)
	}
	bob.send("/horario desligado")
	bob.expect("* A hora não aparece mais.")
}

// A room empty for -room-expiry goes, with its history; the lobby never
// does; a room in use does not; a record survives a restart.
func TestRoomExpiry(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{}
	clock.ns.Store(time.Now().UnixNano())
	edit := withStore(dir, func(c *Config) { c.Now = clock.now; c.RoomExpiry = 48 * time.Hour; noFloodLimit(c) })
	srv := startServer(t, edit)
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome")
	alice.send("/join #tmp")
	alice.expect("* You are now in #tmp")
	alice.send("/topic passing through")
	alice.expect("* alice set the topic")
	alice.send("soon gone")
	alice.expect("alice: soon gone")
	alice.send("/join #kept")
	alice.expect("* You are now in #kept")
	alice.send("still here")
	alice.expect("alice: still here")

	ctx := context.Background()
	clock.ns.Add(int64(24 * time.Hour))
	if gone := srv.rooms.sweep(ctx); len(gone) != 0 {
		t.Fatalf("removed %v after a day", gone)
	}
	clock.ns.Add(int64(25 * time.Hour))
	if gone := srv.rooms.sweep(ctx); fmt.Sprint(gone) != "[tmp]" {
		t.Fatalf("removed %v after two days; want [tmp]", gone)
	}
	alice.send("/rooms")
	alice.expect("* 2 rooms:")
	alice.send("/join #tmp")
	alice.expect("* You are now in #tmp (1 here)")
	alice.send("/topic")
	alice.expect("* #tmp has no topic")
	alice.send("/history")
	alice.expect("* Nothing has been said here yet.")
	if n := strings.Count(plain(alice.out.String()), "alice: soon gone"); n != 1 {
		t.Errorf("the expired room's line was shown %d times, want once (when said)", n)
	}

	// A restart keeps the rooms and when they became empty.
	alice.send("/join #kept")
	alice.expect("* You are now in #kept")
	alice.send("/quit")
	_ = alice.expectEnd()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, edit)
	bob := join(t, srv, "bob")
	bob.send("/rooms")
	bob.expect("* 3 rooms:")
	bob.expect("  #kept (0)")
	bob.expect("  #tmp (0)")
	clock.ns.Add(int64(49 * time.Hour))
	srv.rooms.sweep(ctx)
	bob.send("/rooms")
	bob.expect("* 1 rooms:")
}

// Tab completes rooms after "#" and commands after "/".
func TestTabCompletesRooms(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome")
	alice.send("/join #rustaceans")
	alice.expect("* You are now in #rustaceans")
	bob := connect(t, srv.addr, "bob", clientOpts{pty: true})
	bob.expect("Welcome")
	// Each Tab is a key press of its own, after the echo of what came before.
	for _, keys := range []struct{ typed, shown string }{
		{"/jo", "/jo"}, {"\t", "/join "}, {"#rust", "#rust"}, {"\t", "/join #rustaceans "},
	} {
		bob.write(keys.typed)
		bob.expectScreen(keys.shown)
	}
	bob.write("\r")
	bob.expect("* You are now in #rustaceans (2 here)")
	got, _, ok := completeName(func(sigil string) []string {
		if sigil == "#" {
			return []string{"lobby", "rustaceans"}
		}
		return []string{"join", "alice"}
	}, "see #ru", 7, '\t')
	if !ok || got != "see #rustaceans " {
		t.Errorf("completed %q %v", got, ok)
	}
}

// Users switching rooms while others talk: every line said in a room
// reaches that room's listener once, in its sender's order, and no line
// of the other room ever does.
func TestSwitchingUnderLoad(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	listenA := join(t, srv, "la")
	listenA.send("/join #a")
	listenA.expect("* You are now in #a")
	listenB := join(t, srv, "lb")
	listenB.send("/join #b")
	listenB.expect("* You are now in #b")
	const movers, rounds = 4, 6
	done := make(chan struct{}, movers)
	for i := range movers {
		c := connect(t, srv.addr, fmt.Sprintf("m%d", i), clientOpts{pty: true})
		c.expect("Welcome")
		go func() { // ends after its rounds
			defer func() { done <- struct{}{} }()
			for r := range rounds {
				room := []string{"a", "b"}[(i+r)%2]
				c.send("/join #" + room)
				if _, ok := c.out.waitLine(func(l string) bool { return strings.Contains(l, "You are now in #"+room) }, waitFor); !ok {
					return
				}
				text := fmt.Sprintf("%s from m%d round %d", room, i, r)
				c.send(text)
				if _, ok := c.out.waitLine(func(l string) bool { return strings.HasSuffix(l, text) }, waitFor); !ok {
					return
				}
			}
		}()
	}
	for range movers {
		<-done
	}
	listenA.send("/who")
	listenA.expect("online in #a")
	listenB.send("/who")
	listenB.expect("online in #b")
	for _, l := range []struct {
		c    *client
		room string
	}{{listenA, "a"}, {listenB, "b"}} {
		out := l.c.out.String()
		for i := range movers {
			last := -1
			for r := range rounds {
				text := fmt.Sprintf("%s from m%d round %d", []string{"a", "b"}[(i+r)%2], i, r)
				n := strings.Count(out, text)
				mine := strings.HasPrefix(text, l.room+" ")
				switch {
				case mine && n != 1:
					t.Errorf("#%s saw %q %d times", l.room, text, n)
				case !mine && n != 0:
					t.Errorf("#%s saw the other room's %q", l.room, text)
				case mine:
					at := strings.Index(out, text)
					if at < last {
						t.Errorf("#%s saw %q out of order", l.room, text)
					}
					last = at
				}
			}
		}
	}
}

// write sends keys as typed, with nothing added.
func (c *client) write(keys string) {
	c.t.Helper()
	if _, err := io.WriteString(c.stdin, keys); err != nil {
		c.t.Fatalf("%s: write %q: %v", c.name, keys, err)
	}
}

// expectScreen waits until the output so far holds want, complete line
// or not (a terminal's echo of what is being typed).
func (c *client) expectScreen(want string) {
	c.t.Helper()
	deadline := time.After(waitFor)
	for {
		c.out.mu.Lock()
		got, change := plain(string(c.out.buf)), c.out.change
		c.out.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		select {
		case <-change:
		case <-deadline:
			c.t.Fatalf("%s: output did not show %q within %v; got:\n%s", c.name, want, waitFor, c.out.tail())
		}
	}
}

// FuzzRoomName: whatever is typed after /join, an accepted room name is
// 1 to 24 runes without '#' at its start, spaces or controls, reads back
// as itself, and its identity key is that of its other cases.
func FuzzRoomName(f *testing.F) {
	for _, seed := range []string{"#rust", "rust", "#", "##", "#a b", "#Ünïcödé", "#rսst", "#\x00", "#" + strings.Repeat("x", 25), " #go ", "#\u202egit", "#ＷＩＤＥ"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		name, ok := checkRoomName(typed)
		if !ok {
			return
		}
		if n := len([]rune(name)); n < 1 || n > maxNameLen {
			t.Fatalf("%q accepted as %q, %d runes", typed, name, n)
		}
		if strings.HasPrefix(name, "#") || strings.ContainsAny(name, " \t\r\n\x1b") {
			t.Fatalf("%q accepted as %q", typed, name)
		}
		if again, ok := checkRoomName("#" + name); !ok || again != name {
			t.Fatalf("%q accepted as %q, which reads back as %q %v", typed, name, again, ok)
		}
		if nameKey(strings.ToUpper(name)) != nameKey(name) {
			if _, ok := checkRoomName(strings.ToUpper(name)); ok {
				t.Fatalf("%q and its upper case have different keys", name)
			}
		}
	})
}

// A registered user whose connection is taken over in a room comes back
// in that room, and is shown what it said meanwhile.
func TestReconnectionKeepsTheRoom(t *testing.T) {
	srv := startServer(t, withStore(t.TempDir(), noFloodLimit))
	keyA := newKey(t)
	ghost := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{}))
	ghost.expect("Welcome, alice!")
	ghost.send("/register")
	ghost.expect("is now registered")
	ghost.send("/join #den")
	ghost.expect("* You are now in #den")
	bob := connect(t, srv.addr, "bob", clientOpts{pty: true})
	bob.expect("Welcome, bob!")
	bob.send("/join #den")
	bob.expect("* You are now in #den (2 here)")

	again := connect(t, srv.addr, "alice", withKey(keyA, clientOpts{}))
	again.expect("Welcome, alice! 2 online. You are in #den.")
	ghost.expect("! You connected again from elsewhere")
	bob.expect("* alice reconnected (2 online)")
	bob.send("in the den")
	again.expect("bob: in the den")
	again.send("/who all")
	again.expect("  #den (2): alice, bob")
}
