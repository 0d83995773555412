package mirror_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pskit/pskit/mirror"
)

var mainTables = []string{"schools", "students", "cc", "u_studentsuserfields"}

func TestSQLiteFirstSyncLandsTablesStateAndRunLog(t *testing.T) {
	d := newDistrict(t, 300, mainTables)
	path := tempDB(t, "d.db")
	plan, err := mirror.TablesPlan(mainTables)
	if err != nil {
		t.Fatal(err)
	}
	rep := sync(t, d, openSQLite(t, path), plan)
	if rep.Status != "ok" {
		t.Fatalf("status %q: %+v", rep.Status, rep.Tables)
	}
	st := tableReport(t, rep, "students")
	if st.Strategy != mirror.StrategyFull || st.Inserted != 300 || st.Updated != 0 || st.Deleted != 0 {
		t.Errorf("students report: %+v, want a full load of 300 rows", st)
	}
	db := openDB(t, path)
	var n int
	var first, raw string
	// PowerSchool's own column names, lower case, with its meanings.
	if err := db.QueryRow(`SELECT count(*), min(first_name), min(_raw) FROM students WHERE dcid IS NOT NULL AND id IS NOT NULL
	  AND student_number IS NOT NULL AND last_name IS NOT NULL AND grade_level IS NOT NULL AND schoolid IS NOT NULL AND enroll_status IS NOT NULL`).Scan(&n, &first, &raw); err != nil {
		t.Fatal(err)
	}
	if n != 300 || first == "" || !strings.Contains(raw, `"dcid"`) {
		t.Errorf("students: %d complete rows, first name %q, raw %q", n, first, raw)
	}
	var typ string
	if err := db.QueryRow(`SELECT typeof(grade_level) FROM students LIMIT 1`).Scan(&typ); err != nil || typ != "integer" {
		t.Errorf("grade_level is stored as %q (%v), want integer from the metadata's Long", typ, err)
	}
	var states, runs int
	db.QueryRow(`SELECT count(*) FROM _pskit_sync_state`).Scan(&states)
	db.QueryRow(`SELECT count(*) FROM _pskit_runs WHERE status = 'ok' AND report_json LIKE '%"students"%'`).Scan(&runs)
	if states != len(mainTables) || runs != 1 {
		t.Errorf("state rows %d (want %d), ok runs logged %d (want 1)", states, len(mainTables), runs)
	}
}

func TestResyncEqualsFreshSyncAfterInsertsAndDeletes(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 250, mainTables)
			ctx := context.Background()
			plan, _ := mirror.TablesPlan(mainTables)
			tg, db := st.open(t, "inc")
			sync(t, d, tg, plan)

			if _, err := d.srv.AddStudent(ctx, "Ada", "Lovelace"); err != nil {
				t.Fatal(err)
			}
			if err := d.srv.DeleteStudent(ctx, nthDCID(t, db, 3)); err != nil {
				t.Fatal(err)
			}
			rep := sync(t, d, tg, plan)
			tr := tableReport(t, rep, "students")
			if tr.Inserted != 1 || tr.Deleted != 1 || tr.Updated != 0 {
				t.Errorf("students after adding one and deleting one: %+v, want 1 inserted and 1 deleted", tr)
			}
			ftg, fresh := st.open(t, "fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, mainTables)
		})
	}
}

func TestCancelledSyncLeavesTargetConsistentAndRerunFinishes(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 600, mainTables)
			ctx := context.Background()
			plan, _ := mirror.TablesPlan(mainTables)
			plan.Tables[1].Strategy = mirror.StrategyFull // students: a long read to kill
			tg, db := st.open(t, "kill")
			sync(t, d, tg, plan)
			if _, err := d.srv.AddStudent(ctx, "Grace", "Hopper"); err != nil {
				t.Fatal(err)
			}
			gone := nthDCID(t, db, 10)
			if err := d.srv.DeleteStudent(ctx, gone); err != nil {
				t.Fatal(err)
			}

			// Kill the run in the middle of students, after rows were written.
			cctx, cancel := context.WithCancel(ctx)
			killed := plan
			killed.Progress = func(table string, done, total int) {
				if table == "students" && done >= 200 {
					cancel()
				}
			}
			rep, err := mirror.Run(cctx, d.client(t), tg, killed)
			if err == nil || !errors.Is(err, context.Canceled) {
				t.Fatalf("the cancelled run returned %v, want context.Canceled", err)
			}
			if tr := tableReport(t, rep, "students"); tr.Error == "" {
				t.Errorf("students should report the cancellation: %+v", tr)
			}
			// Nothing of the half-read table is visible: it still holds the first sync.
			var n, kept int
			if err := db.QueryRow(`SELECT count(*), count(CASE WHEN dcid = $1 THEN 1 END) FROM students`, gone).Scan(&n, &kept); err != nil {
				t.Fatal(err)
			}
			if n != 600 || kept != 1 {
				t.Errorf("after the kill students holds %d rows (deleted dcid %d: %d); want the first sync's 600 with it", n, gone, kept)
			}
			var status string
			db.QueryRow(`SELECT status FROM _pskit_runs ORDER BY started_at DESC LIMIT 1`).Scan(&status)
			if status != "failed" {
				t.Errorf("the killed run is logged as %q, want failed", status)
			}

			sync(t, d, tg, plan)
			ftg, fresh := st.open(t, "fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, mainTables)
		})
	}
}

func TestSQLiteSecondRunIsRefusedWhileOneHoldsTheLock(t *testing.T) {
	path := tempDB(t, "lock.db")
	a, b := openSQLite(t, path), openSQLite(t, path)
	unlock, err := a.Lock(context.Background(), "https://district.example")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(context.Background(), "https://district.example")
	if !errors.Is(err, mirror.ErrLocked) || !strings.Contains(err.Error(), "wait") {
		t.Fatalf("second lock: %v, want ErrLocked saying to wait", err)
	}
	unlock()
	unlock2, err := b.Lock(context.Background(), "https://district.example")
	if err != nil {
		t.Fatalf("after the first run ended: %v", err)
	}
	unlock2()
}

// nthDCID is the DCID of the nth student (from 1) in a synced target.
func nthDCID(t testing.TB, db *sql.DB, n int) int64 {
	t.Helper()
	var dcid int64
	if err := db.QueryRow(fmt.Sprintf(`SELECT dcid FROM students ORDER BY dcid LIMIT 1 OFFSET %d`, n-1)).Scan(&dcid); err != nil {
		t.Fatal(err)
	}
	return dcid
}
