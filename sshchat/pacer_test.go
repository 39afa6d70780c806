package sshchat

import (
	"fmt"
	"testing"
	"time"
)

func TestWriteGap(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		users int
		want  time.Duration
	}{
		{8_000, 500, 0},        // light load: every line at once
		{writeBudget, 2000, 0}, // at the budget: still at once
		{100_000, 2000, 2000 * time.Second / writeBudget}, // a hot room of 2,000
		{100_000, 10_000, 10_000 * time.Second / writeBudget},
		{1e6, 100_000, maxWriteGap},
		{1e6, 0, 0},
	} {
		if got := writeGap(c.rate, c.users); got != c.want {
			t.Errorf("writeGap(%v, %d) = %v, want %v", c.rate, c.users, got, c.want)
		}
	}
}

// With the writers paced, a burst reaches every user whole and in order,
// written together.
func TestPacedWritesKeepEveryLine(t *testing.T) {
	srv := startServer(t, noFloodLimit)
	alice := join(t, srv, "alice")
	bob := join(t, srv, "bob")
	alice.expect("* bob joined")
	srv.pacer.stop() // the gap is the test's
	srv.pacer.gap.Store(int64(200 * time.Millisecond))
	const n = 50
	for i := range n {
		bob.send(fmt.Sprintf("burst %02d", i))
	}
	for i := range n {
		alice.expect(fmt.Sprintf("bob: burst %02d", i))
	}
}
