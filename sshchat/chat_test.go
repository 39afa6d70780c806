package sshchat

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Each test here is one requirement of the spec, asserted on what the
// users actually receive.

// RF1: when a user joins, everyone already connected is told the name.
func TestJoinIsAnnouncedToOthers(t *testing.T) {
	srv := startServer(t, nil)
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	carol := join(t, srv, "carol")
	alice.expect("* bob joined (2 online)")
	alice.expect("* carol joined (3 online)")
	bob.expect("* carol joined (3 online)")
	_ = carol
}

// RF2: /sair, /quit, /exit leave; the session ends cleanly.
func TestQuitCommandsLeave(t *testing.T) {
	srv := startServer(t, nil)
	watcher := join(t, srv, "watcher")
	for _, cmd := range []string{"/sair", "/quit", "/exit", "/SAIR"} {
		name := "u" + strings.ToLower(strings.TrimPrefix(cmd, "/"))
		c := join(t, srv, name)
		watcher.expect("* " + name + " joined")
		c.send(cmd)
		if err := c.expectEnd(); err != nil {
			t.Errorf("%s: session ended with %v, want exit status 0", cmd, err)
		}
		watcher.expect("* " + name + " left (1 online)")
	}
}

// RF3: /<name> text and /msg name text reach only that user, shown
// distinctly to both sides.
func TestPrivateMessages(t *testing.T) {
	srv := startServer(t, nil)
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	carol := join(t, srv, "carol")
	alice.expect("carol joined")

	alice.send("/bob psst one")
	bob.expect("[private] alice → you: psst one")
	alice.expect("[private] you → bob: psst one")

	alice.send("/msg BOB psst two") // names are matched ignoring case
	bob.expect("[private] alice → you: psst two")
	alice.expect("[private] you → bob: psst two")

	// carol sees neither; her next line is the public one.
	alice.send("public now")
	if line := carol.expect("alice:"); line != "alice: public now" {
		t.Errorf("carol got %q before the public line", line)
	}
	if strings.Contains(carol.out.String(), "psst") {
		t.Errorf("carol saw a private message:\n%s", carol.out.String())
	}
}

// RF4: /clientes, /who and /names list who is connected.
func TestListUsers(t *testing.T) {
	srv := startServer(t, nil)
	alice := join(t, srv, "alice")
	join(t, srv, "Bob")
	join(t, srv, "carol")
	alice.expect("carol joined")
	for _, cmd := range []string{"/clientes", "/who", "/names"} {
		alice.send(cmd)
		alice.expect("* 3 online in #lobby: alice, Bob, carol")
	}
}

// RF5: messages reach everyone else.
func TestMessagesReachEveryoneElse(t *testing.T) {
	srv := startServer(t, nil)
	users := make([]*client, 4)
	for i := range users {
		users[i] = join(t, srv, fmt.Sprintf("user%d", i))
	}
	users[0].send("hello room")
	for _, u := range users[1:] {
		u.expect("user0: hello room")
	}
}

// RF9: a private message to a name not connected gets a clear error, and
// nothing is sent.
func TestPrivateMessageToUnknownUser(t *testing.T) {
	srv := startServer(t, nil)
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	alice.send("/msg zed hi")
	alice.expect("! No user named zed is connected; nothing was sent.")
	alice.send("/zed hi")
	alice.expect("! Unknown command or user: /zed.")
	alice.send("/msg bob")
	alice.expect("! Usage: /msg <name> <text>")
	alice.send("marker")
	if line := bob.expect("alice:"); line != "alice: marker" {
		t.Errorf("bob got %q", line)
	}
}

// RF10: a bad or taken SSH user name is refused with the reason, and the
// user is asked for another at a prompt.
func TestNameNegotiation(t *testing.T) {
	srv := startServer(t, nil)
	join(t, srv, "alice")

	c := connect(t, srv.addr, "sair", clientOpts{})
	c.expect("! sair is the name of a command.")
	c.send("alice")
	c.expect("! alice is taken")
	c.send("\u0430lice") // Cyrillic а: looks the same, so it is taken too
	c.expect("is taken")
	c.send("ALICE")
	c.expect("! ALICE is taken")
	c.send("alice2")
	c.expect("Welcome, alice2!")
}

// RF10: the prompt gives up after the configured number of tries.
func TestNameNegotiationGivesUp(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.LoginTries = 2 })
	c := connect(t, srv.addr, "quit", clientOpts{})
	c.expect("is the name of a command")
	c.send("has space")
	c.expect("names cannot contain spaces")
	c.expect("Too many tries")
	if err := c.expectEnd(); err == nil {
		t.Error("session ended with status 0 after failed login")
	}
}

// RF11: names with spaces, control characters, or that are commands are
// refused with the rule that failed.
func TestNameRulesAtLogin(t *testing.T) {
	srv := startServer(t, nil)
	cases := map[string]string{
		"a b":                   "names cannot contain spaces",
		"a\x1b[31mb":            "control or invisible characters",
		"clientes":              "is the name of a command",
		"/x":                    "names use letters, digits",
		strings.Repeat("a", 25): "names are at most 24 characters",
	}
	for user, want := range cases {
		c := connect(t, srv.addr, user, clientOpts{})
		c.expect(want)
		c.send("ok" + fmt.Sprint(len(user)))
		c.expect("Welcome")
	}
}

// Messages from one sender arrive in the order sent, and every user sees
// the room's messages in one and the same order.
func TestOneOrderForEveryone(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	const senders, each = 4, 50
	var users []*client
	for i := range senders {
		users = append(users, join(t, srv, fmt.Sprintf("s%d", i)))
	}
	watchers := []*client{join(t, srv, "w1"), join(t, srv, "w2")}
	for _, u := range users {
		go func() {
			for j := range each {
				fmt.Fprintf(u.stdin, "m%d\n", j)
			}
		}()
	}
	var orders [][]string
	for _, w := range watchers {
		var got []string
		for range senders * each {
			line, ok := w.out.waitLine(func(l string) bool { return strings.Contains(l, ": m") }, waitFor)
			if !ok {
				t.Fatalf("%s: got %d of %d messages", w.name, len(got), senders*each)
			}
			got = append(got, line)
		}
		orders = append(orders, got)
		next := map[string]int{}
		for _, line := range got {
			from, text, _ := strings.Cut(line, ": ")
			if want := fmt.Sprintf("m%d", next[from]); text != want {
				t.Fatalf("%s: from %s got %q, want %q", w.name, from, text, want)
			}
			next[from]++
		}
	}
	if strings.Join(orders[0], "\n") != strings.Join(orders[1], "\n") {
		t.Error("two users saw the room in different orders")
	}
}

// RF10: the name prompt does not wait forever.
func TestNamePromptTimesOut(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.LoginTimeout = 300 * time.Millisecond })
	c := connect(t, srv.addr, "help", clientOpts{})
	c.expect("is the name of a command")
	c.expect("! No name chosen in time. Goodbye.")
	if err := c.expectEnd(); err == nil {
		t.Error("session ended with status 0 after the prompt timed out")
	}
}
