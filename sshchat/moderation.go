package sshchat

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/kv"
)

// Moderation: who may act on others (owners, named by key on the command
// line, and the operators they appoint), and what they decided: bans,
// mutes and the message of the day. Each lives in a bucket, so it
// survives restarts and is shared by every server on the store; each is
// watched into memory, so checking a connection costs no round trip. A
// timed ban or mute is a key with a time to live: it ends by itself.

// ban is one banned key or address.
type ban struct {
	Name   string    `json:"name"` // whom it was aimed at
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
	Until  time.Time `json:"until,omitzero"` // zero: for good
	At     time.Time `json:"at"`
	Node   string    `json:"node,omitempty"` // the server whose operator decided it, which enforces it itself
}

// mute is one muted name.
type mute struct {
	By    string    `json:"by"`
	Until time.Time `json:"until,omitzero"`
}

// Keys of the bans bucket: what is banned.
func banKeyOf(fp string) string { return "key " + fp }
func banAddrOf(a netip.Addr) string {
	return "addr " + addrPrefix(a).String()
}

// addrPrefix is the block one user controls: an IPv4 address, or an
// IPv6 /64.
func addrPrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

type moderation struct {
	log    *slog.Logger
	now    func() time.Time
	owners map[string]bool // fingerprints

	opsB, bansB, mutesB, settingsB kv.Bucket
	stops                          []func()

	mu    sync.RWMutex
	ops   map[string]string // identity key → who appointed them
	bans  map[string]ban
	mutes map[string]mute
	note  string // the message of the day

	changes changes // told after each change is applied
	// onBan, when set, is told of each ban the watch brings (in a
	// goroutine of its own): the server ends the sessions it covers.
	onBan atomic.Pointer[func(key string, b ban)]
}

func openModeration(ctx context.Context, kvs kv.Opener, owners []string, now func() time.Time, log *slog.Logger) (*moderation, error) {
	m := &moderation{log: log, now: now, owners: map[string]bool{},
		ops: map[string]string{}, bans: map[string]ban{}, mutes: map[string]mute{}}
	for _, fp := range owners {
		m.owners[fp] = true
	}
	var err error
	for _, b := range []struct {
		name   string
		bucket *kv.Bucket
		watch  func(kv.Entry)
	}{
		{"operators", &m.opsB, func(e kv.Entry) {
			if e.Deleted {
				delete(m.ops, e.Key)
			} else {
				m.ops[e.Key] = string(e.Value)
			}
		}},
		{"bans", &m.bansB, func(e kv.Entry) {
			var b ban
			if e.Deleted || json.Unmarshal(e.Value, &b) != nil {
				delete(m.bans, e.Key)
			} else {
				m.bans[e.Key] = b
				if hook := m.onBan.Load(); hook != nil {
					go (*hook)(e.Key, b) // owner: moderation's watch; ends when the sessions are ended
				}
			}
		}},
		{"mutes", &m.mutesB, func(e kv.Entry) {
			var u mute
			if e.Deleted || json.Unmarshal(e.Value, &u) != nil {
				delete(m.mutes, e.Key)
			} else {
				m.mutes[e.Key] = u
			}
		}},
		{"settings", &m.settingsB, func(e kv.Entry) {
			if e.Key == "motd" {
				m.note = ""
				if !e.Deleted {
					m.note = string(e.Value)
				}
			}
		}},
	} {
		if *b.bucket, err = kvs.Bucket(ctx, b.name); err != nil {
			m.close()
			return nil, err
		}
		watch := b.watch
		stop, err := (*b.bucket).Watch(func(e kv.Entry) {
			defer m.changes.changed()
			m.mu.Lock()
			defer m.mu.Unlock()
			watch(e)
		})
		if err != nil {
			m.close()
			return nil, err
		}
		m.stops = append(m.stops, stop)
	}
	return m, nil
}

func (m *moderation) close() {
	for _, stop := range m.stops {
		stop()
	}
}

// isOwner: the key is one the server was started with (-op).
func (m *moderation) isOwner(fp string) bool { return fp != "" && m.owners[fp] }

