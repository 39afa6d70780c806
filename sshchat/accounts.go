package sshchat

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/kv"
	gossh "golang.org/x/crypto/ssh"
)

// Accounts tie a name to the public keys that may use it. They live in
// two buckets: accounts, by the name's identity key (nameKey), and keys,
// by fingerprint, naming the account a key belongs to, so that no key
// serves two accounts. Both are watched into memory, so a login checks
// a name without a round trip; a claim is a create-if-absent in the
// bucket, atomic across every server sharing the store.

// maxAccountKeys is how many keys (devices) one account may have.
const maxAccountKeys = 10

// account is one registered name.
type account struct {
	Name    string       `json:"name"` // display form, as registered
	Keys    []accountKey `json:"keys"`
	Created time.Time    `json:"created"`
	Seen    time.Time    `json:"seen"`     // when its owner last left
	SeenSeq uint64       `json:"seen_seq"` // the last message of the lobby's log shown to them
	rev     uint64       // the bucket revision this copy was read at
}

type accountKey struct {
	Fingerprint string `json:"fp"`
	Key         string `json:"key"` // authorized_keys form
}

func (a *account) hasKey(fp string) bool {
	return a != nil && fp != "" && slices.ContainsFunc(a.Keys, func(k accountKey) bool { return k.Fingerprint == fp })
}

var (
	errRegistered    = errors.New("name registered to another account")
	errKeyTaken      = errors.New("key belongs to another account")
	errTooManyKeys   = errors.New("too many keys")
	errNoAccount     = errors.New("not registered")
	errLastKey       = errors.New("the last key")
	errStoreConflict = errors.New("account changed meanwhile")
)

// accounts is the watched copy of the account buckets.
type accounts struct {
	log         *slog.Logger
	byName      kv.Bucket
	byKey       kv.Bucket
	expiry      time.Duration // an account unused this long lapses; 0: never
	now         func() time.Time
	stopWatches []func()

	mu      sync.RWMutex
	names   map[string]*account // by identity key
	keys    map[string]string   // fingerprint → identity key
	changes changes             // told after each change is applied
}

func openAccounts(ctx context.Context, kvs kv.Opener, expiry time.Duration, now func() time.Time, log *slog.Logger) (*accounts, error) {
	a := &accounts{log: log, expiry: expiry, now: now, names: map[string]*account{}, keys: map[string]string{}}
	var err error
	if a.byName, err = kvs.Bucket(ctx, "accounts"); err != nil {
		return nil, err
	}
	if a.byKey, err = kvs.Bucket(ctx, "account_keys"); err != nil {
		return nil, err
	}
	stop, err := a.byName.Watch(func(e kv.Entry) {
		defer a.changes.changed()
		a.mu.Lock()
		defer a.mu.Unlock()
		if e.Deleted {
			delete(a.names, e.Key)
			return
		}
		var acct account
		if json.Unmarshal(e.Value, &acct) != nil {
			a.log.Warn("account unreadable", "key", e.Key)
			return
		}
		acct.rev = e.Rev
		a.names[e.Key] = &acct
	})
	if err != nil {
		return nil, err
	}
	a.stopWatches = append(a.stopWatches, stop)
	stop, err = a.byKey.Watch(func(e kv.Entry) {
		defer a.changes.changed()
		a.mu.Lock()
		defer a.mu.Unlock()
		if e.Deleted {
			delete(a.keys, e.Key)
		} else {
			a.keys[e.Key] = string(e.Value)
		}
	})
	if err != nil {
		a.close()
		return nil, err
	}
	a.stopWatches = append(a.stopWatches, stop)
	return a, nil
}

func (a *accounts) close() {
	for _, stop := range a.stopWatches {
		stop()
	}
}

// lookup returns the live account of a name's identity key: nil when
// unregistered or lapsed. The copy is the caller's.
func (a *accounts) lookup(key string) *account {
	a.mu.RLock()
	acct := a.names[key]
	a.mu.RUnlock()
	if acct == nil || a.lapsed(acct) {
		return nil
	}
	c := *acct
	c.Keys = slices.Clone(acct.Keys)
	return &c
}

func (a *accounts) lapsed(acct *account) bool {
	last := acct.Seen
	if last.IsZero() {
		last = acct.Created
	}
	return a.expiry > 0 && a.now().Sub(last) > a.expiry
}

// register makes name (identity key key) an account of the key whose
// fingerprint is fp, or fails: errRegistered, errKeyTaken.
func (a *accounts) register(ctx context.Context, name, key, fp, authorized string, seenSeq uint64) error {
	if err := a.claimKey(ctx, fp, key); err != nil {
		return err
	}
	now := a.now()
	acct := account{Name: name, Keys: []accountKey{{fp, authorized}}, Created: now, Seen: now, SeenSeq: seenSeq}
	value, _ := json.Marshal(acct)
	_, err := a.byName.Create(ctx, key, value, 0)
	if errors.Is(err, kv.ErrExists) {
		// A lapsed account is freed for whoever registers next.
		if old := a.raw(key); old != nil && a.lapsed(old) {
			if _, err = a.byName.Update(ctx, key, value, old.rev); err == nil {
				a.releaseKeys(ctx, old, fp)
				a.waitFor(key, func(acct *account) bool { return acct != nil && acct.hasKey(fp) })
				return nil
			}
		}
		_ = a.byKey.Delete(ctx, fp)
		return errRegistered
	}
	if err != nil {
		_ = a.byKey.Delete(ctx, fp)
		return err
	}
	a.waitFor(key, func(acct *account) bool { return acct != nil && acct.hasKey(fp) })
	return nil
}

