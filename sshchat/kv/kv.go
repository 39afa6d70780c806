// Package kv is the key-value interface that accounts, operators and bans
// are kept in: a bucket of small values with revisions, atomic creation,
// compare-and-set updates, an optional time to live per key, and a watch
// that keeps a copy in memory current. Memory implements it here; package
// store implements it on JetStream key-value buckets, so that a claim is
// atomic across every process that shares the store.
package kv

import (
	"context"
	"errors"
	"time"
)

// Entry is one key's value at one revision.
type Entry struct {
	Key     string
	Value   []byte
	Rev     uint64
	Deleted bool // a watch reports a deletion (or an expiry) with this set
}

// Bucket is a named set of keys.
type Bucket interface {
	// Get returns the key's current value, or ErrNotFound.
	Get(ctx context.Context, key string) (Entry, error)
	// Create stores value under key if the key has none, else fails with
	// ErrExists. ttl > 0 makes the key expire by itself.
	Create(ctx context.Context, key string, value []byte, ttl time.Duration) (uint64, error)
	// Update stores value if the key is still at revision rev, else fails
	// with ErrConflict.
	Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error)
	// Put stores value whatever the key held. ttl > 0 makes it expire.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) (uint64, error)
	// Delete removes the key; a key that does not exist is no error.
	Delete(ctx context.Context, key string) error
	// DeleteIf removes the key if it is still at revision rev, else
	// fails with ErrConflict: what a reader decided about a value is not
	// applied to a newer one.
	DeleteIf(ctx context.Context, key string, rev uint64) error
	// Watch calls fn with every key's current value, then with every
	// change (deletions and expiries with Deleted set), from one goroutine
	// at a time; it returns once the current values have been delivered.
	Watch(fn func(Entry)) (stop func(), err error)
}

// Opener opens (creating if missing) the bucket called name.
type Opener interface {
	Bucket(ctx context.Context, name string) (Bucket, error)
}

var (
	ErrNotFound = errors.New("kv: key not found")
	ErrExists   = errors.New("kv: key exists")
	ErrConflict = errors.New("kv: key changed since it was read")
)
