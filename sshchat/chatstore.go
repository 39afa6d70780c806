package sshchat

import (
	"fmt"

	"github.com/sshchat/sshchat/sshchat/chatlog"
	"github.com/sshchat/sshchat/sshchat/store"
)

// openLog gives the server its rooms' log: the one the configuration
// names, or the embedded store in DataDir, or, with no DataDir, one in
// memory that a restart forgets.
func (srv *Server) openLog() error {
	cfg := &srv.cfg
	switch {
	case cfg.Log != nil:
		srv.chatLog = cfg.Log
	case cfg.DataDir == "":
		srv.chatLog = chatlog.NewMemory(cfg.HistoryMax, cfg.Now)
	default:
		st, err := store.Open(store.Options{
			Dir:        cfg.DataDir,
			MaxStore:   cfg.StoreMax,
			Sync:       cfg.Sync,
			HistoryMax: int64(cfg.HistoryMax),
			HistoryAge: cfg.HistoryAge,
			Timeout:    cfg.StoreTimeout,
			Logger:     srv.log.With("part", "store"),
		})
		if err != nil {
			return fmt.Errorf("history store in %s: %w", cfg.DataDir, err)
		}
		srv.chatLog, srv.ownStore = st, st
		srv.log.Info("history store open", "dir", cfg.DataDir, "history_max", cfg.HistoryMax, "history_age", formatDuration(cfg.HistoryAge), "sync", cfg.Sync)
	}
	return nil
}

// closeLog closes the store the server opened itself, once.
func (srv *Server) closeLog() {
	srv.storeOnce.Do(func() {
		if srv.ownStore != nil {
			srv.ownStore.Close()
		}
	})
}
