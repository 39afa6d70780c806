// Package chatlogtest holds the conformance tests every chatlog.Log
// implementation passes, so the in-memory log and the store are held to
// one set of rules written once.
package chatlogtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// New returns an empty log that keeps at least 100 entries per room; it
// registers its own cleanup with t.
type New func(t *testing.T) chatlog.Log

// Run runs every conformance test against logs made by newLog.
func Run(t *testing.T, newLog New) {
	t.Run("Order", func(t *testing.T) { testOrder(t, newLog(t)) })
	t.Run("DedupeByID", func(t *testing.T) { testDedupe(t, newLog(t)) })
	t.Run("Last", func(t *testing.T) { testLast(t, newLog(t)) })
	t.Run("Search", func(t *testing.T) { testSearch(t, newLog(t)) })
	t.Run("Count", func(t *testing.T) { testCount(t, newLog(t)) })
	t.Run("Actions", func(t *testing.T) { testActions(t, newLog(t)) })
	t.Run("Follow", func(t *testing.T) { testFollow(t, newLog(t)) })
	t.Run("UnicodeRooms", func(t *testing.T) { testUnicodeRooms(t, newLog(t)) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, newLog(t)) })
}

// testPurge: a purged room has no history and its ids may be used again;
// other rooms keep theirs, and the sequence goes on.
func testPurge(t *testing.T, l chatlog.Log) {
	Add(t, l, "gone", "ana", "one")
	kept := Add(t, l, "kept", "bia", "two")
	if err := l.Purge(ctx(t), "gone"); err != nil {
		t.Fatal(err)
	}
	if es, err := l.Last(ctx(t), "gone", 10, 0); err != nil || len(es) != 0 {
		t.Fatalf("purged room: %v %v", texts(es), err)
	}
	if n, err := l.Count(ctx(t), "gone", 0); err != nil || n != 0 {
		t.Fatalf("purged room counts %d %v", n, err)
	}
	if es, err := l.Last(ctx(t), "kept", 10, 0); err != nil || !equal(texts(es), []string{"two"}) {
		t.Fatalf("other room: %v %v", texts(es), err)
	}
	if again := Add(t, l, "gone", "ana", "three"); again <= kept {
		t.Fatalf("sequence went back: %d after %d", again, kept)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// Add appends a message with a fresh ID and fails t if the log refuses it.
func Add(t testing.TB, l chatlog.Log, room, from, text string) uint64 {
	t.Helper()
	seq, err := l.Append(context.Background(), chatlog.Entry{
		Room: room, ID: fmt.Sprintf("%s-%d", room, idSeq.next()), From: from, Text: text,
	})
	if err != nil {
		t.Fatalf("Append(%q, %q): %v", room, text, err)
	}
	return seq
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) next() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

var idSeq counter

func texts(es []chatlog.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Text
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testOrder(t *testing.T, l chatlog.Log) {
	var last uint64
	for i := range 10 {
		room := []string{"lobby", "dev"}[i%2]
		seq := Add(t, l, room, "ana", fmt.Sprint(i))
		if seq <= last {
			t.Fatalf("append %d got sequence %d after %d", i, seq, last)
		}
		last = seq
	}
	got, err := l.Last(ctx(t), "lobby", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0", "2", "4", "6", "8"}; !equal(texts(got), want) {
		t.Fatalf("lobby = %q, want %q", texts(got), want)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			t.Fatalf("entries out of order: %d then %d", got[i-1].Seq, got[i].Seq)
		}
	}
	e := got[0]
	if e.Room != "lobby" || e.From != "ana" || e.ID == "" || e.Seq == 0 {
		t.Fatalf("entry lost a field: %+v", e)
	}
	if e.At.IsZero() || time.Since(e.At) > time.Hour || time.Until(e.At) > time.Hour {
		t.Fatalf("entry At = %v, want about now", e.At)
	}
}

func testDedupe(t *testing.T, l chatlog.Log) {
	c := ctx(t)
	e := chatlog.Entry{Room: "lobby", ID: "same-id", From: "ana", Text: "once"}
	first, err := l.Append(c, e)
	if err != nil {
		t.Fatal(err)
	}
	Add(t, l, "lobby", "bea", "between")
	again, err := l.Append(c, e)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Fatalf("retried append got sequence %d, first got %d", again, first)
	}
	got, err := l.Last(c, "lobby", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"once", "between"}; !equal(texts(got), want) {
		t.Fatalf("history = %q, want %q", texts(got), want)
	}
}

func testLast(t *testing.T, l chatlog.Log) {
	c := ctx(t)
	var seqs []uint64
	for i := range 30 {
		seqs = append(seqs, Add(t, l, "lobby", "ana", fmt.Sprint(i)))
		Add(t, l, "other", "bea", fmt.Sprint(i))
	}
	check := func(n int, upTo uint64, want []string) {
		t.Helper()
		got, err := l.Last(c, "lobby", n, upTo)
		if err != nil {
			t.Fatal(err)
		}
		if !equal(texts(got), want) {
			t.Fatalf("Last(%d, %d) = %q, want %q", n, upTo, texts(got), want)
		}
	}
	check(3, 0, []string{"27", "28", "29"})
	check(1, 0, []string{"29"})
	check(0, 0, []string{})
	check(3, seqs[10], []string{"8", "9", "10"})
	check(3, seqs[10]+1, []string{"8", "9", "10"}) // a sequence of another room
	check(5, seqs[1], []string{"0", "1"})
	all, err := l.Last(c, "lobby", 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 30 {
		t.Fatalf("Last(1000) returned %d entries, want 30", len(all))
	}
	none, err := l.Last(c, "nowhere", 10, 0)
	if err != nil || len(none) != 0 {
		t.Fatalf("Last of an empty room = %v, %v", none, err)
	}
}

func testSearch(t *testing.T, l chatlog.Log) {
	c := ctx(t)
	Add(t, l, "lobby", "ana", "JOAO arrived")
	Add(t, l, "other", "bea", "joão elsewhere")
	Add(t, l, "lobby", "bea", "nothing here")
	Add(t, l, "lobby", "ana", "olá João, café?")
	Add(t, l, "lobby", "ana", "Joao e o CAFE")
	check := func(words []string, limit int, want []string) {
		t.Helper()
		got, err := l.Search(c, "lobby", words, limit)
		if err != nil {
			t.Fatal(err)
		}
		if !equal(texts(got), want) {
			t.Fatalf("Search(%q, %d) = %q, want %q", words, limit, texts(got), want)
		}
	}
	check([]string{"joão"}, 10, []string{"JOAO arrived", "olá João, café?", "Joao e o CAFE"})
	check([]string{"joão"}, 2, []string{"olá João, café?", "Joao e o CAFE"})
	check([]string{"JOAO", "cafe"}, 10, []string{"olá João, café?", "Joao e o CAFE"})
	check([]string{"absent"}, 10, []string{})
	got, err := l.Search(c, "nowhere", []string{"x"}, 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("Search of an empty room = %v, %v", got, err)
	}
}

// Follower collects what a Follow delivers, for tests to wait on.
type Follower struct {
	mu      sync.Mutex
	entries []chatlog.Entry
	Stop    func()
}

// Follow starts following l; the follower stops when t ends.
func Follow(t testing.TB, l chatlog.Log) *Follower {
	t.Helper()
	f := &Follower{}
	stop, err := l.Follow(func(e chatlog.Entry) {
		f.mu.Lock()
		f.entries = append(f.entries, e)
		f.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("Follow: %v", err)
	}
	f.Stop = stop
	t.Cleanup(stop)
	return f
}

// Entries returns a copy of what was delivered so far.
func (f *Follower) Entries() []chatlog.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]chatlog.Entry(nil), f.entries...)
}

