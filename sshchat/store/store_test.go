package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sshchat/sshchat/sshchat/chatlog"
	"github.com/sshchat/sshchat/sshchat/chatlog/chatlogtest"
)

// open starts a store on dir (a fresh temporary one if empty) that closes
// when t ends.
func open(t testing.TB, opts Options) *Store {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testWriter sends the embedded server's warnings to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestConformance(t *testing.T) {
	chatlogtest.Run(t, func(t *testing.T) chatlog.Log { return open(t, Options{}) })
}

func TestSubjectRoundTrip(t *testing.T) {
	for _, room := range []string{"a", "café", "a.b c*>", "日本語", "\x00\xff"} {
		subj := subject(room)
		if strings.ContainsAny(strings.TrimPrefix(subj, subjectPrefix), ". *>") {
			t.Fatalf("subject(%q) = %q has a separator or wildcard", room, subj)
		}
		got, err := roomOf(subj)
		if err != nil || got != room {
			t.Fatalf("roomOf(subject(%q)) = %q, %v", room, got, err)
		}
	}
}

func TestReopenKeepsHistory(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		chatlogtest.Add(t, s, "lobby", "ana", fmt.Sprint(i))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, Options{Dir: dir})
	got, err := s.Last(t.Context(), "lobby", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0].Text != "0" || got[4].Text != "4" {
		t.Fatalf("after reopening, lobby holds %+v", got)
	}
	// The sequence goes on from where it was, never reused.
	if seq := chatlogtest.Add(t, s, "lobby", "ana", "5"); seq <= got[4].Seq {
		t.Fatalf("after reopening, append got sequence %d, last was %d", seq, got[4].Seq)
	}
}

func TestRetentionByCount(t *testing.T) {
	s := open(t, Options{HistoryMax: 3})
	for i := range 6 {
		chatlogtest.Add(t, s, "lobby", "ana", fmt.Sprint(i))
		chatlogtest.Add(t, s, "dev", "ana", fmt.Sprint(i))
	}
	for _, room := range []string{"lobby", "dev"} {
		got, err := s.Last(t.Context(), room, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Text != "3" {
			t.Fatalf("%s keeps %+v, want 3, 4, 5", room, got)
		}
		found, err := s.Search(t.Context(), room, []string{"1"}, 10)
		if err != nil || len(found) != 0 {
			t.Fatalf("search found a dropped message: %+v, %v", found, err)
		}
	}
}

func TestRetentionByAge(t *testing.T) {
	s := open(t, Options{HistoryAge: time.Second})
	chatlogtest.Add(t, s, "lobby", "ana", "old")
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := s.Last(t.Context(), "lobby", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a message older than HistoryAge is still kept: %+v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	chatlogtest.Add(t, s, "lobby", "ana", "new")
	if got, _ := s.Last(t.Context(), "lobby", 10, 0); len(got) != 1 || got[0].Text != "new" {
		t.Fatalf("after expiry, lobby holds %+v", got)
	}
}

func TestBadDataDirFailsOpenQuickly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// Root writes anywhere; a directory that must be made under a
		// plain file fails for root too.
		readOnly = filepath.Join(file, "under")
	}
	for name, dir := range map[string]string{"a file": file, "unwritable": readOnly} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			s, err := Open(Options{Dir: dir})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded", dir)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("Open took %v to fail", took)
			}
			if !strings.Contains(err.Error(), "data directory") {
				t.Fatalf("Open's error does not say what is wrong: %v", err)
			}
			t.Logf("Open(%s): %v", dir, err)
		})
	}
}

