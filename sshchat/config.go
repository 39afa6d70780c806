package sshchat

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// Config is everything that can be set about a server. Every limit has a
// default that suits a public server; Flags binds each to a command-line
// flag, so the flag list and the defaults live in one place.
type Config struct {
	Addr   string // where to listen, host:port
	KeyDir string // directory of the host key, created on first run
	Lang   string // default language: en or pt

	HandshakeTimeout time.Duration // from TCP accept to the shell request
	LoginTimeout     time.Duration // to settle on a name at the prompt
	LoginTries       int           // names a user may try before being let go
	KeepAlive        time.Duration // interval between keepalive probes; 0 disables
	KeepAliveTimeout time.Duration // how long a probe may wait for its answer
	IdleTimeout      time.Duration // without input before disconnecting; 0 disables
	FlushTimeout     time.Duration // for the last lines before closing a session
	MaxMessageLen    int           // characters in one message
	OutboxBytes      int           // queued output per user before it counts as too slow
	AnnounceWindow   time.Duration // joins and leaves this soon after the last announcement are told together; 0: each at once

	MaxConnsPerAddr   int     // concurrent connections from one address (IPv6: one /64)
	MaxConns          int     // concurrent connections in all
	NewConnsPerMinute int     // new connections from one address per minute
	MsgRate           float64 // lines per second a user may send, steadily
	MsgBurst          int     // lines a user may send at once before the rate applies
	MaxPasteLines     int     // lines one bracketed paste may have
	FloodStrikes      int     // lines refused in a row before a flooder is disconnected

	HistoryLen   int           // messages shown to a joiner; 0: none
	DataDir      string        // the embedded store's directory; "": history in memory only
	HistoryMax   int           // messages kept per room
	HistoryAge   time.Duration // messages older than this are dropped; 0 keeps them
	Sync         string        // when the store syncs to disk: "always" or an interval
	StoreMax     int64         // bytes of disk the store may use
	StoreTimeout time.Duration // how long a message may wait for the log to take it

	Owners        []string      // SHA256 fingerprints of the owners' keys: operators who appoint operators
	AccountExpiry time.Duration // an account unused this long lapses; 0: never
	Replay        int           // messages a registered user is shown of what was said while away
	Log           chatlog.Log   // the rooms' log; nil: in memory, lost on restart

	NATS      []string // an existing NATS cluster's URLs: the store is there, shared with other chat servers; none: embedded
	NATSCreds string   // a credentials file for NATS
	Replicas  int      // copies of the stream and buckets; 0: 1 embedded, 3 with NATS
	Node      string   // this server's name among those sharing a cluster; "": the host name
	Metrics   string   // where to serve Prometheus metrics and /healthz; "": nowhere

	Lobby      string        // the room everyone lands in
	MaxRooms   int           // rooms at most, the lobby included
	RoomExpiry time.Duration // a room empty this long goes, with its history; 0: never

	Logger *slog.Logger     // nil: slog.Default()
	Now    func() time.Time // nil: time.Now; injectable for tests
}

// DefaultConfig returns the defaults, with Addr taken from SSHCHAT_ADDR
// when set.
func DefaultConfig() Config {
	c := Config{
		Addr:             ":2222",
		KeyDir:           "keys",
		Lang:             "en",
		HandshakeTimeout: 10 * time.Second,
		LoginTimeout:     60 * time.Second,
		LoginTries:       5,
		KeepAlive:        30 * time.Second,
		KeepAliveTimeout: 15 * time.Second,
		IdleTimeout:      8 * time.Hour,
		FlushTimeout:     2 * time.Second,
		MaxMessageLen:    1000,
		OutboxBytes:      256 << 10,
		AnnounceWindow:   time.Second,
		StoreTimeout:     2 * time.Second,
		HistoryLen:       20,
		AccountExpiry:    180 * 24 * time.Hour,
		Replay:           200,
		Lobby:            defaultLobby,
		MaxRooms:         1000,
		RoomExpiry:       7 * 24 * time.Hour,
		DataDir:          "data",
		HistoryMax:       10000,
		HistoryAge:       30 * 24 * time.Hour,
		Sync:             "2m",
		StoreMax:         1 << 30,

		MaxConnsPerAddr:   10,
		MaxConns:          10000,
		NewConnsPerMinute: 30,
		MsgRate:           2,
		MsgBurst:          10,
		MaxPasteLines:     50,
		FloodStrikes:      20,
	}
	if a := os.Getenv("SSHCHAT_ADDR"); a != "" {
		c.Addr = a
	}
	c.NATS = splitList(os.Getenv("SSHCHAT_NATS"))
	for _, fp := range strings.Split(os.Getenv("SSHCHAT_OPS"), ",") {
		if fp = strings.TrimSpace(fp); fp != "" {
			c.Owners = append(c.Owners, fp)
		}
	}
	return c
}

