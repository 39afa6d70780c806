package sshchat

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// storm sets an announce window no test outlasts: joins and leaves after
// the first wait until something else is published to the room.
func storm(c *Config) { c.AnnounceWindow = time.Hour }

// In a storm, the joins of a window are told in one line, before the
// next message; each joiner is told only of those who came after it.
func TestJoinsInAStormAreToldTogether(t *testing.T) {
	srv := startServer(t, storm)
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	carol := join(t, srv, "carol")
	dave := join(t, srv, "dave")
	dave.send("hi")
	for _, c := range []*client{alice, bob, carol} {
		c.expect("dave: hi")
	}
	wantLines(t, alice, "Welcome, alice! 1 online.", "* bob, carol and dave joined (4 online)", "dave: hi")
	wantLines(t, bob, "Welcome, bob! 2 online.", "* carol and dave joined (4 online)", "dave: hi")
	wantLines(t, carol, "Welcome, carol! 3 online.", "* dave joined (4 online)", "dave: hi")

	// Leaves for one reason share a line too, and a join after them gets
	// its own: the order of what happened is kept.
	for _, c := range []*client{bob, carol} {
		c.send("/quit")
		if err := c.expectEnd(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	eve := join(t, srv, "eve")
	dave.send("yo")
	alice.expect("dave: yo")
	eve.expect("dave: yo")
	wantLines(t, alice, "Welcome, alice! 1 online.", "* bob, carol and dave joined (4 online)", "dave: hi",
		"* bob and carol left (2 online)", "* eve joined (3 online)", "dave: yo")
	// eve is shown what was said before she came, then the room live.
	if got := eve.out.lines(); len(got) != 5 || got[0] != "── earlier messages ──" || !regexp.MustCompile(`^\d\d:\d\d dave: hi$`).MatchString(got[1]) ||
		got[2] != "── now ──" || !strings.HasPrefix(got[3], "Welcome, eve! 3 online.") || got[4] != "dave: yo" {
		t.Errorf("eve received:\n%s", strings.Join(got, "\n"))
	}
}

// A private message, like a room message, comes after the announcement
// of its sender's arrival.
func TestPrivateMessageFollowsTheJoin(t *testing.T) {
	srv := startServer(t, storm)
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	bob.send("/msg alice psst")
	alice.expect("[private] bob → you: psst")
	wantLines(t, alice, "Welcome, alice! 1 online.", "* bob joined (2 online)", "[private] bob → you: psst")
}

// An answer about a name comes after the announcements it depends on:
// /whois does not describe a user the room has not been told of, and a
// private message to one who left says "no such user" only after the
// room is told they left. Tab completion, which no budget limits, tells
// nothing early.
func TestAnswersAboutANameFollowItsAnnouncements(t *testing.T) {
	srv := startServer(t, storm)
	alice := join(t, srv, "alice")
	join(t, srv, "bob")
	alice.send("/whois bob")
	alice.expect("* bob: key")
	wantLines(t, alice, "Welcome, alice! 1 online.", "* bob joined (2 online)", "* bob: key", "  in #lobby")

	carol := join(t, srv, "carol")
	if got := srv.names.completions(); !slices.Equal(got, []string{"alice", "bob", "carol"}) {
		t.Fatalf("completions = %q", got)
	}
	carol.send("/quit")
	if err := carol.expectEnd(); err != nil {
		t.Fatal(err)
	}
	alice.send("/msg carol hi")
	alice.expect("! No user named carol")
	wantLines(t, alice, "Welcome, alice! 1 online.", "* bob joined (2 online)", "* bob: key", "  in #lobby",
		"* carol joined (3 online)", "* carol left (2 online)", "! No user named carol")
}

// With nothing else said, what waits is told when the window ends: the
// clock stands still until the test moves it, so every change here falls
// in one window, then the next.
func TestWaitingChangesAreToldAtTheWindowsEnd(t *testing.T) {
	clock := &testClock{}
	clock.ns.Store(time.Now().UnixNano())
	srv := startServer(t, func(c *Config) {
		c.AnnounceWindow = 10 * time.Millisecond
		c.Now = clock.now
	})
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	carol := join(t, srv, "carol")
	clock.ns.Add(int64(time.Second))
	alice.expect("* bob and carol joined (3 online)")

	for _, c := range []*client{bob, carol} {
		c.send("/quit")
		if err := c.expectEnd(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	// Leaving and coming back within a window is told as it happened.
	dave := join(t, srv, "dave")
	dave.send("/sair")
	if err := dave.expectEnd(); err != nil {
		t.Fatal(err)
	}
	join(t, srv, "dave")
	clock.ns.Add(int64(time.Second))
	alice.expect("* dave joined (2 online)")
	wantLines(t, alice, "Welcome, alice! 1 online.", "* bob and carol joined (3 online)",
		"* bob and carol left (1 online)", "* dave joined (2 online)", "* dave left (1 online)", "* dave joined (2 online)")
}

// testClock is a clock that moves only when the test moves it.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time { return time.Unix(0, c.ns.Load()) }

// A shutdown tells what is waiting before its notice, the last line.
func TestShutdownTellsWaitingJoins(t *testing.T) {
	srv := startServer(t, storm)
	alice := join(t, srv, "alice")
	join(t, srv, "bob")
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	alice.expect("* bob joined (2 online)")
	alice.expect("The server is shutting down. Goodbye!")
}

// wantLines checks everything c has received, by line prefix.
func wantLines(t *testing.T, c *client, want ...string) {
	t.Helper()
	got := c.out.lines()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("%s received:\n%s\nwant lines starting:\n%s", c.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A storm is told in announcements of at most maxChanges changes, each
// listing at most maxNamed names and counting the rest; every change is
// carried, once, in order.
func TestAnnouncementsAreBounded(t *testing.T) {
	h := newTestRoom(time.Hour, time.Now)
	watcher := bareMember("watcher", 1<<30)
	if err := h.join(watcher); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 2*maxChanges + 20 {
		m := bareMember(fmt.Sprintf("u%04d", i), 1<<30)
		if err := h.join(m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m.name)
	}
	h.shutdown()
	var told []string
	events := 0
	for _, ev := range watcher.out.take(nil) {
		if ev.kind != evPresence {
			continue
		}
		events++
		if len(ev.changes) > maxChanges {
			t.Errorf("an announcement with %d changes", len(ev.changes))
		}
		text := formatChanges(langEN, ev.changes)
		if names := strings.Count(text, ", ") + 2; names > maxNamed+1 || strings.Count(text, "\n") > 1 {
			t.Errorf("an announcement with %d names: %.80s…", names, text)
		}
		if more := fmt.Sprintf("* %d more joined (", len(ev.changes)-maxNamed); len(ev.changes) > maxNamed+1 && !strings.Contains(text, more) {
			t.Errorf("an announcement of %d joins does not count the rest: …%s", len(ev.changes), text[max(0, len(text)-80):])
		}
		for _, c := range ev.changes {
			if c.name != watcher.name {
				told = append(told, c.name)
			}
		}
	}
	if !slices.Equal(told, want) {
		t.Errorf("told %d joins, want %d in join order", len(told), len(want))
	}
	if events > 4 {
		t.Errorf("%d announcements for %d joins", events, len(want))
	}
}

func TestFormatChanges(t *testing.T) {
	cs := []change{
		{seq: 1, name: "ana", online: 2},
		{seq: 2, name: "bia", online: 3},
		{seq: 3, name: "caio", online: 4},
		{seq: 4, name: "duda", left: true, reason: leaveLost, online: 3},
		{seq: 5, name: "eli", left: true, reason: leaveQuit, online: 2},
		{seq: 6, name: "fabi", left: true, reason: leaveQuit, online: 1},
		{seq: 7, name: "gil", online: 2},
	}
	want := map[lang]string{
		langEN: "* ana, bia and caio joined (4 online)\n* duda lost the connection (3 online)\n* eli and fabi left (1 online)\n* gil joined (2 online)",
		langPT: "* ana, bia e caio entraram (4 online)\n* duda perdeu a conexão (3 online)\n* eli e fabi saíram (1 online)\n* gil entrou (2 online)",
	}
	for l, w := range want {
		if got := formatChanges(l, cs); got != w {
			t.Errorf("%v:\ngot  %q\nwant %q", l, got, w)
		}
	}
	// bia joined at seq 2: told of caio onwards, not of ana or herself.
	ev := newPresence(cs)
	if got := ev.presenceLine(langEN, 2); !strings.HasPrefix(got, "* caio joined (4 online)\n") {
		t.Errorf("bia is told %q", got)
	}
	if got := ev.presenceLine(langEN, 7); got != "" {
		t.Errorf("gil, the last, is told %q", got)
	}
}

// Past the names an announcement lists, joins and leaves are counted, a
// lone one still named; lines told alone keep their place.
func TestFormatChangesCountsAStorm(t *testing.T) {
	var cs []change
	for i := range maxNamed + 5 {
		cs = append(cs, change{seq: uint64(i + 1), name: fmt.Sprintf("u%02d", i), online: i + 1})
	}
	kicked := change{seq: 100, name: "kim", left: true, reason: leaveKicked, online: 54}
	kicked.told = [numLangs]string{"* kim was kicked", "* kim foi expulso"}
	cs = append(cs,
		change{seq: 101, name: "u00", left: true, reason: leaveQuit, online: 54},
		change{seq: 102, name: "u01", left: true, reason: leaveLost, online: 53},
		kicked,
		change{seq: 103, name: "u02", left: true, reason: leaveLost, online: 52},
	)
	want := map[lang][]string{
		langEN: {"* u00, u01", "u49 joined (50 online)", "* 5 more joined (55 online)", "* 2 more left (53 online)",
			"* kim was kicked", "* u02 lost the connection (52 online)"},
		langPT: {"* u00, u01", "u49 entraram (50 online)", "* mais 5 entraram (55 online)", "* mais 2 saíram (53 online)",
			"* kim foi expulso", "* u02 perdeu a conexão (52 online)"},
	}
	for l, w := range want {
		got := formatChanges(l, cs)
		at := 0
		for _, part := range w {
			i := strings.Index(got[at:], part)
			if i < 0 {
				t.Fatalf("%v: %q not found in order in:\n%s", l, part, got)
			}
			at += i + len(part)
		}
		if lines := strings.Count(got, "\n") + 1; lines != 5 {
			t.Errorf("%v: %d lines:\n%s", l, lines, got)
		}
	}

	// Past the names, leaves then joins: the joins' line comes last, with
	// the room's count after them.
	cs = cs[:maxNamed]
	cs = append(cs,
		change{seq: 201, name: "u00", left: true, reason: leaveQuit, online: 49},
		change{seq: 202, name: "u01", left: true, reason: leaveQuit, online: 48},
		change{seq: 203, name: "v1", online: 49},
		change{seq: 204, name: "v2", online: 50},
	)
	got := formatChanges(langEN, cs)
	if !strings.HasSuffix(got, "\n* 2 more left (48 online)\n* 2 more joined (50 online)") {
		t.Errorf("leaves then joins, counted:\n%s", got)
	}
}

// A large room is told of changes less often, so that a storm's
// announcements cost at most announceWrites writes a second.
func TestWindowGrowsWithTheRoom(t *testing.T) {
	p := presence{window: time.Second}
	for online, want := range map[int]time.Duration{1: time.Second, announceWrites: time.Second, 2 * announceWrites: 2 * time.Second} {
		if got := p.windowFor(online); got != want {
			t.Errorf("window for %d online: %v, want %v", online, got, want)
		}
	}
	if got := (&presence{}).windowFor(1 << 20); got != 0 {
		t.Errorf("a window of 0 (each change at once) became %v in a large room", got)
	}
}

// Every leave reason has its lines for one and for several names, in
// every language, with the same arguments.
func TestEveryAnnouncementHasAPlural(t *testing.T) {
	rows := append([]leaveRow{{told: msgJoined, toldMany: msgJoinedMany}}, leaveReasons[:]...)
	for _, row := range rows {
		for l := range numLangs {
			one, many := catalogue[l][row.told], catalogue[l][row.toldMany]
			if one == "" || many == "" || strings.Count(many, "%") != strings.Count(one, "%") {
				t.Errorf("%v: plural of %q is %q", l, one, many)
			}
		}
	}
}
