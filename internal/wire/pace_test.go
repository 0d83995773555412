package wire

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestPacerSlowsOncePerEpochAndRecovers(t *testing.T) {
	var slowed []time.Duration
	p := NewPacer(0, func(from, to time.Duration, why string) { slowed = append(slowed, to) })
	ctx := context.Background()
	a, _ := p.Wait(ctx)
	b, _ := p.Wait(ctx) // sent at the same pace as a
	p.Refused(a, time.Second)
	p.Refused(b, time.Second) // already in flight: no second slow-down
	if st := p.Stats(); st.Refusals != 2 || st.SlowDowns != 1 || st.Interval != paceSeed {
		t.Fatalf("after two refusals of one pace: %+v, want 2 refusals, 1 slow-down, spacing %s", st, paceSeed)
	}
	c, _ := p.Wait(ctx)
	p.Refused(c, time.Second)
	if got := p.Stats().Interval; got != 2*paceSeed {
		t.Fatalf("spacing after a refusal at the new pace = %s, want %s", got, 2*paceSeed)
	}
	// Accepted requests speed up again, but not below 1.1 x the refused spacing.
	for range 100 {
		tk, _ := p.Wait(ctx)
		p.Accepted(tk)
	}
	if got := p.Stats().Interval; got >= 2*paceSeed || got < paceSeed {
		t.Fatalf("spacing after 100 accepted = %s, want between %s and %s", got, paceSeed, 2*paceSeed)
	}
	if len(slowed) != 2 {
		t.Errorf("onSlow told %d times, want 2", len(slowed))
	}
}

func TestPacerNeverFasterThanKnownLimitNorSlowerThanRetryAfter(t *testing.T) {
	p := NewPacer(50*time.Millisecond, nil)
	tk := Ticket{}
	p.Accepted(tk)
	if got := p.Stats().Interval; got != 50*time.Millisecond {
		t.Fatalf("spacing = %s, want the known 50ms", got)
	}
	p.Refused(tk, 60*time.Millisecond)
	if got := p.Stats().Interval; got != 60*time.Millisecond {
		t.Fatalf("spacing = %s, want the 60ms Retry-After as the cap", got)
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
