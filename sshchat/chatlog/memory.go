package chatlog

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Memory is a Log held in this process: for tests, and for a server run
// without a store. It keeps at most historyMax entries per room.
//
// Follow callbacks run synchronously inside Append, in sequence order,
// under the log's delivery lock (not its data lock, so a callback may call
// Last or Search). Hence a callback must not call Append or a stop
// function, and a caller must not hold a lock of its own that a callback
// takes while it calls Append.
type Memory struct {
	historyMax int
	now        func() time.Time

	// deliver is taken before mu is released in Append and held while the
	// followers run, so followers see entries in sequence order even when
	// several goroutines append at once.
	deliver   sync.Mutex
	followers map[int]func(Entry) // under deliver
	nextID    int                 // under deliver

	mu    sync.Mutex
	seq   uint64
	rooms map[string][]Entry // oldest first
	ids   map[string]uint64  // ID of every retained entry to its sequence
}

var _ Log = (*Memory)(nil)

// NewMemory returns an empty log keeping historyMax entries per room (at
// least 1) and stamping entries with now (time.Now if nil).
func NewMemory(historyMax int, now func() time.Time) *Memory {
	if historyMax < 1 {
		historyMax = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Memory{
		historyMax: historyMax,
		now:        now,
		followers:  make(map[int]func(Entry)),
		rooms:      make(map[string][]Entry),
		ids:        make(map[string]uint64),
	}
}

// Append stores e and calls the followers before it returns.
func (m *Memory) Append(ctx context.Context, e Entry) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, errors.Join(ErrUnavailable, err)
	}
	m.mu.Lock()
	if e.ID != "" {
		if seq, ok := m.ids[e.ID]; ok {
			m.mu.Unlock()
			return seq, nil
		}
	}
	m.seq++
	e.Seq = m.seq
	e.At = m.now()
	h := append(m.rooms[e.Room], e)
	if len(h) > m.historyMax {
		for _, old := range h[:len(h)-m.historyMax] {
			delete(m.ids, old.ID)
		}
		// Copy rather than reslice, so the dropped entries are freed.
		h = slices.Clone(h[len(h)-m.historyMax:])
	}
	m.rooms[e.Room] = h
	if e.ID != "" {
		m.ids[e.ID] = e.Seq
	}
	m.deliver.Lock()
	m.mu.Unlock()
	for _, fn := range m.followers {
		fn(e)
	}
	m.deliver.Unlock()
	return e.Seq, nil
}

// Follow registers fn; see Memory for where it runs.
func (m *Memory) Follow(fn func(Entry)) (stop func(), err error) {
	m.deliver.Lock()
	id := m.nextID
	m.nextID++
	m.followers[id] = fn
	m.deliver.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.deliver.Lock()
			delete(m.followers, id)
			m.deliver.Unlock()
		})
	}, nil
}

// Last returns at most n of room's latest entries up to upTo, oldest first.
func (m *Memory) Last(ctx context.Context, room string, n int, upTo uint64) ([]Entry, error) {
	if n <= 0 {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.rooms[room]
	end := len(h)
	if upTo > 0 {
		end = firstFrom(h, upTo+1)
	}
	start := max(0, end-n)
	return slices.Clone(h[start:end]), nil
}

// Count is how many of room's entries come after sequence after.
func (m *Memory) Count(ctx context.Context, room string, after uint64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.rooms[room]
	return len(h) - firstFrom(h, after+1), nil
}

// firstFrom is the index of h's first entry whose sequence is seq or
// more; h is in sequence order.
func firstFrom(h []Entry, seq uint64) int {
	i, _ := slices.BinarySearchFunc(h, seq, func(e Entry, seq uint64) int { return cmp.Compare(e.Seq, seq) })
	return i
}

// Search returns at most limit of room's latest entries matching words.
func (m *Memory) Search(ctx context.Context, room string, words []string, limit int) ([]Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	match := NewMatcher(words)
	m.mu.Lock()
	h := slices.Clone(m.rooms[room])
	m.mu.Unlock()
	var found []Entry
	for i := len(h) - 1; i >= 0 && len(found) < limit; i-- {
		if match.Match(h[i].Text) {
			found = append(found, h[i])
		}
	}
	slices.Reverse(found)
	return found, nil
}

// Purge forgets room's entries.
func (m *Memory) Purge(ctx context.Context, room string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.rooms[room] {
		delete(m.ids, e.ID)
	}
	delete(m.rooms, room)
	return nil
}
