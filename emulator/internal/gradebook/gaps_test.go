package gradebook

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// rawUsers decodes a users page without the test's record type, so an empty
// string and an absent field stay distinguishable.
func rawUsers(t *testing.T, body []byte) []map[string]json.RawMessage {
	t.Helper()
	var l struct {
		Users []map[string]json.RawMessage `json:"users"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return l.Users
}

func TestUsersLeaveEmptyOptionalStringsOut(t *testing.T) {
	e := newEnv(t)
	// A student created through /ws/v1/student has no web id.
	if _, err := e.db.Exec("UPDATE STUDENTS SET STUDENT_WEB_ID = '' WHERE DCID = 4003"); err != nil {
		t.Fatal(err)
	}
	for _, base := range OneRosterBasePaths {
		r := e.want(e.do("GET", base+"/users?limit=100", nil), 200)
		if strings.Contains(string(r.body), `""`) {
			t.Errorf("%s/users holds an empty string: %s", base, r.body)
		}
		byID := map[string]map[string]json.RawMessage{}
		for _, u := range rawUsers(t, r.body) {
			var id string
			json.Unmarshal(u["sourcedId"], &id)
			byID[id] = u
		}
		if _, ok := byID["4001"]["middleName"]; ok {
			t.Errorf("4001 has no middle name but carries middleName: %v", byID["4001"])
		}
		if string(byID["4002"]["middleName"]) != `"J"` {
			t.Errorf("4002 middleName = %s, want \"J\"", byID["4002"]["middleName"])
		}
		if _, ok := byID["4003"]["username"]; ok {
			t.Errorf("4003 has no web id but carries username: %v", byID["4003"])
		}
		if _, ok := byID["t77"]["middleName"]; ok {
			t.Errorf("t77 has no middle name but carries middleName")
		}
	}
}

func TestResultStudentRefIsUser(t *testing.T) {
	e := newEnv(t)
	b := OneRosterBasePaths[0]
	e.want(e.do("PUT", b+"/lineItems/li-1", lineItem("li-1", "Quiz", "2025-10-09")), 201)
	e.want(e.do("PUT", b+"/results/res-1", result("res-1", "li-1", "4001", 9, "fully graded")), 201)
	r := e.want(e.do("GET", b+"/results/res-1", nil), 200)
	var out struct {
		Result struct {
			Student struct{ Href, SourcedID, Type string } `json:"student"`
		} `json:"result"`
	}
	r.json(t, &out)
	s := out.Result.Student
	if s.Type != "user" || s.SourcedID != "4001" || !strings.HasSuffix(s.Href, b+"/users/4001") {
		t.Fatalf("result's student ref = %+v, want type user, href …/users/4001", s)
	}
}

func TestMissingRosteringEndpoints(t *testing.T) {
	e := newEnv(t)
	for _, b := range OneRosterBasePaths {
		l, _ := e.list(b + "/schools/1/terms")
		if got := ids(l.AcademicSessions); !slices.Equal(got, []string{"term-1", "term-2", "term-3"}) {
			t.Errorf("%s/schools/1/terms = %v", b, got)
		}
		l, _ = e.list(b + "/schools/2/terms")
		if got := ids(l.AcademicSessions); !slices.Equal(got, []string{"term-4"}) {
			t.Errorf("%s/schools/2/terms = %v", b, got)
		}
		e.wantStatus(e.do("GET", b+"/schools/99/terms", nil), 404, "unknownobject")

		l, _ = e.list(b + "/schools/1/classes/701/students")
		if got := ids(l.Users); !slices.Equal(got, []string{"4001", "4002"}) {
			t.Errorf("%s/schools/1/classes/701/students = %v", b, got)
		}
		l, _ = e.list(b + "/schools/1/classes/701/teachers")
		if got := ids(l.Users); !slices.Equal(got, []string{"t77"}) {
			t.Errorf("%s/schools/1/classes/701/teachers = %v", b, got)
		}
		l, _ = e.list(b + "/schools/1/classes/701/enrollments")
		if got := ids(l.Enrollments); !slices.Equal(got, []string{"cc-1", "cc-2", "ts-701"}) {
			t.Errorf("%s/schools/1/classes/701/enrollments = %v", b, got)
		}
		// The class is not in school 2.
		e.wantStatus(e.do("GET", b+"/schools/2/classes/701/students", nil), 404, "unknownobject")
		e.wantStatus(e.do("GET", b+"/schools/1/classes/999/teachers", nil), 404, "unknownobject")

		r := e.want(e.do("GET", b+"/demographics", nil), 200)
		var demo struct {
			Demographics []record `json:"demographics"`
		}
		r.json(t, &demo)
		if got := ids(demo.Demographics); !slices.Equal(got, []string{"4001", "4002", "4003", "4004"}) || r.header.Get("X-Total-Count") != "4" {
			t.Errorf("%s/demographics = %v (total %s)", b, got, r.header.Get("X-Total-Count"))
		}
		var one struct {
			Demographics record `json:"demographics"`
		}
		e.want(e.do("GET", b+"/demographics/4001", nil), 200).json(t, &one)
		if d := one.Demographics; d["birthDate"] != "2010-03-04" || d["sex"] != "female" || d["hispanicOrLatinoEthnicity"] != "true" {
			t.Errorf("%s/demographics/4001 = %v", b, d)
		}
		e.wantStatus(e.do("GET", b+"/demographics/t77", nil), 404, "unknownobject")

		r = e.want(e.do("GET", b+"/resources", nil), 200)
		if strings.TrimSpace(string(r.body)) != `{"resources":[]}` || r.header.Get("X-Total-Count") != "0" {
			t.Errorf("%s/resources = %s", b, r.body)
		}
		e.wantStatus(e.do("GET", b+"/resources/x", nil), 404, "unknownobject")
		e.want(e.do("GET", b+"/classes/701/resources", nil), 200)
		e.wantStatus(e.do("GET", b+"/courses/999/resources", nil), 404, "unknownobject")
	}
}
