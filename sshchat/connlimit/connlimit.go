// Package connlimit caps connections per address and in total, and
// throttles how fast one address may open new ones. It knows nothing of
// SSH: the server asks it before the handshake, when a refusal costs least.
//
// Addresses are grouped as networks: an IPv4 address alone, an IPv6
// address by its /64, since one host is usually handed a whole /64.
// Nothing is banned for longer than the throttle window, so a person
// behind a shared address gets in once a flood from it stops.
package connlimit

import (
	"errors"
	"net/netip"
	"sync"
	"time"
)

// Config sets the limits. A zero or negative limit disables that check.
type Config struct {
	MaxPerAddr   int           // concurrent connections from one address
	MaxTotal     int           // concurrent connections in all
	NewPerWindow int           // new connections from one address per Window
	Window       time.Duration // the throttle window
}

var (
	ErrPerAddr   = errors.New("too many connections from your address")
	ErrTotal     = errors.New("the server is full")
	ErrThrottled = errors.New("too many new connections from your address; wait a minute")
)

// Limiter tracks live connections and recent arrivals. Safe for
// concurrent use.
type Limiter struct {
	cfg Config
	now func() time.Time

	mu     sync.Mutex
	live   map[netip.Prefix]int
	total  int
	recent map[netip.Prefix]*window
	swept  time.Time
}

type window struct {
	start time.Time
	count int
}

// New returns a limiter; now may be nil for time.Now.
func New(cfg Config, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{cfg: cfg, now: now, live: map[netip.Prefix]int{}, recent: map[netip.Prefix]*window{}}
}

// Key groups an address with the others of its network.
func Key(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// Add admits a new connection from a, or says which limit refuses it.
// On success the caller must call release exactly once when the
// connection ends; release is safe to call more than once.
func (l *Limiter) Add(a netip.Addr) (release func(), err error) {
	k := Key(a)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLocked(now)

	if l.cfg.NewPerWindow > 0 {
		w := l.recent[k]
		if w == nil || now.Sub(w.start) >= l.cfg.Window {
			w = &window{start: now}
			l.recent[k] = w
		}
		w.count++ // refused attempts count too: a flood is refused until it pauses
		if w.count > l.cfg.NewPerWindow {
			return nil, ErrThrottled
		}
	}
	if l.cfg.MaxPerAddr > 0 && l.live[k] >= l.cfg.MaxPerAddr {
		return nil, ErrPerAddr
	}
	if l.cfg.MaxTotal > 0 && l.total >= l.cfg.MaxTotal {
		return nil, ErrTotal
	}
	l.live[k]++
	l.total++
	var once sync.Once
	return func() { once.Do(func() { l.release(k) }) }, nil
}

func (l *Limiter) release(k netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.live[k]--; l.live[k] <= 0 {
		delete(l.live, k)
	}
}

// sweepLocked forgets windows that have ended, at most once per window,
// so a scan of many addresses cannot grow the map without bound.
func (l *Limiter) sweepLocked(now time.Time) {
	if l.cfg.Window <= 0 || now.Sub(l.swept) < l.cfg.Window {
		return
	}
	l.swept = now
	for k, w := range l.recent {
		if now.Sub(w.start) >= l.cfg.Window {
			delete(l.recent, k)
		}
	}
}

// Live reports the connections currently admitted, for tests and metrics.
func (l *Limiter) Live() (total int, addrs int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, len(l.live)
}
