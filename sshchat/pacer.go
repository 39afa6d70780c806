package sshchat

import (
	"sync/atomic"
	"time"
)

// Pacing a hot room's writes. Each delivery written on its own costs a
// write system call and an SSH packet (about 20 µs here): at 100,000
// deliveries a second that is two cores, more than the machine has, and
// every user falls behind together until outboxes overflow. A server
// that sees its traffic can do better: when it delivers more than
// writeBudget a second, each user's writer waits out a gap after each
// write, so that what arrives meanwhile goes out in one write. Users read
// the same lines, in the same order, at most a gap later; at light load
// the gap is zero and every line is written as it comes.
//
// The gap is users ÷ writeBudget, so that writes in all stay near the
// budget whatever the number of users: 133 ms for 2,000 users, 0.67 s
// for 10,000, at most maxWriteGap. (At 20,000 writes a second the
// 2,000-user room cost 0.54 of floor's CPU per delivery; at 15,000,
// 0.35, with p99 still 200 ms.)
//
// A client that has stopped reading is still told apart and cut off:
// its writer blocks in the write (the SSH window is full) and its outbox
// fills to the cap. A writer that is merely paced takes everything queued
// at each write, so its outbox holds one gap's lines.

const (
	writeBudget  = 15_000 // write calls a second the server aims to stay under when it is busy
	maxWriteGap  = time.Second
	paceInterval = 250 * time.Millisecond // how often the delivery rate is measured
)

// pacer measures the server's delivery rate and sets the writers' gap.
type pacer struct {
	gap  atomic.Int64 // nanoseconds a writer waits after a write; 0: none
	done chan struct{}
}

// writeGap is the gap for a server delivering rate a second to users.
func writeGap(rate float64, users int) time.Duration {
	if rate <= writeBudget || users <= 0 {
		return 0
	}
	return min(time.Duration(users)*time.Second/writeBudget, maxWriteGap)
}

// run measures every paceInterval until stop.
func (p *pacer) run(delivered func() uint64, users func() int) {
	t := time.NewTicker(paceInterval)
	defer t.Stop()
	last, lastAt := delivered(), time.Now()
	for {
		select {
		case <-p.done:
			return
		case now := <-t.C:
			d := delivered()
			rate := float64(d-last) / now.Sub(lastAt).Seconds()
			last, lastAt = d, now
			p.gap.Store(int64(writeGap(rate, users())))
		}
	}
}

func (p *pacer) stop() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
}
