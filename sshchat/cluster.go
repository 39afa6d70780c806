package sshchat

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sshchat/sshchat/sshchat/kv"
)

// Several servers, one conversation. Servers sharing a NATS cluster
// (-nats) already share the stream (every room's messages in one order)
// and the buckets (rooms, accounts, moderation). This file adds who is
// online where. The "online" bucket holds a key per server, refreshed by
// a heartbeat and gone by itself nodeTTL after the server stops
// refreshing it, and a key per user naming its server: created at login,
// so that a name is unique across servers, kept current as the user
// moves, and deleted when the user leaves. Every server watches the
// bucket: it lists and announces other servers' users in its rooms, and
// tells its rooms that the users of a server whose key expired lost the
// connection. What is not stored (private messages, kicks, takeovers,
// the rooms' server lines) servers tell each other directly over the
// cluster's NATS.

const (
	nodeTTL        = 10 * time.Second // a silent server's users are told lost this long after its last heartbeat
	heartbeatEvery = 3 * time.Second
	requestTimeout = 2 * time.Second // for another server to answer
)

// onlineUser is a user key's value.
type onlineUser struct {
	Node   string           `json:"node"`
	Name   string           `json:"name"`
	Room   string           `json:"room,omitempty"` // "" until joined
	Lang   string           `json:"lang,omitempty"`
	FP     string           `json:"fp,omitempty"`
	Client string           `json:"client,omitempty"`
	Addr   string           `json:"addr,omitempty"`
	Joined time.Time        `json:"joined"`
	Away   *string          `json:"away,omitempty"`
	Was    string           `json:"was,omitempty"`  // the key of the name it had before /nick
	Left   string           `json:"left,omitempty"` // how it left, just before its key goes
	Told   [numLangs]string `json:"told,omitzero"`  // the line an operator's removal told
}

// nodeRequest is what one server asks another.
type nodeRequest struct {
	Op       string           `json:"op"` // private, remove, replace
	Key      string           `json:"key"`
	From     string           `json:"from,omitempty"`
	Text     string           `json:"text,omitempty"`
	FP       string           `json:"fp,omitempty"`
	Reason   string           `json:"reason,omitempty"`
	Told     [numLangs]string `json:"told,omitzero"`
	Farewell [numLangs]string `json:"farewell,omitzero"`
}

// roomLine is a server's line to a room, told on every server.
type roomLine struct {
	Node  string           `json:"node"`
	Room  string           `json:"room"`
	Lines [numLangs]string `json:"lines"`
}

const announceSubject = "sshchat.rooms.announce"

type cluster struct {
	srv    *Server
	node   string
	nc     *nats.Conn
	online kv.Bucket
	log    *slog.Logger

	mu      sync.Mutex
	nodes   map[string]bool    // servers whose key is present
	remote  map[string]*member // other servers' users, by name key
	stale   []string           // this server's user keys from before it started
	started bool
	stop    func()
	subs    []*nats.Subscription
	done    chan struct{}
}

func nodeKey(node string) string { return "node " + node }
func userKey(key string) string  { return "user " + key }

func nodeSubject(node string) string { return "sshchat.node." + hex.EncodeToString([]byte(node)) }

// newCluster joins this server to the others on nc and the online bucket.
func newCluster(ctx context.Context, srv *Server, nc *nats.Conn, kvs kv.Opener) (*cluster, error) {
	c := &cluster{srv: srv, node: srv.cfg.Node, nc: nc, log: srv.log.With("part", "cluster"),
		nodes: map[string]bool{}, remote: map[string]*member{}, done: make(chan struct{})}
	var err error
	if c.online, err = kvs.Bucket(ctx, "online"); err != nil {
		return nil, err
	}
	if _, err := c.online.Get(ctx, nodeKey(c.node)); err == nil {
		c.log.Warn("this server's name is in the cluster already: restarted within its heartbeat's life, or another server has it (each needs its own -node)", "node", c.node)
	}
	if err := c.heartbeat(ctx); err != nil {
		return nil, err
	}
	sub, err := nc.Subscribe(nodeSubject(c.node), c.answer)
	if err != nil {
		return nil, err
	}
	c.subs = append(c.subs, sub)
	if sub, err = nc.Subscribe(announceSubject, c.announced); err != nil {
		c.close()
		return nil, err
	}
	c.subs = append(c.subs, sub)
	if c.stop, err = c.online.Watch(c.watched); err != nil {
		c.close()
		return nil, err
	}
	// Users this server had before it restarted are gone.
	c.mu.Lock()
	stale := c.stale
	c.stale, c.started = nil, true
	c.mu.Unlock()
	for _, k := range stale {
		c.removeIfHeldBy(ctx, k, c.node)
	}
	c.sweep(ctx) // users of servers gone while nobody watched
	go c.beat()  // owner: cluster; ends at close
	return c, nil
}

