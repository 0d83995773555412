package wire

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Pacer spaces all of one client's requests (every goroutine's) to the rate
// the server accepts. PowerSchool lets an administrator set a per-plugin
// minimum interval between API requests and refuses the excess (429 with a
// Retry-After in whole seconds, far coarser than the interval itself), so a
// refusal is taken as a reason to slow down, not to fail:
//
//   - A refusal of a request sent at the current pace (not one already
//     queued or in flight when the pace last changed) slows the pace: at
//     first by doubling the spacing or taking the spacing of the latest
//     accepted requests, near a spacing already refused by a quarter (at
//     most to the server's Retry-After); the refused spacing is remembered
//     as a floor.
//   - Each accepted request shortens the spacing by 1/32 (additive increase
//     of the rate, in effect), never below 1.1 times the floor; the floor
//     itself decays slowly, so a server that relents is followed.
//
// The pace settles just above the server's limit with a refusal now and
// then. A known limit (WithRateLimit) is a spacing the pacer never goes
// below.
type Pacer struct {
	limiter *rate.Limiter
	min     time.Duration // never faster than this (0: no known limit)
	onSlow  func(from, to time.Duration, why string)

	mu        sync.Mutex
	interval  time.Duration // current spacing; 0: unpaced
	floor     time.Duration // spacing at the last refusal, decaying
	epoch     uint64        // bumped at each slow-down
	changed   chan struct{} // closed at each slow-down
	successes uint64        // accepted since the last refusal of any request
	recent    [4]time.Time  // send times of the latest accepted requests, newest first

	requests, refusals, slowdowns atomic.Int64
}

// PaceStats are what a Pacer has seen so far.
type PaceStats struct {
	Requests  int64         // attempts sent
	Refusals  int64         // attempts the server refused as too many (429)
	SlowDowns int64         // times the pace was slowed
	Interval  time.Duration // current spacing between requests (0: unpaced)
}

// Pacing constants: the first spacing tried after a refusal when nothing
// better is known, the margin kept above a refused spacing, and the
// slowest pace the pacer will learn.
const (
	paceSeed   = 10 * time.Millisecond
	paceMax    = time.Minute
	paceMargin = 1.1
)

// NewPacer returns a pacer that never sends faster than one request every
// min (0: no known limit). onSlow, if not nil, is told of every slow-down.
func NewPacer(min time.Duration, onSlow func(from, to time.Duration, why string)) *Pacer {
	p := &Pacer{limiter: rate.NewLimiter(rate.Inf, 1), min: min, onSlow: onSlow, changed: make(chan struct{})}
	if min > 0 {
		p.setInterval(min)
	}
	return p
}

// Ticket identifies one attempt to the pacer.
type Ticket struct {
	epoch uint64
	sent  time.Time
}

// setInterval is called with mu held.
func (p *Pacer) setInterval(d time.Duration) {
	d = max(d, p.min)
	d = min(d, paceMax)
	p.interval = d
	if d <= 0 {
		p.limiter.SetLimit(rate.Inf)
		return
	}
	p.limiter.SetLimit(rate.Every(d))
}

// Wait blocks until the next request may go, or ctx ends.
//
// A turn given at a pace that has since slowed is given up and taken
// again at the new pace: the limiter keeps turns reserved before a change
// of rate, and a queue of workers would otherwise go out at the old pace
// and be refused in turn.
func (p *Pacer) Wait(ctx context.Context) (Ticket, error) {
	for {
		p.mu.Lock()
		epoch, changed := p.epoch, p.changed
		r := p.limiter.Reserve()
		p.mu.Unlock()
		if d := r.Delay(); d > 0 {
			timer := time.NewTimer(d)
			select {
			case <-ctx.Done():
				timer.Stop()
				r.Cancel()
				return Ticket{}, ctx.Err()
			case <-changed:
				timer.Stop()
				r.Cancel()
				continue
			case <-timer.C:
			}
		}
		p.requests.Add(1)
		return Ticket{epoch: epoch, sent: time.Now()}, nil
	}
}

