package mirror_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pskit/pskit/mirror"
)

// studentsRequests is what the emulator counted for the students table
// (its table API routes), apart from the metadata and token.
func tableRequests(d *district) int64 {
	var n int64
	for route, k := range d.srv.Stats().APIRequests {
		if strings.Contains(route, "/ws/schema/table") {
			n += k
		}
	}
	return n
}

// An incremental table (here students with dcid as its cursor, which moves
// on every insert) costs its probe when nothing changed, reads only new rows
// when some were added, and finds deletes from the count.
func TestIncrementalProbeSkipsUnchangedAndFindsInsertsAndDeletes(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 400, []string{"students"})
			ctx := context.Background()
			plan := mirror.Plan{Tables: []mirror.TableSpec{{Name: "students", Cursor: "dcid"}}}
			tg, db := st.open(t, "incr")
			first := tableReport(t, sync(t, d, tg, plan), "students")
			if first.Strategy != mirror.StrategyFull || first.Inserted != 400 {
				t.Fatalf("first sync: %+v", first)
			}

			d.srv.ResetStats()
			again := tableReport(t, sync(t, d, tg, plan), "students")
			if got := tableRequests(d); again.Strategy != mirror.StrategyUnchanged || got != 2 || again.Requests != 2 {
				t.Errorf("unchanged sync: %+v, %d table API requests; want unchanged with 2 (count and newest)", again, got)
			}

			for _, name := range []string{"Ada", "Grace", "Edsger"} {
				if _, err := d.srv.AddStudent(ctx, name, "Added"); err != nil {
					t.Fatal(err)
				}
			}
			for _, n := range []int{5, 50} {
				if err := d.srv.DeleteStudent(ctx, nthDCID(t, db, n)); err != nil {
					t.Fatal(err)
				}
			}
			d.srv.ResetStats()
			inc := tableReport(t, sync(t, d, tg, plan), "students")
			if inc.Strategy != mirror.StrategyIncremental || inc.Inserted != 3 || inc.Updated != 0 || inc.Deleted != 2 {
				t.Errorf("incremental sync: %+v, want 3 inserted and 2 deleted", inc)
			}
			// Probe (2), one page of changes, then the key pass (5 pages of 100 keys,
			// between the counts the SDK makes before and after a listing).
			if got := tableRequests(d); got != int64(inc.Requests) || got != 10 {
				t.Errorf("incremental sync made %d table API requests (report says %d), want 10", got, inc.Requests)
			}

			ftg, fresh := st.open(t, "fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, []string{"students"})
		})
	}
}

// A few deletes in a large table are found by halving key ranges (a count
// per range), not by reading every key.
func TestFewDeletesFoundByBisectingKeyRanges(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 3000, []string{"students"})
			ctx := context.Background()
			plan, _ := mirror.TablesPlan([]string{"students"})
			tg, db := st.open(t, "bisect")
			sync(t, d, tg, plan)
			for _, n := range []int{7, 2100} {
				if err := d.srv.DeleteStudent(ctx, nthDCID(t, db, n)); err != nil {
					t.Fatal(err)
				}
			}
			rep := tableReport(t, sync(t, d, tg, plan), "students")
			keyPass := 1 + 3000/100
			if rep.Deleted != 2 || rep.Requests >= keyPass {
				t.Errorf("students: %+v; want 2 deleted in fewer requests than the %d of a key pass", rep, keyPass)
			}
			ftg, fresh := st.open(t, "fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, []string{"students"})
		})
	}
}
