package sshchat

import "time"

// A room's members on other servers sharing the cluster (cluster.go):
// names the room lists and counts, and whose arrivals and departures it
// tells, but to whom it delivers nothing: their own server does.

// onlineLocked is how many are in the room, here and elsewhere.
func (r *room) onlineLocked() int { return len(r.members) + len(r.remote) }

// remoteJoin adds m, a user of another server, and tells the room.
func (r *room) remoteJoin(m *member) {
	r.mu.Lock()
	defer r.unlock()
	if r.closed || r.remote[m.key] != nil {
		return
	}
	if r.remote == nil {
		r.remote = map[string]*member{}
	}
	r.remote[m.key] = m
	r.emptySince = time.Time{}
	r.announceLocked(change{seq: r.nextSeq(), name: m.name, online: r.onlineLocked()})
	r.dropSlowLocked()
}

// remoteLeave removes the user of another server whose key is key, and
// tells the room how it left: reason, or, when told is set, that line;
// with to, that it went to that room.
func (r *room) remoteLeave(key string, reason leaveReason, to string, told [numLangs]string) {
	r.mu.Lock()
	defer r.unlock()
	m := r.remote[key]
	if m == nil {
		return
	}
	delete(r.remote, key)
	r.vacatedLocked()
	if r.closed {
		return
	}
	c := change{seq: r.nextSeq(), name: m.name, left: true, reason: reason, online: r.onlineLocked()}
	if to != "" {
		c.told = byLang(msgWentTo, m.name, to, r.onlineLocked())
	} else if told[langEN] != "" {
		c.told = told
	}
	r.announceLocked(c)
	r.dropSlowLocked()
}

// remoteRename replaces old by nu, the same user of another server under
// a new name, and tells the room.
func (r *room) remoteRename(old, nu *member) {
	r.mu.Lock()
	defer r.unlock()
	if r.remote[old.key] == nil || r.closed {
		return
	}
	delete(r.remote, old.key)
	r.remote[nu.key] = nu
	r.announceLocked(change{seq: r.nextSeq(), name: nu.name, online: r.onlineLocked(),
		told: byLang(msgRenamed, old.name, nu.name)})
	r.dropSlowLocked()
}

// remoteForget drops a user of another server without telling anyone:
// it is here now, and its arrival was told as a join.
func (r *room) remoteForget(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.remote, key)
}

// remoteUpdate replaces the record of a user of another server (away or
// back), telling nothing.
func (r *room) remoteUpdate(m *member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.remote[m.key] != nil {
		r.remote[m.key] = m
	}
}
