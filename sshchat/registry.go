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

// claimOrTake takes m's name for m; when another member holds it and
// mayTake says m may have it (the same verified key: a ghost of a lost
// connection), m takes it over and the holder is returned.
func (g *registry) claimOrTake(m *member, mayTake func(holder *member) bool) (taken *member, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, held := g.online[m.key]; held {
		if !mayTake(old) {
			return nil, errNameTaken
		}
		g.online[m.key] = m
		return old, nil
	}
	g.online[m.key] = m
	return nil, nil
}

// rename gives nu, the same user as old under a new name, its name: a
// name with old's identity key (another case) passes from old to nu; any
// other must be free. The room releases old's when it renames.
func (g *registry) rename(old, nu *member) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if holder, taken := g.online[nu.key]; taken && holder != old {
		return errNameTaken
	}
	g.online[nu.key] = nu
	return nil
}

// lookup is the member holding a name's identity key.
func (g *registry) lookup(key string) *member {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.online[key]
}

// all is every member holding a name.
func (g *registry) all() []*member {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*member, 0, len(g.online))
	for _, m := range g.online {
		out = append(out, m)
	}
	return out
}

// release frees m's name, if m holds it.
func (g *registry) release(m *member) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.online[m.key] == m {
		delete(g.online, m.key)
	}
}

// completions is every name held, sorted, for Tab completion.
func (g *registry) completions() []string {
	g.mu.Lock()
	names := make([]string, 0, len(g.online))
	for _, m := range g.online {
		names = append(names, m.name)
	}
	g.mu.Unlock()
	return sortNames(names)
}
