package sshchat

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/time/rate"
)

// Account commands: /register ties the name to the key that
// authenticated this connection, /keys manages the account's keys,
// /unregister frees the name.

// registered is this user's account, if the name is registered (login
// has checked that this connection's key is one of it).
func (s *session) registered() *account { return s.srv.accounts.lookup(s.self.key) }

// storeCtx bounds one command's store operations.
func (s *session) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.srv.cfg.StoreTimeout)
}

func (s *session) cmdRegister(string) bool {
	l := s.language()
	if s.fingerprint == "" {
		s.reply(l.t(msgRegisterNeedsKey))
		return false
	}
	if acct := s.registered(); acct != nil {
		s.reply(l.t(msgRegisterAlready, acct.Name))
		return false
	}
	if !s.srv.registrations.allow(s.fingerprint, s.self.addr, s.srv.now()) {
		s.log.Info("registration rate limit hit")
		s.reply(l.t(msgRegisterSlowDown))
		return false
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	switch err := s.srv.accounts.register(ctx, s.self.name, s.self.key, s.fingerprint, s.authorizedKey, s.srv.rooms.last.Load()); {
	case err == nil:
		s.log.Info("registered", "fingerprint", s.fingerprint)
		s.reply(l.t(msgRegistered, s.self.name, s.fingerprint))
	case errors.Is(err, errKeyTaken):
		s.reply(l.t(msgKeyTaken))
	case errors.Is(err, errRegistered):
		s.reply(l.t(msgNameRegistered, s.self.name))
	default:
		s.log.Warn("registration failed", "err", err)
		s.reply(l.t(msgStoreFailed))
	}
	return false
}

func (s *session) cmdKeys(arg string) bool {
	l := s.language()
	acct := s.registered()
	if acct == nil {
		s.reply(l.t(msgNotRegistered))
		return false
	}
	verb, rest, _ := strings.Cut(strings.TrimSpace(arg), " ")
	rest = strings.TrimSpace(rest)
	ctx, cancel := s.storeCtx()
	defer cancel()
	switch strings.ToLower(verb) {
	case "":
		lines := []string{l.t(msgKeysHeader, acct.Name, len(acct.Keys))}
		for _, k := range acct.Keys {
			mark := ""
			if k.Fingerprint == s.fingerprint {
				mark = " " + l.t(msgKeysThis)
			}
			lines = append(lines, "  "+k.Fingerprint+" "+keyType(k.Key)+mark)
		}
		s.reply(strings.Join(lines, "\n"))
	case "add", "adicionar":
		pub, _, _, _, err := gossh.ParseAuthorizedKey([]byte(rest))
		if err != nil || rest == "" {
			s.reply(l.t(msgKeyMalformed) + " " + l.t(msgUsage, commandByName("keys").usage(l)))
			return false
		}
		if pub.Type() == gossh.KeyAlgoRSA {
			if k, ok := pub.(gossh.CryptoPublicKey); ok {
				if bits, ok := rsaBits(k); ok && bits < 2048 {
					s.reply(l.t(msgKeyMalformed))
					return false
				}
			}
		}
		fp := gossh.FingerprintSHA256(pub)
		authorized := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pub)))
		switch err := s.srv.accounts.addKey(ctx, acct.key(), fp, authorized); {
		case err == nil:
			s.log.Info("key added", "added", fp)
			s.reply(l.t(msgKeyAdded, fp))
		case errors.Is(err, errKeyTaken):
			s.reply(l.t(msgKeyTaken))
		case errors.Is(err, errTooManyKeys):
			s.reply(l.t(msgTooManyKeys, maxAccountKeys))
		default:
			s.log.Warn("key not added", "err", err)
			s.reply(l.t(msgStoreFailed))
		}
	case "remove", "remover":
		if rest == "" {
			s.reply(l.t(msgUsage, commandByName("keys").usage(l)))
			return false
		}
		if len(acct.Keys) == 1 && acct.hasKey(rest) {
			return s.unregister(ctx, l, acct)
		}
		switch err := s.srv.accounts.removeKey(ctx, acct.key(), rest); {
		case err == nil:
			s.log.Info("key removed", "removed", rest)
			s.reply(l.t(msgKeyRemoved, rest))
		case errors.Is(err, errNoAccount):
			shown, _ := sanitize(rest, 80)
			s.reply(l.t(msgKeyUnknown, shown))
		default:
			s.log.Warn("key not removed", "err", err)
			s.reply(l.t(msgStoreFailed))
		}
	default:
		s.reply(l.t(msgUsage, commandByName("keys").usage(l)))
	}
	return false
}

func (s *session) cmdUnregister(string) bool {
	l := s.language()
	acct := s.registered()
	if acct == nil {
		s.reply(l.t(msgNotRegistered))
		return false
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	return s.unregister(ctx, l, acct)
}

func (s *session) unregister(ctx context.Context, l lang, acct *account) bool {
	if err := s.srv.accounts.unregister(ctx, acct.key()); err != nil {
		s.log.Warn("unregister failed", "err", err)
		s.reply(l.t(msgStoreFailed))
		return false
	}
	s.log.Info("unregistered")
	s.reply(l.t(msgUnregistered, acct.Name))
	return false
}

// key is the account's identity key.
func (a *account) key() string { return nameKey(a.Name) }

func keyType(authorized string) string {
	t, _, _ := strings.Cut(authorized, " ")
	return t
}

// registrationLimiter bounds registrations per key and per address (an
// IPv6 /64 counting as one), so that names cannot be taken in bulk.
type registrationLimiter struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

const (
	registrationsBurst = 3                // at once
	registrationsEvery = 20 * time.Minute // then one per this
	registrationsKept  = 10000            // limiters kept before all are forgotten
)

func (r *registrationLimiter) allow(fp string, addr netip.Addr, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buckets == nil || len(r.buckets) > registrationsKept {
		r.buckets = map[string]*rate.Limiter{}
	}
	get := func(k string) *rate.Limiter {
		b, ok := r.buckets[k]
		if !ok {
			b = rate.NewLimiter(rate.Every(registrationsEvery), registrationsBurst)
			r.buckets[k] = b
		}
		return b
	}
	byKey, byAddr := get("key "+fp), get("addr "+addrPrefix(addr).String())
	if byKey.TokensAt(now) < 1 || byAddr.TokensAt(now) < 1 {
		return false
	}
	byKey.AllowN(now, 1)
	byAddr.AllowN(now, 1)
	return true
}