// Flags binds c's fields to flags in fs, with c's values as defaults.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on, host:port (environment SSHCHAT_ADDR)")
	fs.StringVar(&c.KeyDir, "keys", c.KeyDir, "directory holding the host key; created with a new ed25519 key on first run")
	fs.StringVar(&c.Lang, "lang", c.Lang, "default language for users whose client sends no LANG: en or pt")
	fs.DurationVar(&c.HandshakeTimeout, "handshake-timeout", c.HandshakeTimeout, "time allowed from connecting to opening the chat")
	fs.DurationVar(&c.LoginTimeout, "login-timeout", c.LoginTimeout, "time allowed to choose a name at the prompt")
	fs.IntVar(&c.LoginTries, "login-tries", c.LoginTries, "names a user may try at the prompt")
	fs.DurationVar(&c.KeepAlive, "keepalive", c.KeepAlive, "interval between keepalive probes (0 disables)")
	fs.DurationVar(&c.KeepAliveTimeout, "keepalive-timeout", c.KeepAliveTimeout, "how long a keepalive may go unanswered before the user is disconnected")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "disconnect users who type nothing for this long (0 disables)")
	fs.IntVar(&c.MaxMessageLen, "max-message", c.MaxMessageLen, "maximum characters in one message")
	fs.IntVar(&c.OutboxBytes, "outbox", c.OutboxBytes, "bytes of output queued for a user before they are disconnected as too slow")
	fs.DurationVar(&c.AnnounceWindow, "announce-window", c.AnnounceWindow, "joins and leaves this soon after the last announcement wait and are told together, one line per kind; longer in a room of more than 2,000: members/2,000 s (0: off, each at once)")
	fs.IntVar(&c.MaxConnsPerAddr, "max-conns-per-addr", c.MaxConnsPerAddr, "concurrent connections from one address, an IPv6 /64 counting as one (0: no limit)")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "concurrent connections in all (0: no limit)")
	fs.IntVar(&c.NewConnsPerMinute, "new-conns-per-minute", c.NewConnsPerMinute, "new connections one address may open per minute (0: no limit)")
	fs.Float64Var(&c.MsgRate, "rate", c.MsgRate, "lines per second one user may send, steadily (0: no limit)")
	fs.IntVar(&c.MsgBurst, "burst", c.MsgBurst, "lines one user may send at once before the rate applies")
	fs.IntVar(&c.MaxPasteLines, "paste-lines", c.MaxPasteLines, "lines one paste may have; ten pasted lines cost one message (0: no limit)")
	fs.IntVar(&c.FloodStrikes, "flood-strikes", c.FloodStrikes, "lines refused in a row before a flooder is disconnected (0: never)")
	fs.IntVar(&c.HistoryLen, "history", c.HistoryLen, "earlier messages shown to a user who joins (0: off)")
	fs.Func("op", "an owner's key fingerprint, SHA256:… as ssh-keygen -lf prints it; repeatable (environment SSHCHAT_OPS, comma-separated)", func(v string) error {
		if !strings.HasPrefix(v, "SHA256:") || len(v) < 20 {
			return fmt.Errorf("%q is not a SHA256 key fingerprint (ssh-keygen -lf key.pub prints it)", v)
		}
		c.Owners = append(c.Owners, v)
		return nil
	})
	fs.Var(durationValue{&c.AccountExpiry}, "account-expiry", "an account unused this long lapses and its name is free again, e.g. 180d (0: never)")
	fs.IntVar(&c.Replay, "replay", c.Replay, "messages a registered user is shown of what was said while they were away (0: the plain history)")
	fs.Func("nats", "an existing NATS cluster's URLs, comma-separated (nats://, tls://): the store lives there, shared with other sshchat servers (environment SSHCHAT_NATS); none: embedded", func(v string) error {
		c.NATS = splitList(v)
		return nil
	})
	fs.StringVar(&c.NATSCreds, "nats-creds", c.NATSCreds, "a NATS credentials file, with -nats")
	fs.IntVar(&c.Replicas, "replicas", c.Replicas, "copies the cluster keeps of the stream and buckets it creates (0: 1 embedded, 3 with -nats)")
	fs.StringVar(&c.Node, "node", c.Node, "this server's name among those sharing a cluster (default: the host name)")
	fs.StringVar(&c.Metrics, "metrics", c.Metrics, "serve Prometheus metrics and /healthz here, e.g. 127.0.0.1:9222 (off by default)")
	fs.StringVar(&c.Lobby, "lobby", c.Lobby, "the room everyone lands in, without '#'")
	fs.IntVar(&c.MaxRooms, "max-rooms", c.MaxRooms, "rooms at most, the lobby included")
	fs.Var(durationValue{&c.RoomExpiry}, "room-expiry", "a room empty this long goes, with its history, e.g. 7d; never the lobby (0: never)")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "directory of the embedded history store, created on first start")
	fs.IntVar(&c.HistoryMax, "history-max", c.HistoryMax, "messages kept per room")
	fs.Var(durationValue{&c.HistoryAge}, "history-age", "messages older than this are dropped, e.g. 30d or 12h (0: kept)")
	fs.StringVar(&c.Sync, "sync", c.Sync, `how often the store syncs to disk: an interval, or "always" (see README: what a power cut can lose)`)
	fs.Int64Var(&c.StoreMax, "store-max", c.StoreMax, "bytes of disk the history store may use")
	fs.DurationVar(&c.StoreTimeout, "store-timeout", c.StoreTimeout, "how long a message may wait for the history store before its sender is told it was not sent")
}

