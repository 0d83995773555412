package powerschool_test

import (
	"context"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	ps "github.com/pskit/pskit/powerschool"
)

// A pull from a server that refuses requests closer than its minimum
// interval (the emulator's per-plugin throttle, 429 with a Retry-After in
// whole seconds) completes with every record exactly once at the default
// concurrency: refusals slow the client down instead of failing the pull.
func TestThrottledPullCompletes(t *testing.T) {
	ctx := context.Background()
	const students = 1000
	srv, err := emulator.Start(ctx, emulator.Options{Students: students, MaxPageSize: 50, MinInterval: 20 * time.Millisecond, Plugin: emulator.DefaultPlugin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cr := srv.Credentials()
	c, err := ps.NewClient(ps.WithBaseURL(cr.URL), ps.WithCredentials(cr.ClientID, cr.ClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for s, err := range c.Students.List(ctx, nil) {
		if err != nil {
			t.Fatalf("after %d records: %v", len(seen), err)
		}
		seen[int64(s.ID)]++
	}
	if len(seen) != students {
		t.Errorf("%d distinct students, want %d", len(seen), students)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("student %d arrived %d times", id, n)
		}
	}
	st := c.Stats()
	if st.Refusals > 0 && st.SlowDowns == 0 {
		t.Errorf("stats %+v: refusals without a slow-down", st)
	}
	t.Logf("stats: %+v", st)
}
