package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
	"github.com/sshchat/sshchat/sshchat/chatlog/chatlogtest"
)

// open starts a store on dir (a fresh one when empty) and closes it when
// the test ends.
func open(t testing.TB, dir string, edit func(*Options)) *Store {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	opts := Options{Dir: dir, HistoryMax: 100, Timeout: 2 * time.Second}
	if edit != nil {
		edit(&opts)
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	chatlogtest.Run(t, func(t *testing.T) chatlog.Log { return open(t, "", nil) })
}

func texts(es []chatlog.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Text
	}
	return out
}

// A store opened again on the same directory has what was appended, in
// order, with the same sequence numbers and times.
func TestReopenKeepsHistory(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil)
	for i := range 5 {
		chatlogtest.Add(t, s, "lobby", "ana", fmt.Sprintf("m%d", i))
	}
	before, err := s.Last(context.Background(), "lobby", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir, nil)
	after, err := s.Last(context.Background(), "lobby", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 5 || !slices.EqualFunc(before, after, func(a, b chatlog.Entry) bool {
		return a.Seq == b.Seq && a.Text == b.Text && a.At.Equal(b.At) && a.From == b.From
	}) {
		t.Fatalf("after reopening: %+v\nbefore: %+v", after, before)
	}
	// The sequence goes on from where it was.
	if seq := chatlogtest.Add(t, s, "lobby", "ana", "m5"); seq != before[4].Seq+1 {
		t.Fatalf("next sequence %d after %d", seq, before[4].Seq)
	}
}

// Each room keeps its last HistoryMax messages; other rooms are not
// touched by one room's traffic.
func TestRetentionByCount(t *testing.T) {
	s := open(t, "", func(o *Options) { o.HistoryMax = 3 })
	chatlogtest.Add(t, s, "quiet", "ana", "kept")
	for i := range 10 {
		chatlogtest.Add(t, s, "busy", "bia", fmt.Sprintf("b%d", i))
	}
	got, err := s.Last(context.Background(), "busy", 10, 0)
	if err != nil || !slices.Equal(texts(got), []string{"b7", "b8", "b9"}) {
		t.Fatalf("busy keeps %q, %v", texts(got), err)
	}
	got, err = s.Last(context.Background(), "quiet", 10, 0)
	if err != nil || !slices.Equal(texts(got), []string{"kept"}) {
		t.Fatalf("quiet keeps %q, %v", texts(got), err)
	}
	found, err := s.Search(context.Background(), "busy", []string{"b"}, 50)
	if err != nil || len(found) != 3 {
		t.Fatalf("search of busy finds %q, %v", texts(found), err)
	}
}

// Messages older than HistoryAge go by themselves.
func TestRetentionByAge(t *testing.T) {
	s := open(t, "", func(o *Options) { o.HistoryAge = time.Second })
	chatlogtest.Add(t, s, "lobby", "ana", "old")
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := s.Last(context.Background(), "lobby", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a message past its age is still kept: %+v", got)
		}
		time.Sleep(100 * time.Millisecond) // polling the store, with a deadline
	}
	chatlogtest.Add(t, s, "lobby", "ana", "new")
	if got, _ := s.Last(context.Background(), "lobby", 10, 0); len(got) != 1 || got[0].Text != "new" {
		t.Fatalf("after expiry: %+v", got)
	}
}

// A data directory that cannot be used fails Open at once, naming it.
func TestBadDataDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"a file": file, "under a file": filepath.Join(file, "data")} {
		start := time.Now()
		_, err := Open(Options{Dir: dir})
		if err == nil || !strings.Contains(err.Error(), "data directory") {
			t.Errorf("%s: Open = %v", name, err)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%s: took %v to fail", name, time.Since(start))
		}
	}
	if got := (&Options{Sync: "sometimes"}).setDefaults(); got == nil {
		t.Error("a sync policy that does not parse was taken")
	}
}

// A store that stops answering fails every call with ErrUnavailable
// within its Timeout, and recovers when it answers again: a follower
// misses nothing and repeats nothing.
func TestSuspendAndResume(t *testing.T) {
	s := open(t, "", func(o *Options) { o.Timeout = 500 * time.Millisecond })
	f := chatlogtest.Follow(t, s)
	chatlogtest.Add(t, s, "lobby", "ana", "before")
	f.WaitFor(t, 1, 10*time.Second)

	s.Suspend()
	start := time.Now()
	_, err := s.Append(context.Background(), chatlog.Entry{Room: "lobby", ID: "x1", From: "ana", Text: "lost"})
	if !errors.Is(err, chatlog.ErrUnavailable) {
		t.Fatalf("Append while suspended: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Append took %v to fail", d)
	}
	if _, err := s.Last(context.Background(), "lobby", 1, 0); !errors.Is(err, chatlog.ErrUnavailable) {
		t.Fatalf("Last while suspended: %v", err)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.Append(context.Background(), chatlog.Entry{Room: "lobby", ID: "after", From: "ana", Text: "after"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover: %v", err)
		}
	}
	got := f.WaitFor(t, 2, 10*time.Second)
	if !slices.Equal(texts(got), []string{"before", "after"}) {
		t.Fatalf("the follower saw %q", texts(got))
	}
}

// BenchmarkAppendFollow is the round trip a message makes: published,
// stored, handed back to the follower that fans it out.
func BenchmarkAppendFollow(b *testing.B) {
	s := open(b, "", func(o *Options) { o.HistoryMax = 10000 })
	got := make(chan time.Time, 1)
	stop, err := s.Follow(func(chatlog.Entry) { got <- time.Now() })
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := s.Append(context.Background(), chatlog.Entry{Room: "lobby", ID: fmt.Sprint("b", i), From: "ana", Text: "hello, room"}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkLast reads a joiner's history from a room keeping 10,000
// messages.
func BenchmarkLast(b *testing.B) {
	s := open(b, "", func(o *Options) { o.HistoryMax = 10000 })
	for i := range 10000 {
		if _, err := s.Append(context.Background(), chatlog.Entry{Room: "lobby", ID: fmt.Sprint("l", i), From: "ana", Text: "a message of ordinary length, say fifty bytes"}); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range []int{20, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				got, err := s.Last(context.Background(), "lobby", n, 0)
				if err != nil || len(got) != n {
					b.Fatal(len(got), err)
				}
			}
		})
	}
}

// BenchmarkIdleHeap is the memory the embedded store adds to an idle
// server: the heap in use after Open, less before.
func BenchmarkIdleHeap(b *testing.B) {
	var before, after runtime.MemStats
	for i := 0; i < b.N; i++ {
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := open(b, "", nil)
		stop, _ := s.Follow(func(chatlog.Entry) {})
		runtime.GC()
		runtime.ReadMemStats(&after)
		stop()
		s.Close()
	}
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "MiB-heap")
	b.ReportMetric(float64(after.Sys-before.Sys)/(1<<20), "MiB-sys")
}
