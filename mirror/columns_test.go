package mirror_test

import (
	"context"
	"slices"
	"sort"
	"strconv"
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

// A plan may name a PowerQuery: its rows land in the plan's table under
// the query's column names, reloaded whole each run, with rows deleted in
// PowerSchool gone and unchanged rows not written again.
func TestPowerQuerySource(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 250, []string{"students"})
			plan, err := mirror.ParsePlan([]byte(`
tables:
  - name: student_basic_info
    powerquery: com.pearson.core.student.search.get_student_basic_info
    key: dcid
`))
			if err != nil {
				t.Fatal(err)
			}
			tg, db := st.open(t, "pq")
			first := tableReport(t, sync(t, d, tg, plan), "student_basic_info")
			if first.Strategy != mirror.StrategyFull || first.Inserted != 250 {
				t.Fatalf("first sync: %+v", first)
			}
			var first0, last0 string
			if err := db.QueryRow(`SELECT first_name, last_name FROM student_basic_info ORDER BY dcid LIMIT 1`).Scan(&first0, &last0); err != nil || first0 == "" || last0 == "" {
				t.Fatalf("a row of student_basic_info: %q %q %v", first0, last0, err)
			}
			again := tableReport(t, sync(t, d, tg, plan), "student_basic_info")
			if again.Inserted != 0 || again.Updated != 0 || again.Deleted != 0 {
				t.Errorf("second sync with nothing changed: %+v, want nothing written", again)
			}
			var gone string
			if err := db.QueryRow(`SELECT dcid FROM student_basic_info ORDER BY dcid LIMIT 1 OFFSET 2`).Scan(&gone); err != nil {
				t.Fatal(err)
			}
			dcid, err := strconv.ParseInt(gone, 10, 64)
			if err != nil {
				t.Fatalf("dcid %q: %v", gone, err)
			}
			if err := d.srv.DeleteStudent(context.Background(), dcid); err != nil {
				t.Fatal(err)
			}
			if _, err := d.srv.AddStudent(context.Background(), "Ada", "Added"); err != nil {
				t.Fatal(err)
			}
			third := tableReport(t, sync(t, d, tg, plan), "student_basic_info")
			if third.Inserted != 1 || third.Deleted != 1 || third.Updated != 0 {
				t.Errorf("after one insert and one delete: %+v", third)
			}
			ftg, fresh := st.open(t, "pqfresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, []string{"student_basic_info"})
		})
	}
}