// heartbeat refreshes this server's key.
func (c *cluster) heartbeat(ctx context.Context) error {
	v, _ := json.Marshal(c.srv.now())
	_, err := c.online.Put(ctx, nodeKey(c.node), v, nodeTTL)
	return err
}

func (c *cluster) beat() {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), heartbeatEvery)
			if err := c.heartbeat(ctx); err != nil {
				c.log.Warn("heartbeat not stored", "err", err)
			}
			c.sweep(ctx)
			cancel()
		}
	}
}

// sweep tells the rooms of the users of servers that are gone, and
// removes their keys.
func (c *cluster) sweep(ctx context.Context) {
	c.mu.Lock()
	lost := map[string]string{} // key → its gone server
	for k, m := range c.remote {
		if !c.nodes[m.node] {
			lost[k] = m.node
		}
	}
	c.mu.Unlock()
	for k, node := range lost {
		c.userGone(k, leaveLost, [numLangs]string{})
		c.removeIfHeldBy(ctx, k, node)
	}
}

// removeIfHeldBy deletes a user's key if it still names node: the user
// may have connected again to another server, whose key it is now.
func (c *cluster) removeIfHeldBy(ctx context.Context, key, node string) {
	e, err := c.online.Get(ctx, userKey(key))
	if err != nil {
		return
	}
	var u onlineUser
	if json.Unmarshal(e.Value, &u) == nil && u.Node == node {
		_ = c.online.DeleteIf(ctx, userKey(key), e.Rev)
	}
}

// watched applies a change of the online bucket.
func (c *cluster) watched(e kv.Entry) {
	switch {
	case strings.HasPrefix(e.Key, "node "):
		node := strings.TrimPrefix(e.Key, "node ")
		c.mu.Lock()
		was := c.nodes[node]
		c.nodes[node] = !e.Deleted
		if e.Deleted {
			delete(c.nodes, node)
		}
		c.mu.Unlock()
		if e.Deleted && was && node != c.node {
			c.log.Warn("server gone from the cluster: its users lost the connection", "node", node)
			go func() { // owner: cluster; ends when the keys are removed
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c.sweep(ctx)
			}()
		}
	case strings.HasPrefix(e.Key, "user "):
		key := strings.TrimPrefix(e.Key, "user ")
		if e.Deleted {
			c.userGone(key, leaveQuit, [numLangs]string{})
			return
		}
		var u onlineUser
		if json.Unmarshal(e.Value, &u) != nil {
			return
		}
		if u.Node == c.node {
			c.mu.Lock()
			if !c.started {
				c.stale = append(c.stale, key)
			}
			// A user of another server who came back here is a member
			// of this server's rooms now, not of theirs.
			prev := c.remote[key]
			delete(c.remote, key)
			c.mu.Unlock()
			if prev != nil {
				prev.room.Load().remoteForget(key)
			}
			return
		}
		if u.Left != "" {
			if u.Left != "renamed" {
				c.userGone(key, reasonNamed(u.Left), u.Told)
			}
			return
		}
		if u.Room != "" {
			c.userSeen(key, u)
		}
	}
}

// reasonNamed is the leave reason whose log name is name.
func reasonNamed(name string) leaveReason {
	for r := range numLeaveReasons {
		if r.String() == name {
			return r
		}
	}
	return leaveQuit
}

// userSeen records a user of another server where it now is, telling
// the rooms it left and entered.
func (c *cluster) userSeen(key string, u onlineUser) {
	r := c.srv.rooms.named(u.Room)
	m := &member{name: u.Name, key: key, node: u.Node, fingerprint: u.FP, client: u.Client, joined: u.Joined}
	m.addr, _ = netip.ParseAddr(u.Addr)
	l, _ := parseLang(u.Lang)
	m.language = func() lang { return l }
	m.away.Store(u.Away)
	m.room.Store(r)
	c.mu.Lock()
	prev := c.remote[key]
	var was *member
	if prev == nil && u.Was != "" {
		was = c.remote[u.Was]
		delete(c.remote, u.Was)
	}
	c.remote[key] = m
	c.mu.Unlock()
	switch {
	case was != nil && was.room.Load() == r:
		r.remoteRename(was, m)
	case was != nil:
		was.room.Load().remoteLeave(was.key, leaveQuit, "", [numLangs]string{})
		r.remoteJoin(m)
	case prev == nil:
		r.remoteJoin(m)
	case prev.room.Load() != r:
		prev.room.Load().remoteLeave(key, leaveQuit, r.name, [numLangs]string{})
		r.remoteJoin(m)
	default:
		r.remoteUpdate(m)
	}
}

