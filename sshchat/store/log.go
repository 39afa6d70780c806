package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sshchat/sshchat/sshchat/chatlog"
)

// body is what a message carries besides its subject (the room), its
// sequence and its timestamp, which the stream keeps itself: the stream's
// timestamp is when the log accepted the entry, so At is not repeated.
type body struct {
	ID   string `json:"i"`
	From string `json:"f"`
	Text string `json:"t"`
	Me   bool   `json:"m,omitempty"`
}

// retryWait is the pause between two tries of a publish that failed for
// a reason that may pass (reconnecting, no JetStream yet).
const retryWait = 50 * time.Millisecond

// attemptTimeout bounds one try of a publish, so that a lost ack is
// retried (with the same ID, so stored once) within the overall bound.
const attemptTimeout = 500 * time.Millisecond

// Append publishes e to its room's subject with e.ID as the message ID and
// returns the stream sequence, retrying within the Timeout.
func (s *Store) Append(ctx context.Context, e chatlog.Entry) (uint64, error) {
	if e.Room == "" {
		return 0, errEmptyRoom
	}
	data, err := json.Marshal(body{ID: e.ID, From: e.From, Text: e.Text, Me: e.Me})
	if err != nil {
		return 0, fmt.Errorf("store: encode entry: %w", err)
	}
	msg := &nats.Msg{Subject: subject(e.Room), Data: data, Header: nats.Header{}}
	if e.ID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, e.ID)
	}
	msg.Header.Set(jetstream.ExpectedStreamHeader, StreamName)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	for {
		try, cancelTry := context.WithTimeout(ctx, attemptTimeout)
		ack, err := s.js.PublishMsg(try, msg)
		cancelTry()
		if err == nil {
			return ack.Sequence, nil
		}
		if errors.Is(err, nats.ErrMaxPayload) {
			return 0, fmt.Errorf("store: append to %q: %w", e.Room, err)
		}
		select {
		case <-ctx.Done():
			return 0, unavailable(fmt.Sprintf("append to %q", e.Room), err)
		case <-time.After(retryWait):
		}
	}
}

// follower is one Follow: its consumer and the lock that keeps its
// callback from running after stop returns.
type follower struct {
	s  *Store
	cc jetstream.ConsumeContext

	mu      sync.Mutex
	stopped bool
}

// Follow delivers every entry appended after it returns, of every room,
// in stream order. It reads an ordered consumer starting just past the
// stream's last sequence at the time of the call; the consumer recreates
// itself after a reconnection from the last entry it delivered. fn runs
// on the connection's delivery goroutine and must not call stop.
func (s *Store) Follow(fn func(chatlog.Entry)) (stop func(), err error) {
	ctx, cancel := s.bound(context.Background())
	defer cancel()
	stream, err := s.js.Stream(ctx, StreamName)
	if err != nil {
		return nil, unavailable("follow", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, unavailable("follow", err)
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subjectPrefix + ">"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    info.State.LastSeq + 1,
	})
	if err != nil {
		return nil, unavailable("follow", err)
	}
	f := &follower{s: s}
	log := s.opts.Logger
	// The client library runs this handler from the subscription's one
	// delivery goroutine (owner: the nats connection; ends with stop or
	// Close), so calls to fn never overlap.
	cc, err := cons.Consume(func(m jetstream.Msg) {
		e, err := decodeMsg(m)
		if err != nil {
			log.Warn("store: skip undecodable message", "subject", m.Subject(), "err", err)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.stopped {
			fn(e)
		}
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		log.Debug("store: follow", "err", err)
	}))
	if err != nil {
		return nil, unavailable("follow", err)
	}
	f.cc = cc
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cc.Stop()
		return nil, unavailable("follow", errors.New("store closed"))
	}
	s.followers[f] = struct{}{}
	s.mu.Unlock()
	return f.stop, nil
}

