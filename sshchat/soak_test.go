package sshchat

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	soak         = flag.Bool("soak", false, "run the soak test (go test ./sshchat -run Soak -soak)")
	soakUsers    = flag.Int("soak-users", 1000, "users in the soak test")
	soakDuration = flag.Duration("soak-duration", 30*time.Second, "how long the soak test churns")
)

// TestSoak connects many users, keeps a share of them chatting while
// others leave (cleanly, by dropping TCP, or by ending input) and come
// back, for a bounded time; then everyone leaves. It reports goroutines,
// heap and RSS at the start, at the peak and at the end, and fails if
// the end is not back near the start.
func TestSoak(t *testing.T) {
	if !*soak {
		t.Skip("soak test: run with -soak")
	}
	srv := startServer(t, func(c *Config) {
		c.MsgRate, c.MsgBurst = 20, 40
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // keep the test's log buffer out of the heap figures
	})
	start := sampleProcess()
	peak := start
	var peakMu sync.Mutex
	sample := func() {
		s := sampleProcess()
		peakMu.Lock()
		peak = peak.max(s)
		peakMu.Unlock()
	}

	users := make([]*client, *soakUsers)
	connectUser := func(i int) *client {
		c := connect(t, srv.addr, "s"+strconv.Itoa(i), clientOpts{unowned: true})
		c.expect("Welcome")
		return c
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			users[i] = connectUser(i)
		}()
	}
	wg.Wait()
	sample()
	t.Logf("%d users connected", len(users))

	deadline := time.Now().Add(*soakDuration)
	rng := rand.New(rand.NewPCG(1, 2))
	churned, sent := 0, 0
	for time.Now().Before(deadline) {
		// A tenth of the users say something.
		for range len(users) / 10 {
			u := users[rng.IntN(len(users))]
			if _, err := io.WriteString(u.stdin, "soak message "+strconv.Itoa(sent)+"\n"); err == nil {
				sent++
			}
		}
		// A few leave, each in one of three ways, and a newcomer takes
		// the slot.
		for range 5 {
			i := rng.IntN(len(users))
			u := users[i]
			switch rng.IntN(3) {
			case 0:
				u.send("/quit")
			case 1:
				_ = u.raw.Close()
			case 2:
				_ = u.stdin.Close()
			}
			_ = u.conn.Close()
			users[i] = connectUser(len(users) + churned)
			churned++
		}
		sample()
		time.Sleep(200 * time.Millisecond) // pacing the load, not synchronising
	}
	for i, u := range users {
		_ = u.conn.Close()
		users[i] = nil // measure the server, not the test's clients
	}
	waitUntil(t, "the room to empty", func() bool { return srv.rooms.lobby.count() == 0 })
	var end processSample
	waitUntilOr(60*time.Second, func() bool {
		runtime.GC()
		end = sampleProcess()
		return end.goroutines <= start.goroutines+5
	})
	if f, err := os.Create(os.TempDir() + "/sshchat-soak-heap.prof"); err == nil {
		_ = pprof.WriteHeapProfile(f)
		f.Close()
	}
	t.Logf("sent %d messages, %d users left and were replaced", sent, churned)
	t.Logf("start: %v", start)
	t.Logf("peak:  %v", peak)
	t.Logf("end:   %v", end)
	if end.goroutines > start.goroutines+5 {
		t.Errorf("goroutines: %d at the start, %d at the end", start.goroutines, end.goroutines)
	}
	// The runtime keeps the descriptor of every goroutine that ended, for
	// reuse (under 1 KiB each): that much of the peak stays, by design.
	allowance := float64(peak.goroutines)/1024 + 4
	t.Logf("allowed at the end: start + %.1f MiB (goroutine descriptors kept by the runtime, and slack)", allowance)
	if end.heapMiB > start.heapMiB+allowance {
		t.Errorf("live heap: %.1f MiB at the start, %.1f MiB at the end", start.heapMiB, end.heapMiB)
	}
}

type processSample struct {
	goroutines int
	heapMiB    float64
	rssMiB     float64
}

func (a processSample) max(b processSample) processSample {
	return processSample{max(a.goroutines, b.goroutines), max(a.heapMiB, b.heapMiB), max(a.rssMiB, b.rssMiB)}
}

func (s processSample) String() string {
	return fmt.Sprintf("goroutines %d, live heap %.1f MiB, RSS %.1f MiB", s.goroutines, s.heapMiB, s.rssMiB)
}

func sampleProcess() processSample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return processSample{runtime.NumGoroutine(), float64(ms.HeapAlloc) / (1 << 20), rssMiB()}
}

// rssMiB reads the resident set size from /proc; 0 where there is none.
func rssMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}

// waitUntilOr polls cond until it holds or d passes, without failing.
func waitUntilOr(d time.Duration, cond func() bool) {
	end := time.Now().Add(d)
	for !cond() && time.Now().Before(end) {
		time.Sleep(50 * time.Millisecond)
	}
}
