package sshchat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
	"github.com/sshchat/sshchat/sshchat/kv"
)

// Rooms: everyone lands in the lobby; /join #name moves a user to a room,
// creating it. A room's record (its name, creator and topic) is kept in
// the rooms bucket, watched into memory; its messages are its own subject
// of the log. A room other than the lobby that stays empty for the
// expiry goes, with its history.

// roomMeta is a room's stored record.
type roomMeta struct {
	Name       string    `json:"name"` // display form, without '#'
	Created    time.Time `json:"created"`
	Creator    string    `json:"creator"`              // the creator's name then
	CreatorKey string    `json:"creator_key"`          // that name's identity key
	CreatorFP  string    `json:"creator_fp,omitempty"` // the creator's key, when it had one
	Topic      string    `json:"topic,omitempty"`
	TopicBy    string    `json:"topic_by,omitempty"`
	EmptySince time.Time `json:"empty_since,omitzero"` // as last stored
}

var (
	errRoomLookAlike = errors.New("looks like another room")
	errTooManyRooms  = errors.New("too many rooms")
	errRoomBusy      = errors.New("room being removed")
)

// rooms is the server's rooms: the lobby, and the others by identity key.
// Look-ups (every message's delivery) read a map that is replaced, never
// changed, so they take no lock; mu orders creations and removals.
type rooms struct {
	log    chatlog.Log
	names  *registry
	bucket kv.Bucket
	seq    atomic.Uint64 // the events of every room (room.seq)
	window time.Duration
	now    func() time.Time
	max    int           // rooms at most, the lobby included
	recent recent        // an empty memory with the limits every room's has
	expiry time.Duration // an empty room goes after this
	logger *slog.Logger

	lobby  *room
	byKey  atomic.Pointer[map[string]*room]
	byName atomic.Pointer[map[string]*room] // by display name: the log's room
	last   atomic.Uint64                    // the last log sequence handed out in any room
	// delivered counts messages handed to members' outboxes (metrics).
	delivered atomic.Uint64

	mu       sync.Mutex
	removing map[string]bool // keys whose history is being purged
	// dropped is the record's revision of each room this server removed,
	// until the bucket's watch brings the deletion: an earlier write's
	// echo arriving after the removal must not bring the room back.
	dropped map[string]uint64
	stop    func()        // the bucket's watch
	done    chan struct{} // closed by close: ends the sweeper
	changes changes
}

func newRooms(ctx context.Context, kvs kv.Opener, cfg *Config, log chatlog.Log, names *registry, logger *slog.Logger) (*rooms, error) {
	rs := &rooms{log: log, names: names, window: cfg.AnnounceWindow, now: cfg.Now, max: cfg.MaxRooms,
		expiry: cfg.RoomExpiry, logger: logger, removing: map[string]bool{}, dropped: map[string]uint64{}, done: make(chan struct{}),
		recent: newRecent(cfg.HistoryLen, cfg.HistoryMax, cfg.HistoryAge)}
	rs.byKey.Store(&map[string]*room{})
	rs.byName.Store(&map[string]*room{})
	rs.lobby = rs.add(roomMeta{Name: cfg.Lobby})
	var err error
	if rs.bucket, err = kvs.Bucket(ctx, "rooms"); err != nil {
		return nil, err
	}
	if rs.stop, err = rs.bucket.Watch(rs.watched); err != nil {
		return nil, err
	}
	if rs.expiry > 0 {
		go rs.sweeper() // owner: rooms; ends at close
	}
	return rs, nil
}

// watched applies a change of the rooms bucket: a room made here or by
// another server sharing the store, a new topic, a room gone.
func (rs *rooms) watched(e kv.Entry) {
	defer rs.changes.changed()
	if e.Deleted {
		rs.mu.Lock()
		delete(rs.dropped, e.Key)
		rs.mu.Unlock()
		// Another server's sweep: gone here too, if nobody is in it.
		r := rs.get(e.Key)
		if r == nil || r == rs.lobby {
			return
		}
		r.mu.Lock()
		empty := r.onlineLocked() == 0
		if empty {
			r.gone = true // no one enters it from now on
		}
		r.recent.forget() // its history went with the record
		r.mu.Unlock()
		if empty {
			rs.mu.Lock()
			rs.dropLocked(r)
			rs.mu.Unlock()
		}
		return
	}
	var meta roomMeta
	if json.Unmarshal(e.Value, &meta) != nil || meta.Name == "" {
		rs.logger.Warn("room record unreadable", "key", e.Key)
		return
	}
	rs.mu.Lock()
	r := rs.get(e.Key)
	if r == nil {
		if rev, ok := rs.dropped[e.Key]; ok && e.Rev <= rev {
			rs.mu.Unlock()
			return // written before this server removed it
		}
		r = rs.add(meta)
	}
	rs.mu.Unlock()
	r.mu.Lock()
	r.meta, r.metaRev = meta, e.Rev
	if r.onlineLocked() == 0 && r.emptySince.IsZero() {
		// Empty since it was stored so, or, when it held users as the
		// server stopped, since now.
		r.emptySince = meta.EmptySince
		if r.emptySince.IsZero() {
			r.emptySince = rs.now()
		}
	}
	r.mu.Unlock()
}

