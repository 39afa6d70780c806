package chatlog_test

import (
	"testing"

	"github.com/sshchat/sshchat/sshchat/chatlog"
	"github.com/sshchat/sshchat/sshchat/chatlog/chatlogtest"
)

func TestMemoryConformance(t *testing.T) {
	chatlogtest.Run(t, func(t *testing.T) chatlog.Log { return chatlog.NewMemory(100, nil) })
}

func TestMemoryKeepsHistoryMax(t *testing.T) {
	l := chatlog.NewMemory(3, nil)
	for _, s := range []string{"a", "b", "c", "d"} {
		chatlogtest.Add(t, l, "lobby", "ana", s)
	}
	got, err := l.Last(t.Context(), "lobby", 10, 0)
	if err != nil || len(got) != 3 || got[0].Text != "b" {
		t.Fatalf("Last = %+v, %v; want b, c, d", got, err)
	}
}
