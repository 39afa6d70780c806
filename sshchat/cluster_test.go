package sshchat

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Users on three chat servers sharing one NATS cluster are in one
// conversation: they are told of each other, see every message in one
// order under concurrent senders on every server, list each other, and
// write to each other privately.
func TestClusterOneConversation(t *testing.T) {
	nc := startNATSCluster(t)
	a, b, c := nc.chatNode("a", nil), nc.chatNode("b", nil), nc.chatNode("c", nil)
	alice := connect(t, a.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	bob := connect(t, b.addr, "bob", clientOpts{pty: true, env: pt})
	bob.expect("Bem-vindo(a), bob!")
	alice.expect("* bob joined (2 online)")
	carol := connect(t, c.addr, "carol", clientOpts{pty: true})
	carol.expect("Welcome, carol!")
	alice.expect("* carol joined (3 online)")
	bob.expect("* carol entrou (3 online)")

	alice.send("/who")
	alice.expect("* 3 online in #lobby: alice, bob, carol")
	bob.send("/quem alice")
	bob.expect("* alice: ")
	alice.send("/msg carol across servers")
	carol.expect("[private] alice → you: across servers")
	carol.send("/bob and to you")
	bob.expect("[privado] carol → você: and to you")
	alice.send("/msg nobody hi")
	alice.expect("! No user named nobody")

	// Concurrent senders on every server: every user sees one order.
	const each = 10
	users := []*client{alice, bob, carol}
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() { // ends after its sends
			defer wg.Done()
			for k := range each {
				u.send(fmt.Sprintf("m%d-%d", i, k))
			}
		}()
	}
	wg.Wait()
	for _, u := range users {
		for i := range users {
			u.expectScreen(fmt.Sprintf(": m%d-%d", i, each-1))
		}
	}
	order := func(c *client) []string {
		var got []string
		for _, l := range c.out.lines() {
			if i := strings.Index(l, ": m"); i >= 0 && strings.Count(l[i:], "-") == 1 {
				got = append(got, l[i+2:])
			}
		}
		return got
	}
	want := order(alice)
	if len(want) != 3*each {
		t.Fatalf("alice saw %d messages: %q", len(want), want)
	}
	for _, u := range users[1:] {
		if got := order(u); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s's order differs:\n%q\nalice's:\n%q", u.name, got, want)
		}
	}

	// Rooms across servers.
	bob.send("/entrar #ops")
	alice.expect("* bob went to #ops (2 online)")
	carol.send("/join #ops")
	bob.expect("* carol entrou (2 online)")
	carol.send("in ops")
	bob.expect("carol: in ops")
	alice.send("/who all")
	alice.expect("* 3 online in 2 rooms:")
	alice.expect("  #ops (2): bob, carol")

	// Leaving is told with its reason.
	carol.send("/quit")
	_ = carol.expectEnd()
	bob.expect("* carol saiu (1 online)")
}

