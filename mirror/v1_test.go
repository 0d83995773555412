package mirror_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/mirror"
)

// plainGet reads url with a token got by plain HTTP (no SDK) and decodes
// the JSON body into out.
func plainGet(t testing.TB, d *district, path string, q url.Values, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	form := strings.NewReader("grant_type=client_credentials")
	req, _ := http.NewRequestWithContext(ctx, "POST", d.srv.URL()+"/oauth/access_token", form)
	req.SetBasicAuth(d.creds.ClientID, d.creds.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if tok.AccessToken == "" {
		t.Fatalf("no token: HTTP %d", res.StatusCode)
	}
	req, _ = http.NewRequestWithContext(ctx, "GET", d.srv.URL()+path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: HTTP %d: %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

// v1RosterColumns are the STUDENTS columns a roster's SQL relies on.
var v1RosterColumns = []string{"dcid", "id", "student_number", "first_name", "last_name", "grade_level", "schoolid", "enroll_status"}

// tableAPIStudents reads v1RosterColumns of every student through the table
// API, by plain HTTP, as sorted lines.
func tableAPIStudents(t testing.TB, d *district) map[string]string {
	t.Helper()
	out := map[string]string{}
	for page := 1; ; page++ {
		var body struct {
			Record []struct {
				Tables map[string]map[string]any `json:"tables"`
			} `json:"record"`
		}
		plainGet(t, d, "/ws/schema/table/students", url.Values{"projection": {strings.Join(v1RosterColumns, ",")}, "pagesize": {"100"}, "page": {fmt.Sprint(page)}}, &body)
		for _, r := range body.Record {
			f := r.Tables["students"]
			var b strings.Builder
			for _, c := range v1RosterColumns {
				fmt.Fprintf(&b, "%s=%v|", c, f[c])
			}
			out[fmt.Sprint(f["dcid"])] = b.String()
		}
		if len(body.Record) < 100 {
			return out
		}
	}
}

// targetStudents reads v1RosterColumns of the target's students.
func targetStudents(t testing.TB, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT ` + strings.Join(v1RosterColumns, ", ") + ` FROM students`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		vals := make([]any, len(v1RosterColumns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, c := range v1RosterColumns {
			v := normalize(vals[i])
			if v == nil {
				v = "<nil>"
			}
			fmt.Fprintf(&b, "%s=%v|", c, v)
		}
		out[fmt.Sprint(normalize(vals[0]))] = b.String()
	}
	return out
}

// /ws/v1 students land in students under PowerSchool's column names and
// meanings: each row equals what the table API says of the same student
// (dcid is the v1 id, id is STUDENTS.ID, schoolid the school's number,
// enroll_status the code).
func TestV1StudentsLandUnderPowerSchoolNames(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 250, []string{"students"})
			plan := mirror.Plan{Tables: []mirror.TableSpec{{Resource: "students"}}}
			tg, db := st.open(t, "v1stu")
			rep := tableReport(t, sync(t, d, tg, plan), "students")
			if rep.Strategy != mirror.StrategyFull || rep.Inserted != 250 {
				t.Fatalf("first sync: %+v, want 250 students inserted", rep)
			}
			got, want := targetStudents(t, db), tableAPIStudents(t, d)
			if len(want) != 250 || len(got) != len(want) {
				t.Fatalf("the target holds %d students, the table API %d", len(got), len(want))
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("student %s:\n target    %s\n table API %s", k, got[k], w)
				}
			}

			// v1's own view, by plain HTTP: local_id is student_number, the
			// enroll_status letter keeps its v1 path.
			var v1 struct {
				Students struct {
					Student []struct {
						ID               int64 `json:"id"`
						LocalID          int64 `json:"local_id"`
						SchoolEnrollment struct {
							EnrollStatus string `json:"enroll_status"`
							SchoolID     int64  `json:"school_id"`
						} `json:"school_enrollment"`
					} `json:"student"`
				} `json:"students"`
			}
			plainGet(t, d, "/ws/v1/district/student", url.Values{"expansions": {"school_enrollment"}, "pagesize": {"100"}}, &v1)
			if len(v1.Students.Student) == 0 {
				t.Fatal("no /ws/v1 students")
			}
			for _, s := range v1.Students.Student {
				var num int64
				var letter string
				var school int64
				if err := db.QueryRow(`SELECT student_number, school_enrollment_enroll_status, school_dcid FROM students WHERE dcid = `+fmt.Sprint(s.ID)).Scan(&num, &letter, &school); err != nil {
					t.Fatalf("student %d: %v", s.ID, err)
				}
				if num != s.LocalID || letter != s.SchoolEnrollment.EnrollStatus || school != s.SchoolEnrollment.SchoolID {
					t.Errorf("student %d: target (%d, %s, %d), /ws/v1 (%d, %s, %d)", s.ID, num, letter, school, s.LocalID, s.SchoolEnrollment.EnrollStatus, s.SchoolEnrollment.SchoolID)
				}
			}

			// Nothing changed: the table API probe (count, newest
			// TRANSACTION_DATE) skips the table in two requests.
			d.srv.ResetStats()
			again := tableReport(t, sync(t, d, tg, plan), "students")
			if again.Strategy != mirror.StrategyUnchanged || again.Requests != 2 || tableRequests(d) != 2 {
				t.Errorf("unchanged sync: %+v with %d table API requests; want unchanged in 2", again, tableRequests(d))
			}
		})
	}
}

// The roster's /ws/v1 resources after a school day of changes: each
// changed table is reloaded (inserts, updates and deletes found) and
// equals a fresh full sync row for row; the others cost their probe.
func TestV1AfterMutateEqualsFreshSync(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 200, []string{"students", "schools", "sections", "cc", "courses", "terms", "users", "schoolstaff"})
			plan, err := mirror.Preset("roster-v1")
			if err != nil {
				t.Fatal(err)
			}
			tables := []string{"district", "schools", "students", "users", "terms", "courses", "sections", "cc"}
			tg, db := st.open(t, "v1mut")
			first := sync(t, d, tg, plan)
			for i, tr := range first.Tables {
				if tr.Table != tables[i] || tr.Strategy != mirror.StrategyFull || tr.Inserted == 0 {
					t.Fatalf("first sync of %s: %+v", tables[i], tr)
				}
			}
			var dropped int
			if err := db.QueryRow(`SELECT count(*) FROM cc WHERE sectionid IS NULL OR studentid IS NULL OR id IS NULL`).Scan(&dropped); err != nil || dropped != 0 {
				t.Errorf("cc rows without the table API's id, studentid, sectionid: %d (%v)", dropped, err)
			}

			res := mutate(t, d, 7)
			inc := sync(t, d, tg, plan)
			for _, tr := range inc.Tables {
				upper := strings.ToUpper(tr.Table)
				mc := res.Tables[upper]
				switch {
				case tr.Table == "district":
					if tr.Strategy != mirror.StrategyFull || tr.Inserted != 1 || tr.Deleted != 1 {
						t.Errorf("district (keyless, no probe): %+v, want reloaded", tr)
					}
				case mc == nil:
					if tr.Strategy != mirror.StrategyUnchanged {
						t.Errorf("%s was not changed but synced as %+v", tr.Table, tr)
					}
				default:
					if tr.Strategy != mirror.StrategyFull {
						t.Errorf("%s changed: strategy %s, want full (reloaded)", tr.Table, tr.Strategy)
					}
					if tr.Table != "sections" && (tr.Inserted != mc.Inserted || tr.Deleted != mc.Deleted) {
						t.Errorf("%s: synced +%d ~%d -%d, the emulator changed +%d ~%d -%d", tr.Table, tr.Inserted, tr.Updated, tr.Deleted, mc.Inserted, mc.Updated, mc.Deleted)
					}
					// Sections' changes may lie in columns /ws/v1 does not show.
					if tr.Table != "sections" && tr.Inserted+tr.Updated+tr.Deleted == 0 {
						t.Errorf("%s: the reload found none of the emulator's changes %+v", tr.Table, mc)
					}
				}
			}
			for _, want := range []string{"STUDENTS", "CC"} {
				if res.Tables[want] == nil {
					t.Fatalf("mutate left %s alone: %+v", want, res.Tables)
				}
			}
			ftg, fresh := st.open(t, "v1fresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, tables)
		})
	}
}

// A plugin that may read /ws/v1 but no table: the rows land all the same
// (id, which only the table API has, is NULL), and with no cursor to
// probe the table is reloaded each run, writing nothing that did not
// change.
func TestV1WithoutTableAccessReloadsEveryRun(t *testing.T) {
	d := newDistrict(t, 120, nil)
	plan := mirror.Plan{Tables: []mirror.TableSpec{{Resource: "students"}, {Resource: "section_enrollments"}}}
	path := tempDB(t, "v1only.db")
	tg := openSQLite(t, path)
	first := sync(t, d, tg, plan)
	for _, tr := range first.Tables {
		if tr.Strategy != mirror.StrategyFull || tr.Inserted == 0 {
			t.Fatalf("first sync of %s: %+v", tr.Table, tr)
		}
	}
	db := openDB(t, path)
	var n, ids int
	if err := db.QueryRow(`SELECT count(*), count(id) FROM students`).Scan(&n, &ids); err != nil {
		t.Fatal(err)
	}
	if n != 120 || ids != 0 {
		t.Errorf("students: %d rows, %d with an id; want 120 and none (STUDENTS.ID is not in /ws/v1)", n, ids)
	}
	again := sync(t, d, tg, plan)
	for _, tr := range again.Tables {
		if tr.Strategy != mirror.StrategyFull || tr.Inserted+tr.Updated+tr.Deleted != 0 {
			t.Errorf("second sync of %s: %+v, want reloaded with nothing written", tr.Table, tr)
		}
	}
}

// A v1 sync killed while reading section enrollments (several sections
// at once) leaves cc as it was; the next run finishes the job.
func TestV1KilledThenRerunEqualsFreshSync(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			d := newDistrict(t, 200, []string{"students", "cc"})
			plan := mirror.Plan{Tables: []mirror.TableSpec{{Resource: "students"}, {Resource: "section_enrollments"}}}
			tg, db := st.open(t, "v1kill")
			sync(t, d, tg, plan)
			before := dumpSQL(t, db, "cc")
			mutate(t, d, 3)

			ctx, cancel := context.WithCancel(context.Background())
			killed := plan
			killed.Progress = func(table string, done, total int) {
				if table == "cc" {
					cancel() // after cc's first hundred rows were read
				}
			}
			rep, err := mirror.Run(ctx, d.client(t), tg, killed)
			if err == nil || len(rep.Tables) != 2 || rep.Tables[1].Error == "" {
				t.Fatalf("killed run: %v, %+v; want cc to fail", err, rep.Tables)
			}
			if after := dumpSQL(t, db, "cc"); strings.Join(after, "\n") != strings.Join(before, "\n") {
				t.Errorf("cc changed although its transaction was cancelled")
			}
			sync(t, d, tg, plan)
			ftg, fresh := st.open(t, "v1killfresh")
			sync(t, d, ftg, plan)
			equalDBs(t, db, fresh, []string{"students", "cc"})
		})
	}
}

// A table moved from the table API to /ws/v1 and back keeps syncing: each
// source learns its own state instead of misreading the other's.
func TestTableMovesBetweenTableAPIAndV1(t *testing.T) {
	d := newDistrict(t, 80, []string{"students"})
	path := tempDB(t, "move.db")
	tg := openSQLite(t, path)
	api := mirror.Plan{Tables: []mirror.TableSpec{{Name: "students"}}}
	v1 := mirror.Plan{Tables: []mirror.TableSpec{{Resource: "students"}}}
	for i, plan := range []mirror.Plan{api, v1, v1, api, api} {
		rep, err := mirror.Run(context.Background(), d.client(t), tg, plan)
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if tr := rep.Tables[0]; (i == 2 || i == 4) && tr.Strategy != mirror.StrategyUnchanged {
			t.Errorf("run %d, nothing changed: %+v, want unchanged", i+1, tr)
		}
	}
	var n, ids int
	if err := openDB(t, path).QueryRow(`SELECT count(*), count(student_number) FROM students`).Scan(&n, &ids); err != nil || n != 80 || ids != 80 {
		t.Errorf("students: %d rows, %d with a student_number (%v); want 80", n, ids, err)
	}
}
