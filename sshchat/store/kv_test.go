package store

import (
	"context"
	"testing"

	"github.com/sshchat/sshchat/sshchat/kv"
	"github.com/sshchat/sshchat/sshchat/kv/kvtest"
)

func TestKVConformance(t *testing.T) {
	kvtest.Run(t, func(t *testing.T) kv.Opener { return open(t, Options{}) })
}

// A bucket's keys survive a restart of the store on the same directory;
// names and fingerprints of any characters are keys.
func TestKVSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	b, err := s.Bucket(context.Background(), "accounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"joão", "SHA256:ab+/cd=", "a.b>c *"} {
		if _, err := b.Create(context.Background(), k, []byte(k), 0); err != nil {
			t.Fatalf("%q: %v", k, err)
		}
	}
	s.Close()
	s = open(t, Options{Dir: dir})
	b, err = s.Bucket(context.Background(), "accounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"joão", "SHA256:ab+/cd=", "a.b>c *"} {
		if e, err := b.Get(context.Background(), k); err != nil || string(e.Value) != k {
			t.Errorf("%q after reopening: %q, %v", k, e.Value, err)
		}
	}
}
