package sshchat

import (
	"context"
	"time"
)

// The store's connection: when it is lost, every user of this server is
// told the chat is unavailable and that it is retrying, and their lines
// are refused with that reason at once instead of each waiting out the
// store's timeout. When the connection is back, the stream is asked
// until it answers (a cluster that restarts elects its leaders after its
// clients reconnect), and then users are told the chat is back. The
// connection retries by itself.

// storeConnected is the store's report that its connection was lost
// (false) or is back (true), from the connection's goroutine.
func (srv *Server) storeConnected(up bool) {
	if srv.closing.Load() {
		return
	}
	srv.storeMu.Lock()
	defer srv.storeMu.Unlock()
	srv.storeEpoch++
	if !up {
		if srv.storeDown.Swap(true) {
			return
		}
		srv.log.Warn("store unreachable: lines refused until it is back")
		srv.tellAll(byLang(msgChatUnavailable))
		return
	}
	go srv.awaitStore(srv.storeEpoch) // owner: the server; ends when the stream answers or the connection is lost again
}

// awaitStore asks the stream until it answers, then tells users the chat
// is back, unless the connection was lost again meanwhile (epoch moved).
func (srv *Server) awaitStore(epoch int) {
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		if srv.closing.Load() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), srv.cfg.StoreTimeout)
		err := srv.ownStore.Ready(ctx)
		cancel()
		srv.storeMu.Lock()
		if srv.storeEpoch != epoch {
			srv.storeMu.Unlock()
			return
		}
		if err == nil {
			if srv.storeDown.Swap(false) {
				srv.log.Info("store reachable again: chat resumed")
				srv.tellAll(byLang(msgChatBack))
			}
			srv.storeMu.Unlock()
			if srv.cluster != nil {
				srv.cluster.reassert()
			}
			return
		}
		srv.storeMu.Unlock()
		time.Sleep(wait) // backing off between probes of a store that is not back
	}
}

// tellAll tells every room of this server a line, here only.
func (srv *Server) tellAll(told [numLangs]string) {
	if srv.rooms == nil {
		return
	}
	for _, r := range srv.rooms.all() {
		r.announce(told)
	}
}

// available reports whether lines can be sent now.
func (srv *Server) available() bool { return !srv.storeDown.Load() }
