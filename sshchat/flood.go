package sshchat

import (
	"time"

	"golang.org/x/time/rate"
)

// floodGate is one user's message budget: a burst, then a steady rate
// (a token bucket from x/time/rate, fed the server's clock so tests need
// no real time). It is owned by the session's reader goroutine.
//
// Pasting is what users of other chats most often get punished for. The
// terminal marks pasted lines (bracketed paste), and a run of pasted lines
// costs one token like a single message, plus one per pasteLinesPerToken
// lines after the first (the client declares a paste, so a declared paste
// must not be a way around the limit), up to a cap. Over budget, lines
// are refused, never queued to be delivered late as a burst; the user is
// told once per streak, and a user who keeps going is disconnected.
type floodGate struct {
	bucket     *rate.Limiter
	maxPaste   int
	strikes    int // lines refused in a row
	maxStrikes int
	pasteRun   int // lines of the current paste let through
}

// pasteLinesPerToken is how many further lines of a paste one token pays
// for: a 50-line paste costs 5 tokens, within the default burst.
const pasteLinesPerToken = 10

type floodVerdict uint8

const (
	floodAllow        floodVerdict = iota
	floodRefuseNotify              // refused; tell the user (first of a streak)
	floodRefuse                    // refused; already told
	floodPasteCapped               // a paste's line past the cap; tell the user once
	floodDisconnect                // refused too often in a row
)

// newFloodGate: perSecond 0 lets every line through, maxPaste 0 caps no
// paste, maxStrikes 0 never disconnects.
func newFloodGate(perSecond float64, burst, maxPaste, maxStrikes int) *floodGate {
	limit := rate.Limit(perSecond)
	if perSecond == 0 {
		limit = rate.Inf
	}
	return &floodGate{
		bucket:     rate.NewLimiter(limit, burst),
		maxPaste:   maxPaste,
		maxStrikes: maxStrikes,
	}
}

// admit decides about one line arriving at now; pasted says the terminal
// marked it as part of a paste.
func (f *floodGate) admit(now time.Time, pasted bool) floodVerdict {
	if pasted && f.pasteRun > 0 {
		f.pasteRun++
		if f.maxPaste > 0 && f.pasteRun > f.maxPaste {
			if f.pasteRun == f.maxPaste+1 {
				return floodPasteCapped
			}
			return floodRefuse
		}
		if (f.pasteRun-1)%pasteLinesPerToken != 0 || f.bucket.AllowN(now, 1) {
			return floodAllow // most of a paste's lines ride on earlier tokens
		}
		return f.refuse()
	}
	f.pasteRun = 0
	if f.bucket.AllowN(now, 1) {
		f.strikes = 0
		if pasted {
			f.pasteRun = 1
		}
		return floodAllow
	}
	return f.refuse()
}

func (f *floodGate) refuse() floodVerdict {
	f.strikes++
	switch {
	case f.maxStrikes > 0 && f.strikes >= f.maxStrikes:
		return floodDisconnect
	case f.strikes == 1:
		return floodRefuseNotify
	}
	return floodRefuse
}
