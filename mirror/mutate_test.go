package mirror_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/mirror"
)

// The tables a warehouse pulls, all of which the emulator's mutate changes
// (u_studentsuserfields has WHENMODIFIED, the others TRANSACTION_DATE),
// plus two it never touches.
var warehouseTables = []string{"students", "cc", "attendance", "pgfinalgrades", "storedgrades", "sections", "u_studentsuserfields", "schools", "courses"}

func mutate(t *testing.T, d *district, seed int64) emulator.MutationResult {
	t.Helper()
	d.srv.AdvanceClock(time.Hour)
	res, err := d.srv.Mutate(context.Background(), emulator.Mutation{Seed: seed, Update: 60, Insert: 20, Delete: 20, Tables: nil})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// After a full sync, a school day of changes (inserts, updates, deletes on
// every synced table) and an incremental sync, every table equals a fresh
// full sync row for row; the incremental read only what changed.
func TestIncrementalAfterMutateEqualsFreshSync(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 300, warehouseTables)
			plan, _ := mirror.TablesPlan(warehouseTables)
			tg, db := st.open(t, "mut")
			first := sync(t, d, tg, plan)
			for _, tr := range first.Tables {
				if tr.Strategy != mirror.StrategyFull || tr.Inserted == 0 {
					t.Fatalf("first sync of %s: %+v", tr.Table, tr)
				}
			}

			// Nothing changed: every table is probed (count, newest) and skipped.
			d.srv.ResetStats()
			again := sync(t, d, tg, plan)
			for _, tr := range again.Tables {
				if tr.Strategy != mirror.StrategyUnchanged || tr.Requests != 2 {
					t.Errorf("unchanged sync of %s: %+v, want unchanged in 2 requests", tr.Table, tr)
				}
			}
			if got, want := tableRequests(d), int64(2*len(warehouseTables)); got != want {
				t.Errorf("the unchanged sync made %d table API requests, want %d", got, want)
			}

			res := mutate(t, d, 7)
			inc := sync(t, d, tg, plan)
			changed := 0
			for _, tr := range inc.Tables {
				mc := res.Tables[strings.ToUpper(tr.Table)]
				if mc == nil {
					if tr.Strategy != mirror.StrategyUnchanged {
						t.Errorf("%s was not changed but synced as %+v", tr.Table, tr)
					}
					continue
				}
				changed++
				// The probe, then one page holding the changes (fewer than a
				// page); a table with deletes adds its key pass.
				if mc.Deleted == 0 && tr.Requests != 3 {
					t.Errorf("%s: %d requests for %d changes, want 3 (probe and one page)", tr.Table, tr.Requests, mc.Inserted+mc.Updated)
				}
				if tr.Strategy != mirror.StrategyIncremental {
					t.Errorf("%s: strategy %s, want incremental", tr.Table, tr.Strategy)
				}
				if tr.Inserted != mc.Inserted || tr.Updated != mc.Updated || tr.Deleted != mc.Deleted {
					t.Errorf("%s: synced +%d ~%d -%d, the emulator changed +%d ~%d -%d", tr.Table, tr.Inserted, tr.Updated, tr.Deleted, mc.Inserted, mc.Updated, mc.Deleted)
				}
			}
			if changed < 4 {
				t.Fatalf("mutate changed only %d of the synced tables: %+v", changed, res.Tables)
			}
			ftg, fresh := st.open(t, "fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, warehouseTables)
		})
	}
}

// A sync killed in the middle of a table after a mutate leaves every
// table whole; the next run finishes the job.
func TestKilledIncrementalThenRerunEqualsFreshSync(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 300, warehouseTables)
			plan, _ := mirror.TablesPlan(warehouseTables)
			tg, db := st.open(t, "killmut")
			sync(t, d, tg, plan)
			before := dumpSQL(t, db, "cc")
			mutate(t, d, 11)

			ctx, cancel := context.WithCancel(context.Background())
			killed := plan
			killed.Progress = func(table string, done, total int) {
				if table == "cc" {
					cancel() // after cc's first page of changes was written
				}
			}
			rep, err := mirror.Run(ctx, d.client(t), tg, killed)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("killed run: %v, want context.Canceled", err)
			}
			if len(rep.Tables) != 2 || rep.Tables[0].Error != "" || rep.Tables[1].Error == "" {
				t.Fatalf("the run should stop in cc, its second table: %+v", rep.Tables)
			}
			if after := dumpSQL(t, db, "cc"); strings.Join(after, "\n") != strings.Join(before, "\n") {
				t.Errorf("cc changed although its transaction was cancelled")
			}

			sync(t, d, tg, plan)
			ftg, fresh := st.open(t, "fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, warehouseTables)
		})
	}
}
