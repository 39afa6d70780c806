package sshchat

import "sync"

// registry holds the names in use on this server, by identity key (see
// nameKey), so that no two users, in any room, share a name or look-alikes
// of one. A login claims a name here before joining a room; the room
// releases it when the member leaves.
type registry struct {
	mu     sync.Mutex
	online map[string]*member
}

func newRegistry() *registry { return &registry{online: map[string]*member{}} }

// claim takes m's name for m, or fails with errNameTaken.
func (g *registry) claim(m *member) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, taken := g.online[m.key]; taken {
		return errNameTaken
	}
	g.online[m.key] = m
	return nil
}

// release frees m's name, if m holds it.
func (g *registry) release(m *member) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.online[m.key] == m {
		delete(g.online, m.key)
	}
}
