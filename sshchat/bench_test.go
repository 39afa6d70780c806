package sshchat

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// BenchmarkFanOut measures the room's cost per delivery: one message to a
// room of n members is n pushes of a shared pointer.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			h := newTestRoom(0, time.Now)
			members := make([]*member, n)
			for i := range members {
				name := "user" + strconv.Itoa(i)
				members[i] = bareMember(name, 1<<40)
				if err := h.join(members[i]); err != nil {
					b.Fatal(err)
				}
			}
			drain := func() {
				for _, m := range members {
					m.out.queue = m.out.take(m.out.queue)
				}
			}
			drain()
			sender := members[0]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.say(context.Background(), sender, "hello, room")
				if i%256 == 255 {
					b.StopTimer()
					drain()
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
		})
	}
}

// BenchmarkJoinStorm measures 1,000 users joining a room back to back,
// each join told at once (window 0) or together with the others of its
// window: the time per join and the events queued per join for the room.
func BenchmarkJoinStorm(b *testing.B) {
	const n = 1000
	for _, window := range []time.Duration{0, time.Hour} {
		b.Run("window="+window.String(), func(b *testing.B) {
			queued := 0
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				h := newTestRoom(window, time.Now)
				members := make([]*member, n)
				for j := range members {
					name := "user" + strconv.Itoa(j)
					members[j] = bareMember(name, 1<<40)
				}
				b.StartTimer()
				for _, m := range members {
					if err := h.join(m); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				for _, m := range members {
					queued += len(m.out.queue)
				}
				h.shutdown() // stops its timer, which would keep the room alive
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/join")
			b.ReportMetric(float64(queued)/float64(b.N*n), "events/join")
		})
	}
}

// BenchmarkRender measures turning one event into terminal bytes for one
// user, the work each writer does per event.
func BenchmarkRender(b *testing.B) {
	short := newMessage("alice", nameColor("alice"), "hello there, how is everyone today?")
	long := newMessage("alice", nameColor("alice"), strings.Repeat("lorem ipsum dolor sit amet ", 20))
	cases := []struct {
		name string
		v    viewer
		ev   *event
	}{
		{"plain", viewer{name: "bob"}, short},
		{"terminal", viewer{name: "bob", color: true, width: 80, ownMessages: true}, short},
		{"terminal-wrapped", viewer{name: "bob", color: true, width: 80, ownMessages: true}, long},
		{"private-pt", viewer{name: "bob", lang: langPT, color: true, width: 80}, newPrivate("alice", "bob", "psst")},
		{"join", viewer{name: "bob", color: true, width: 80}, newPresence([]change{{seq: 1, name: "alice", online: 42}})},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				buf = c.v.render(buf[:0], c.ev)
			}
		})
	}
}

// BenchmarkEndToEnd runs an in-process server with real SSH clients: one
// sender, 50 receivers without a terminal. It reports delivery latency
// percentiles (send to arrival at each receiver) and the server heap per
// connected user.
func BenchmarkEndToEnd(b *testing.B) {
	const receivers = 50
	srv := startServer(b, noFloodLimit)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapInuse
	var rs []*client
	for i := range receivers {
		rs = append(rs, join(b, srv, fmt.Sprintf("r%d", i)))
	}
	sender := join(b, srv, "sender")
	runtime.GC()
	runtime.ReadMemStats(&ms)
	perUser := float64(ms.HeapInuse-before) / float64(receivers+1)
	for _, r := range rs {
		r.expect("sender joined")
	}

	lat := make([]time.Duration, 0, b.N*receivers)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		text := "m" + strconv.Itoa(i)
		start := time.Now()
		if _, err := io.WriteString(sender.stdin, text+"\n"); err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			if _, ok := r.out.waitLine(func(l string) bool { return l == "sender: "+text }, waitFor); !ok {
				b.Fatalf("%s did not get %s", r.name, text)
			}
			lat = append(lat, time.Since(start))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(perUser/1024, "heap-KiB/user")
}

// BenchmarkConsoleWrite measures showing one message line on a terminal:
// to a user who is not typing (the prompt redrawn directly) and to one in
// the middle of a line (the terminal repaints it).
func BenchmarkConsoleWrite(b *testing.B) {
	for _, typing := range []bool{false, true} {
		name := "idle"
		if typing {
			name = "typing"
		}
		b.Run(name, func(b *testing.B) {
			ch := &pipeChannel{typed: make(chan []byte, 1)}
			win := new(atomic.Uint64)
			win.Store(packWindow(80, 24))
			c := newPTYConsole(ch, &inputClock{now: time.Now}, win)
			c.setPrompt("[" + nameColor("bob") + "bob" + sgrReset + "] ")
			if typing {
				ch.typed <- []byte("half a li")
			}
			go func() { _, _, _ = c.readLine() }() // ends when typed closes
			want := int32(1)
			if typing {
				want = 2
			}
			for ch.reads.Load() < want {
				time.Sleep(time.Millisecond)
			}
			line := []byte("alice: hello there, how is everyone today?\n")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.write(line); err != nil {
					b.Fatal(err)
				}
				if i%1024 == 0 {
					ch.take()
				}
			}
			b.StopTimer()
			close(ch.typed)
		})
	}
}

// BenchmarkRoomsFanOut measures one message's cost in a room of ten when
// the server holds one room, and when it holds a hundred rooms of ten: a
// message costs its own room's members, whatever the server's users. A
// room of a thousand is the contrast. The rooms share one log and one
// event counter, as a server's do.
func BenchmarkRoomsFanOut(b *testing.B) {
	for _, c := range []struct{ rooms, members int }{{1, 10}, {100, 10}, {1, 1000}} {
		b.Run(fmt.Sprintf("rooms=%d/members=%d", c.rooms, c.members), func(b *testing.B) {
			log := chatlog.NewMemory(100, time.Now)
			names, seq := newRegistry(), new(atomic.Uint64)
			rooms := map[string]*room{}
			var members []*member
			var busy *room
			for r := range c.rooms {
				rm := newRoom(fmt.Sprintf("r%d", r), log, names, seq, 0, time.Now)
				rooms[rm.name] = rm
				busy = rm // the last: messages go to one room
				for i := range c.members {
					m := bareMember(fmt.Sprintf("r%du%d", r, i), 1<<40)
					if err := rm.join(m); err != nil {
						b.Fatal(err)
					}
					members = append(members, m)
				}
			}
			stop, _ := log.Follow(func(e chatlog.Entry) { rooms[e.Room].deliver(e) })
			defer stop()
			drain := func() {
				for _, m := range members {
					m.out.queue = m.out.take(m.out.queue)
				}
			}
			drain()
			sender := members[len(members)-1]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				busy.say(context.Background(), sender, "hello, room")
				if i%256 == 255 {
					b.StopTimer()
					drain()
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/message")
		})
	}
}
