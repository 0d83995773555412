package wire

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Pacer spaces all of one client's requests (every goroutine's) to the rate
// the server accepts. PowerSchool lets an administrator set a per-plugin
// minimum interval between API requests and refuses the excess (429 with a
// Retry-After in whole seconds, far coarser than the interval itself), so a
// refusal is taken as a reason to slow down, not to fail.
//
// The limit is learnt from gaps: each request's gap is its send time less
// that of the latest earlier request not refused (a refused request does
// not move the server's clock). A refused gap is a lower bound of the
// server's interval, an accepted one an upper bound, and so is a refused
// gap plus its Retry-After. Until both bounds are known the spacing grows
// fourfold per refusal (from 10 ms); while they are more than 1.5x apart
// it probes their geometric middle; then it settles at the largest
// refused gap plus a margin (5%), approached by 1/16 of the spacing per
// accepted request. A refusal of a gap the server once accepted is arrival
// jitter: it widens the margin (by 5%, shrinking back slowly) instead of
// moving the bound, so jitter cannot ratchet the pace upwards.
//
// A gap is evidence only when the requests around it were answered
// promptly (within a quarter of the spacing of the quickest answer
// lately): a request answered late may have reached the server late (a
// stalled machine), so the server saw another gap. Nor are the gaps of
// requests sent before the first refusal (an unpaced burst may arrive out
// of order). Three refusals of gaps once accepted, with nothing accepted
// between, mean the server has tightened, and the pace is learnt anew.
//
// Requests go one at a time, in the order they asked, each no sooner than
// the spacing after the latest send (measured when it left, so a late send
// delays the next instead of squeezing their gap); the retry of a refused
// request takes the next turn. A known limit (WithRateLimit) is a spacing
// the pacer never goes below.
type Pacer struct {
	onSlow func(from, to time.Duration, why string)
	clock  clock

	mu      sync.Mutex
	model   paceModel
	sends   [paceLog]sendRecord // the latest sends, by id modulo paceLog
	lastID  uint64
	busy    bool            // a request holds the turn
	queue   []chan struct{} // requests waiting for the turn, in order
	changed chan struct{}   // closed when the spacing changes or a request is refused

	requests, refusals, slowdowns atomic.Int64
}

// paceLog is how many sends are kept to find a request's gap.
const paceLog = 64

type sendRecord struct {
	id       uint64
	at       time.Time
	answered time.Time // zero while in flight
	refused  bool
	paced    bool // sent after a refusal was known
}

// PaceStats are what a Pacer has seen so far.
type PaceStats struct {
	Requests  int64         // attempts sent
	Refusals  int64         // attempts the server refused as too many (429)
	SlowDowns int64         // times the pace was slowed
	Interval  time.Duration // current spacing between requests (0: unpaced)
}

// NewPacer returns a pacer that never sends faster than one request every
// min (0: no known limit). onSlow, if not nil, is told of every slow-down.
func NewPacer(min time.Duration, onSlow func(from, to time.Duration, why string)) *Pacer {
	p := &Pacer{onSlow: onSlow, clock: realClock{}, changed: make(chan struct{})}
	p.model.min = min
	p.model.spacing = p.model.clamp(0)
	return p
}

// Ticket identifies one attempt to the pacer.
type Ticket struct {
	id   uint64
	sent time.Time
}

// Wait blocks until the next request may go, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) (Ticket, error) { return p.wait(ctx, false) }

// WaitRetry is Wait for the retry of a refused request: it takes the next
// turn, ahead of requests not yet sent, since the refused one took no turn
// on the server.
func (p *Pacer) WaitRetry(ctx context.Context) (Ticket, error) { return p.wait(ctx, true) }

func (p *Pacer) wait(ctx context.Context, first bool) (Ticket, error) {
	if err := ctx.Err(); err != nil {
		return Ticket{}, err
	}
	p.mu.Lock()
	if p.model.spacing == 0 && !p.busy {
		// Unpaced: no turn to take.
		tk := p.record(p.clock.Now())
		p.mu.Unlock()
		return tk, nil
	}
	p.mu.Unlock()
	if err := p.acquire(ctx, first); err != nil {
		return Ticket{}, err
	}
	defer p.release()
	for {
		p.mu.Lock()
		next, changed := p.next(), p.changed
		p.mu.Unlock()
		d := next.Sub(p.clock.Now())
		if d <= 0 {
			break
		}
		fired, stop := p.clock.After(d)
		select {
		case <-ctx.Done():
			stop()
			return Ticket{}, ctx.Err()
		case <-changed:
			stop()
		case <-fired:
		}
	}
	p.mu.Lock()
	tk := p.record(p.clock.Now())
	p.mu.Unlock()
	return tk, nil
}

