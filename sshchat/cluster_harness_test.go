package sshchat

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// natsCluster is a real three-node NATS cluster with JetStream, in this
// test process, on loopback: each node its own store directory, routes
// to the others, a client port. Nodes can be stopped and started again
// on the same ports and directories.
type natsCluster struct {
	t     testing.TB
	opts  []*server.Options
	nodes []*server.Server
}

// freePorts reserves n loopback ports and releases them for the caller.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

func startNATSCluster(t testing.TB) *natsCluster {
	t.Helper()
	ports := freePorts(t, 6)
	c := &natsCluster{t: t}
	var routes string
	for i := range 3 {
		if i > 0 {
			routes += ","
		}
		routes += fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3+i])
	}
	for i := range 3 {
		c.opts = append(c.opts, &server.Options{
			ServerName: fmt.Sprintf("nats%d", i+1),
			Host:       "127.0.0.1",
			Port:       ports[i],
			JetStream:  true,
			StoreDir:   t.TempDir(),
			// A small limit: the machine's memory is not the tests'.
			JetStreamMaxMemory: 64 << 20,
			JetStreamMaxStore:  1 << 30,
			Cluster:            server.ClusterOpts{Name: "chat", Host: "127.0.0.1", Port: ports[3+i]},
			Routes:             server.RoutesFromStr(routes),
			NoSigs:             true,
			NoLog:              true,
		})
	}
	c.nodes = make([]*server.Server, 3)
	for i := range 3 {
		c.start(i)
	}
	for i := range 3 {
		if !c.nodes[i].ReadyForConnections(10 * time.Second) {
			t.Fatalf("nats node %d not ready", i)
		}
	}
	c.waitReady()
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	return c
}

// start starts node i (again).
func (c *natsCluster) start(i int) {
	c.t.Helper()
	ns, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Fatal(err)
	}
	go ns.Start() // owner: the node; ends with Shutdown
	c.nodes[i] = ns
}

// stop shuts node i down and waits for it.
func (c *natsCluster) stop(i int) {
	if ns := c.nodes[i]; ns != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		c.nodes[i] = nil
	}
}

// urls is the client URL of every node.
func (c *natsCluster) urls() []string {
	var out []string
	for _, o := range c.opts {
		out = append(out, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return out
}

// chatNode starts a chat server named name on the cluster; edit may
// change its configuration further.
func (c *natsCluster) chatNode(name string, edit func(*Config)) *testServer {
	c.t.Helper()
	return startServer(c.t, func(cfg *Config) {
		cfg.NATS = c.urls()
		cfg.Node = name
		noFloodLimit(cfg)
		if edit != nil {
			edit(cfg)
		}
	})
}

// crash stops a chat server as a killed process would: its heartbeat
// stops without its key being removed, its NATS connection and its users'
// connections close, and nothing is said to the cluster.
func (s *testServer) crash() {
	c := s.cluster
	close(c.done)
	c.stop()
	for _, sub := range c.subs {
		_ = sub.Unsubscribe()
	}
	s.ownStore.Conn().Close()
	_ = s.ssh.Close()
}

// waitReady waits until the cluster's JetStream leader counts all three
// nodes as peers: before that, a stream with three replicas cannot be
// placed.
func (c *natsCluster) waitReady() {
	c.t.Helper()
	// Longer than other waits: under the race detector a fresh cluster
	// takes its time to elect and count its peers.
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, n := range c.nodes {
			if n != nil && n.JetStreamIsLeader() && len(n.JetStreamClusterPeers()) == 3 {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatal("the JetStream cluster did not count three peers within 30 s")
		}
		time.Sleep(20 * time.Millisecond) // polling the cluster's state
	}
}
