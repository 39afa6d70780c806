// Package kvtest holds the conformance tests every kv implementation
// passes.
package kvtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/kv"
)

// Run tests the buckets that open makes; each call returns a fresh Opener.
func Run(t *testing.T, open func(t *testing.T) kv.Opener) {
	ctx := context.Background()
	bucket := func(t *testing.T) kv.Bucket {
		b, err := open(t).Bucket(ctx, "test")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("CreateIsAtomic", func(t *testing.T) {
		b := bucket(t)
		var wins int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() { // ends after one Create
				defer wg.Done()
				if _, err := b.Create(ctx, "alice", []byte("x"), 0); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, kv.ErrExists) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d creates of one key won", wins)
		}
	})
	t.Run("UpdateComparesRevisions", func(t *testing.T) {
		b := bucket(t)
		rev, err := b.Create(ctx, "k", []byte("1"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Update(ctx, "k", []byte("2"), rev); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Update(ctx, "k", []byte("3"), rev); !errors.Is(err, kv.ErrConflict) {
			t.Fatalf("a stale update: %v", err)
		}
		e, err := b.Get(ctx, "k")
		if err != nil || string(e.Value) != "2" {
			t.Fatalf("Get = %q, %v", e.Value, err)
		}
		if err := b.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
			t.Fatalf("Get after Delete: %v", err)
		}
		if err := b.Delete(ctx, "never"); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
		rev, err = b.Create(ctx, "k", []byte("again"), 0)
		if err != nil {
			t.Fatalf("Create after Delete: %v", err)
		}
		newer, err := b.Update(ctx, "k", []byte("newer"), rev)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.DeleteIf(ctx, "k", rev); !errors.Is(err, kv.ErrConflict) {
			t.Fatalf("DeleteIf of a stale revision: %v", err)
		}
		if err := b.DeleteIf(ctx, "k", newer); err != nil {
			t.Fatalf("DeleteIf of the current revision: %v", err)
		}
		if _, err := b.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
			t.Fatalf("Get after DeleteIf: %v", err)
		}
	})
	t.Run("WatchSeesValuesThenChanges", func(t *testing.T) {
		b := bucket(t)
		if _, err := b.Put(ctx, "a", []byte("1"), 0); err != nil {
			t.Fatal(err)
		}
		seen := make(chan kv.Entry, 16)
		stop, err := b.Watch(func(e kv.Entry) { seen <- e })
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		expect := func(key, value string, deleted bool) {
			t.Helper()
			select {
			case e := <-seen:
				if e.Key != key || string(e.Value) != value || e.Deleted != deleted {
					t.Fatalf("watch saw %+v, want %s=%q deleted=%v", e, key, value, deleted)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("watch did not see %s", key)
			}
		}
		expect("a", "1", false)
		if _, err := b.Put(ctx, "b", []byte("2"), 0); err != nil {
			t.Fatal(err)
		}
		expect("b", "2", false)
		if err := b.Delete(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		expect("a", "", true)
	})
	t.Run("KeysExpire", func(t *testing.T) {
		b := bucket(t)
		seen := make(chan kv.Entry, 16)
		stop, err := b.Watch(func(e kv.Entry) { seen <- e })
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		if _, err := b.Create(ctx, "ban", []byte("x"), time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Put(ctx, "forever", []byte("y"), 0); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(15 * time.Second)
		for {
			select {
			case e := <-seen:
				if e.Key == "ban" && e.Deleted {
					if _, err := b.Get(ctx, "ban"); !errors.Is(err, kv.ErrNotFound) {
						t.Fatalf("Get of an expired key: %v", err)
					}
					if _, err := b.Get(ctx, "forever"); err != nil {
						t.Fatalf("a key without ttl: %v", err)
					}
					return
				}
			case <-deadline:
				t.Fatal("the key did not expire")
			}
		}
	})
}
