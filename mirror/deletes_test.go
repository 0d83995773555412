package mirror_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/mirror"
	ps "github.com/pskit/pskit/powerschool"
)

// A delete and an insert the same day leave PowerSchool's count where it
// was. The search for deletes, made before the table's transaction
// against the target as committed, counts the new rows it has read in: it
// finds the deleted rows (the highest key among them, in the range the new
// keys land in) in fewer requests than a key pass.
func TestDeletesWithEqualInsertsFoundBeforeTheTransaction(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 3000, []string{"students"})
			ctx := context.Background()
			plan, _ := mirror.TablesPlan([]string{"students"})
			tg, db := st.open(t, "deladd")
			sync(t, d, tg, plan)
			d.srv.AdvanceClock(time.Hour)
			gone := []int64{nthDCID(t, db, 1000), nthDCID(t, db, 3000)} // 3000: the highest key
			for _, name := range []string{"Ada", "Grace"} {
				if _, err := d.srv.AddStudent(ctx, name, "Added"); err != nil {
					t.Fatal(err)
				}
			}
			for _, dcid := range gone {
				if err := d.srv.DeleteStudent(ctx, dcid); err != nil {
					t.Fatal(err)
				}
			}
			rep := tableReport(t, sync(t, d, tg, plan), "students")
			keyPass := 2 + 3000/100
			if rep.Strategy != mirror.StrategyIncremental || rep.Inserted != 2 || rep.Deleted != 2 || rep.Requests >= keyPass {
				t.Errorf("students: %+v; want 2 inserted and 2 deleted in fewer requests than the %d of a key pass", rep, keyPass)
			}
			ftg, fresh := st.open(t, "fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, []string{"students"})
		})
	}
}

// A change bigger than what the run holds in memory is read, and its
// deletes searched, inside the table's transaction: the rows read
// beforehand are written first, the rest follow.
func TestBigChangeReadInsideTheTransaction(t *testing.T) {
	defer mirror.SetPrefetchRows(100)() // one page
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 3000, []string{"students"})
			plan, _ := mirror.TablesPlan([]string{"students"})
			tg, db := st.open(t, "big")
			sync(t, d, tg, plan)
			d.srv.AdvanceClock(time.Hour)
			res, err := d.srv.Mutate(context.Background(), emulator.Mutation{Seed: 3, Update: 250, Insert: 3, Delete: 2, Tables: []string{"STUDENTS"}})
			if err != nil {
				t.Fatal(err)
			}
			mc := res.Tables["STUDENTS"]
			if mc == nil || mc.Inserted+mc.Updated <= 200 || mc.Deleted == 0 {
				t.Fatalf("the mutate should change more than two pages of students and delete some: %+v", res.Tables)
			}
			rep := tableReport(t, sync(t, d, tg, plan), "students")
			if rep.Inserted != mc.Inserted || rep.Updated != mc.Updated || rep.Deleted != mc.Deleted {
				t.Errorf("students: synced +%d ~%d -%d, the emulator changed +%d ~%d -%d", rep.Inserted, rep.Updated, rep.Deleted, mc.Inserted, mc.Updated, mc.Deleted)
			}
			ftg, fresh := st.open(t, "fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, []string{"students"})
		})
	}
}

// cancelOn cancels a run when it sends a request matching match.
type cancelOn struct {
	match  func(*http.Request) bool
	cancel context.CancelFunc
}

func (c *cancelOn) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.match(r) {
		c.cancel()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A run killed while it searches for deleted rows (before any transaction
// of the table opened) leaves every table as the last run left it, and
// the next run finishes the job.
func TestKilledDuringDeleteSearchThenRerunEqualsFreshSync(t *testing.T) {
	tables := []string{"students", "cc"}
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 3000, tables)
			plan, _ := mirror.TablesPlan(tables)
			tg, db := st.open(t, "killsearch")
			sync(t, d, tg, plan)
			before := map[string][]string{}
			for _, tb := range tables {
				before[tb] = dumpSQL(t, db, tb)
			}
			d.srv.AdvanceClock(time.Hour)
			if _, err := d.srv.Mutate(context.Background(), emulator.Mutation{Seed: 5, Update: 20, Insert: 2, Delete: 2}); err != nil {
				t.Fatal(err)
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			searching := &cancelOn{cancel: cancel, match: func(r *http.Request) bool {
				return strings.HasSuffix(r.URL.Path, "/count") && strings.Contains(r.URL.Query().Get("q"), "dcid=")
			}}
			c, err := ps.NewClient(ps.WithBaseURL(d.srv.URL()), ps.WithCredentials(d.creds.ClientID, d.creds.ClientSecret),
				ps.WithHTTPClient(&http.Client{Transport: searching}))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := mirror.Run(ctx, c, tg, plan)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("killed run: %v, want context.Canceled (did it search key ranges?)", err)
			}
			// A table may have landed whole before the kill; every other
			// one is as the last run left it.
			cut := 0
			for _, tb := range tables {
				landed := false
				for _, tr := range rep.Tables {
					landed = landed || (tr.Table == tb && tr.Error == "")
				}
				if landed {
					continue
				}
				cut++
				if after := dumpSQL(t, db, tb); strings.Join(after, "\n") != strings.Join(before[tb], "\n") {
					t.Errorf("%s changed although the run was killed before it landed", tb)
				}
			}
			if cut == 0 {
				t.Fatalf("every table landed: the kill came too late to test anything: %+v", rep.Tables)
			}

			sync(t, d, tg, plan)
			ftg, fresh := st.open(t, "fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, tables)
		})
	}
}
