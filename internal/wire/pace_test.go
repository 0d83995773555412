package wire

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is simulated time: waiting on it moves it on at once, so a
// pull of hundreds of requests is simulated in microseconds, the same way
// on any machine.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func() bool) {
	c.set(c.Now().Add(d))
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch, func() bool { return false }
}

// simServer enforces a minimum interval as PowerSchool's plugin setting
// does (and the emulator): a request arriving sooner than the interval
// after the last accepted one is refused, with a Retry-After in whole
// seconds, and does not move the window.
type simServer struct {
	interval   time.Duration
	retryAfter bool
	last       time.Time
}

func (s *simServer) arrive(at time.Time) (bool, time.Duration) {
	if !s.last.IsZero() {
		if wait := s.last.Add(s.interval).Sub(at); wait > 0 {
			if !s.retryAfter {
				return false, 0
			}
			return false, time.Duration(math.Ceil(wait.Seconds())) * time.Second
		}
	}
	s.last = at
	return true, 0
}

type simResult struct {
	attempts, refusals int
	elapsed            time.Duration
}

// simulate pulls n pages one after the other through p from srv: each
// attempt reaches the server delay(k) after it leaves (scheduling jitter)
// and is answered 200µs later; a refused page is sent again until
// accepted.
func simulate(t *testing.T, p *Pacer, clk *fakeClock, srv *simServer, n int, delay func(k int) time.Duration) simResult {
	t.Helper()
	ctx := context.Background()
	start := clk.Now()
	var r simResult
	for range n {
		wait := p.Wait
		for tries := 0; ; tries++ {
			if tries > 30 {
				t.Fatalf("a page refused %d times in a row (spacing %s)", tries, p.Stats().Interval)
			}
			tk, err := wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			r.attempts++
			arrival := clk.Now().Add(delay(r.attempts))
			ok, ra := srv.arrive(arrival)
			clk.set(arrival.Add(200 * time.Microsecond))
			if ok {
				p.Accepted(tk)
				break
			}
			r.refusals++
			p.Refused(tk, ra)
			wait = p.WaitRetry
		}
	}
	r.elapsed = clk.Now().Sub(start)
	return r
}

func simPacer(min time.Duration) (*Pacer, *fakeClock) {
	clk := newFakeClock()
	p := NewPacer(min, nil)
	p.clock = clk
	return p, clk
}

// uniformDelay is a deterministic jitter of up to j.
func uniformDelay(j time.Duration) func(int) time.Duration {
	rng := rand.New(rand.NewPCG(1, 2))
	return func(int) time.Duration { return time.Duration(rng.Int64N(int64(j) + 1)) }
}

// From nothing known, a pull of 200 pages from a server with a minimum
// interval finds the interval and keeps to it: at most 5% of attempts
// refused, and the pull within 1.25x of pages x interval (simulated time)
// from 20ms up, with or without a Retry-After, with arrival jitter of 5% of
// the interval.
func TestPacerLearnsTheServersInterval(t *testing.T) {
	for _, tc := range []struct {
		interval   time.Duration
		retryAfter bool
	}{
		{2 * time.Millisecond, true},
		{20 * time.Millisecond, true},
		{200 * time.Millisecond, true},
		{3 * time.Second, true},
		{20 * time.Millisecond, false},
		{200 * time.Millisecond, false},
	} {
		t.Run(fmt.Sprintf("%s retry-after %t", tc.interval, tc.retryAfter), func(t *testing.T) {
			const pages = 200
			p, clk := simPacer(0)
			r := simulate(t, p, clk, &simServer{interval: tc.interval, retryAfter: tc.retryAfter}, pages, uniformDelay(tc.interval/20))
			ideal := pages * tc.interval
			t.Logf("%d attempts, %d refused, %s for %s (%.2fx), spacing now %s", r.attempts, r.refusals, r.elapsed, ideal, float64(r.elapsed)/float64(ideal), p.Stats().Interval)
			if r.refusals*20 > r.attempts {
				t.Errorf("%d of %d attempts refused, want at most 5%%", r.refusals, r.attempts)
			}
			// Learning costs a few probes of tens of milliseconds, which a
			// 2ms server's whole pull (400ms) cannot absorb.
			if tc.interval >= 20*time.Millisecond && float64(r.elapsed) > 1.25*float64(ideal) {
				t.Errorf("pull took %s of simulated time, want within 1.25x of %s", r.elapsed, ideal)
			}
			if iv := p.Stats().Interval; iv < tc.interval || float64(iv) > 1.2*float64(tc.interval) {
				t.Errorf("spacing settled at %s, want between %s and 1.2x of it", iv, tc.interval)
			}
		})
	}
}

