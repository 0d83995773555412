package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/powerschool"
)

// TestSoakPullSurvivesFaults pulls every student of a 20,000-student
// district while the emulator fails, drops, delays and throttles requests
// and expires every token mid-pull. The pull must end with exactly the
// district's students, each once.
func TestSoakPullSurvivesFaults(t *testing.T) {
	start := time.Now()
	d := bigDistrict(t)
	t.Logf("district ready after %s", time.Since(start).Round(time.Millisecond))
	ctx := context.Background()

	// The expected set, read before any fault is switched on.
	want := map[int64]bool{}
	for s, err := range d.client(t).Students.List(ctx, &powerschool.ListOptions{Concurrency: 4}) {
		if err != nil {
			t.Fatalf("clean pull: %v", err)
		}
		want[int64(s.ID)] = true
	}
	if len(want) != bigStudents {
		t.Fatalf("clean pull: %d distinct students, want %d", len(want), bigStudents)
	}

	t.Logf("clean pull done after %s", time.Since(start).Round(time.Millisecond))
	cfg, err := d.srv.PluginConfig(d.creds.PluginID)
	if err != nil {
		t.Fatal(err)
	}
	throttled := cfg
	throttled.MinInterval = time.Millisecond // concurrent pages then collide: 429 with Retry-After
	if err := d.srv.SetPluginConfig(d.creds.PluginID, throttled); err != nil {
		t.Fatal(err)
	}
	if err := d.srv.SetFaults(emulator.Faults{FailRate: 0.08, DropRate: 0.03, Jitter: 3 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.srv.SetFaults(emulator.Faults{})
		d.srv.SetPluginConfig(d.creds.PluginID, cfg)
	})
	d.srv.ResetStats()

	c := d.client(t)
	var expireOnce sync.Once
	expired := make(chan struct{})
	got := map[int64]int{}
	n := 0
	opts := &powerschool.ListOptions{Concurrency: 4, Progress: func(p powerschool.Progress) {
		if p.Done >= p.Total/3 {
			// From another goroutine, as an administrator would, while pages are in flight.
			expireOnce.Do(func() { go func() { d.srv.ExpireTokens(); close(expired) }() })
		}
	}}
	for s, err := range c.Students.List(ctx, opts) {
		if err != nil {
			t.Fatalf("pull under faults stopped after %d records: %v", n, err)
		}
		got[int64(s.ID)]++
		n++
	}
	<-expired

	if n != bigStudents {
		t.Errorf("received %d records, want %d", n, bigStudents)
	}
	for id, k := range got {
		if k != 1 {
			t.Errorf("student %d received %d times", id, k)
		}
		if !want[id] {
			t.Errorf("student %d is not in the district", id)
		}
	}
	for id := range want {
		if got[id] == 0 {
			t.Errorf("student %d missing", id)
		}
	}

	// The faults really happened: otherwise this test proves nothing.
	st := d.srv.Stats()
	t.Logf("faults %d, throttled %d, token requests %d, statuses %v", st.Faults, st.Throttled, st.TokenRequests, st.Statuses)
	if st.Faults < 10 {
		t.Errorf("only %d injected faults: the soak did not exercise retries", st.Faults)
	}
	if st.Statuses[500] == 0 || st.Statuses[502]+st.Statuses[503] == 0 {
		t.Errorf("statuses %v: want injected 500s and 502/503s", st.Statuses)
	}
	if st.Throttled == 0 {
		t.Error("no 429 answers: the throttle was not exercised")
	}
	if st.TokenRequests < 2 {
		t.Errorf("%d token requests: the expired token was not replaced", st.TokenRequests)
	}
}
