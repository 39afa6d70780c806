package kv_test

import (
	"testing"

	"github.com/sshchat/sshchat/sshchat/kv"
	"github.com/sshchat/sshchat/sshchat/kv/kvtest"
)

func TestMemory(t *testing.T) {
	kvtest.Run(t, func(*testing.T) kv.Opener { return kv.NewMemory() })
}