// acquire waits for the turn: first puts the caller at the head of the
// queue.
func (p *Pacer) acquire(ctx context.Context, first bool) error {
	p.mu.Lock()
	if !p.busy {
		p.busy = true
		p.mu.Unlock()
		return nil
	}
	w := make(chan struct{})
	if first {
		p.queue = slices.Insert(p.queue, 0, w)
	} else {
		p.queue = append(p.queue, w)
	}
	p.mu.Unlock()
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		if i := slices.Index(p.queue, w); i >= 0 {
			p.queue = slices.Delete(p.queue, i, i+1)
			p.mu.Unlock()
			return ctx.Err()
		}
		p.mu.Unlock()
		p.release() // the turn came as ctx ended: pass it on
		return ctx.Err()
	}
}

func (p *Pacer) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) > 0 {
		w := p.queue[0]
		p.queue = p.queue[1:]
		close(w)
		return
	}
	p.busy = false
}

// next is when the turn's holder may send: the spacing after the latest
// send, refused or not. A refused send does not move the server's clock,
// but the refusal may mean the server saw the request before it late (a
// stalled machine), and sending again at once would be refused in turn.
// Called with mu held.
func (p *Pacer) next() time.Time {
	r := p.sends[p.lastID%paceLog]
	if p.model.spacing == 0 || r.id == 0 {
		return time.Time{}
	}
	return r.at.Add(p.model.spacing)
}

// record notes a send. Called with mu held.
func (p *Pacer) record(at time.Time) Ticket {
	p.lastID++
	p.sends[p.lastID%paceLog] = sendRecord{id: p.lastID, at: at, paced: p.model.throttled}
	p.requests.Add(1)
	return Ticket{id: p.lastID, sent: at}
}

// outcome marks t answered (refused or not) at now and returns its gap:
// its send time less that of the latest earlier send not refused (-1:
// unknown). Its evidence is whether the gap may be trusted: t was paced,
// and the request the gap runs from (for a refusal) or t itself (for an
// acceptance) was answered within a quarter of the spacing of the
// quickest answer lately, so it did not reach the server late (a stalled
// machine) and stretch or squeeze the gap the server saw. Called with mu
// held.
func (p *Pacer) outcome(t Ticket, now time.Time, refused bool) (gap time.Duration, evidence bool) {
	if t.id == 0 || p.sends[t.id%paceLog].id != t.id {
		return -1, false
	}
	self := &p.sends[t.id%paceLog]
	self.answered, self.refused = now, refused
	quick := p.quickest() + p.model.spacing/4
	evidence = self.paced && (refused || now.Sub(self.at) <= quick)
	for id := t.id - 1; id > 0 && id+paceLog > t.id; id-- {
		r := p.sends[id%paceLog]
		if r.id != id {
			break
		}
		if r.refused {
			continue
		}
		if refused {
			answered := r.answered
			if answered.IsZero() {
				answered = now
			}
			evidence = evidence && answered.Sub(r.at) <= quick
		}
		return t.sent.Sub(r.at), evidence
	}
	return -1, false
}

// quickest is the shortest time to an answer among the latest sends.
// Called with mu held.
func (p *Pacer) quickest() time.Duration {
	q := time.Duration(-1)
	for _, r := range p.sends {
		if r.id != 0 && !r.answered.IsZero() {
			if d := r.answered.Sub(r.at); q < 0 || d < q {
				q = d
			}
		}
	}
	return max(q, 0)
}

// broadcast wakes the turn's holder to look again. Called with mu held.
func (p *Pacer) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Accepted records that the request of t was answered (not refused).
func (p *Pacer) Accepted(t Ticket) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	if !p.model.throttled {
		if t.id != 0 && p.sends[t.id%paceLog].id == t.id {
			p.sends[t.id%paceLog].answered = now
		}
		return
	}
	gap, evidence := p.outcome(t, now, false)
	from := p.model.spacing
	p.model.accepted(gap, evidence)
	if p.model.spacing != from {
		p.broadcast()
	}
}

// Refused records that the server refused the request of t as too many,
// and slows the whole client down if the refusal says the pace is too
// fast. retryAfter is the server's hint (0: none).
func (p *Pacer) Refused(t Ticket, retryAfter time.Duration) {
	p.refusals.Add(1)
	p.mu.Lock()
	gap, evidence := p.outcome(t, p.clock.Now(), true)
	from := p.model.spacing
	p.model.refused(gap, retryAfter, evidence)
	to := p.model.spacing
	p.broadcast()
	p.mu.Unlock()
	if to <= from {
		return
	}
	p.slowdowns.Add(1)
	if p.onSlow != nil {
		why := "the server refused a request as too many (HTTP 429)"
		if gap >= 0 {
			why += fmt.Sprintf(" sent %s after the previous one", gap.Round(10*time.Microsecond))
		}
		if retryAfter > 0 {
			why += fmt.Sprintf(", asking to wait %s", retryAfter)
		}
		p.onSlow(from, to, why)
	}
}

// clock is the pacer's time, replaced in tests by a simulated one.
type clock interface {
	Now() time.Time
	// After returns a channel that fires after d, and a func to stop it.
	After(d time.Duration) (<-chan time.Time, func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) After(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// Stats returns what the pacer has seen so far.
func (p *Pacer) Stats() PaceStats {
	p.mu.Lock()
	iv := p.model.spacing
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
