package powerschool_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
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

// The emulator's STUDENTS table, read in ranges of its key (DCID), gives
// every student once and in key order.
func TestRangeSplitAgainstEmulator(t *testing.T) {
	ctx := context.Background()
	const students = 3000
	srv, err := emulator.Start(ctx, emulator.Options{Students: students, MaxPageSize: 50, Plugin: emulator.DefaultPlugin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cr := srv.Credentials()
	rec := &queryRecorder{base: http.DefaultTransport}
	c, err := ps.NewClient(ps.WithBaseURL(cr.URL), ps.WithCredentials(cr.ClientID, cr.ClientSecret), ps.WithHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		t.Fatal(err)
	}
	seen, last := map[int]bool{}, 0
	for r, err := range c.Tables.List(ctx, "students", &ps.TableListOptions{Projection: []string{"dcid", "lastfirst"}, PageSize: 50, RangeSplit: ps.RangeSplitAlways}) {
		if err != nil {
			t.Fatalf("after %d rows: %v", len(seen), err)
		}
		id := r.ID.Int()
		if seen[id] || id <= last {
			t.Fatalf("row %d after %d: repeated or out of order", id, last)
		}
		seen[id], last = true, id
	}
	if len(seen) != students {
		t.Errorf("%d rows, want %d", len(seen), students)
	}
	// RangeSplitAlways: the pull read ranges of DCID by
	// seek, never a page beyond the first.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	ranges := 0
	for _, q := range rec.queries {
		if q.Get("page") != "" && q.Get("page") != "1" {
			t.Errorf("a request asked for page %s: %v", q.Get("page"), q)
		}
		if strings.Contains(q.Get("q"), "dcid=gt=") {
			ranges++
		}
	}
	if ranges < students/50 {
		t.Errorf("%d range requests, want at least one per page (%d)", ranges, students/50)
	}
}

// queryRecorder keeps the query of every table API request.
type queryRecorder struct {
	base    http.RoundTripper
	mu      sync.Mutex
	queries []url.Values
}

func (r *queryRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, "/ws/schema/table/") {
		r.mu.Lock()
		r.queries = append(r.queries, req.URL.Query())
		r.mu.Unlock()
	}
	return r.base.RoundTrip(req)
}