func TestCorruptStoreFailsOrRecovers(t *testing.T) {
	// A stream directory whose metadata is garbage: the server must
	// either refuse to start, which Open reports, or start without it.
	// Either way Open returns, and promptly.
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	chatlogtest.Add(t, s, "lobby", "ana", "hello")
	s.Close()
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && (strings.HasSuffix(path, "meta.inf") || strings.HasSuffix(path, ".blk")) {
			return os.WriteFile(path, []byte("garbage"), 0o600)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s, err = Open(Options{Dir: dir})
	t.Logf("Open of a corrupt store after %v: %v", time.Since(start), err)
	if err == nil {
		s.Close()
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("Open took %v", took)
	}
}

func TestStopAnsweringThenRecover(t *testing.T) {
	const bound = 500 * time.Millisecond
	s := open(t, Options{Timeout: bound})
	f := chatlogtest.Follow(t, s)
	chatlogtest.Add(t, s, "lobby", "ana", "before")
	f.WaitFor(t, 1, 5*time.Second)

	s.Suspend()
	start := time.Now()
	_, err := s.Append(context.Background(), chatlog.Entry{Room: "lobby", ID: "lost", Text: "during"})
	took := time.Since(start)
	if !errors.Is(err, chatlog.ErrUnavailable) {
		t.Fatalf("Append while stopped: %v, want ErrUnavailable", err)
	}
	if took > bound+250*time.Millisecond {
		t.Fatalf("Append while stopped took %v, bound %v", took, bound)
	}
	t.Logf("Append while stopped failed after %v: %v", took, err)
	if _, err := s.Last(context.Background(), "lobby", 5, 0); !errors.Is(err, chatlog.ErrUnavailable) {
		t.Fatalf("Last while stopped: %v, want ErrUnavailable", err)
	}

	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.Append(context.Background(), chatlog.Entry{Room: "lobby", ID: "after", Text: "after"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not recover: %v", err)
		}
	}
	got := f.WaitFor(t, 2, 10*time.Second)
	if got[1].Text != "after" || len(got) != 2 {
		t.Fatalf("follower after recovery saw %+v", got)
	}
	last, err := s.Last(context.Background(), "lobby", 5, 0)
	if err != nil || len(last) != 2 || last[0].Text != "before" || last[1].Text != "after" {
		t.Fatalf("history after recovery = %+v, %v; the refused message must not be stored", last, err)
	}
}

// A store that stops answering is logged as lost; closing one is not: a
// server's ordinary shutdown writes no warning.
func TestCloseIsNoLoss(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	logged := func() string { mu.Lock(); defer mu.Unlock(); return logs.String() }
	up := make(chan bool, 4)
	s, err := Open(Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)),
		Connected: func(c bool) { up <- c }})
	if err != nil {
		t.Fatal(err)
	}
	s.Suspend()
	for _, want := range []bool{false, true} {
		select {
		case got := <-up:
			if got != want {
				t.Fatalf("connected = %v, want %v", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no change to connected = %v:\n%s", want, logged())
		}
		if !want {
			if err := s.Resume(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logged(), "connection lost"); n != 1 {
		t.Errorf("%d losses logged, want the one:\n%s", n, logged())
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestCloseTwiceAndFollowAfterClose(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	chatlogtest.Follow(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Follow(func(chatlog.Entry) {}); err == nil {
		t.Fatal("Follow after Close succeeded")
	}
}

// TestLastMatchesMemory holds both of Last's ways (the walk for small n,
// bisection for large) to the in-memory log's answers, with bounds that
// fall on the room's own entries and on other rooms'.
func TestLastMatchesMemory(t *testing.T) {
	s := open(t, Options{})
	m := chatlog.NewMemory(1000, nil)
	rooms := []string{"lobby", "dev", "dev", "lobby", "other"}
	for i := range 200 {
		e := chatlog.Entry{Room: rooms[i%len(rooms)], ID: fmt.Sprint(i), From: "ana", Text: fmt.Sprint(i)}
		a, err := s.Append(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := m.Append(t.Context(), e); a != b {
			t.Fatalf("sequences diverge: store %d, memory %d", a, b)
		}
	}
	for _, n := range []int{1, walkMax, walkMax + 1, 50, 80, 1000} {
		for _, upTo := range []uint64{0, 1, 2, 7, 100, 101, 150, 199, 200, 500} {
			want, _ := m.Last(t.Context(), "lobby", n, upTo)
			got, err := s.Last(t.Context(), "lobby", n, upTo)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(texts(got)) != fmt.Sprint(texts(want)) {
				t.Fatalf("Last(%d, %d) = %v, want %v", n, upTo, texts(got), texts(want))
			}
		}
	}
}

func texts(es []chatlog.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Text
	}
	return out
}

// Creating the stream or a bucket is tried again while the cluster cannot
// place replicas or a try goes unanswered, and not after any other
// error or once the start's bound has passed.
func TestWhilePlacingTriesAgain(t *testing.T) {
	notYet := []error{errNoPeers, context.DeadlineExceeded, nats.ErrNoResponders}
	tries := 0
	err := whilePlacing(context.Background(), func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("a try has no bound of its own")
		}
		tries++
		if tries <= len(notYet) {
			return notYet[tries-1]
		}
		return nil
	})
	if err != nil || tries != len(notYet)+1 {
		t.Errorf("after %d tries: %v, want success on try %d", tries, err, len(notYet)+1)
	}

	other := errors.New("insufficient resources")
	tries = 0
	if err := whilePlacing(context.Background(), func(context.Context) error { tries++; return other }); err != other || tries != 1 {
		t.Errorf("another error: %v after %d tries, want it at once", err, tries)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = whilePlacing(ctx, func(context.Context) error { return errNoPeers })
	if !errors.Is(err, errNoPeers) || ctx.Err() == nil {
		t.Errorf("past the bound: %v (bound done: %v), want the last error once it passed", err, ctx.Err())
	}
}