// Accepted records that the request of t was answered (not refused).
func (p *Pacer) Accepted(t Ticket) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !t.sent.IsZero() {
		copy(p.recent[1:], p.recent[:])
		p.recent[0] = t.sent
	}
	p.successes++
	if p.floor > 0 && p.successes%16 == 0 {
		p.floor -= p.floor / 256 // about 1/16 per 256 accepted
	}
	if p.interval > 0 {
		next := p.interval - p.interval/32
		next = max(next, time.Duration(float64(p.floor)*paceMargin))
		if next < p.interval {
			p.setInterval(next)
		}
	}
}

// Refused records that the server refused the request of t as too many,
// and slows the whole client down unless the refusal was of a request sent
// before the last slow-down. retryAfter is the server's hint (0: none).
func (p *Pacer) Refused(t Ticket, retryAfter time.Duration) {
	p.refusals.Add(1)
	p.mu.Lock()
	p.successes = 0
	if t.epoch != p.epoch {
		p.mu.Unlock()
		return
	}
	from := p.interval
	// While exploring (no refused spacing known, or refused below it) the
	// spacing doubles, or jumps to the spacing of the latest accepted
	// requests: a server with a minimum interval accepts one request per
	// interval from a client that sends faster, so that gap measures it.
	// Refused near a known spacing (a delayed request arriving early, a
	// server that tightened), it slows by a quarter, and the remembered
	// spacing moves halfway towards this one, so one late refusal does not
	// hold the pace far above the server's limit.
	var next time.Duration
	if p.floor == 0 || from < p.floor {
		next = max(2*from, paceSeed)
		if gap := p.acceptedGap(); gap > from {
			next = max(from+from/4, gap+gap/20)
		}
		p.floor = max(p.floor, from)
	} else {
		next = from + from/4
		p.floor = (p.floor + from) / 2
	}
	if retryAfter > 0 {
		next = min(next, retryAfter) // the server never asks to wait longer than it needs
		next = max(next, from+1)     // but the pace must slow
	}
	p.setInterval(next)
	p.epoch++
	close(p.changed) // queued turns are taken again at the new pace
	p.changed = make(chan struct{})
	to := p.interval
	p.mu.Unlock()
	p.slowdowns.Add(1)
	if p.onSlow != nil && to != from {
		why := "the server refused a request as too many (HTTP 429)"
		if retryAfter > 0 {
			why += fmt.Sprintf(", asking to wait %s", retryAfter)
		}
		p.onSlow(from, to, why)
	}
}

// acceptedGap is the least spacing between the sends of the latest
// accepted requests (0 when fewer than two are known). Idle time only
// widens a gap, so the least one is nearest the server's.
func (p *Pacer) acceptedGap() time.Duration {
	var gap time.Duration
	for i := 0; i+1 < len(p.recent); i++ {
		a, b := p.recent[i], p.recent[i+1]
		if a.IsZero() || b.IsZero() {
			break
		}
		if d := a.Sub(b); d > 0 && (gap == 0 || d < gap) {
			gap = d
		}
	}
	return gap
}

// Stats returns what the pacer has seen so far.
func (p *Pacer) Stats() PaceStats {
	p.mu.Lock()
	iv := p.interval
	p.mu.Unlock()
	return PaceStats{Requests: p.requests.Load(), Refusals: p.refusals.Load(), SlowDowns: p.slowdowns.Load(), Interval: iv}
}

// ParseRate reads a request spacing as users write it: a Go duration
// between requests ("200ms", "1s"), the form of PowerSchool's own plugin
// setting "minimum time interval between API requests". "0" or "off" means
// no limit. what names the setting in errors (e.g. "--rate").
func ParseRate(what, s string) (time.Duration, error) {
	switch s {
	case "", "0", "off":
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q is not a spacing between requests: give a duration such as 200ms or 1s (the plugin's minimum interval between API requests), or 0 for none", what, s)
	}
	if d > paceMax {
		return 0, fmt.Errorf("%s %s is longer than %s between requests; give a shorter spacing, or 0 for none", what, d, paceMax)
	}
	return d, nil
}
