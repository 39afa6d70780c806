// Command bench compares sshchat with floor, the least an SSH chat server
// can do, under the same load from chatbench (both in ../shared/tools).
// Each run starts one server, loads it, stops it, then the other, so the
// two share the machine's state; the ratios of each run are sshchat ÷
// floor, and the summary is their median, as single runs on a shared
// machine are noisy.
//
// It must run alone in a private network namespace: bench/run sets that
// up and builds the three binaries.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// server is one server under test: how to start it and where it listens.
type server struct {
	name  string
	addr  string
	argv  []string
	store bool // give it a fresh data directory per run
}

// metrics are the chatbench figures compared, in the order printed.
var metrics = []string{
	"lat_p50_ms", "lat_p99_ms", "lat_max_ms", "loss_pct",
	"server_cpu_us_per_delivery", "writes_per_delivery", "rss_per_user_kb", "connect_wall_s", "connect_p99_ms", "connect_failed",
}

func main() {
	bin := flag.String("bin", "bin", "folder holding sshchat, floor and chatbench")
	runs := flag.Int("runs", 3, "runs of each server")
	timeout := flag.Duration("timeout", 30*time.Minute, "longest a single chatbench run may take")
	memory := flag.Bool("memory", false, "run sshchat with its history in memory, not in the embedded store")
	rooms := flag.Int("rooms", 0, "instead: sshchat alone with this many rooms, one talking and then all (see rooms.go)")
	perRoom := flag.Int("room-users", 10, "users in each room, with -rooms")
	only := flag.String("only", "", "run only this server (floor or sshchat): floor takes a quarter of an hour to connect 10,000 users")
	profile := flag.String("profile", "", "with sshchat, save a CPU profile of each run to this file prefix (-profile-after, -profile-for)")
	profileAfter := flag.Duration("profile-after", 30*time.Second, "when, after chatbench starts, the profile begins")
	profileFor := flag.Duration("profile-for", 15*time.Second, "how long the profile lasts")
	cluster := flag.String("cluster", "", "instead: one sshchat against three on a NATS cluster, through one relay; the value is the three servers' chatbench flags (the one server's come after --)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: bench [-runs N] [-bin DIR] [-rooms N [-room-users N]] -- CHATBENCH-FLAGS (e.g. -n 500 -senders 20 -msgs 5)")
		flag.PrintDefaults()
	}
	flag.Parse()
	load := flag.Args()
	if *cluster != "" {
		if err := clusterBench(*bin, *runs, load, strings.Fields(*cluster), *timeout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *rooms > 0 {
		if err := roomsBench(*bin, *rooms, *perRoom, *runs, load, *timeout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}

	servers := []server{
		{"floor", "127.0.0.1:2399", []string{*bin + "/floor", "-addr", "127.0.0.1:2399"}, false},
		// Every chatbench user comes from 127.0.0.1: the per-address
		// limits are lifted, as they would be for no real crowd.
		{"sshchat", "127.0.0.1:2222", []string{*bin + "/sshchat", "-addr", "127.0.0.1:2222",
			"-max-conns-per-addr", "0", "-new-conns-per-minute", "0", "-max-conns", "0"}, true},
	}
	if *memory {
		servers[1].argv = append(servers[1].argv, "-data", "")
		servers[1].store = false
	}
	results := make(map[string][]map[string]float64)
	for run := 1; run <= *runs; run++ {
		for _, s := range servers {
			if *only != "" && s.name != *only {
				continue
			}
			var prof *profiling
			if *profile != "" && s.name == "sshchat" {
				prof = &profiling{file: fmt.Sprintf("%s-%d.pprof", *profile, run), after: *profileAfter, length: *profileFor}
			}
			r, err := measure(s, *bin+"/chatbench", load, *timeout, prof)
			if err != nil {
				fmt.Fprintf(os.Stderr, "run %d, %s: %v\n", run, s.name, err)
				os.Exit(1)
			}
			results[s.name] = append(results[s.name], r)
			fmt.Printf("run %d %-8s %s\n", run, s.name, format(r))
		}
	}
	summarize(results["floor"], results["sshchat"])
}

// measure starts s, runs chatbench against it and returns the figures of
// chatbench's last line.
func measure(s server, chatbench string, load []string, timeout time.Duration, prof *profiling) (map[string]float64, error) {
	argv := s.argv
	if prof != nil {
		argv = append(slices.Clone(argv), "-pprof", "127.0.0.1:6060")
	}
	if s.store {
		// Each run starts with an empty store: history from an earlier
		// run would be shown to every joiner.
		dir, err := os.MkdirTemp("", "sshchat-bench-data-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		argv = append(slices.Clone(argv), "-data", dir)
	}
	srv := exec.Command(argv[0], argv[1:]...)
	var logs bytes.Buffer
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	}()
	if err := awaitListening(s.addr, 10*time.Second); err != nil {
		return nil, fmt.Errorf("%w; server said: %s", err, logs.String())
	}
	args := append([]string{"-addr", s.addr, "-pid", fmt.Sprint(srv.Process.Pid)}, load...)
	cb := exec.Command(chatbench, args...)
	cb.Stderr = os.Stderr
	cb.WaitDelay = time.Second
	if prof != nil {
		go prof.take() // ends when the profile is saved, or the server is gone
	}
	writes0 := writeCalls(srv.Process.Pid)
	out, err := runWithin(cb, timeout)
	if err != nil {
		return nil, fmt.Errorf("chatbench: %w", err)
	}
	r, err := lastJSON(out)
	if err == nil && r["delivered"] > 0 {
		// Every write system call of the run, connecting included, per
		// message delivered.
		r["writes_per_delivery"] = float64(writeCalls(srv.Process.Pid)-writes0) / r["delivered"]
	}
	return r, err
}

func awaitListening(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %s", addr, within)
		}
		time.Sleep(50 * time.Millisecond) // polling a port that is not up yet
	}
}