// isOperator: an owner, or the holder of a registered name an owner
// appointed (login has checked the key against the account).
func (m *moderation) isOperator(mem *member, registered bool) bool {
	if m.isOwner(mem.fingerprint) {
		return true
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.ops[mem.key]
	return ok && registered
}

func (m *moderation) appoint(ctx context.Context, key, by string) error {
	_, err := m.opsB.Put(ctx, key, []byte(by), 0)
	m.waitFor(func() bool { _, ok := m.ops[key]; return ok })
	return err
}

func (m *moderation) dismiss(ctx context.Context, key string) (bool, error) {
	m.mu.RLock()
	_, ok := m.ops[key]
	m.mu.RUnlock()
	if !ok {
		return false, nil
	}
	err := m.opsB.Delete(ctx, key)
	m.waitFor(func() bool { _, ok := m.ops[key]; return !ok })
	return true, err
}

// banned returns the ban on any of keys, if one is in force.
func (m *moderation) banned(keys ...string) (ban, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	for _, k := range keys {
		if b, ok := m.bans[k]; ok && (b.Until.IsZero() || now.Before(b.Until)) {
			return b, true
		}
	}
	return ban{}, false
}

func (m *moderation) addBan(ctx context.Context, key string, b ban) error {
	value, _ := json.Marshal(b)
	_, err := m.bansB.Put(ctx, key, value, ttlUntil(m.now(), b.Until))
	m.waitFor(func() bool { _, ok := m.bans[key]; return ok })
	return err
}

// unban lifts every ban whose key or name matches what (a name, a
// fingerprint or an address), and says how many.
func (m *moderation) unban(ctx context.Context, what string) (int, error) {
	var keys []string
	addr, addrErr := netip.ParseAddr(what)
	m.mu.RLock()
	for k, b := range m.bans {
		match := strings.EqualFold(b.Name, what) || nameKey(b.Name) == nameKey(what) || k == banKeyOf(what)
		if addrErr == nil && k == banAddrOf(addr) {
			match = true
		}
		if match {
			keys = append(keys, k)
		}
	}
	m.mu.RUnlock()
	for _, k := range keys {
		if err := m.bansB.Delete(ctx, k); err != nil {
			return 0, err
		}
	}
	m.waitFor(func() bool {
		for _, k := range keys {
			if _, ok := m.bans[k]; ok {
				return false
			}
		}
		return true
	})
	return len(keys), nil
}

// banList is the bans in force, by what they ban.
func (m *moderation) banList() ([]string, map[string]ban) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	list := map[string]ban{}
	var keys []string
	for k, b := range m.bans {
		if b.Until.IsZero() || now.Before(b.Until) {
			list[k] = b
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, list
}

// muted returns the mute on a name's identity key, if one is in force.
func (m *moderation) muted(key string) (mute, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, ok := m.mutes[key]
	return u, ok && (u.Until.IsZero() || m.now().Before(u.Until))
}

func (m *moderation) addMute(ctx context.Context, key string, u mute) error {
	value, _ := json.Marshal(u)
	_, err := m.mutesB.Put(ctx, key, value, ttlUntil(m.now(), u.Until))
	m.waitFor(func() bool { _, ok := m.mutes[key]; return ok })
	return err
}

func (m *moderation) unmute(ctx context.Context, key string) (bool, error) {
	if _, ok := m.muted(key); !ok {
		return false, nil
	}
	err := m.mutesB.Delete(ctx, key)
	m.waitFor(func() bool { _, ok := m.mutes[key]; return !ok })
	return true, err
}

func (m *moderation) motd() string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.note
}

func (m *moderation) setMotd(ctx context.Context, text string) error {
	var err error
	if text == "" {
		err = m.settingsB.Delete(ctx, "motd")
	} else {
		_, err = m.settingsB.Put(ctx, "motd", []byte(text), 0)
	}
	m.waitFor(func() bool { return m.note == text })
	return err
}

// ttlUntil is the time to live of a key that ends at until (zero: for
// good).
func ttlUntil(now, until time.Time) time.Duration {
	if until.IsZero() {
		return 0
	}
	return max(until.Sub(now), time.Second)
}

// waitFor waits, briefly, for the watched copy to show a change this
// process made, so that the next command sees it.
func (m *moderation) waitFor(ok func() bool) {
	m.changes.waitFor(func() bool {
		m.mu.RLock()
		defer m.mu.RUnlock()
		return ok()
	})
}
