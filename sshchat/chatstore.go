package sshchat

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
	"github.com/sshchat/sshchat/sshchat/kv"
	"github.com/sshchat/sshchat/sshchat/store"
)

// openLog gives the server its rooms' log: the one the configuration
// names, or the embedded store in DataDir, or, with no DataDir, one in
// memory that a restart forgets.
func (srv *Server) openLog() error {
	cfg := &srv.cfg
	switch {
	case cfg.Log != nil:
		srv.chatLog, srv.kvs = cfg.Log, kv.NewMemory()
	case cfg.DataDir == "" && len(cfg.NATS) == 0:
		srv.chatLog, srv.kvs = chatlog.NewMemory(cfg.HistoryMax, cfg.Now), kv.NewMemory()
	default:
		st, err := store.Open(store.Options{
			Dir:        cfg.DataDir,
			MaxStore:   cfg.StoreMax,
			Sync:       cfg.Sync,
			HistoryMax: int64(cfg.HistoryMax),
			HistoryAge: cfg.HistoryAge,
			Timeout:    cfg.StoreTimeout,
			Logger:     srv.log.With("part", "store"),
			URLs:       cfg.NATS,
			Creds:      cfg.NATSCreds,
			Replicas:   cfg.Replicas,
			Name:       "sshchat " + cfg.Node,
			Connected:  srv.storeConnected,
		})
		if err != nil {
			if len(cfg.NATS) > 0 {
				return fmt.Errorf("store on NATS %s: %w", strings.Join(cfg.NATS, ","), err)
			}
			return fmt.Errorf("history store in %s: %w", cfg.DataDir, err)
		}
		srv.chatLog, srv.kvs, srv.ownStore = st, st, st
		srv.log.Info("history store open", "dir", cfg.DataDir, "history_max", cfg.HistoryMax, "history_age", formatDuration(cfg.HistoryAge), "sync", cfg.Sync)
	}
	return nil
}

// startupTimeout bounds opening the buckets as the server starts: on a
// busy cluster, placing a new bucket's three replicas takes seconds each.
const startupTimeout = 60 * time.Second

// openIdentity reads the accounts and moderation buckets into memory.
func (srv *Server) openIdentity() error {
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	defer cancel()
	var err error
	if srv.accounts, err = openAccounts(ctx, srv.kvs, srv.cfg.AccountExpiry, srv.now, srv.log); err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	if srv.mod, err = openModeration(ctx, srv.kvs, srv.cfg.Owners, srv.now, srv.log); err != nil {
		srv.accounts.close()
		return fmt.Errorf("moderation: %w", err)
	}
	return nil
}

// closeLog closes the store the server opened itself, once.
func (srv *Server) closeLog() {
	srv.storeOnce.Do(func() {
		if srv.cluster != nil {
			srv.cluster.close()
		}
		if srv.rooms != nil {
			srv.rooms.close()
		}
		if srv.accounts != nil {
			srv.accounts.close()
		}
		if srv.mod != nil {
			srv.mod.close()
		}
		if srv.ownStore != nil {
			srv.ownStore.Close()
		}
	})
}
