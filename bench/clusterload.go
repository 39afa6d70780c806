package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Cluster: one chatbench spread over three sshchat servers on a
// three-node NATS cluster, against one sshchat server alone. chatbench
// dials one address, so both cases go through the same round-robin TCP
// relay here, which hands each new connection to the next server.

// clusterBench runs runs rounds of: one server with oneLoad, then three
// with threeLoad, and prints each run and the medians.
func clusterBench(bin string, runs int, oneLoad, threeLoad []string, timeout time.Duration) error {
	var one, three []map[string]float64
	for run := 1; run <= runs; run++ {
		r, err := clusterRun(bin, 1, oneLoad, timeout)
		if err != nil {
			return fmt.Errorf("run %d, one server: %w", run, err)
		}
		fmt.Printf("run %d one server    %s\n", run, format(r))
		one = append(one, r)
		if r, err = clusterRun(bin, 3, threeLoad, timeout); err != nil {
			return fmt.Errorf("run %d, three servers: %w", run, err)
		}
		fmt.Printf("run %d three servers %s\n", run, format(r))
		three = append(three, r)
	}
	fmt.Printf("\n%-28s %12s %12s %8s\n", "median of "+fmt.Sprint(runs)+" runs", "one", "three", "ratio")
	for _, m := range []string{"lat_p50_ms", "lat_p99_ms", "lat_max_ms", "loss_pct", "connect_p99_ms"} {
		var a, b []float64
		for i := range one {
			a, b = append(a, one[i][m]), append(b, three[i][m])
		}
		ratio := "-"
		if median(a) > 0 {
			ratio = fmt.Sprintf("%.2f", median(b)/median(a))
		}
		fmt.Printf("%-28s %12.4g %12.4g %8s\n", m, median(a), median(b), ratio)
	}
	return nil
}

// clusterRun starts n sshchat servers (n=1: on its embedded store; else
// on a fresh three-node NATS cluster), the relay, and chatbench.
func clusterRun(bin string, n int, load []string, timeout time.Duration) (map[string]float64, error) {
	dir, err := os.MkdirTemp("", "sshchat-bench-cluster-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var procs []*exec.Cmd
	defer func() {
		for _, p := range slices.Backward(procs) {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}()
	start := func(logName string, argv ...string) error {
		cmd := exec.Command(argv[0], argv[1:]...)
		f, err := os.Create(dir + "/" + logName + ".log")
		if err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			return err
		}
		procs = append(procs, cmd)
		return nil
	}
	common := []string{"-max-conns-per-addr", "0", "-new-conns-per-minute", "0", "-max-conns", "0", "-keys", dir + "/keys"}
	var backends []string
	if n == 1 {
		backends = []string{"127.0.0.1:2222"}
		if err := start("sshchat", append([]string{bin + "/sshchat", "-addr", backends[0], "-data", dir + "/data"}, common...)...); err != nil {
			return nil, err
		}
	} else {
		routes := "nats-route://127.0.0.1:6222,nats-route://127.0.0.1:6223,nats-route://127.0.0.1:6224"
		var urls []string
		for i := range 3 {
			urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", 4222+i))
			if err := start(fmt.Sprint("nats", i), bin+"/nats-server", "-n", fmt.Sprint("nats", i), "-a", "127.0.0.1",
				"-p", fmt.Sprint(4222+i), "-js", "-sd", fmt.Sprintf("%s/nats%d", dir, i), "--cluster_name", "chat",
				"--cluster", fmt.Sprintf("nats://127.0.0.1:%d", 6222+i), "--routes", routes); err != nil {
				return nil, err
			}
		}
		if err := os.MkdirAll(dir+"/keys", 0o700); err != nil {
			return nil, err
		}
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir+"/keys/ssh_host_ed25519_key").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ssh-keygen: %v %s", err, out)
		}
		for i := range n {
			addr := fmt.Sprintf("127.0.0.1:%d", 2222+i)
			backends = append(backends, addr)
			// A node started before the cluster has placed its streams
			// exits; the loop starts it again.
			script := fmt.Sprintf("for t in $(seq 60); do %s -addr %s -nats %s -node n%d %s && exit; sleep 1; done",
				bin+"/sshchat", addr, strings.Join(urls, ","), i, strings.Join(common, " "))
			if err := start(fmt.Sprint("sshchat", i), "bash", "-c", script); err != nil {
				return nil, err
			}
		}
	}
	for _, b := range backends {
		if err := awaitListening(b, 90*time.Second); err != nil {
			return nil, err
		}
	}
	relay, err := startRelay("127.0.0.1:2300", backends)
	if err != nil {
		return nil, err
	}
	defer relay.Close()
	cb := exec.Command(bin+"/chatbench", append([]string{"-addr", "127.0.0.1:2300"}, load...)...)
	cb.Stderr = os.Stderr
	cb.WaitDelay = time.Second
	out, err := runWithin(cb, timeout)
	if err != nil {
		return nil, fmt.Errorf("chatbench: %w", err)
	}
	return lastJSON(out)
}

// startRelay accepts on addr and joins each connection to the next of
// backends, in turn, until closed.
func startRelay(addr string, backends []string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	var next atomic.Uint64
	go func() { // owner: the run; ends when the listener is closed
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			to := backends[next.Add(1)%uint64(len(backends))]
			go func() { // ends when either side closes
				defer c.Close()
				b, err := net.Dial("tcp", to)
				if err != nil {
					return
				}
				defer b.Close()
				go func() { _, _ = io.Copy(b, c); _ = b.(*net.TCPConn).CloseWrite() }() // ends with c's side
				_, _ = io.Copy(c, b)
			}()
		}
	}()
	return ln, nil
}
