package chatlog

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is a Log in this process's memory: the log of a server run
// without a store, and of tests. Follow's callbacks run inside Append,
// under the log's lock, so they see entries in order; callers must not
// hold a lock that a callback takes while they call Append.
type Memory struct {
	mu        sync.Mutex
	seq       uint64
	perRoom   map[string][]Entry // oldest first, at most max each
	ids       map[string]uint64
	followers map[int]func(Entry)
	nextID    int
	max       int
	now       func() time.Time
}

// NewMemory keeps at most historyMax entries per room (0: 10,000).
func NewMemory(historyMax int, now func() time.Time) *Memory {
	if historyMax <= 0 {
		historyMax = 10000
	}
	if now == nil {
		now = time.Now
	}
	return &Memory{perRoom: map[string][]Entry{}, ids: map[string]uint64{},
		followers: map[int]func(Entry){}, max: historyMax, now: now}
}

func (m *Memory) Append(ctx context.Context, e Entry) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq, ok := m.ids[e.ID]; ok && e.ID != "" {
		return seq, nil
	}
	m.seq++
	e.Seq, e.At = m.seq, m.now()
	if e.ID != "" {
		m.ids[e.ID] = e.Seq
	}
	list := append(m.perRoom[e.Room], e)
	if len(list) > m.max {
		for _, old := range list[:len(list)-m.max] {
			delete(m.ids, old.ID)
		}
		list = slices.Clone(list[len(list)-m.max:])
	}
	m.perRoom[e.Room] = list
	for _, fn := range m.followers {
		fn(e)
	}
	return e.Seq, nil
}

func (m *Memory) Follow(fn func(Entry)) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.nextID
	m.nextID++
	m.followers[id] = fn
	return func() {
		m.mu.Lock()
		delete(m.followers, id)
		m.mu.Unlock()
	}, nil
}

func (m *Memory) Last(_ context.Context, room string, n int, upTo uint64) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.perRoom[room]
	if upTo > 0 {
		i, _ := slices.BinarySearchFunc(list, upTo+1, func(e Entry, seq uint64) int {
			return compareSeq(e.Seq, seq)
		})
		list = list[:i]
	}
	return slices.Clone(list[max(0, len(list)-n):]), nil
}

func (m *Memory) Search(_ context.Context, room string, words []string, limit int) ([]Entry, error) {
	match := NewMatcher(words)
	m.mu.Lock()
	defer m.mu.Unlock()
	var found []Entry
	list := m.perRoom[room]
	for i := len(list) - 1; i >= 0 && len(found) < limit; i-- {
		if match.Match(list[i].Text) {
			found = append(found, list[i])
		}
	}
	slices.Reverse(found)
	return found, nil
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