// validate refuses settings that cannot work. One rule for every flag:
// a limit whose help says "0: off" is turned off by 0; every other
// setting must be positive, and 0 or less stops the server at start
// rather than being silently replaced.
func (c *Config) validate() error {
	positive := []struct {
		flag string
		ok   bool
	}{
		{"handshake-timeout", c.HandshakeTimeout > 0},
		{"login-timeout", c.LoginTimeout > 0},
		{"login-tries", c.LoginTries > 0},
		{"keepalive-timeout", c.KeepAliveTimeout > 0 || c.KeepAlive == 0},
		{"max-message", c.MaxMessageLen > 0 && c.MaxMessageLen <= maxMessageLimit},
		{"outbox", c.OutboxBytes > 0},
		{"burst", c.MsgBurst > 0 || c.MsgRate == 0},
		{"store-timeout", c.StoreTimeout > 0},
		{"history-max", c.HistoryMax > 0},
		{"store-max", c.StoreMax > 0},
		{"max-rooms", c.MaxRooms > 0},
	}
	for _, p := range positive {
		if !p.ok {
			return fmt.Errorf("-%s must be positive (and -max-message at most %d)", p.flag, maxMessageLimit)
		}
	}
	off := []struct {
		flag string
		ok   bool
	}{
		{"keepalive", c.KeepAlive >= 0},
		{"idle-timeout", c.IdleTimeout >= 0},
		{"announce-window", c.AnnounceWindow >= 0},
		{"max-conns-per-addr", c.MaxConnsPerAddr >= 0},
		{"max-conns", c.MaxConns >= 0},
		{"new-conns-per-minute", c.NewConnsPerMinute >= 0},
		{"rate", c.MsgRate >= 0},
		{"paste-lines", c.MaxPasteLines >= 0},
		{"flood-strikes", c.FloodStrikes >= 0},
		{"history", c.HistoryLen >= 0 && c.HistoryLen <= maxHistoryShown},
		{"history-age", c.HistoryAge >= 0},
		{"account-expiry", c.AccountExpiry >= 0},
		{"replay", c.Replay >= 0 && c.Replay <= maxHistoryShown},
		{"room-expiry", c.RoomExpiry >= 0},
		{"replicas", c.Replicas >= 0 && c.Replicas <= 5},
	}
	for _, p := range off {
		if !p.ok {
			return fmt.Errorf("-%s cannot be negative (0 turns it off)", p.flag)
		}
	}
	if _, ok := checkRoomName(c.Lobby); !ok || strings.HasPrefix(c.Lobby, "#") {
		return fmt.Errorf("-lobby %q is not a room name: 1 to %d letters, digits or signs, no spaces, without '#'", c.Lobby, maxNameLen)
	}
	return nil
}

// maxMessageLimit is the longest message one may allow: x/term drops
// keystrokes past 4096 runes without a word, and staying under it means
// an over-long line is always noticed and refused.
const maxMessageLimit = 4000

// normalise fills what a caller of New may leave unset and no flag sets.
func (c *Config) normalise() {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.KeyDir == "" {
		c.KeyDir = d.KeyDir
	}
	if c.FlushTimeout <= 0 {
		c.FlushTimeout = d.FlushTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Replicas == 0 {
		c.Replicas = 1
		if len(c.NATS) > 0 {
			c.Replicas = 3
		}
	}
	if c.Node == "" {
		c.Node, _ = os.Hostname()
		if c.Node == "" {
			c.Node = "sshchat"
		}
	}
}

// splitList reads a comma-separated list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