// A request arriving late now and then (the machine busy for a moment)
// makes the next one arrive early and be refused. Such refusals widen the
// margin instead of ratcheting the spacing up: after 1,000 pages with one
// late arrival in 40, the spacing is still within 1.25x of the interval.
func TestPacerJitterDoesNotRatchet(t *testing.T) {
	const interval, pages = 20 * time.Millisecond, 1000
	p, clk := simPacer(0)
	base := uniformDelay(interval / 20)
	late := func(k int) time.Duration {
		if k%40 == 0 {
			return interval / 4
		}
		return base(k)
	}
	r := simulate(t, p, clk, &simServer{interval: interval, retryAfter: true}, pages, late)
	t.Logf("%d attempts, %d refused, %s, spacing now %s", r.attempts, r.refusals, r.elapsed, p.Stats().Interval)
	if iv := p.Stats().Interval; float64(iv) > 1.25*float64(interval) {
		t.Errorf("spacing ratcheted up to %s for a %s server", iv, interval)
	}
	if float64(r.elapsed) > 1.3*float64(pages*interval) {
		t.Errorf("pull took %s of simulated time, want within 1.3x of %s", r.elapsed, pages*interval)
	}
}

// A machine that stalls now and then (one request in 30 reaches the
// server three intervals late, so the next, sent on time, arrives too
// soon after it) costs refusals but does not slow the pace: no margin
// would have prevented them. Nor does a stall while the pace is being
// learnt (the first at each of the first attempts) hold it above the
// server's.
func TestPacerStallsDoNotSlowThePace(t *testing.T) {
	const interval, pages = 20 * time.Millisecond, 300
	for first := 2; first <= 8; first++ {
		p, clk := simPacer(0)
		base := uniformDelay(interval / 20)
		stalls := func(k int) time.Duration {
			if k%30 == first {
				return 3 * interval
			}
			return base(k)
		}
		r := simulate(t, p, clk, &simServer{interval: interval, retryAfter: true}, pages, stalls)
		if iv := p.Stats().Interval; float64(iv) > 1.15*float64(interval) {
			t.Errorf("stalls from attempt %d: %d attempts, %d refused; spacing slowed to %s for a %s server", first, r.attempts, r.refusals, iv, interval)
		}
	}
}

// A server that tightens its interval during a pull (20ms, then 100ms) is
// followed: the pull completes and the pacer settles at the new interval.
func TestPacerFollowsAServerThatTightens(t *testing.T) {
	p, clk := simPacer(0)
	srv := &simServer{interval: 20 * time.Millisecond, retryAfter: true}
	simulate(t, p, clk, srv, 100, uniformDelay(time.Millisecond))
	srv.interval = 100 * time.Millisecond
	r := simulate(t, p, clk, srv, 100, uniformDelay(time.Millisecond))
	t.Logf("after tightening: %d attempts, %d refused, %s, spacing now %s", r.attempts, r.refusals, r.elapsed, p.Stats().Interval)
	if iv := p.Stats().Interval; iv < srv.interval || float64(iv) > 1.25*float64(srv.interval) {
		t.Errorf("spacing %s after the server moved to %s", iv, srv.interval)
	}
	if r.refusals > 20 {
		t.Errorf("%d refusals to follow the server, want at most 20", r.refusals)
	}
}

// A known limit (WithRateLimit) is kept from the first request, so a
// server whose interval it is refuses nothing, and the pacer never goes
// below it however many requests are accepted.
func TestPacerKeepsTheKnownLimit(t *testing.T) {
	const interval = 50 * time.Millisecond
	p, clk := simPacer(interval)
	r := simulate(t, p, clk, &simServer{interval: interval, retryAfter: true}, 100, func(int) time.Duration { return 0 })
	if r.refusals != 0 || p.Stats().Interval != interval {
		t.Errorf("%d refusals, spacing %s; want none and %s", r.refusals, p.Stats().Interval, interval)
	}
	// A server that is slower than the known limit slows the pacer.
	r = simulate(t, p, clk, &simServer{interval: 2 * interval, retryAfter: true}, 100, func(int) time.Duration { return 0 })
	if iv := p.Stats().Interval; iv < 2*interval || r.refusals == 0 || p.Stats().SlowDowns == 0 {
		t.Errorf("spacing %s after a 100ms server (%d refusals), want at least 100ms", iv, r.refusals)
	}
}