// A name is one user's across servers: a registered name is refused on
// another server to another key, and two servers racing for one name
// end with one owner.
func TestClusterNamesAreUnique(t *testing.T) {
	nc := startNATSCluster(t)
	a, b := nc.chatNode("a", nil), nc.chatNode("b", nil)
	keyA := newKey(t)
	alice := connect(t, a.addr, "alice", withKey(keyA, clientOpts{}))
	alice.expect("Welcome, alice!")
	other := connect(t, b.addr, "Alice", withKey(newKey(t), clientOpts{}))
	other.expect("is taken")
	other.send("/quit")
	alice.send("/register")
	alice.expect("is now registered")
	alice.send("/quit")
	_ = alice.expectEnd()
	impostor := connect(t, b.addr, "ALICE", withKey(newKey(t), clientOpts{}))
	impostor.expect("is a registered name")
	impostor.send("/quit")

	for round := range 3 {
		name := fmt.Sprintf("zed%d", round)
		ca := connect(t, a.addr, name, clientOpts{})
		cb := connect(t, b.addr, name, clientOpts{})
		won := 0
		for _, cl := range []*client{ca, cb} {
			line, ok := cl.out.waitLine(func(l string) bool {
				return strings.Contains(l, "Welcome, "+name) || strings.Contains(l, "is taken")
			}, waitFor)
			if !ok {
				t.Fatalf("%s: neither welcomed nor refused:\n%s", cl.name, cl.out.tail())
			}
			if strings.Contains(line, "Welcome") {
				won++
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d servers gave %s the name", round, won, name)
		}
		ca.send("/quit")
		cb.send("/quit")
	}
}

// A ban on one server ends the banned user's session on another within
// a second; a kick reaches across too.
func TestClusterModeration(t *testing.T) {
	nc := startNATSCluster(t)
	ownerKey := newKey(t)
	owners := func(c *Config) { c.Owners = []string{fingerprint(ownerKey)} }
	a, b := nc.chatNode("a", owners), nc.chatNode("b", owners)
	owner := connect(t, a.addr, "boss", withKey(ownerKey, clientOpts{}))
	owner.expect("Welcome, boss!")
	troll := connect(t, b.addr, "troll", withKey(newKey(t), clientOpts{}))
	troll.expect("Welcome, troll!")
	kicked := connect(t, b.addr, "noisy", clientOpts{})
	kicked.expect("Welcome, noisy!")
	owner.expect("* noisy joined")

	owner.send("/kick noisy calm down")
	kicked.expect("! You were kicked by boss: calm down")
	owner.expect("* noisy was kicked by boss: calm down")

	start := time.Now()
	owner.send("/ban troll 1h spam")
	troll.expect("! You were banned by boss")
	if d := time.Since(start); d > time.Second {
		t.Errorf("the ban took %v to reach the other server", d)
	}
	// The room on the deciding server is told through the online bucket:
	// the reason, or, when its watch lagged past that revision, a leave.
	if _, ok := owner.out.waitLine(func(l string) bool {
		return strings.Contains(l, "* troll was banned by boss") || strings.Contains(l, "* troll left")
	}, waitFor); !ok {
		t.Fatalf("boss was not told troll went:\n%s", owner.out.tail())
	}
}

// A chat server that stops without a word (its heartbeat stops, its
// connection goes) has its users told lost by the others within the
// bound; a NATS node stopped leaves the chat going.
func TestClusterServerLost(t *testing.T) {
	nc, a, b, alice, bob := aliceAndBob(t)

	// One NATS node of three stops: the stream keeps a quorum.
	nc.stop(0)
	sayUntilSeen(t, alice, bob, "still here")
	nc.start(0)

	start := time.Now()
	b.crash()
	line, ok := alice.out.waitLine(func(l string) bool { return strings.Contains(l, "bob lost the connection") }, nodeTTL+heartbeatEvery+5*time.Second)
	if !ok {
		t.Fatalf("alice was not told bob was lost:\n%s", alice.out.tail())
	}
	t.Logf("%q after %v", line, time.Since(start).Round(time.Millisecond))
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("told after %v, past the 15 s bound", d)
	}
	bob2 := connect(t, a.addr, "bob", clientOpts{})
	bob2.expect("Welcome, bob!")
}

// The whole cluster stops: users are told, their lines refused; it comes
// back: the chat resumes by itself with nothing lost or doubled.
func TestClusterStopsAndComesBack(t *testing.T) {
	nc, _, _, alice, bob := aliceAndBob(t)
	alice.send("before")
	bob.expect("alice: before")

	for i := range 3 {
		nc.stop(i)
	}
	alice.expect("! The chat is unavailable")
	bob.expect("! The chat is unavailable")
	alice.send("into the void")
	alice.expect("! The chat is unavailable")

	for i := range 3 {
		nc.start(i)
	}
	for _, u := range []*client{alice, bob} {
		if _, ok := u.out.waitLine(func(l string) bool { return strings.Contains(l, "The chat is back") }, 60*time.Second); !ok {
			t.Fatalf("%s was not told the chat is back:\n%s", u.name, u.out.tail())
		}
	}
	// The stream answers before every follower has caught up: a first
	// line may take a moment, and is sent again, numbered, meanwhile.
	sayUntilSeen(t, alice, bob, "after")
	// alice's lines are stored one after another, so once bob has the
	// last one, any second copy of an earlier one would be on his screen.
	alice.send("last")
	bob.expect("alice: last")
	out := plain(bob.out.String())
	doubled := false
	for i := 1; i < 12; i++ {
		doubled = doubled || strings.Count(out, fmt.Sprintf("alice: after %d\n", i)) > 1
	}
	if strings.Contains(out, "into the void") || strings.Count(out, "alice: before") != 1 || doubled {
		t.Errorf("bob's transcript:\n%s", out)
	}
}

// sayUntilSeen has from say text (numbered) until to sees it: a line
// sent while a server's store connection moves to another NATS node is
// refused, with its reason, and is to be sent again.
func sayUntilSeen(t *testing.T, from, to *client, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for try := 1; time.Now().Before(deadline); try++ {
		line := fmt.Sprintf("%s %d", text, try)
		from.send(line)
		if _, ok := to.out.waitLine(func(l string) bool { return strings.HasSuffix(l, from.name+": "+line) }, 3*time.Second); ok {
			return
		}
	}
	t.Fatalf("%s never saw %q from %s:\n%s", to.name, text, from.name, to.out.tail())
}

