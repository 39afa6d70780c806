package store

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// BenchmarkAppendFollow measures an entry's round trip from Append to
// the Follow callback, which is what a room waits for before showing a
// message.
func BenchmarkAppendFollow(b *testing.B) {
	s := open(b, Options{})
	got := make(chan time.Time, 1)
	stop, err := s.Follow(func(chatlog.Entry) { got <- time.Now() })
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	lat := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := s.Append(ctx, chatlog.Entry{Room: "lobby", ID: strconv.Itoa(i), From: "ana", Text: "hello"}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// filled returns a store whose lobby keeps 10,000 messages interleaved
// with another room's, as a busy server's would be.
func filled(b *testing.B) *Store {
	s := open(b, Options{})
	ctx := context.Background()
	for i := range 10_000 {
		for _, room := range []string{"lobby", "other"} {
			e := chatlog.Entry{Room: room, ID: fmt.Sprint(room, i), From: "ana", Text: "message number " + strconv.Itoa(i)}
			if _, err := s.Append(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	return s
}

func benchLast(b *testing.B, n int, last func(*Store, int) ([]chatlog.Entry, error)) {
	s := filled(b)
	b.ResetTimer()
	for range b.N {
		got, err := last(s, n)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != n || got[n-1].Text != "message number 9999" {
			b.Fatalf("got %d entries ending %q", len(got), got[len(got)-1].Text)
		}
	}
}

func storeLast(s *Store, n int) ([]chatlog.Entry, error) {
	return s.Last(context.Background(), "lobby", n, 0)
}

// BenchmarkLast20 is a join's history read, with 10,000 retained.
func BenchmarkLast20(b *testing.B) { benchLast(b, 20, storeLast) }

// BenchmarkLast1000 is the largest read Last is asked for.
func BenchmarkLast1000(b *testing.B) { benchLast(b, 1000, storeLast) }

// BenchmarkLastByConsumer measures the alternative Last rejected: an
// ephemeral consumer over the room's subject, here given its start for
// free (a real one must first find it). It shows the consumer's set-up
// cost, which a walk of n direct gets does not pay.
func BenchmarkLastByConsumer(b *testing.B) {
	for _, n := range []int{20, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			benchLast(b, n, func(s *Store, n int) ([]chatlog.Entry, error) {
				ctx := context.Background()
				// lobby's entries are the odd sequences up to 19,999.
				start := uint64(20_000 - 2*n + 1)
				c, err := s.js.CreateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
					FilterSubject: subject("lobby"),
					DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
					OptStartSeq:   start,
					AckPolicy:     jetstream.AckNonePolicy,
					MemoryStorage: true,
				})
				if err != nil {
					return nil, err
				}
				defer s.js.DeleteConsumer(ctx, StreamName, c.CachedInfo().Name)
				batch, err := c.Fetch(n, jetstream.FetchMaxWait(time.Second))
				if err != nil {
					return nil, err
				}
				var out []chatlog.Entry
				for m := range batch.Messages() {
					e, err := decodeMsg(m)
					if err != nil {
						return nil, err
					}
					out = append(out, e)
				}
				return out, batch.Error()
			})
		})
	}
}

// BenchmarkSearch reads the whole of a room of 10,000 messages.
func BenchmarkSearch(b *testing.B) {
	s := filled(b)
	b.ResetTimer()
	for range b.N {
		got, err := s.Search(context.Background(), "lobby", []string{"number 9999"}, 10)
		if err != nil || len(got) != 1 {
			b.Fatalf("Search = %v, %v", got, err)
		}
	}
}

// TestIdleFootprint logs what an idle embedded store adds to the
// process: heap after a collection, and resident memory.
func TestIdleFootprint(t *testing.T) {
	heap0, rss0 := footprint()
	s := open(t, Options{})
	stop, err := s.Follow(func(chatlog.Entry) {})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	time.Sleep(200 * time.Millisecond) // let the server's start-up work settle
	heap1, rss1 := footprint()
	t.Logf("idle embedded store adds %.1f MiB heap, %.1f MiB RSS (heap %.1f MiB, RSS %.1f MiB)",
		mib(heap1-heap0), mib(rss1-rss0), mib(heap1), mib(rss1))
}

func footprint() (heap, rss int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseInt(f[1], 10, 64)
			rss = pages * int64(os.Getpagesize())
		}
	}
	return int64(ms.HeapAlloc), rss
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
