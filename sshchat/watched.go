package sshchat

import (
	"sync"
	"time"
)

// changes lets a command wait until a bucket's watch has delivered the
// change the command itself just made, so that its next line (or the
// user's next command) sees it in the watched copy.
type changes struct {
	mu   sync.Mutex
	next chan struct{} // closed at the next change
}

// changed is called by the watch after each change is applied.
func (c *changes) changed() {
	c.mu.Lock()
	if c.next != nil {
		close(c.next)
		c.next = nil
	}
	c.mu.Unlock()
}

func (c *changes) waitChan() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == nil {
		c.next = make(chan struct{})
	}
	return c.next
}

// waitFor waits until ok holds, checking after every change, for at
// most a couple of seconds: a watch delivers within milliseconds, and a
// store that does not answer must not hold the command.
func (c *changes) waitFor(ok func() bool) {
	deadline := time.NewTimer(2 * time.Second)
	defer deadline.Stop()
	for {
		next := c.waitChan()
		if ok() {
			return
		}
		select {
		case <-next:
		case <-deadline.C:
			return
		}
	}
}
