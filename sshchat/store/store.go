// Package store keeps the chat log in a NATS JetStream stream: one stream
// for every room, one subject per room, the stream's sequence as the
// rooms' one order. The stream is served by a nats-server embedded in
// this process, or by an existing NATS cluster (Options.URLs), which
// several chat servers then share.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// Options configure Open. The zero value of each field means its default.
type Options struct {
	Dir        string        // data directory, created if missing; default "data"
	MaxStore   int64         // bytes of disk JetStream may use; default 1 GiB
	Sync       string        // file store sync: "always", or an interval such as "2m" (default, as nats-server)
	HistoryMax int64         // messages kept per room; default 10,000
	HistoryAge time.Duration // age past which messages are dropped; 0 keeps them forever (the flag's default is DefaultHistoryAge)
	Timeout    time.Duration // bound on each store operation; default 2 s
	Logger     *slog.Logger  // gets the embedded server's warnings and errors; default discards

	// URLs, when set, are an existing NATS cluster's servers: nothing is
	// embedded, and Dir, MaxStore and Sync do not apply. A tls:// URL
	// asks for TLS.
	URLs     []string
	Creds    string // a NATS credentials file for URLs
	Replicas int    // copies of the stream and buckets kept by the cluster; default 1
	// Connected, when set, is told when the connection to the store is
	// lost (false) and back (true), from the connection's own goroutine.
	Connected func(up bool)
	Name      string // the connection's name, as the cluster lists it

	syncInterval time.Duration
	syncAlways   bool
}

const (
	// StreamName is the one stream that holds every room's messages.
	StreamName = "CHAT"
	// subjectPrefix starts every room's subject: chat.room.<hex of name>.
	subjectPrefix = "chat.room."
	// DefaultHistoryAge is the age limit a server is started with unless
	// told otherwise; Options.HistoryAge's zero value keeps messages for
	// ever, as JetStream's MaxAge does.
	DefaultHistoryAge = 30 * 24 * time.Hour
	// dedupeWindow is how long an entry ID is remembered: far longer than
	// any retry of one Append, which the Timeout bounds.
	dedupeWindow = 2 * time.Minute
)

func (o *Options) setDefaults() error {
	if o.Dir == "" {
		o.Dir = "data"
	}
	if o.MaxStore <= 0 {
		o.MaxStore = 1 << 30
	}
	switch o.Sync {
	case "", "default":
	case "always":
		o.syncAlways = true
	default:
		d, err := time.ParseDuration(o.Sync)
		if err != nil || d <= 0 {
			return fmt.Errorf("store: sync %q: want \"always\" or a positive duration", o.Sync)
		}
		o.syncInterval = d
	}
	if o.HistoryMax <= 0 {
		o.HistoryMax = 10_000
	}
	if o.HistoryAge < 0 {
		o.HistoryAge = 0
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.Name == "" {
		o.Name = "sshchat"
	}
	return nil
}

// Store is a chatlog.Log in a JetStream stream. Its methods are safe for
// concurrent use.
type Store struct {
	opts Options
	ref  *serverRef // the embedded server, swapped by Suspend and Resume; nil with URLs
	nc   *nats.Conn
	js   jetstream.JetStream

	// Search scans a room in batches; its cost is bounded by HistoryMax.
	searchBatch int

	mu        sync.Mutex
	followers map[*follower]struct{}
	closed    bool
}

var _ chatlog.Log = (*Store)(nil)

// Open starts the embedded server on opts.Dir and connects to it in
// process, or connects to opts.URLs, and creates or updates the stream.
func Open(opts Options) (*Store, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	var ns *server.Server
	var ref *serverRef
	conn := []nats.Option{
		nats.Name(opts.Name),
		// Reconnect for ever: the chat recovers by itself when the store
		// is back.
		nats.MaxReconnects(-1),
		// No buffering while disconnected: a message published then would
		// be stored after its sender was told it failed.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err == nil && nc.IsClosed() {
				return // Close: nothing was lost
			}
			opts.Logger.Warn("store: connection lost", "err", err)
			if opts.Connected != nil {
				opts.Connected(false)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			opts.Logger.Info("store: connection back", "server", nc.ConnectedUrlRedacted())
			if opts.Connected != nil {
				opts.Connected(true)
			}
		}),
	}
	url := strings.Join(opts.URLs, ",")
	if len(opts.URLs) == 0 {
		var err error
		if ns, err = startServer(opts); err != nil {
			return nil, err
		}
		ref = &serverRef{ns: ns}
		// Quickly: the server is in this process, so it is back as soon
		// as Resume has started it.
		conn = append(conn, nats.InProcessServer(ref), nats.ReconnectWait(50*time.Millisecond), nats.ReconnectJitter(0, 0))
	} else {
		conn = append(conn, nats.ReconnectWait(250*time.Millisecond), nats.RetryOnFailedConnect(false))
		if opts.Creds != "" {
			conn = append(conn, nats.UserCredentials(opts.Creds))
		}
	}
	nc, err := nats.Connect(url, conn...)
	if err != nil {
		stopServer(context.Background(), ns)
		if ns == nil {
			return nil, fmt.Errorf("store: connect to %s: %w", url, err)
		}
		return nil, fmt.Errorf("store: connect to embedded server: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		stopServer(context.Background(), ns)
		return nil, fmt.Errorf("store: jetstream: %w", err)
	}
	s := &Store{
		opts:        opts,
		ref:         ref,
		nc:          nc,
		js:          js,
		searchBatch: 500,
		followers:   make(map[*follower]struct{}),
	}
	ctx, cancel := context.WithTimeout(context.Background(), placeTimeout)
	defer cancel()
	if err := whilePlacing(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateStream(ctx, s.streamConfig())
		return err
	}); err != nil {
		nc.Close()
		stopServer(context.Background(), ns)
		return nil, fmt.Errorf("store: create stream %s: %w", StreamName, err)
	}
	return s, nil
}

