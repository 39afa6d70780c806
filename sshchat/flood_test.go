package sshchat

import (
	"testing"
	"time"
)

func TestFloodGate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type step struct {
		at     time.Duration // since t0
		pasted bool
		want   floodVerdict
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"burst then refuse, told once", []step{
			{0, false, floodAllow}, {0, false, floodAllow}, {0, false, floodAllow},
			{0, false, floodRefuseNotify}, {0, false, floodRefuse},
		}},
		{"rate refills", []step{
			{0, false, floodAllow}, {0, false, floodAllow}, {0, false, floodAllow},
			{0, false, floodRefuseNotify},
			{time.Second, false, floodAllow}, // 1 line/s: one token back
			{time.Second, false, floodRefuseNotify},
		}},
		{"a paste is one message", []step{
			{0, true, floodAllow}, {0, true, floodAllow}, {0, true, floodAllow}, {0, true, floodAllow}, {0, true, floodAllow},
			{0, false, floodAllow}, {0, false, floodAllow}, // two of three tokens left
			{0, false, floodRefuseNotify},
		}},
		{"a paste past the cap is cut", []step{
			{0, true, floodAllow}, {0, true, floodAllow}, {0, true, floodAllow}, {0, true, floodAllow}, {0, true, floodAllow},
			{0, true, floodAllow}, {0, true, floodAllow}, {0, true, floodAllow}, // 8 = cap
			{0, true, floodPasteCapped}, {0, true, floodRefuse},
		}},
		{"a sustained flood disconnects", []step{
			{0, false, floodAllow}, {0, false, floodAllow}, {0, false, floodAllow},
			{0, false, floodRefuseNotify}, {0, false, floodRefuse}, {0, false, floodRefuse}, {0, false, floodDisconnect},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFloodGate(1, 3, 8, 4)
			for i, s := range tt.steps {
				if got := g.admit(t0.Add(s.at), s.pasted); got != s.want {
					t.Fatalf("step %d: got verdict %d, want %d", i, got, s.want)
				}
			}
		})
	}
}