// userGone forgets a user of another server, telling its room.
func (c *cluster) userGone(key string, reason leaveReason, told [numLangs]string) {
	c.mu.Lock()
	m := c.remote[key]
	delete(c.remote, key)
	c.mu.Unlock()
	if m != nil {
		m.room.Load().remoteLeave(key, reason, "", told)
	}
}

// lookup is the user of another server whose name's key is key.
func (c *cluster) lookup(key string) *member {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remote[key]
}

// names is the other servers' users' names.
func (c *cluster) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.remote))
	for _, m := range c.remote {
		out = append(out, m.name)
	}
	return out
}

// value is m's key's value as this server sees it.
func (c *cluster) value(m *member, s *session) onlineUser {
	u := onlineUser{Node: c.node, Name: m.name, FP: m.fingerprint, Client: m.client, Addr: m.addr.String(),
		Joined: m.joined, Away: m.away.Load()}
	if r := m.room.Load(); r != nil {
		u.Room = r.name
	}
	if m.language != nil {
		u.Lang = m.language().String()
	}
	return u
}

// claim takes m's name across the cluster. A holder on a server that is
// gone is cleared; a holder that mayTake allows (the same user's lost
// connection) is asked to leave, on its server, and the claim tried
// again; anyone else keeps the name (errNameTaken).
func (c *cluster) claim(ctx context.Context, m *member, mayTake func(holderFP string) bool) error {
	v, _ := json.Marshal(c.value(m, nil))
	for try := 0; ; try++ {
		_, err := c.online.Create(ctx, userKey(m.key), v, 0)
		if !errors.Is(err, kv.ErrExists) {
			return err
		}
		e, err := c.online.Get(ctx, userKey(m.key))
		if errors.Is(err, kv.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		var holder onlineUser
		_ = json.Unmarshal(e.Value, &holder)
		c.mu.Lock()
		live := c.nodes[holder.Node]
		c.mu.Unlock()
		switch {
		case holder.Node == c.node || !live || holder.Left != "":
			// Ours from before a restart, a gone server's, or leaving.
			if _, err := c.online.Update(ctx, userKey(m.key), v, e.Rev); err == nil {
				return nil
			}
		case try < 20 && mayTake(holder.FP):
			if try == 0 {
				c.request(holder.Node, nodeRequest{Op: "replace", Key: m.key, FP: holder.FP})
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond): // for the holder's key to go
			}
		default:
			return errNameTaken
		}
	}
}

// update stores where m is and how (room, away).
func (c *cluster) update(m *member) {
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.StoreTimeout)
	defer cancel()
	v, _ := json.Marshal(c.value(m, nil))
	if _, err := c.online.Put(ctx, userKey(m.key), v, 0); err != nil {
		c.log.Warn("presence not stored", "user", m.name, "err", err)
	}
}

// leave removes m's key, telling the other servers how it left first.
// Only m's own key goes: after a takeover, or a partition in which
// another server's user took the name, the key is someone else's.
func (c *cluster) leave(m *member, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.StoreTimeout)
	defer cancel()
	e, err := c.online.Get(ctx, userKey(m.key))
	if err != nil {
		return
	}
	var holder onlineUser
	if json.Unmarshal(e.Value, &holder) != nil || holder.Node != c.node || holder.Name != m.name || !holder.Joined.Equal(m.joined) {
		return
	}
	rev := e.Rev
	if reason != "" {
		u := c.value(m, nil)
		u.Left = reason
		if told := m.told.Load(); told != nil {
			u.Told = *told
		}
		v, _ := json.Marshal(u)
		if rev, err = c.online.Update(ctx, userKey(m.key), v, rev); err != nil {
			return // changed meanwhile: no longer this session's
		}
	}
	if err := c.online.DeleteIf(ctx, userKey(m.key), rev); err != nil && !errors.Is(err, kv.ErrConflict) {
		c.log.Warn("presence not removed", "user", m.name, "err", err)
	}
}

// rename claims nu's name for the user known as old, across the cluster.
func (c *cluster) rename(ctx context.Context, old, nu *member) error {
	if nu.key != old.key {
		u := c.value(nu, nil)
		u.Was = old.key
		v, _ := json.Marshal(u)
		if _, err := c.online.Create(ctx, userKey(nu.key), v, 0); err != nil {
			if errors.Is(err, kv.ErrExists) {
				return errNameTaken
			}
			return err
		}
		c.leave(old, "renamed")
		return nil
	}
	c.update(nu)
	return nil
}

