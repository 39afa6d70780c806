package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sshchat/sshchat/sshchat/kv"
)

// Accounts, operators and bans live in JetStream key-value buckets, one
// per kind, beside the rooms' stream. A key's name is hex of ours (names
// and fingerprints hold characters a bucket key may not), and a key with
// a time to live expires by itself, with a marker every watcher sees.

var _ kv.Opener = (*Store)(nil)

// markerTTL is how long an expiry or deletion marker is kept: long
// enough for a watcher that was reconnecting to see it.
const markerTTL = 10 * time.Minute

// Bucket opens (creating if missing) the bucket called name.
func (s *Store) Bucket(ctx context.Context, name string) (kv.Bucket, error) {
	// Buckets are opened as the server starts, when a cluster may take
	// seconds to place a new one's replicas: the caller's bound holds,
	// or the start's.
	if _, bounded := ctx.Deadline(); !bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, placeTimeout)
		defer cancel()
	}
	var b jetstream.KeyValue
	err := whilePlacing(ctx, func(ctx context.Context) (err error) {
		b, err = s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:         name,
			History:        1,
			Storage:        jetstream.FileStorage,
			LimitMarkerTTL: markerTTL,
			Replicas:       s.opts.Replicas,
		})
		return err
	})
	if err != nil {
		return nil, unavailable("open bucket "+name, err)
	}
	return &bucket{s: s, kv: b, name: name}, nil
}

type bucket struct {
	s    *Store
	kv   jetstream.KeyValue
	name string
}

func encodeKey(k string) string { return hex.EncodeToString([]byte(k)) }

func decodeKey(k string) (string, error) {
	b, err := hex.DecodeString(k)
	return string(b), err
}

func (b *bucket) Get(ctx context.Context, key string) (kv.Entry, error) {
	ctx, cancel := b.s.bound(ctx)
	defer cancel()
	e, err := b.kv.Get(ctx, encodeKey(key))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return kv.Entry{}, kv.ErrNotFound
	case err != nil:
		return kv.Entry{}, unavailable("get from "+b.name, err)
	}
	return kv.Entry{Key: key, Value: e.Value(), Rev: e.Revision()}, nil
}

func (b *bucket) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (uint64, error) {
	ctx, cancel := b.s.bound(ctx)
	defer cancel()
	var opts []jetstream.KVCreateOpt
	if ttl > 0 {
		opts = append(opts, jetstream.KeyTTL(ttl))
	}
	rev, err := b.kv.Create(ctx, encodeKey(key), value, opts...)
	switch {
	case errors.Is(err, jetstream.ErrKeyExists):
		return 0, kv.ErrExists
	case err != nil:
		return 0, unavailable("create in "+b.name, err)
	}
	return rev, nil
}

func (b *bucket) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	ctx, cancel := b.s.bound(ctx)
	defer cancel()
	next, err := b.kv.Update(ctx, encodeKey(key), value, rev)
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, jetstream.ErrKeyExists), errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence:
		return 0, kv.ErrConflict
	case err != nil:
		return 0, unavailable("update in "+b.name, err)
	}
	return next, nil
}

// Put with a time to live publishes to the key's subject with the TTL
// header itself: the client library offers a TTL on Create only.
func (b *bucket) Put(ctx context.Context, key string, value []byte, ttl time.Duration) (uint64, error) {
	ctx, cancel := b.s.bound(ctx)
	defer cancel()
	if ttl <= 0 {
		rev, err := b.kv.Put(ctx, encodeKey(key), value)
		if err != nil {
			return 0, unavailable("put in "+b.name, err)
		}
		return rev, nil
	}
	msg := &nats.Msg{Subject: "$KV." + b.name + "." + encodeKey(key), Data: value, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgTTLHeader, ttl.Round(time.Second).String())
	if ttl < time.Second {
		msg.Header.Set(jetstream.MsgTTLHeader, "1s")
	}
	ack, err := b.s.js.PublishMsg(ctx, msg)
	if err != nil {
		return 0, unavailable("put in "+b.name, err)
	}
	return ack.Sequence, nil
}

func (b *bucket) Delete(ctx context.Context, key string) error {
	ctx, cancel := b.s.bound(ctx)
	defer cancel()
	if err := b.kv.Delete(ctx, encodeKey(key)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return unavailable("delete in "+b.name, err)
	}
	return nil
}

func (b *bucket) DeleteIf(ctx context.Context, key string, rev uint64) error {
	ctx, cancel := b.s.bound(ctx)
	defer cancel()
	err := b.kv.Delete(ctx, encodeKey(key), jetstream.LastRevision(rev))
	switch {
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyNotFound):
		return kv.ErrConflict
	case err != nil:
		var api *jetstream.APIError
		if errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return kv.ErrConflict
		}
		return unavailable("delete in "+b.name, err)
	}
	return nil
}

// startWatch starts a watch of every key, trying again until deadline
// as the stream and buckets are created (whilePlacing): creating its
// consumer on a bucket a busy cluster is still placing can go unanswered.
func (b *bucket) startWatch(deadline time.Time) (jetstream.KeyWatcher, error) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var w jetstream.KeyWatcher
	err := whilePlacing(ctx, func(context.Context) (err error) {
		// The watch lives as long as the context given here, so each try
		// has the client's own bound on its requests (5 s), not the try's.
		w, err = b.kv.WatchAll(context.Background())
		return err
	})
	return w, err
}

// Watch delivers every key's value, then every change, from a goroutine
// of its own (owner: the watch; ends when stop is called or the store
// closes).
func (b *bucket) Watch(fn func(kv.Entry)) (func(), error) {
	// Watches start with the server, when a cluster may still be placing
	// a new bucket's replicas: they get the start's bound, not an
	// operation's, and a start that fails within it is tried again.
	deadline := time.Now().Add(max(b.s.opts.Timeout, placeTimeout))
	w, err := b.startWatch(deadline)
	if err != nil {
		return nil, unavailable("watch "+b.name, err)
	}
	deliver := func(e jetstream.KeyValueEntry) {
		key, err := decodeKey(e.Key())
		if err != nil {
			return
		}
		deleted := e.Operation() != jetstream.KeyValuePut
		entry := kv.Entry{Key: key, Rev: e.Revision(), Deleted: deleted}
		if !deleted {
			entry.Value = e.Value()
		}
		fn(entry)
	}
	timeout := time.After(time.Until(deadline))
initial:
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, unavailable("watch "+b.name, errors.New("watch closed"))
			}
			if e == nil {
				break initial // the current values are all in
			}
			deliver(e)
		case <-timeout:
			_ = w.Stop()
			return nil, unavailable("watch "+b.name, context.DeadlineExceeded)
		}
	}
	var once sync.Once
	done := make(chan struct{})
	go func() { // the watch's updates, until stop or the store closes
		for {
			select {
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil {
					deliver(e)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		once.Do(func() {
			close(done)
			_ = w.Stop()
		})
	}, nil
}

// String names the bucket, for logs.
func (b *bucket) String() string { return fmt.Sprintf("bucket %s", b.name) }