func (s *Store) streamConfig() jetstream.StreamConfig {
	dup := dedupeWindow
	if a := s.opts.HistoryAge; a > 0 && a < dup {
		dup = a // JetStream refuses a dedupe window longer than MaxAge.
	}
	return jetstream.StreamConfig{
		Name:              StreamName,
		Description:       "sshchat rooms' messages, one subject per room",
		Subjects:          []string{subjectPrefix + ">"},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardOld,
		MaxMsgsPerSubject: s.opts.HistoryMax,
		MaxAge:            s.opts.HistoryAge,
		Duplicates:        dup,
		Replicas:          s.opts.Replicas,
		// Last and Search read with direct gets, which skip the JetStream
		// API's request handling and answer from the stream itself.
		AllowDirect: true,
	}
}

// Close stops the followers, drains the connection, then shuts the
// embedded server down and waits for it, all within about the Timeout.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	fs := make([]*follower, 0, len(s.followers))
	for f := range s.followers {
		fs = append(fs, f)
	}
	s.mu.Unlock()
	for _, f := range fs {
		f.stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	closed := make(chan struct{})
	s.nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := s.nc.Drain(); err != nil {
		s.nc.Close()
	}
	select {
	case <-closed:
	case <-ctx.Done():
		s.nc.Close()
	}
	if s.ref != nil {
		ns := s.ref.get()
		s.ref.set(nil)
		stopServer(ctx, ns)
	}
	return nil
}

// Conn is the store's NATS connection, for what chat servers sharing a
// cluster tell each other directly (private messages, kicks).
func (s *Store) Conn() *nats.Conn { return s.nc }

// Suspend shuts the embedded server down while the Store stays: every
// operation then fails with chatlog.ErrUnavailable within the Timeout,
// as when a disk fails or an external cluster is unreachable. It is for
// tests of what callers do then; Resume ends it.
func (s *Store) Suspend() {
	if s.ref == nil {
		return
	}
	ns := s.ref.get()
	s.ref.set(nil)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	stopServer(ctx, ns)
}

// Resume starts a new embedded server on the same directory after
// Suspend. Nothing else is needed: the connection reconnects within
// about 50 ms, and followers resume after the last entry they delivered,
// so none is skipped or repeated.
func (s *Store) Resume() error {
	if s.ref == nil || s.ref.get() != nil {
		return nil
	}
	ns, err := startServer(s.opts)
	if err != nil {
		return err
	}
	s.ref.set(ns)
	return nil
}

// unavailable wraps err as the log's "not answering" with what was tried.
func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", chatlog.ErrUnavailable, what, err)
}

// bound returns ctx limited by the store's Timeout.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.Timeout)
}

// errEmptyRoom refuses a room with no name: it has no subject.
var errEmptyRoom = errors.New("store: empty room name")

// subject returns room's subject. Room names are user-chosen Unicode and
// may hold the dots, spaces and wildcards that subjects give meaning to,
// so the name travels as lower-case hex: one token, any name, reversible.
func subject(room string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(subjectPrefix) + 2*len(room))
	b.WriteString(subjectPrefix)
	for i := 0; i < len(room); i++ {
		b.WriteByte(digits[room[i]>>4])
		b.WriteByte(digits[room[i]&15])
	}
	return b.String()
}

// roomOf decodes a subject made by subject.
func roomOf(subj string) (string, error) {
	tok, ok := strings.CutPrefix(subj, subjectPrefix)
	if !ok || len(tok)%2 != 0 {
		return "", fmt.Errorf("store: subject %q is no room's", subj)
	}
	b := make([]byte, len(tok)/2)
	for i := range b {
		hi, lo := unhex(tok[2*i]), unhex(tok[2*i+1])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("store: subject %q is no room's", subj)
		}
		b[i] = byte(hi<<4 | lo)
	}
	return string(b), nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	}
	return -1
}

// Ready reports whether the stream answers now: after a reconnection to
// a cluster that was down, the connection is back before the stream has
// a leader again.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	stream, err := s.js.Stream(ctx, StreamName)
	if err != nil {
		return unavailable("ready", err)
	}
	if _, err := stream.Info(ctx); err != nil {
		return unavailable("ready", err)
	}
	return nil
}

// errNoPeers is JetStream's "no suitable peers for placement": a cluster
// that has not yet heard from enough of its nodes (just started, or one
// of them briefly silent) to place the replicas asked for.
var errNoPeers = &jetstream.APIError{ErrorCode: 10005}

// placeTimeout bounds creating the stream or a bucket, and starting a
// watch, as the server starts: a cluster that has just started, or lost
// a node, may take seconds to elect leaders and place replicas.
const placeTimeout = 30 * time.Second

// placeTry bounds one request of that creation, the client's usual
// bound: a request the cluster dropped while electing is sent again
// rather than waited for till placeTimeout.
const placeTry = 5 * time.Second

// whilePlacing runs create, again while the cluster cannot yet place its
// replicas or does not answer within placeTry, until ctx is done.
// Creating is idempotent: a try that did create before it timed out is
// found on the next.
func whilePlacing(ctx context.Context, create func(context.Context) error) error {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		try, cancel := context.WithTimeout(ctx, placeTry)
		err := create(try)
		cancel()
		notYet := errors.Is(err, errNoPeers) || errors.Is(err, nats.ErrNoResponders) ||
			errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil
		if !notYet {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