// reassert stores this server's key and its users' again after the
// connection came back: the others may have counted them lost. A name
// taken meanwhile by another server's user ends the local session.
func (c *cluster) reassert() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.heartbeat(ctx); err != nil {
		c.log.Warn("heartbeat not stored", "err", err)
		return
	}
	for _, m := range c.srv.names.all() {
		if m.room.Load() == nil {
			continue
		}
		v, _ := json.Marshal(c.value(m, nil))
		_, err := c.online.Create(ctx, userKey(m.key), v, 0)
		if errors.Is(err, kv.ErrExists) {
			e, gerr := c.online.Get(ctx, userKey(m.key))
			var holder onlineUser
			if gerr == nil && json.Unmarshal(e.Value, &holder) == nil && holder.Node != c.node {
				c.srv.removeMember(m, leaveReplaced, [numLangs]string{}, m.language().t(msgReplacedBye))
				continue
			}
			_, _ = c.online.Put(ctx, userKey(m.key), v, 0)
		}
	}
}

// request asks node to do r and returns its answer ("" when it did not
// answer in time).
func (c *cluster) request(node string, r nodeRequest) string {
	data, _ := json.Marshal(r)
	msg, err := c.nc.Request(nodeSubject(node), data, requestTimeout)
	if err != nil {
		c.log.Warn("server did not answer", "node", node, "op", r.Op, "err", err)
		return ""
	}
	return string(msg.Data)
}

// answer serves another server's request.
func (c *cluster) answer(msg *nats.Msg) {
	var r nodeRequest
	if json.Unmarshal(msg.Data, &r) != nil {
		return
	}
	m := c.srv.names.lookup(r.Key)
	if m == nil || m.room.Load() == nil {
		_ = msg.Respond([]byte("none"))
		return
	}
	switch r.Op {
	case "private":
		ev := newPrivate(r.From, m.name, r.Text)
		if !m.room.Load().tell(m, ev) {
			_ = msg.Respond([]byte("none"))
			return
		}
		reply := "ok"
		if why, away := m.awayReason(); away {
			reply = "away " + why
		}
		_ = msg.Respond([]byte(reply))
	case "remove":
		ok := c.srv.removeMember(m, reasonNamed(r.Reason), r.Told, r.Farewell[m.language()])
		_ = msg.Respond([]byte(map[bool]string{true: "ok", false: "none"}[ok]))
	case "replace":
		if r.FP == "" || m.fingerprint != r.FP {
			_ = msg.Respond([]byte("none"))
			return
		}
		c.srv.removeMember(m, leaveReplaced, [numLangs]string{}, m.language().t(msgReplacedBye))
		_ = msg.Respond([]byte("ok"))
	}
}

// private sends a private message from the local member from to to, a
// user of another server. It reports whether to got it, and why to is
// away if so.
func (c *cluster) private(from, to *member, text string) (ok bool, away string) {
	reply := c.request(to.node, nodeRequest{Op: "private", Key: to.key, From: from.name, Text: text})
	if why, isAway := strings.CutPrefix(reply, "away "); isAway {
		return true, why
	}
	return reply == "ok", ""
}

// remove ends to's session on its server, as an operator decided.
func (c *cluster) remove(to *member, reason leaveReason, told [numLangs]string, farewell [numLangs]string) bool {
	return c.request(to.node, nodeRequest{Op: "remove", Key: to.key, Reason: reason.String(), Told: told, Farewell: farewell}) == "ok"
}

// announce tells a server's line in room r on every other server.
func (c *cluster) announce(r *room, told [numLangs]string) {
	data, _ := json.Marshal(roomLine{Node: c.node, Room: r.name, Lines: told})
	if err := c.nc.Publish(announceSubject, data); err != nil {
		c.log.Warn("room line not sent to the cluster", "err", err)
	}
}

func (c *cluster) announced(msg *nats.Msg) {
	var l roomLine
	if json.Unmarshal(msg.Data, &l) != nil || l.Node == c.node {
		return
	}
	c.srv.rooms.named(l.Room).announce(l.Lines)
}

// close stops the heartbeat, the watch and the subscriptions, and removes
// this server's key, so the others need not wait for it to expire.
func (c *cluster) close() {
	select {
	case <-c.done:
		return
	default:
	}
	close(c.done)
	if c.stop != nil {
		c.stop()
	}
	for _, s := range c.subs {
		_ = s.Unsubscribe()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.online.Delete(ctx, nodeKey(c.node))
}
