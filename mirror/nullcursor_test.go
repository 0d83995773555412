package mirror_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/mirror"
)

// nullsFirst stands in front of the emulator and answers a descending
// sort on transaction_date the way Oracle does when some rows have no
// stamp: NULLs first. A probe that does not filter them out sees no
// newest value, run after run.
func nullsFirst(t *testing.T, d *district) string {
	t.Helper()
	target, err := url.Parse(d.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if strings.HasPrefix(r.URL.Path, "/ws/schema/table/") && strings.EqualFold(q.Get("sort"), "transaction_date") &&
			q.Get("sortdescending") == "true" && !strings.Contains(q.Get("q"), "transaction_date=ge=") {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"record":[{"id":1,"name":"STUDENTS","tables":{"students":{"transaction_date":null}}}]}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Rows seeded without a stamp sort first on a server like Oracle; updates
// made after the first sync (which stamp their rows) must still be found.
func TestProbeIgnoresNullCursorsSortedFirst(t *testing.T) {
	d := newDistrict(t, 200, []string{"students"})
	base := nullsFirst(t, d)
	plan, _ := mirror.TablesPlan([]string{"students"})
	tg := openSQLite(t, t.TempDir()+"/n.db")
	run := func() mirror.TableReport {
		rep, err := mirror.Run(context.Background(), clientFor(t, base, d.creds), tg, plan)
		if err != nil {
			t.Fatal(err)
		}
		return tableReport(t, rep, "students")
	}
	run()
	d.srv.AdvanceClock(time.Hour)
	res, err := d.srv.Mutate(context.Background(), emulator.Mutation{Seed: 3, Update: 40, Tables: []string{"STUDENTS"}})
	if err != nil {
		t.Fatal(err)
	}
	mc := res.Tables["STUDENTS"]
	if mc == nil || mc.Updated == 0 {
		t.Fatalf("the mutate updated no student: %+v", res.Tables)
	}
	inc := run()
	if inc.Strategy != mirror.StrategyIncremental || inc.Updated != mc.Updated {
		t.Errorf("after %d updates: %+v, want an incremental sync that updated them all", mc.Updated, inc)
	}
}