// WaitFor waits up to d for at least n entries and returns them.
func (f *Follower) WaitFor(t testing.TB, n int, d time.Duration) []chatlog.Entry {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := f.Entries()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the follower has %d entries, want %d: %q", d, len(got), n, texts(got))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testFollow(t *testing.T, l chatlog.Log) {
	Add(t, l, "lobby", "ana", "before")
	f := Follow(t, l)
	var want []string
	var seqs []uint64
	var mu sync.Mutex
	var wg sync.WaitGroup
	// Appends from several goroutines: the follower must see them in the
	// log's order, whatever order the appends returned in.
	for g := range 3 {
		wg.Add(1)
		go func() { // owner: this test; ends after its appends.
			defer wg.Done()
			for i := range 5 {
				text := fmt.Sprintf("g%d-%d", g, i)
				seq, err := l.Append(context.Background(), chatlog.Entry{
					Room: []string{"lobby", "dev", "café"}[g], ID: text, From: "ana", Text: text,
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want = append(want, text)
				seqs = append(seqs, seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got := f.WaitFor(t, len(want), 10*time.Second)
	if len(got) != len(want) {
		t.Fatalf("follower got %d entries, want %d: %q", len(got), len(want), texts(got))
	}
	bySeq := map[uint64]bool{}
	for _, s := range seqs {
		bySeq[s] = true
	}
	for i, e := range got {
		if i > 0 && e.Seq <= got[i-1].Seq {
			t.Fatalf("follower saw %d after %d", e.Seq, got[i-1].Seq)
		}
		if !bySeq[e.Seq] {
			t.Fatalf("follower saw sequence %d that no append returned", e.Seq)
		}
		if e.At.IsZero() || e.ID != e.Text || e.From != "ana" {
			t.Fatalf("follower's entry lost a field: %+v", e)
		}
		if want := map[byte]string{'0': "lobby", '1': "dev", '2': "café"}[e.Text[1]]; e.Room != want {
			t.Fatalf("entry %q has room %q, want %q", e.Text, e.Room, want)
		}
	}
	f.Stop()
	Add(t, l, "lobby", "ana", "after stop")
	// A stopped follower must stay quiet; give a late delivery a chance.
	time.Sleep(50 * time.Millisecond)
	if n := len(f.Entries()); n != len(want) {
		t.Fatalf("follower got %d entries after stop, had %d", n, len(want))
	}
}

func testUnicodeRooms(t *testing.T, l chatlog.Log) {
	rooms := []string{"café", "日本語", "a.b", "a*b", "a>b", "a b", "CAFÉ"}
	for _, r := range rooms {
		Add(t, l, r, "ana", "in "+r)
	}
	for _, r := range rooms {
		got, err := l.Last(ctx(t), r, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Text != "in "+r || got[0].Room != r {
			t.Fatalf("room %q holds %+v", r, got)
		}
	}
}

// IsUnavailable reports whether err is the log's "not answering in time".
func IsUnavailable(err error) bool { return errors.Is(err, chatlog.ErrUnavailable) }

func testCount(t *testing.T, l chatlog.Log) {
	first := Add(t, l, "lobby", "ana", "one")
	Add(t, l, "other", "bia", "elsewhere")
	Add(t, l, "lobby", "ana", "two")
	Add(t, l, "lobby", "ana", "three")
	for after, want := range map[uint64]int{0: 3, first: 2, first + 3: 0} {
		if got, err := l.Count(ctx(t), "lobby", after); err != nil || got != want {
			t.Errorf("Count after %d = %d, %v; want %d", after, got, err, want)
		}
	}
	if got, err := l.Count(ctx(t), "empty", 0); err != nil || got != 0 {
		t.Errorf("Count of an empty room = %d, %v", got, err)
	}
}

func testActions(t *testing.T, l chatlog.Log) {
	if _, err := l.Append(ctx(t), chatlog.Entry{Room: "lobby", ID: "act-1", From: "ana", Text: "waves", Me: true}); err != nil {
		t.Fatal(err)
	}
	Add(t, l, "lobby", "ana", "plain")
	got, err := l.Last(ctx(t), "lobby", 2, 0)
	if err != nil || len(got) != 2 || !got[0].Me || got[1].Me {
		t.Fatalf("Last = %+v, %v; want an action, then a message", got, err)
	}
}
