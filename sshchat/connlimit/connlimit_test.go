package connlimit

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

var (
	addrA = netip.MustParseAddr("192.0.2.1")
	addrB = netip.MustParseAddr("192.0.2.2")
)

func TestLimits(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		addrs []netip.Addr
		want  []error // per Add, in order
	}{
		{"per address", Config{MaxPerAddr: 2}, []netip.Addr{addrA, addrA, addrA, addrB}, []error{nil, nil, ErrPerAddr, nil}},
		{"total", Config{MaxTotal: 2}, []netip.Addr{addrA, addrB, addrB}, []error{nil, nil, ErrTotal}},
		{"throttle", Config{NewPerWindow: 2, Window: time.Minute}, []netip.Addr{addrA, addrA, addrA, addrB}, []error{nil, nil, ErrThrottled, nil}},
		{"ipv6 /64 is one address", Config{MaxPerAddr: 1}, []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8:0:1::1")}, []error{nil, ErrPerAddr, nil}},
		{"v4-mapped is v4", Config{MaxPerAddr: 1}, []netip.Addr{addrA, netip.MustParseAddr("::ffff:192.0.2.1")}, []error{nil, ErrPerAddr}},
		{"zero disables", Config{}, []netip.Addr{addrA, addrA, addrA}, []error{nil, nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: time.Unix(0, 0)}
			l := New(tt.cfg, c.now)
			for i, a := range tt.addrs {
				_, err := l.Add(a)
				if !errors.Is(err, tt.want[i]) {
					t.Errorf("Add #%d (%v) = %v, want %v", i, a, err, tt.want[i])
				}
			}
		})
	}
}

func TestReleaseFreesTheSlot(t *testing.T) {
	l := New(Config{MaxPerAddr: 1, MaxTotal: 1}, nil)
	release, err := l.Add(addrA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Add(addrA); err == nil {
		t.Fatal("second connection admitted")
	}
	release()
	release() // twice is harmless
	if total, addrs := l.Live(); total != 0 || addrs != 0 {
		t.Fatalf("after release: %d live in %d addresses", total, addrs)
	}
	if _, err := l.Add(addrA); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// A flood is refused while it lasts, but never forever: once the address
// pauses for a window, a newcomer from it gets in.
func TestThrottleEndsAfterTheWindow(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := New(Config{NewPerWindow: 3, Window: time.Minute}, c.now)
	for range 100 {
		c.advance(100 * time.Millisecond)
		_, _ = l.Add(addrA)
	}
	if _, err := l.Add(addrA); !errors.Is(err, ErrThrottled) {
		t.Fatalf("during the flood: %v", err)
	}
	c.advance(time.Minute)
	if _, err := l.Add(addrA); err != nil {
		t.Fatalf("a minute after the flood: %v", err)
	}
}

// Windows of addresses that went quiet are forgotten, so a scan from many
// addresses costs memory only for a window.
func TestOldWindowsAreForgotten(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := New(Config{NewPerWindow: 5, Window: time.Minute}, c.now)
	for i := range 1000 {
		release, _ := l.Add(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
		release()
	}
	c.advance(2 * time.Minute)
	_, _ = l.Add(addrA)
	l.mu.Lock()
	n := len(l.recent)
	l.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d windows remembered, want 1", n)
	}
}