// claimKey records that fp belongs to the account key, unless it
// belongs to another.
func (a *accounts) claimKey(ctx context.Context, fp, key string) error {
	_, err := a.byKey.Create(ctx, fp, []byte(key), 0)
	if errors.Is(err, kv.ErrExists) {
		e, gerr := a.byKey.Get(ctx, fp)
		if gerr == nil && string(e.Value) == key {
			return nil
		}
		if gerr == nil {
			if owner := a.raw(string(e.Value)); owner == nil || !owner.hasKey(fp) || a.lapsed(owner) {
				// A key left behind by an account that is gone or lapsed.
				if _, err := a.byKey.Update(ctx, fp, []byte(key), e.Rev); err == nil {
					return nil
				}
			}
		}
		return errKeyTaken
	}
	return err
}

func (a *accounts) releaseKeys(ctx context.Context, acct *account, except string) {
	for _, k := range acct.Keys {
		if k.Fingerprint != except {
			_ = a.byKey.Delete(ctx, k.Fingerprint)
		}
	}
}

func (a *accounts) raw(key string) *account {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.names[key]
}

// change applies edit to the account key, retrying when another change
// came first. edit returns an error to give up.
func (a *accounts) change(ctx context.Context, key string, edit func(*account) error) error {
	for range 5 {
		e, err := a.byName.Get(ctx, key)
		if errors.Is(err, kv.ErrNotFound) {
			return errNoAccount
		}
		if err != nil {
			return err
		}
		var acct account
		if err := json.Unmarshal(e.Value, &acct); err != nil {
			return fmt.Errorf("account %s: %w", key, err)
		}
		if err := edit(&acct); err != nil {
			return err
		}
		value, _ := json.Marshal(acct)
		if _, err = a.byName.Update(ctx, key, value, e.Rev); errors.Is(err, kv.ErrConflict) {
			continue
		}
		if err == nil {
			a.waitFor(key, func(got *account) bool { return got != nil && got.rev > e.Rev })
		}
		return err
	}
	return errStoreConflict
}

// addKey gives the account key another device's key.
func (a *accounts) addKey(ctx context.Context, key, fp, authorized string) error {
	acct := a.lookup(key)
	if acct == nil {
		return errNoAccount
	}
	if acct.hasKey(fp) {
		return nil
	}
	if len(acct.Keys) >= maxAccountKeys {
		return errTooManyKeys
	}
	if err := a.claimKey(ctx, fp, key); err != nil {
		return err
	}
	err := a.change(ctx, key, func(acct *account) error {
		if len(acct.Keys) >= maxAccountKeys {
			return errTooManyKeys
		}
		if !acct.hasKey(fp) {
			acct.Keys = append(acct.Keys, accountKey{fp, authorized})
		}
		return nil
	})
	if err != nil {
		_ = a.byKey.Delete(ctx, fp)
	}
	return err
}

// removeKey takes a key from the account; the last one cannot go
// (unregister does that).
func (a *accounts) removeKey(ctx context.Context, key, fp string) error {
	err := a.change(ctx, key, func(acct *account) error {
		i := slices.IndexFunc(acct.Keys, func(k accountKey) bool { return k.Fingerprint == fp })
		if i < 0 {
			return errNoAccount
		}
		if len(acct.Keys) == 1 {
			return errLastKey
		}
		acct.Keys = slices.Delete(acct.Keys, i, i+1)
		return nil
	})
	if err == nil {
		_ = a.byKey.Delete(ctx, fp)
	}
	return err
}

// unregister frees the name and its keys.
func (a *accounts) unregister(ctx context.Context, key string) error {
	acct := a.lookup(key)
	if acct == nil {
		return errNoAccount
	}
	if err := a.byName.Delete(ctx, key); err != nil {
		return err
	}
	a.releaseKeys(ctx, acct, "")
	a.waitFor(key, func(acct *account) bool { return acct == nil })
	return nil
}

// seen records when the owner of key left and the last message they were
// shown, for "while you were away".
func (a *accounts) seen(ctx context.Context, key string, seq uint64) {
	err := a.change(ctx, key, func(acct *account) error {
		acct.Seen = a.now()
		acct.SeenSeq = max(acct.SeenSeq, seq)
		return nil
	})
	if err != nil {
		if !errors.Is(err, errNoAccount) {
			a.log.Warn("account not updated", "err", err)
		}
		return
	}
	// The same user connecting again at once must not be shown, as
	// "while you were away", what this connection saw.
	a.waitFor(key, func(acct *account) bool { return acct == nil || acct.SeenSeq >= seq })
}

// waitFor waits, briefly, for the watched copy to show a change this
// process made, so that the user's next command sees it.
func (a *accounts) waitFor(key string, ok func(*account) bool) {
	a.changes.waitFor(func() bool { return ok(a.raw(key)) })
}

// rsaBits is the size of an RSA public key.
func rsaBits(k gossh.CryptoPublicKey) (int, bool) {
	if r, ok := k.CryptoPublicKey().(*rsa.PublicKey); ok {
		return r.N.BitLen(), true
	}
	return 0, false
}
