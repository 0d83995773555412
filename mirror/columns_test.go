package mirror_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pskit/pskit/mirror"
)

// rosterColumns are the STUDENTS columns a roster needs.
var rosterColumns = []string{"id", "student_number", "first_name", "last_name", "grade_level", "schoolid", "enroll_status"}

// A plan that names a table's columns reads only those (with the key and
// cursor) and lands them under PowerSchool's names; an incremental sync
// after a mutate still equals a fresh sync of the same plan.
func TestPlanColumnsReadOnlyThoseColumns(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 300, []string{"students"})
			plan := mirror.Plan{Tables: []mirror.TableSpec{{Name: "students", Columns: rosterColumns}}}
			tg, db := st.open(t, "cols")
			first := tableReport(t, sync(t, d, tg, plan), "students")
			if first.Inserted != 300 {
				t.Fatalf("first sync: %+v", first)
			}
			rows, err := db.Query(`SELECT * FROM students LIMIT 1`)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			rows.Close()
			sort.Strings(cols)
			want := append([]string{"_raw", "dcid", "transaction_date"}, rosterColumns...)
			sort.Strings(want)
			if !slices.Equal(cols, want) {
				t.Errorf("students has columns %v, want %v (the plan's, the key, the cursor and _raw)", cols, want)
			}
			var raw string
			if err := db.QueryRow(`SELECT CAST(_raw AS TEXT) FROM students LIMIT 1`).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(strings.ToLower(raw), "home_phone") || !strings.Contains(strings.ToLower(raw), "first_name") {
				t.Errorf("_raw should hold the projected record only: %s", raw)
			}

			d.srv.ResetStats()
			if again := tableReport(t, sync(t, d, tg, plan), "students"); again.Strategy != mirror.StrategyUnchanged {
				t.Errorf("unchanged sync: %+v", again)
			}
			mutate(t, d, 5)
			inc := tableReport(t, sync(t, d, tg, plan), "students")
			if inc.Strategy != mirror.StrategyIncremental || inc.Inserted+inc.Updated == 0 {
				t.Errorf("after a mutate: %+v, want an incremental sync that wrote rows", inc)
			}
			ftg, fresh := st.open(t, "colsfresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, []string{"students"})
		})
	}
}

// A column the plugin may not read (or that does not exist) is named in
// the error, with what to do.
func TestPlanColumnsUnknownColumn(t *testing.T) {
	d := newDistrict(t, 20, []string{"students"})
	plan := mirror.Plan{Tables: []mirror.TableSpec{{Name: "students", Columns: []string{"first_name", "shoe_size"}}}}
	tg := openSQLite(t, t.TempDir()+"/x.db")
	_, err := mirror.Run(context.Background(), d.client(t), tg, plan)
	if err == nil || !strings.Contains(err.Error(), "shoe_size") || !strings.Contains(err.Error(), "access_request") {
		t.Fatalf("err = %v, want one naming shoe_size and <access_request>", err)
	}
}
