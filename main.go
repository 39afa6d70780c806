// Command sshchat runs the chat server: go run . then ssh -p 2222 you@host.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sshchat/sshchat/sshchat"
)

func main() {
	cfg := sshchat.DefaultConfig()
	cfg.Flags(flag.CommandLine)
	debug := flag.Bool("debug", false, "log debug events")
	pprofAddr := flag.String("pprof", "", "serve Go's profiler on this loopback address, e.g. 127.0.0.1:6060 (off when empty)")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	lw := newLogWriter(os.Stderr)
	defer lw.Flush()
	cfg.Logger = slog.New(flushingHandler{slog.NewTextHandler(lw, &slog.HandlerOptions{Level: level}), lw})
	slog.SetDefault(cfg.Logger)

	if *pprofAddr != "" {
		if err := serveProfiler(*pprofAddr); err != nil {
			slog.Error("pprof", "err", err)
			os.Exit(1)
		}
	}

	srv, err := sshchat.New(cfg)
	if err != nil {
		slog.Error("start", "err", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()

	select {
	case err := <-errc:
		if err != nil {
			slog.Error("serve", "err", err)
			os.Exit(1)
		}
	case <-ctx.Done():
		slog.Info("signal received: shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
}
