package gradebook

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/pskit/pskit/emulator/internal/emutest"
	"github.com/pskit/pskit/emulator/internal/store"
)

// generated runs the gradebook over a district from the emulator's own
// generator, so the SQL is checked against the real schema.
func generated(tb testing.TB, students int) (*Gradebook, *store.Store, string) {
	tb.Helper()
	st := emutest.District(tb, 3, students)
	g, err := New(context.Background(), st.DB, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return g, st, emutest.Serve(tb, g.Mount)
}

func TestOverGeneratedDistrict(t *testing.T) {
	g, st, srv := generated(t, 300)
	e := &env{t: t, g: g, db: st.DB, url: srv}
	var section, student int64
	var first string
	err := st.DB.QueryRow(`SELECT s.DCID, st.DCID, t.FIRSTDAY FROM SECTIONS s
		JOIN CC ON CC.SECTIONID = s.ID JOIN STUDENTS st ON st.ID = CC.STUDENTID
		JOIN TERMS t ON t.ID = s.TERMID AND t.SCHOOLID = s.SCHOOLID
		WHERE s.TEACHER IS NOT NULL ORDER BY s.DCID LIMIT 1`).Scan(&section, &student, &first)
	if err != nil {
		t.Fatal(err)
	}
	teacher, err := g.SectionTeacher(t.Context(), section)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.SectionTeacher(t.Context(), 1); err == nil {
		t.Error("SectionTeacher of an unknown section gave no error")
	}
	cat := e.categoryID(int(teacher), "Tests")
	r := e.want(e.do("POST", fmt.Sprintf("/ws/xte/section/assignment/?users_dcid=%d", teacher), assignmentBody(section, "Unit test", first, cat)), 201)
	var secIDs []int64
	if err := jsonUnmarshal(r.header.Get("AssignmentSectionIds"), &secIDs); err != nil {
		t.Fatal(err)
	}
	body := scoreBody(secIDs[0], map[string]any{"studentsdcid": student, "actualscoreentered": "10"})
	body["assignment_scores"].([]map[string]any)[0]["_assignmentsection"] = map[string]any{"assignmentsectionid": secIDs[0]}
	e.want(e.do("PUT", fmt.Sprintf("/ws/xte/score?users_dcid=%d", teacher), body), 200)

	b := OneRosterBasePaths[0]
	l, _ := e.list(fmt.Sprintf("%s/classes/%d/lineItems/a%d/results", b, section, secIDs[0]))
	if len(l.Results) != 1 || refID(l.Results[0]["student"]) != fmt.Sprint(student) {
		t.Errorf("results %v", l.Results)
	}
	l, _ = e.list(fmt.Sprintf("%s/classes/%d/students", b, section))
	if len(l.Users) == 0 {
		t.Error("the class lists no students")
	}
	l, _ = e.list(fmt.Sprintf("%s/classes/%d/teachers", b, section))
	if len(l.Users) != 1 || l.Users[0]["sourcedId"] != fmt.Sprintf("t%d", teacher) {
		t.Errorf("class teachers %v", ids(l.Users))
	}
	for _, p := range []string{"/orgs", "/terms", "/gradingPeriods", "/courses", "/classes", "/users", "/enrollments", "/categories", "/lineItems", "/results"} {
		_, r := e.list(b + p + "?limit=5")
		if r.header.Get("X-Total-Count") == "0" {
			t.Errorf("%s is empty in a generated district", p)
		}
	}
}

func BenchmarkOneRoster(b *testing.B) {
	_, _, srv := generated(b, 5000)
	for _, p := range []string{"/students?limit=100", "/enrollments?limit=100", "/classes/701/students", "/students?filter=familyName%3D%27SMITH%27"} {
		b.Run(p, func(b *testing.B) {
			for b.Loop() {
				res, err := http.Get(srv + OneRosterBasePaths[0] + p)
				if err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("%s: %d", p, res.StatusCode)
				}
			}
		})
	}
}
