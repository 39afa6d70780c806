package sshchat

// The store's connection: when it is lost, every user of this server is
// told the chat is unavailable and that it is retrying, and their lines
// are refused with that reason at once instead of each waiting out the
// store's timeout; when it is back, they are told so. The connection
// retries by itself.

// storeConnected is the store's report that its connection was lost
// (false) or is back (true).
func (srv *Server) storeConnected(up bool) {
	if srv.closing.Load() || srv.storeDown.Load() == !up {
		return
	}
	srv.storeDown.Store(!up)
	if up {
		srv.log.Info("store reachable again: chat resumed")
	} else {
		srv.log.Warn("store unreachable: lines refused until it is back")
	}
	if srv.rooms == nil {
		return
	}
	told := byLang(msgChatBack)
	if !up {
		told = byLang(msgChatUnavailable)
	}
	for _, r := range srv.rooms.all() {
		r.announce(told)
	}
	if up && srv.cluster != nil {
		srv.cluster.reassert()
	}
}

// available reports whether lines can be sent now.
func (srv *Server) available() bool { return !srv.storeDown.Load() }
