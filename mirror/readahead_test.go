package mirror_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	stdsync "sync"
	"testing"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/mirror"
	ps "github.com/pskit/pskit/powerschool"
)

// recorder keeps the requests a client sends.
type recorder struct {
	mu   stdsync.Mutex
	reqs []*http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// A table of more than powerschool.SplitAbove pages whose key is its DCID
// is read whole by ranges of the key, never by a deep page (which costs
// the server every row before it); a smaller one by pages sorted on its
// key. Every row lands once.
func TestLargeTableIsReadByKeyRanges(t *testing.T) {
	const pageSize = 5
	d := newDistrictWith(t, emulator.Options{Students: 300, Seed: 7, MaxPageSize: pageSize}, []string{"students", "cc"})
	rec := &recorder{}
	c, err := ps.NewClient(ps.WithBaseURL(d.srv.URL()), ps.WithCredentials(d.creds.ClientID, d.creds.ClientSecret), ps.WithHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ccRows, err := c.Tables.Count(ctx, "cc", "")
	if err != nil {
		t.Fatal(err)
	}
	if ccRows <= ps.SplitAbove*pageSize {
		t.Fatalf("cc has %d rows, %d pages: too few to test a large table", ccRows, ccRows/pageSize)
	}
	path := tempDB(t, "split.db")
	tg := openSQLite(t, path)
	plan, _ := mirror.TablesPlan([]string{"students", "cc"})
	if _, err := mirror.Run(ctx, c, tg, plan); err != nil {
		t.Fatal(err)
	}
	ranged, deepStudents := 0, 0
	for _, r := range rec.reqs {
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		switch r.URL.Path {
		case "/ws/schema/table/cc":
			if page > 1 {
				t.Fatalf("cc was read by a deep page: %s", r.URL.RawQuery)
			}
			if strings.Contains(q.Get("q"), "dcid=gt=") {
				ranged++
			}
		case "/ws/schema/table/students":
			if page > 1 {
				deepStudents++
				if q.Get("sort") != "dcid" {
					t.Errorf("students paged without sorting on its key: %s", r.URL.RawQuery)
				}
			}
		}
	}
	if ranged == 0 {
		t.Error("cc was not read by key ranges")
	}
	if deepStudents == 0 {
		t.Error("students (60 pages) should be read by pages")
	}
	db := openDB(t, path)
	var n, distinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT dcid) FROM cc`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != ccRows || distinct != ccRows {
		t.Errorf("cc holds %d rows, %d distinct; want %d once each", n, distinct, ccRows)
	}
}