func runWithin(cmd *exec.Cmd, timeout time.Duration) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := time.AfterFunc(timeout, func() { _ = cmd.Process.Kill() })
	defer t.Stop()
	if err := cmd.Wait(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// lastJSON decodes the last line of chatbench's output that is a JSON
// object, keeping its numbers.
func lastJSON(out []byte) (map[string]float64, error) {
	var last string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "{") {
			last = l
		}
	}
	if last == "" {
		return nil, fmt.Errorf("no JSON line in chatbench's output:\n%s", out)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(last), &raw); err != nil {
		return nil, err
	}
	r := make(map[string]float64)
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			r[k] = f
		}
	}
	return r, nil
}

func format(r map[string]float64) string {
	var b strings.Builder
	for _, m := range metrics {
		if v, ok := r[m]; ok {
			fmt.Fprintf(&b, " %s=%.4g", m, v)
		}
	}
	return b.String()
}

// summarize prints each metric's median for both servers and the median
// of the per-run ratios.
func summarize(floor, ours []map[string]float64) {
	fmt.Printf("\n%-28s %10s %10s %8s\n", "median of "+fmt.Sprint(len(ours))+" runs", "floor", "sshchat", "ratio")
	for _, m := range metrics {
		var f, o, ratios []float64
		for i := range min(len(ours), len(floor)) {
			fv, okf := floor[i][m]
			ov, oko := ours[i][m]
			if !okf || !oko {
				continue
			}
			f, o = append(f, fv), append(o, ov)
			if fv > 0 {
				ratios = append(ratios, ov/fv)
			}
		}
		if len(f) == 0 {
			continue
		}
		ratio := "-"
		if len(ratios) > 0 {
			ratio = fmt.Sprintf("%.2f", median(ratios))
		}
		fmt.Printf("%-28s %10.4g %10.4g %8s\n", m, median(f), median(o), ratio)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// profiling is a CPU profile to take of sshchat during a run.
type profiling struct {
	file          string
	after, length time.Duration
}

func (p *profiling) take() {
	time.Sleep(p.after) // the load's phase to profile starts about then
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:6060/debug/pprof/profile?seconds=%d", int(p.length.Seconds())))
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(p.file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, resp.Body)
	fmt.Fprintln(os.Stderr, "profile saved:", p.file)
}

// writeCalls is how many write system calls process pid has made
// (/proc/pid/io's syscw: write, writev and the like).
func writeCalls(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			var n int64
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}