// -metrics serves Prometheus metrics and a health endpoint that says
// whether the store answers.
func TestMetricsAndHealth(t *testing.T) {
	port := freePorts(t, 1)[0]
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	srv := startServer(t, withStore(t.TempDir(), func(c *Config) { c.Metrics = addr }))
	alice := connect(t, srv.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome")
	alice.send("/join #ops")
	alice.expect("* You are now in #ops")
	alice.send("hello")
	alice.expect("alice: hello")
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := get("/metrics")
	for _, want := range []string{
		"sshchat_connections 1",
		`sshchat_room_users{room="ops",where="here"} 1`,
		"sshchat_messages_total 1",
		"sshchat_deliveries_total 1",
		`sshchat_leaves_total{reason="slow consumer"} 0`,
		"sshchat_store_append_seconds_count 1",
		"sshchat_store_up 1",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	srv.ownStore.Suspend()
	alice.expect("! The chat is unavailable")
	if code, body := get("/healthz"); code != 503 || !strings.Contains(body, "store") {
		t.Errorf("/healthz with the store stopped: %d %q", code, body)
	}
	if err := srv.ownStore.Resume(); err != nil {
		t.Fatal(err)
	}
	alice.expect("* The chat is back")
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz after the store came back: %d", code)
	}
}

// A user connecting to another server with the same key takes over a
// lost connection's name there; a mute decided on one server holds on
// another.
func TestClusterTakeoverAndMute(t *testing.T) {
	nc := startNATSCluster(t)
	ownerKey := newKey(t)
	owners := func(c *Config) { c.Owners = []string{fingerprint(ownerKey)} }
	a, b := nc.chatNode("a", owners), nc.chatNode("b", owners)
	keyA := newKey(t)
	ghost := connect(t, a.addr, "alice", withKey(keyA, clientOpts{}))
	ghost.expect("Welcome, alice!")
	owner := connect(t, b.addr, "boss", withKey(ownerKey, clientOpts{pty: true}))
	owner.expect("Welcome, boss!")

	again := connect(t, b.addr, "alice", withKey(keyA, clientOpts{}))
	again.expect("Welcome, alice!")
	ghost.expect("! You connected again from elsewhere")
	owner.send("/who")
	owner.expect("* 2 online in #lobby: alice, boss")
	owner.send("/whois alice")
	owner.expect("* alice: key " + fingerprint(keyA))

	chatty := connect(t, a.addr, "chatty", clientOpts{})
	chatty.expect("Welcome, chatty!")
	// Server b knows chatty once the join has crossed to it.
	owner.expect("* chatty joined")
	owner.send("/mute chatty 1h")
	chatty.expect("* chatty was muted by boss")
	// The line comes straight from server b; the mute reaches server a
	// through the bucket's watch, a moment later.
	waitUntil(t, "the mute to hold on server a", func() bool {
		chatty.send("probe")
		_, ok := chatty.out.waitLine(func(l string) bool { return strings.Contains(l, "! You are muted") }, time.Second)
		return ok
	})
	chatty.send("can you hear me")
	chatty.expect("! You are muted")
	owner.send("after the mute")
	chatty.expect("boss: after the mute")
	if strings.Contains(owner.out.String(), "can you hear me") {
		t.Error("a muted user's line reached another server")
	}
}

// BenchmarkClusterDelivery measures one message's delivery from a sender
// on server a to a user on a and to a user on b, one message at a time,
// on a real three-node NATS cluster in this process: the p50 and p99 of
// each, and what crossing servers adds at the median.
func BenchmarkClusterDelivery(b *testing.B) {
	nc := startNATSCluster(b)
	sa, sb := nc.chatNode("a", nil), nc.chatNode("b", nil)
	sender := join(b, sa, "sender")
	here := join(b, sa, "here")
	there := join(b, sb, "there")
	sender.expect("* there joined")
	var same, cross []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		text := fmt.Sprintf("bench %d", i)
		start := time.Now()
		sender.send(text)
		for _, r := range []struct {
			c   *client
			out *[]time.Duration
		}{{here, &same}, {there, &cross}} {
			if _, ok := r.c.out.waitLine(func(l string) bool { return strings.HasSuffix(l, "sender: "+text) }, waitFor); !ok {
				b.Fatalf("%s did not get %q", r.c.name, text)
			}
			*r.out = append(*r.out, time.Since(start))
		}
	}
	b.StopTimer()
	pct := func(d []time.Duration, p float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[int(p*float64(len(s)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(same, .5), "same-p50-ms")
	b.ReportMetric(pct(same, .99), "same-p99-ms")
	b.ReportMetric(pct(cross, .5), "cross-p50-ms")
	b.ReportMetric(pct(cross, .99), "cross-p99-ms")
	b.ReportMetric(pct(cross, .5)-pct(same, .5), "cross-adds-p50-ms")
}

// aliceAndBob is a new cluster with two chat servers, alice on a and bob
// on b, each told of the other.
func aliceAndBob(t *testing.T) (nc *natsCluster, a, b *testServer, alice, bob *client) {
	t.Helper()
	nc = startNATSCluster(t)
	a, b = nc.chatNode("a", nil), nc.chatNode("b", nil)
	alice = connect(t, a.addr, "alice", clientOpts{pty: true})
	alice.expect("Welcome, alice!")
	bob = connect(t, b.addr, "bob", clientOpts{pty: true})
	bob.expect("Welcome, bob!")
	alice.expect("* bob joined (2 online)")
	return nc, a, b, alice, bob
}
