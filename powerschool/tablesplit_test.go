package powerschool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// bigTable is a table API stand-in that understands what a range-split
// pull sends: q conditions key=gt=N and key=lt=N joined by ';', sort by
// the key, page and pagesize. Each page request deletes one row and
// inserts another, both at random, as a busy district would.
type bigTable struct {
	mu      sync.Mutex
	rows    map[int64]bool
	next    int64 // inserted rows get odd keys
	rng     *rand.Rand
	deep    int // page requests with page > 1
	changed map[int64]bool
}

func (b *bigTable) install(f *fakePS) {
	f.handle("GET /ws/schema/table/u_big/count", func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		defer b.mu.Unlock()
		fmt.Fprintf(w, `{"count":%d}`, len(b.rows))
	})
	f.handle("GET /ws/schema/table/u_big", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		lo, hi := int64(-1<<62), int64(1<<62)
		for _, c := range strings.Split(q.Get("q"), ";") {
			if v, ok := strings.CutPrefix(c, "id=gt="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				lo = max(lo, n+1)
			} else if v, ok := strings.CutPrefix(c, "id=lt="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				hi = min(hi, n)
			} else if c != "" {
				w.WriteHeader(400)
				return
			}
		}
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("pagesize"))
		if size == 0 {
			size = 100
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if page > 1 {
			b.deep++
		}
		var keys []int64
		for k := range b.rows {
			if k >= lo && k < hi {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		if q.Get("sortdescending") == "true" {
			slices.Reverse(keys)
		}
		from := min((page-1)*size, len(keys))
		keys = keys[from:min(from+size, len(keys))]
		var recs []string
		for _, k := range keys {
			recs = append(recs, fmt.Sprintf(`{"id":%d,"name":"U_BIG","tables":{"u_big":{"id":"%d"}}}`, k, k))
		}
		fmt.Fprintf(w, `{"name":"U_BIG","record":[%s]}`, strings.Join(recs, ","))
		// A busy district: one row goes, another comes.
		all := make([]int64, 0, len(b.rows))
		for k := range b.rows {
			all = append(all, k)
		}
		slices.Sort(all)
		gone := all[b.rng.IntN(len(all))]
		delete(b.rows, gone)
		b.changed[gone] = true
		b.next += 2
		b.rows[b.next] = true
		b.changed[b.next] = true
		if in := 2*b.rng.Int64N(int64(len(all))) + 1; !b.rows[in] && !b.changed[in] {
			b.rows[in] = true // a new row between existing keys
			b.changed[in] = true
		}
	})
}

// A table of more than SplitAbove pages with a known key is read in
// ranges (chosen automatically: 6,000 rows in pages of 20), which return
// every row that stayed for the whole pull exactly once, and no row twice,
// while rows are inserted and deleted; no request asks for a page beyond
// the first.
func TestRangeSplitExactlyOnceUnderChanges(t *testing.T) {
	f := newFakePS(t)
	b := &bigTable{rows: map[int64]bool{}, rng: rand.New(rand.NewPCG(1, 2)), changed: map[int64]bool{}}
	for k := int64(2); k <= 12000; k += 2 {
		b.rows[k] = true
	}
	b.next = 12000
	start := len(b.rows)
	b.install(f)
	c := f.client()
	seen := map[int64]int{}
	for r, err := range c.Tables.List(context.Background(), "u_big", &TableListOptions{Key: "id", PageSize: 20, Concurrency: 4}) {
		if err != nil {
			t.Fatalf("after %d rows: %v", len(seen), err)
		}
		seen[int64(r.ID.Int())]++
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, n := range seen {
		if n != 1 {
			t.Errorf("row %d arrived %d times", k, n)
		}
	}
	missing := 0
	for k := int64(2); k <= 12000; k += 2 {
		if !b.changed[k] && seen[k] != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d rows present for the whole pull did not arrive", missing)
	}
	if b.deep > 0 {
		t.Errorf("%d requests asked for a page beyond the first; a range-split pull seeks instead", b.deep)
	}
	if len(b.changed) < 100 {
		t.Errorf("only %d rows changed during the pull; the test needs a busy table", len(b.changed))
	}
	t.Logf("%d rows at the start, %d received, %d changed", start, len(seen), len(b.changed))
}

// The same table paged (RangeSplitNever) loses or repeats rows under the
// same changes: the InconsistentPullError the range split avoids.
func TestPagedPullUnderChangesIsReported(t *testing.T) {
	f := newFakePS(t)
	b := &bigTable{rows: map[int64]bool{}, rng: rand.New(rand.NewPCG(1, 2)), changed: map[int64]bool{}}
	for k := int64(2); k <= 12000; k += 2 {
		b.rows[k] = true
	}
	b.next = 12000
	b.install(f)
	var last error
	for _, err := range f.client().Tables.List(context.Background(), "u_big", &TableListOptions{Key: "id", PageSize: 50, RangeSplit: RangeSplitNever}) {
		if err != nil {
			last = err
		}
	}
	var ie *InconsistentPullError
	if !errors.As(last, &ie) {
		t.Fatalf("paged pull under changes ended with %v, want an InconsistentPullError", last)
	}
}