// add makes the room meta describes; under mu (or before any other use).
func (rs *rooms) add(meta roomMeta) *room {
	r := newRoom(meta.Name, rs.log, rs.names, &rs.seq, rs.window, rs.now)
	r.meta = meta
	r.recent = rs.recent // empty: its limits only
	rs.putLocked(r)
	return r
}

// putLocked lists r; under mu. The maps are replaced, never changed:
// look-ups read them without a lock.
func (rs *rooms) putLocked(r *room) {
	byKey, byName := maps.Clone(*rs.byKey.Load()), maps.Clone(*rs.byName.Load())
	byKey[r.key], byName[r.name] = r, r
	rs.byKey.Store(&byKey)
	rs.byName.Store(&byName)
}

// dropLocked forgets r; under mu.
func (rs *rooms) dropLocked(r *room) {
	byKey, byName := maps.Clone(*rs.byKey.Load()), maps.Clone(*rs.byName.Load())
	delete(byKey, r.key)
	delete(byName, r.name)
	rs.byKey.Store(&byKey)
	rs.byName.Store(&byName)
}

// get is the room whose identity key is key, or nil.
func (rs *rooms) get(key string) *room { return (*rs.byKey.Load())[key] }

// named is the room called name, made here if this server has not yet
// seen its record (another server made it a moment ago).
func (rs *rooms) named(name string) *room {
	if r := (*rs.byName.Load())[name]; r != nil {
		return r
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if r := rs.get(nameKey(name)); r != nil {
		return r
	}
	return rs.add(roomMeta{Name: name})
}

// deliver is the log's follow callback: the entry is shown in its room.
// last moves only once the room has handed it out, so a session that
// ends meanwhile, or is dropped by this very entry, does not count it as
// seen.
func (rs *rooms) deliver(e chatlog.Entry) {
	if r := (*rs.byName.Load())[e.Room]; r != nil {
		rs.delivered.Add(uint64(r.deliver(e)))
	}
	rs.last.Store(e.Seq)
}

// all is every room, the lobby first, then by name.
func (rs *rooms) all() []*room {
	list := slices.Collect(maps.Values(*rs.byKey.Load()))
	slices.SortFunc(list, func(a, b *room) int {
		switch {
		case a == rs.lobby:
			return -1
		case b == rs.lobby:
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	return list
}

// open finds the room called name (already checked by checkRoomName), or
// creates it for m. A look-alike of an existing room's name (the same
// identity key, not just another case) is refused, as is a room past
// the limit.
func (rs *rooms) open(ctx context.Context, name string, m *member) (r *room, created bool, err error) {
	key := nameKey(name)
	if r := rs.get(key); r != nil {
		if !strings.EqualFold(r.name, name) {
			return r, false, errRoomLookAlike
		}
		return r, false, nil
	}
	rs.mu.Lock()
	switch {
	case rs.removing[key]:
		rs.mu.Unlock()
		return nil, false, errRoomBusy
	case len(*rs.byKey.Load()) >= rs.max:
		rs.mu.Unlock()
		return nil, false, errTooManyRooms
	}
	rs.mu.Unlock()
	meta := roomMeta{Name: name, Created: rs.now(), Creator: m.name, CreatorKey: m.key, CreatorFP: m.fingerprint}
	value, _ := json.Marshal(meta)
	_, err = rs.bucket.Create(ctx, key, value, 0)
	if err != nil && !errors.Is(err, kv.ErrExists) {
		return nil, false, err // another server may have made it: then it exists
	}
	created = err == nil
	rs.changes.waitFor(func() bool { return rs.get(key) != nil })
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if r = rs.get(key); r == nil {
		r = rs.add(meta) // the watch is behind: it will find the room here
	}
	if !strings.EqualFold(r.name, name) {
		return r, false, errRoomLookAlike
	}
	return r, created, nil
}

// setTopic stores r's new topic, set by m, and applies it.
// The record is changed at the revision it was read at, read again on
// a conflict: the sweep storing when the room became empty, or another
// server, must not undo a topic, nor a topic their change.
func (rs *rooms) setTopic(ctx context.Context, r *room, topic string, by *member) error {
	return rs.change(ctx, r, func(meta *roomMeta) { meta.Topic, meta.TopicBy = topic, by.name })
}

// change applies edit to r's stored record and, once stored, to r.
func (rs *rooms) change(ctx context.Context, r *room, edit func(*roomMeta)) error {
	r.mu.Lock()
	meta, rev := r.meta, r.metaRev
	r.mu.Unlock()
	for try := 0; ; try++ {
		edit(&meta)
		value, _ := json.Marshal(meta)
		next, err := rs.bucket.Update(ctx, r.key, value, rev)
		if err == nil {
			r.mu.Lock()
			if r.metaRev <= rev { // the watch may have applied it already
				r.meta, r.metaRev = meta, next
			}
			r.mu.Unlock()
			return nil
		}
		if !errors.Is(err, kv.ErrConflict) || try == 3 {
			return err
		}
		e, err := rs.bucket.Get(ctx, r.key)
		if err != nil {
			return err
		}
		meta = roomMeta{}
		if err := json.Unmarshal(e.Value, &meta); err != nil {
			return err
		}
		rev = e.Rev
	}
}

// sweepEvery is how often empty rooms are looked at: a hundredth of the
// expiry, between a second and a minute.
func (rs *rooms) sweepEvery() time.Duration {
	return min(max(rs.expiry/100, time.Second), time.Minute)
}

// sweeper removes expired rooms until close.
func (rs *rooms) sweeper() {
	t := time.NewTicker(rs.sweepEvery())
	defer t.Stop()
	for {
		select {
		case <-rs.done:
			return
		case <-t.C:
			rs.sweep(context.Background())
		}
	}
}

// sweep removes the rooms that have been empty for the expiry, with their
// records and history, and stores when the others became empty, so that
// a restart does not reset their clocks. It reports the rooms removed.
func (rs *rooms) sweep(ctx context.Context) []string {
	var gone []string
	for _, r := range rs.all() {
		if r == rs.lobby {
			continue
		}
		r.mu.Lock()
		empty, since, stored, rev := r.onlineLocked() == 0, r.emptySince, r.meta.EmptySince, r.metaRev
		expired := empty && !since.IsZero() && rs.now().Sub(since) >= rs.expiry
		if expired {
			r.gone = true // no one enters while its history goes
		}
		r.mu.Unlock()
		if !expired {
			if !since.Equal(stored) {
				c, cancel := context.WithTimeout(ctx, 2*time.Second)
				_ = rs.change(c, r, func(meta *roomMeta) { meta.EmptySince = since })
				cancel()
			}
			continue
		}
		rs.mu.Lock()
		rs.removing[r.key] = true
		rs.dropped[r.key] = rev
		rs.dropLocked(r)
		rs.mu.Unlock()
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := rs.log.Purge(c, r.name)
		if err == nil {
			r.mu.Lock()
			r.recent.forget()
			r.mu.Unlock()
			err = rs.bucket.Delete(c, r.key)
		}
		cancel()
		if err != nil {
			rs.logger.Warn("expired room not removed: will try again", "room", r.name, "err", err)
			rs.mu.Lock()
			delete(rs.removing, r.key)
			delete(rs.dropped, r.key)
			if rs.get(r.key) == nil {
				r.mu.Lock()
				r.gone = false
				r.mu.Unlock()
				rs.putLocked(r)
			}
			rs.mu.Unlock()
			continue
		}
		rs.logger.Info("room expired", "room", r.name, "empty_since", since)
		gone = append(gone, r.name)
		rs.mu.Lock()
		delete(rs.removing, r.key)
		rs.mu.Unlock()
	}
	return gone
}

// close stops the watch and the sweeper. The watch is stopped without
// mu held: its callback takes mu.
func (rs *rooms) close() {
	rs.mu.Lock()
	select {
	case <-rs.done:
		rs.mu.Unlock()
		return
	default:
	}
	close(rs.done)
	stop := rs.stop
	rs.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// checkRoomName reads a typed room name: "#" (optional) and then a name
// under the rules of user names. It returns the name without '#'.
func checkRoomName(typed string) (string, bool) {
	name, err := checkName(strings.TrimPrefix(strings.TrimSpace(typed), "#"), nil)
	return name, err == nil
}
