package kv

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is an Opener whose buckets live in this process's memory: for
// servers run without a store, and for tests. Watch callbacks run under
// the bucket's lock, in order; they must not call back into the bucket.
type Memory struct {
	mu      sync.Mutex
	buckets map[string]*memBucket
}

func NewMemory() *Memory { return &Memory{buckets: map[string]*memBucket{}} }

func (m *Memory) Bucket(_ context.Context, name string) (Bucket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.buckets[name]
	if !ok {
		b = &memBucket{keys: map[string]*memKey{}, watchers: map[int]func(Entry){}}
		m.buckets[name] = b
	}
	return b, nil
}

type memKey struct {
	Entry
	expiry *time.Timer
}

type memBucket struct {
	mu       sync.Mutex
	rev      uint64
	keys     map[string]*memKey
	watchers map[int]func(Entry)
	nextID   int
}

func (b *memBucket) Get(_ context.Context, key string) (Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.keys[key]
	if !ok {
		return Entry{}, ErrNotFound
	}
	return clone(k.Entry), nil
}

func (b *memBucket) Create(_ context.Context, key string, value []byte, ttl time.Duration) (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.keys[key]; ok {
		return 0, ErrExists
	}
	return b.setLocked(key, value, ttl), nil
}

func (b *memBucket) Update(_ context.Context, key string, value []byte, rev uint64) (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.keys[key]
	if !ok || k.Rev != rev {
		return 0, ErrConflict
	}
	return b.setLocked(key, value, 0), nil
}

func (b *memBucket) Put(_ context.Context, key string, value []byte, ttl time.Duration) (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.setLocked(key, value, ttl), nil
}

func (b *memBucket) Delete(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.deleteLocked(key)
	return nil
}

func (b *memBucket) DeleteIf(_ context.Context, key string, rev uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k, ok := b.keys[key]; !ok || k.Rev != rev {
		return ErrConflict
	}
	b.deleteLocked(key)
	return nil
}

func (b *memBucket) Watch(fn func(Entry)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keys := make([]string, 0, len(b.keys))
	for k := range b.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fn(clone(b.keys[k].Entry))
	}
	id := b.nextID
	b.nextID++
	b.watchers[id] = fn
	return func() {
		b.mu.Lock()
		delete(b.watchers, id)
		b.mu.Unlock()
	}, nil
}

func (b *memBucket) setLocked(key string, value []byte, ttl time.Duration) uint64 {
	if old, ok := b.keys[key]; ok && old.expiry != nil {
		old.expiry.Stop()
	}
	b.rev++
	k := &memKey{Entry: Entry{Key: key, Value: slices.Clone(value), Rev: b.rev}}
	if ttl > 0 {
		rev := b.rev
		k.expiry = time.AfterFunc(ttl, func() { // runs once, when the key expires
			b.mu.Lock()
			defer b.mu.Unlock()
			if cur, ok := b.keys[key]; ok && cur.Rev == rev {
				b.deleteLocked(key)
			}
		})
	}
	b.keys[key] = k
	b.notifyLocked(k.Entry)
	return b.rev
}

func (b *memBucket) deleteLocked(key string) {
	k, ok := b.keys[key]
	if !ok {
		return
	}
	if k.expiry != nil {
		k.expiry.Stop()
	}
	delete(b.keys, key)
	b.rev++
	b.notifyLocked(Entry{Key: key, Rev: b.rev, Deleted: true})
}

func (b *memBucket) notifyLocked(e Entry) {
	for _, fn := range b.watchers {
		fn(clone(e))
	}
}

func clone(e Entry) Entry {
	e.Value = slices.Clone(e.Value)
	return e
}
