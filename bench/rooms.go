package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// Rooms: sshchat alone (floor has no rooms), rooms of a few users each,
// every room its own chatbench. First one room talks while the others
// sit connected and quiet, then every room talks at once; a message's
// latency in a room should not depend on how many other rooms talk.

// roomsBench runs both cases runs times and prints, per case, the median
// over talking rooms of each room's p50 and p99, and the loss.
func roomsBench(bin string, rooms, perRoom, runs int, load []string, timeout time.Duration) error {
	type outcome struct{ p50, p99, loss []float64 }
	cases := []struct {
		name    string
		talking int
	}{{"1 room talking", 1}, {fmt.Sprint(rooms, " rooms talking"), rooms}}
	results := make([]outcome, len(cases))
	for run := 1; run <= runs; run++ {
		for i, c := range cases {
			rs, err := roomsRun(bin, rooms, perRoom, c.talking, load, timeout)
			if err != nil {
				return fmt.Errorf("run %d, %s: %w", run, c.name, err)
			}
			var p50, p99, loss []float64
			for _, r := range rs {
				p50, p99, loss = append(p50, r["lat_p50_ms"]), append(p99, r["lat_p99_ms"]), append(loss, r["loss_pct"])
			}
			fmt.Printf("run %d %-18s rooms=%d p50_ms(median of rooms)=%.3g p99_ms(median of rooms)=%.3g p99_ms(worst room)=%.3g loss_pct(worst)=%.3g\n",
				run, c.name, len(rs), median(p50), median(p99), slices.Max(p99), slices.Max(loss))
			results[i].p50 = append(results[i].p50, median(p50))
			results[i].p99 = append(results[i].p99, median(p99))
			results[i].loss = append(results[i].loss, slices.Max(loss))
		}
	}
	fmt.Printf("\n%-28s %12s %12s %8s\n", "median of "+fmt.Sprint(runs)+" runs", cases[0].name, cases[1].name, "ratio")
	for _, m := range []struct {
		name string
		get  func(outcome) []float64
	}{{"lat_p50_ms", func(o outcome) []float64 { return o.p50 }}, {"lat_p99_ms", func(o outcome) []float64 { return o.p99 }}, {"loss_pct (worst room)", func(o outcome) []float64 { return o.loss }}} {
		a, b := median(m.get(results[0])), median(m.get(results[1]))
		ratio := "-"
		if a > 0 {
			ratio = fmt.Sprintf("%.2f", b/a)
		}
		fmt.Printf("%-28s %12.4g %12.4g %8s\n", m.name, a, b, ratio)
	}
	return nil
}

// roomsRun starts sshchat on a fresh store, seats perRoom users in each of
// rooms rooms (the quiet ones first, waiting until all have moved into
// their rooms), then has talking rooms run load, and returns their
// figures.
func roomsRun(bin string, rooms, perRoom, talking int, load []string, timeout time.Duration) ([]map[string]float64, error) {
	dir, err := os.MkdirTemp("", "sshchat-bench-rooms-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	const addr = "127.0.0.1:2222"
	srv := exec.Command(bin+"/sshchat", "-addr", addr, "-data", dir, "-max-conns-per-addr", "0",
		"-new-conns-per-minute", "0", "-max-conns", "0")
	logs := &lockedBuffer{}
	srv.Stderr = logs
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	}()
	if err := awaitListening(addr, 10*time.Second); err != nil {
		return nil, fmt.Errorf("%w; server said: %s", err, logs.String())
	}
	bench := func(room int, args ...string) *exec.Cmd {
		base := []string{"-addr", addr, "-pid", fmt.Sprint(srv.Process.Pid), "-n", fmt.Sprint(perRoom),
			"-prefix", fmt.Sprintf("r%d-", room), "-login-send", fmt.Sprintf("/join #room%d\r", room), "-par", "4"}
		cmd := exec.Command(bin+"/chatbench", append(base, args...)...)
		cmd.WaitDelay = time.Second
		return cmd
	}
	// The quiet rooms: one message each as they settle, then they hold
	// their connections until killed.
	var quiet []*exec.Cmd
	defer func() {
		for _, c := range quiet {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	for r := talking; r < rooms; r++ {
		c := bench(r, "-senders", "1", "-msgs", "1", "-interval", "1h", "-drain", "1s")
		if err := c.Start(); err != nil {
			return nil, err
		}
		quiet = append(quiet, c)
	}
	want := (rooms - talking) * perRoom
	for deadline := time.Now().Add(timeout); strings.Count(logs.String(), "msg=moved") < want; {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("quiet rooms not seated after %s: %d of %d", timeout, strings.Count(logs.String(), "msg=moved"), want)
		}
		time.Sleep(100 * time.Millisecond) // polling the server's log
	}
	out := make([][]byte, talking)
	errs := make([]error, talking)
	var wg sync.WaitGroup
	for r := range talking {
		wg.Add(1)
		go func() { // ends with its chatbench
			defer wg.Done()
			out[r], errs[r] = runWithin(bench(r, load...), timeout)
		}()
	}
	wg.Wait()
	var rs []map[string]float64
	for r := range talking {
		if errs[r] != nil {
			return nil, fmt.Errorf("room %d: %w", r, errs[r])
		}
		m, err := lastJSON(out[r])
		if err != nil {
			return nil, err
		}
		rs = append(rs, m)
	}
	return rs, nil
}

// lockedBuffer is a server's log, written by its process and read while
// it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