// Requests already on their way when the first refusal came (sent at the
// old pace, no further from the last accepted one than the refused one)
// are no evidence: their refusals do not slow the pace again.
func TestPacerIgnoresRefusalsOfAnOlderPace(t *testing.T) {
	var slowed []time.Duration
	p, clk := simPacer(0)
	p.onSlow = func(from, to time.Duration, why string) { slowed = append(slowed, to) }
	ctx := context.Background()
	a, _ := p.Wait(ctx)
	clk.set(clk.Now().Add(time.Millisecond))
	b, _ := p.Wait(ctx) // 1ms after a
	c, _ := p.Wait(ctx) // 1ms after a too (b is refused below)
	p.Accepted(a)
	p.Refused(b, time.Second)
	p.Refused(c, time.Second)
	st := p.Stats()
	if st.Refusals != 2 || st.SlowDowns != 1 || len(slowed) != 1 || st.Interval <= time.Millisecond {
		t.Fatalf("after two refusals at one pace: %+v (told %v); want 2 refusals, 1 slow-down", st, slowed)
	}
	// The next request waits the new spacing after the refused ones (the
	// server may have seen the last accepted one late).
	d, _ := p.WaitRetry(ctx)
	if got := d.sent.Sub(c.sent); got != st.Interval {
		t.Errorf("retry sent %s after the last refused request, want the spacing %s", got, st.Interval)
	}
}

// A retry takes the next turn, ahead of requests queued before it.
func TestPacerRetryTakesTheNextTurn(t *testing.T) {
	p, _ := simPacer(0)
	ctx := context.Background()
	if err := p.acquire(ctx, false); err != nil { // someone holds the turn
		t.Fatal(err)
	}
	queued := func(n int) {
		for {
			p.mu.Lock()
			l := len(p.queue)
			p.mu.Unlock()
			if l == n {
				return
			}
			runtime.Gosched()
		}
	}
	got := make(chan string, 2)
	go func() { p.Wait(ctx); got <- "first request" }()
	queued(1)
	go func() { p.WaitRetry(ctx); got <- "retry" }()
	queued(2)
	p.release()
	if first := <-got; first != "retry" {
		t.Errorf("%s went first, want the retry", first)
	}
	<-got
}

// A request cancelled while queued leaves the queue, and the turn still
// passes to the next one.
func TestPacerCancelWhileQueued(t *testing.T) {
	p, _ := simPacer(0)
	if err := p.acquire(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := p.Wait(ctx); errc <- err }()
	for {
		p.mu.Lock()
		l := len(p.queue)
		p.mu.Unlock()
		if l == 1 {
			break
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("Wait returned no error after cancel")
	}
	p.release()
	p.mu.Lock()
	busy, l := p.busy, len(p.queue)
	p.mu.Unlock()
	if busy || l != 0 {
		t.Errorf("after cancel and release: busy %t, %d queued; want the turn free", busy, l)
	}
}

func TestPacerWaitStopsOnCancel(t *testing.T) {
	p := NewPacer(time.Hour/2, nil)
	ctx, cancel := context.WithCancel(context.Background())
	p.Wait(ctx) // the first goes at once
	cancel()
	if _, err := p.Wait(ctx); err == nil {
		t.Fatal("Wait returned no error after cancel")
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "0": 0, "off": 0, "200ms": 200 * time.Millisecond, "1s": time.Second} {
		if got, err := ParseRate("--rate", in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"5/s", "-1s", "fast", "2h"} {
		if _, err := ParseRate("--rate", in); err == nil || !strings.Contains(err.Error(), "--rate") {
			t.Errorf("ParseRate(%q) error = %v, want one naming --rate", in, err)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"200ms", "0", "off", "1.5s", "5/s", "-3s", "99999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseRate("rate", s)
		if err == nil && (d < 0 || d > paceMax) {
			t.Fatalf("ParseRate(%q) = %s, out of range", s, d)
		}
	})
}
