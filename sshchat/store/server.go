package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// This file starts and stops the embedded nats-server. It is kept apart
// from the log so that the log's code reads the same whether the server
// runs here or elsewhere.

// startTimeout bounds how long Open (and Resume) wait for the embedded
// server: a start that fails must come back as an error, never a hang.
const startTimeout = 10 * time.Second

// startServer starts a JetStream server on opts.Dir with no network
// listener and waits until it accepts in-process connections.
func startServer(opts Options) (*server.Server, error) {
	if err := checkDir(opts.Dir); err != nil {
		return nil, err
	}
	sopts := &server.Options{
		ServerName:         "sshchat",
		JetStream:          true,
		StoreDir:           opts.Dir,
		JetStreamMaxStore:  opts.MaxStore,
		JetStreamMaxMemory: memoryStore,
		SyncInterval:       opts.syncInterval,
		SyncAlways:         opts.syncAlways,
		DontListen:         true,
		// Without NoSigs the embedded server traps SIGTERM and SIGINT and
		// exits the process itself, before our own graceful shutdown.
		NoSigs: true,
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("store: configure embedded server: %w", err)
	}
	logs := &serverLog{log: opts.Logger}
	ns.SetLoggerV2(logs, false, false, false)
	// With DontListen, Start does its work in this goroutine and returns;
	// if JetStream cannot start it says so through Fatalf and returns early.
	ns.Start()
	if err := logs.fatal(); err != nil {
		ns.Shutdown()
		return nil, fmt.Errorf("store: start embedded server on %s: %w", opts.Dir, err)
	}
	if !ns.ReadyForConnections(startTimeout) {
		ns.Shutdown()
		if err := logs.fatal(); err != nil {
			return nil, fmt.Errorf("store: start embedded server on %s: %w", opts.Dir, err)
		}
		return nil, fmt.Errorf("store: embedded server on %s not ready after %v", opts.Dir, startTimeout)
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, fmt.Errorf("store: embedded server on %s started without JetStream", opts.Dir)
	}
	return ns, nil
}

// memoryStore is the JetStream memory limit: we keep no memory streams,
// but nats counts its ordered consumers' state against this, and 0 would
// reserve 75% of the machine's memory.
const memoryStore = 64 << 20

// checkDir creates dir and proves it writable, so that a bad data
// directory is named in a clear error at once rather than surfacing as
// a JetStream start failure deep in the server's logs.
func checkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: data directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("store: data directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// serverLog passes the embedded server's warnings and errors to our
// logger; its notices, debug and trace lines are dropped (they describe
// every start and stop in detail). Fatalf does not exit: it records the
// reason so that startServer can return it.
type serverLog struct {
	log *slog.Logger

	mu       sync.Mutex
	fatalErr error
}

func (l *serverLog) Noticef(string, ...any) {}
func (l *serverLog) Debugf(string, ...any)  {}
func (l *serverLog) Tracef(string, ...any)  {}

func (l *serverLog) Warnf(format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...), "component", "nats-server")
}

func (l *serverLog) Errorf(format string, v ...any) {
	l.log.Error(fmt.Sprintf(format, v...), "component", "nats-server")
}

func (l *serverLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg, "component", "nats-server", "fatal", true)
	l.mu.Lock()
	if l.fatalErr == nil {
		l.fatalErr = errors.New(msg)
	}
	l.mu.Unlock()
}

func (l *serverLog) fatal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatalErr
}

// serverRef hands the client connection the current embedded server, so
// that after Resume starts a new one the connection reconnects to it by
// itself.
type serverRef struct {
	mu sync.Mutex
	ns *server.Server
}

var errSuspended = errors.New("embedded server is stopped")

// InProcessConn implements nats.InProcessConnProvider.
func (r *serverRef) InProcessConn() (net.Conn, error) {
	r.mu.Lock()
	ns := r.ns
	r.mu.Unlock()
	if ns == nil {
		return nil, errSuspended
	}
	return ns.InProcessConn()
}

func (r *serverRef) get() *server.Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ns
}

func (r *serverRef) set(ns *server.Server) {
	r.mu.Lock()
	r.ns = ns
	r.mu.Unlock()
}

// stopServer shuts ns down and waits for it, up to ctx.
func stopServer(ctx context.Context, ns *server.Server) {
	if ns == nil {
		return
	}
	// With no listener there is no lame duck mode to go through: Shutdown
	// closes the in-process clients and flushes the file store.
	ns.Shutdown()
	done := make(chan struct{})
	go func() { // owner: stopServer; ends when the server has shut down.
		ns.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