func (f *follower) stop() {
	f.mu.Lock()
	already := f.stopped
	f.stopped = true
	f.mu.Unlock()
	if already {
		return
	}
	f.cc.Stop()
	f.s.mu.Lock()
	delete(f.s.followers, f)
	f.s.mu.Unlock()
}

func decodeMsg(m jetstream.Msg) (chatlog.Entry, error) {
	md, err := m.Metadata()
	if err != nil {
		return chatlog.Entry{}, err
	}
	return decode(m.Subject(), md.Sequence.Stream, md.Timestamp, m.Data())
}

func decode(subj string, seq uint64, at time.Time, data []byte) (chatlog.Entry, error) {
	room, err := roomOf(subj)
	if err != nil {
		return chatlog.Entry{}, err
	}
	var b body
	if err := json.Unmarshal(data, &b); err != nil {
		return chatlog.Entry{}, fmt.Errorf("store: message %d: %w", seq, err)
	}
	return chatlog.Entry{Seq: seq, Room: room, ID: b.ID, From: b.From, Text: b.Text, Me: b.Me, At: at}, nil
}

// walkMax is the largest n for which Last walks back one entry per
// request; past it, finding the start by bisection and reading forward
// in one batch costs fewer requests.
const walkMax = 24

// Last returns at most n of room's most recent entries up to upTo.
//
// Its cost must not grow with the history a room keeps (joins call it,
// and a room keeps up to HistoryMax entries), so it reads only what it
// returns, with direct gets answered from the stream's per-subject index:
//
//   - n ≤ walkMax: walk back from upTo, one request per entry, each the
//     room's last message at or below a sequence ("multi_last" with
//     "up_to_seq"): n requests.
//   - larger n: the walk's first step gives the room's last sequence L;
//     a one-message batch from sequence S reports how many of the room's
//     messages lie at or after S (Nats-Num-Pending), so bisecting S over
//     [1, L] finds where the last n start in about log2(L) requests, and
//     one batch reads the n entries forward.
//
// Measured with 10,000 retained per room, interleaved with another room
// (go test -run X -bench Last -benchtime 2s ./sshchat/store, 2 cores):
// the walk costs ~50 µs an entry (Last20 ~1.1 ms; walking 1,000 took
// ~60 ms), bisection then one batch ~25 ms for 1,000 (the server rebuilds
// each direct-get answer's headers, ~20 µs an entry). An ephemeral
// consumer costs ~0.6 ms for 20 and ~7.5 ms for 1,000 when told its
// start, but must be created and deleted on the server each time, and
// still needs the bisection to find that start. A tail per room kept in memory by a Follow would be faster
// still, but holds entries of every room ever used in every process and
// must read the whole stream at Open.
func (s *Store) Last(ctx context.Context, room string, n int, upTo uint64) ([]chatlog.Entry, error) {
	if room == "" {
		return nil, errEmptyRoom
	}
	if n <= 0 {
		return nil, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	g, err := s.newGetter(n)
	if err != nil {
		return nil, unavailable("last", err)
	}
	defer g.close()
	out, err := g.last(ctx, subject(room), n, upTo)
	if err != nil {
		return nil, unavailable(fmt.Sprintf("last of %q", room), err)
	}
	return out, nil
}

func (g *getter) last(ctx context.Context, subj string, n int, upTo uint64) ([]chatlog.Entry, error) {
	var out []chatlog.Entry
	for len(out) < n {
		got, _, err := g.get(ctx, directGet{MultiLast: []string{subj}, UpToSeq: upTo})
		if err != nil {
			return nil, err
		}
		if len(got) == 0 && len(out) == 0 && upTo > 0 {
			// The server finds nothing when up_to_seq is past the stream's
			// end; then the room's last entry is the answer if within it.
			if got, _, err = g.get(ctx, directGet{MultiLast: []string{subj}}); err != nil {
				return nil, err
			}
			if len(got) > 0 && got[len(got)-1].Seq > upTo {
				got = nil
			}
		}
		if len(got) == 0 {
			break
		}
		e := got[len(got)-1]
		out = append(out, e)
		if e.Seq <= 1 {
			break
		}
		upTo = e.Seq - 1
		if len(out) == 1 && n > walkMax {
			return g.lastByBisection(ctx, subj, n, e.Seq)
		}
	}
	slices.Reverse(out)
	return out, nil
}

// lastByBisection returns at most n of subj's entries at or below top,
// the subject's last sequence at or below the caller's bound.
func (g *getter) lastByBisection(ctx context.Context, subj string, n int, top uint64) ([]chatlog.Entry, error) {
	after, err := g.countFrom(ctx, subj, top+1) // entries past the bound
	if err != nil {
		return nil, err
	}
	need := uint64(n) + after
	// Find the largest start whose count from it is at least need; the
	// count does not grow as start does.
	lo, hi := uint64(1), top
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		c, err := g.countFrom(ctx, subj, mid)
		if err != nil {
			return nil, err
		}
		if c >= need {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	got, _, err := g.get(ctx, directGet{NextFor: subj, Seq: lo, Batch: n})
	if err != nil {
		return nil, err
	}
	// Retention may drop entries between the bisection and the read, so
	// the batch can run past the bound: cut it there.
	end := len(got)
	for end > 0 && got[end-1].Seq > top {
		end--
	}
	return got[:end], nil
}

// countFrom returns how many of subj's messages have a sequence of at
// least seq, from a one-message batch's Nats-Num-Pending.
func (g *getter) countFrom(ctx context.Context, subj string, seq uint64) (uint64, error) {
	_, matched, _, err := g.getPending(ctx, directGet{NextFor: subj, Seq: seq, Batch: 1})
	return matched, err
}

// Count is how many of room's retained entries come after sequence
// after: the pending count of a consumer that would start there, which
// the server knows without reading them.
func (s *Store) Count(ctx context.Context, room string, after uint64) (int, error) {
	if room == "" {
		return 0, errEmptyRoom
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	stream, err := s.js.Stream(ctx, StreamName)
	if err != nil {
		return 0, unavailable("count", err)
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{subject(room)},
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       after + 1,
		InactiveThreshold: time.Second,
	})
	if err != nil {
		return 0, unavailable("count", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, unavailable("count", err)
	}
	if ctx.Err() == nil {
		_ = stream.DeleteConsumer(ctx, info.Name)
	}
	return int(info.NumPending), nil
}

// Search returns at most limit of room's most recent entries matching
// words, oldest first. It reads the room's retained entries in batches
// of direct gets, so it reads at most HistoryMax entries.
func (s *Store) Search(ctx context.Context, room string, words []string, limit int) ([]chatlog.Entry, error) {
	if room == "" {
		return nil, errEmptyRoom
	}
	if limit <= 0 {
		return nil, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	g, err := s.newGetter(s.searchBatch)
	if err != nil {
		return nil, unavailable("search", err)
	}
	defer g.close()
	match := chatlog.NewMatcher(words)
	subj := subject(room)
	var found []chatlog.Entry // a window of the latest limit matches
	var from uint64 = 1
	for read := int64(0); read < s.opts.HistoryMax; {
		batch := min(int64(s.searchBatch), s.opts.HistoryMax-read)
		got, more, err := g.get(ctx, directGet{NextFor: subj, Seq: from, Batch: int(batch)})
		if err != nil {
			return nil, unavailable(fmt.Sprintf("search of %q", room), err)
		}
		for _, e := range got {
			if match.Match(e.Text) {
				found = append(found, e)
				if len(found) > limit {
					found = found[1:]
				}
			}
		}
		read += int64(len(got))
		if len(got) == 0 || !more {
			break
		}
		from = got[len(got)-1].Seq + 1
	}
	return slices.Clone(found), nil
}

// directGet is the body of a JetStream direct get request
// ($JS.API.DIRECT.GET.<stream>), which the client library does not offer
// in its batch and multi-last forms.
type directGet struct {
	Seq       uint64   `json:"seq,omitempty"`
	NextFor   string   `json:"next_by_subj,omitempty"`
	Batch     int      `json:"batch,omitempty"`
	MultiLast []string `json:"multi_last,omitempty"`
	UpToSeq   uint64   `json:"up_to_seq,omitempty"`
}

// getter sends direct gets and reads their answers on one inbox, which a
// call to Last or Search owns for its duration.
type getter struct {
	nc    *nats.Conn
	inbox string
	sub   *nats.Subscription
	msgs  chan *nats.Msg
}

// newGetter subscribes to a fresh inbox through a channel sized for the
// largest answer it will read (a batch of up to batch entries and its
// status): a synchronous subscription would allocate the library's
// default of 65,536 slots, half a megabyte, on every join.
func (s *Store) newGetter(batch int) (*getter, error) {
	inbox := s.nc.NewRespInbox()
	msgs := make(chan *nats.Msg, batch+4)
	sub, err := s.nc.ChanSubscribe(inbox, msgs)
	if err != nil {
		return nil, err
	}
	return &getter{nc: s.nc, inbox: inbox, sub: sub, msgs: msgs}, nil
}

func (g *getter) close() { g.sub.Unsubscribe() }

// get sends req and collects the entries of the answer, which ends with
// an end-of-batch status (or is one "no message" status). more reports
// whether the server said entries remain past the batch.
func (g *getter) get(ctx context.Context, req directGet) (entries []chatlog.Entry, more bool, err error) {
	entries, _, more, err = g.getPending(ctx, req)
	return entries, more, err
}

// getPending is get that also returns, for a batch, how many messages
// matched from the request's sequence on: the first message's count of
// those after it, plus itself.
func (g *getter) getPending(ctx context.Context, req directGet) (entries []chatlog.Entry, matched uint64, more bool, err error) {
	data, err := json.Marshal(req)
	if err != nil {
		return nil, 0, false, err
	}
	if err := g.nc.PublishRequest("$JS.API.DIRECT.GET."+StreamName, g.inbox, data); err != nil {
		return nil, 0, false, err
	}
	for {
		var m *nats.Msg
		select {
		case m = <-g.msgs:
		case <-ctx.Done():
			return nil, 0, false, ctx.Err()
		}
		switch status := m.Header.Get("Status"); status {
		case "":
		case "204": // end of batch
			np, _ := strconv.ParseUint(m.Header.Get(numPendingHeader), 10, 64)
			return entries, matched, np > 0, nil
		case "404": // no (more) messages
			return entries, matched, false, nil
		case "503":
			return nil, 0, false, nats.ErrNoResponders
		default:
			return nil, 0, false, fmt.Errorf("direct get: status %s %s", status, m.Header.Get("Description"))
		}
		seq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
		if err != nil {
			return nil, 0, false, fmt.Errorf("direct get: sequence: %w", err)
		}
		if len(entries) == 0 {
			np, _ := strconv.ParseUint(m.Header.Get(numPendingHeader), 10, 64)
			matched = np + 1
		}
		at, err := time.Parse(time.RFC3339Nano, m.Header.Get(jetstream.TimeStampHeaer))
		if err != nil {
			return nil, 0, false, fmt.Errorf("direct get: time: %w", err)
		}
		e, err := decode(m.Header.Get(jetstream.SubjectHeader), seq, at, m.Data)
		if err != nil {
			return nil, 0, false, err
		}
		entries = append(entries, e)
	}
}

// numPendingHeader tells, in a batch's answers, how many matching
// messages remain after this one.
const numPendingHeader = "Nats-Num-Pending"

// Purge removes every message on room's subject.
func (s *Store) Purge(ctx context.Context, room string) error {
	if room == "" {
		return errEmptyRoom
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	stream, err := s.js.Stream(ctx, StreamName)
	if err != nil {
		return unavailable("purge", err)
	}
	if err := stream.Purge(ctx, jetstream.WithPurgeSubject(subject(room))); err != nil {
		return unavailable("purge", err)
	}
	return nil
}
