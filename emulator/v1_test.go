package emulator

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func count(t *testing.T, a answer) int {
	t.Helper()
	if a.status != 200 {
		t.Fatalf("count: %d %s", a.status, a.body)
	}
	return int(path(t, a.json(t), "resource", "count").(float64))
}

func TestStudentEnvelope(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	total := count(t, get(t, s.URL(), "/ws/v1/district/student/count", tok))
	if total != 300 {
		t.Fatalf("district student count = %d, want 300", total)
	}
	many := path(t, get(t, s.URL(), "/ws/v1/district/student?pagesize=3", tok).json(t), "students").(map[string]any)
	if many["@expansions"] != studentExpansions || many["@extensions"] != "u_studentsuserfields,studentcorefields" {
		t.Fatalf("envelope attributes: %v", many)
	}
	list, ok := many["student"].([]any)
	if !ok || len(list) != 3 {
		t.Fatalf("a 3-record page: %T %v", many["student"], many["student"])
	}
	first := list[0].(map[string]any)
	if len(first) != 4 || first["id"] == nil || first["local_id"] == nil || first["student_username"] == nil || first["name"] == nil {
		t.Fatalf("without expansions a student has id, local_id, student_username, name only: %v", first)
	}
	if _, has := path(t, first, "name").(map[string]any)["middle_name"]; has && path(t, first, "name", "middle_name") == nil {
		t.Fatal("null middle_name must be omitted, not null")
	}

	one := path(t, get(t, s.URL(), "/ws/v1/district/student?pagesize=1", tok).json(t), "students", "student")
	if _, isObj := one.(map[string]any); !isObj {
		t.Fatalf("a one-record page must hold an object, got %T", one)
	}
	empty := path(t, get(t, s.URL(), "/ws/v1/district/student?page=99", tok).json(t), "students").(map[string]any)
	if _, has := empty["student"]; has || empty["@expansions"] == nil {
		t.Fatalf("an empty page has no student key but keeps the attributes: %v", empty)
	}
	// Last page: 300 students at 100 per page.
	last := path(t, get(t, s.URL(), "/ws/v1/district/student?page=3", tok).json(t), "students", "student").([]any)
	if len(last) != 100 {
		t.Fatalf("page 3 holds %d records, want 100", len(last))
	}
}

func TestPageSizeCap(t *testing.T) {
	s, c := start(t, Options{MaxPageSize: 20})
	tok := token(t, c)
	for q, want := range map[string]int{"": 20, "?pagesize=500": 20, "?pagesize=7": 7, "?pagesize=0": 20} {
		got := len(path(t, get(t, s.URL(), "/ws/v1/district/student"+q, tok).json(t), "students", "student").([]any))
		if got != want {
			t.Errorf("%q: %d records, want %d", q, got, want)
		}
	}
	if err := s.SetPluginConfig(c.PluginID, PluginConfig{Enabled: true, AccessLevelV1API: "READ", PageSizes: PageSizes{Student: 5}}); err != nil {
		t.Fatal(err)
	}
	if got := len(path(t, get(t, s.URL(), "/ws/v1/district/student?pagesize=50", tok).json(t), "students", "student").([]any)); got != 5 {
		t.Errorf("per-plugin student max 5: got %d", got)
	}
	for _, q := range []string{"?page=0", "?page=x", "?pagesize=ten"} {
		if a := get(t, s.URL(), "/ws/v1/district/student"+q, tok); a.status != 400 || a.json(t)["message"] == nil {
			t.Errorf("%s: %d %s, want 400 with a message", q, a.status, a.body)
		}
	}
}

func TestExpansionsAndExtensions(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	all := "demographics,addresses,alerts,phones,school_enrollment,ethnicity_race,contact,contact_info,initial_enrollment,schedule_setup,fees,lunch"
	recs := path(t, get(t, s.URL(), "/ws/v1/district/student?expansions="+all+"&extensions=studentcorefields,u_studentsuserfields,nosuchtable", tok).json(t), "students", "student").([]any)
	sawEmpty, sawFee := false, false
	for _, r := range recs {
		st := r.(map[string]any)
		for _, e := range strings.Split(all, ",") {
			v, ok := st[e]
			if !ok {
				t.Fatalf("student %v lacks expansion %s", st["id"], e)
			}
			if v == "" {
				sawEmpty = true
			}
			if e == "fees" && v != "" {
				sawFee = true
			}
		}
		if b, ok := path(t, st, "lunch", "balance_1").(string); !ok || !strings.Contains(b, ".") {
			t.Fatalf("lunch balances are strings like \"0.00\": %v", path(t, st, "lunch"))
		}
		se := path(t, st, "school_enrollment").(map[string]any)
		if _, ok := se["grade_level"].(float64); !ok {
			t.Fatalf("grade_level is a number: %v", se)
		}
		exts := path(t, st, "_extension_data", "_table_extension").([]any)
		if len(exts) != 2 {
			t.Fatalf("two known extensions requested, got %v", exts)
		}
	}
	if !sawEmpty || !sawFee {
		t.Fatalf("expected some empty expansion blocks (\"\") and some fees in 100 students: empty=%v fee=%v", sawEmpty, sawFee)
	}
	one := path(t, get(t, s.URL(), "/ws/v1/student/4001?extensions=studentcorefields&expansions=demographics", tok).json(t), "student").(map[string]any)
	if one["@expansions"] != studentExpansions || one["demographics"] == nil {
		t.Fatalf("single student: %v", one)
	}
	if te := path(t, one, "_extension_data", "_table_extension"); te.(map[string]any)["name"] != "studentcorefields" {
		t.Fatalf("a single extension table is an object: %v", te)
	}
}

// An expansion a resource does not offer is a 400 naming it and the
// available ones, on lists and single records alike.
func TestUnknownExpansionIsRefused(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	for _, p := range []string{
		"/ws/v1/district/student?expansions=demographics,bogus",
		"/ws/v1/student/4001?expansions=bogus",
		"/ws/v1/district/school?expansions=bogus",
		"/ws/v1/school/2/section?expansions=bogus",
		"/ws/v1/school/2/staff?expansions=bogus",
		"/ws/v1/section/701/section_enrollment?expansions=bogus",
	} {
		a := get(t, s.URL(), p, tok)
		if a.status != 400 || !strings.Contains(a.json(t)["message"].(string), "unknown expansion bogus") {
			t.Errorf("%s: %d %s; want 400 naming the expansion", p, a.status, a.body)
		}
	}
	if a := get(t, s.URL(), "/ws/v1/school/2/section?expansions=term,user-defined", tok); a.status != 200 {
		t.Errorf("documented section expansions: %d %s", a.status, a.body)
	}
}

func TestStudentSearch(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	cnt := func(q string) int { return count(t, get(t, s.URL(), "/ws/v1/district/student/count?q="+q, tok)) }
	active, pre := cnt("school_enrollment.enroll_status==A"), cnt("school_enrollment.enroll_status==p")
	if active == 0 || pre == 0 || cnt("school_enrollment.enroll_status==(A,P)") != active+pre {
		t.Fatalf("A=%d P=%d (A,P)=%d", active, pre, cnt("school_enrollment.enroll_status==(A,P)"))
	}
	if cnt("school_enrollment.enroll_status_code==0") != active {
		t.Fatal("enroll_status==A and enroll_status_code==0 disagree")
	}
	if cnt("local_id=ge=100010;local_id=lt=100020") != 10 {
		t.Fatalf("local_id range: %d, want 10", cnt("local_id=ge=100010;local_id=lt=100020"))
	}
	a := cnt("name.last_name==A*")
	if a == 0 || a != cnt("name.last_name==a*") {
		t.Fatal("wildcards are case-insensitive and must match some A names")
	}
	if cnt("school_enrollment.entry_date=ge=2025-08-20") == 0 || cnt("school_enrollment.entry_date=gt=2030-01-01") != 0 {
		t.Fatal("entry_date comparisons")
	}
	// The page and the count agree.
	page := path(t, get(t, s.URL(), "/ws/v1/district/student?q=name.last_name==A*;school_enrollment.enroll_status==A", tok).json(t), "students")
	n := 0
	switch v := page.(map[string]any)["student"].(type) {
	case []any:
		n = len(v)
	case map[string]any:
		n = 1
	}
	if want := cnt("name.last_name==A*;school_enrollment.enroll_status==A"); n != want {
		t.Fatalf("page holds %d, count says %d", n, want)
	}
	for _, q := range []string{"name.last_name", "nosuch==1", "local_id==abc", "school_enrollment.entry_date==01/02/2020", "school_enrollment.enroll_status==Z",
		"a==1;;", "local_id=gt=(1,2)", "name.last_name=gt=A*"} {
		a := get(t, s.URL(), "/ws/v1/district/student?q="+q, tok)
		if a.status != 400 || a.json(t)["message"] == nil {
			t.Errorf("q=%s: %d %s, want 400 with a message", q, a.status, a.body)
		}
	}
}

func TestSchoolsAndCounts(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	n := count(t, get(t, s.URL(), "/ws/v1/district/school/count", tok))
	schools := path(t, get(t, s.URL(), "/ws/v1/district/school", tok).json(t), "schools", "school").([]any)
	if n != 3 || len(schools) != 3 {
		t.Fatalf("school count %d, list %d; want 3 each (Graduated Students excluded)", n, len(schools))
	}
	for _, sc := range schools {
		if sc.(map[string]any)["school_number"] == float64(999999) {
			t.Fatal("the Graduated Students school is listed")
		}
	}
	grad := path(t, get(t, s.URL(), "/ws/v1/school/4", tok).json(t), "school").(map[string]any)
	if grad["school_number"] != float64(999999) || grad["name"] != "Graduated Students" {
		t.Fatalf("school 4 is the Graduated Students school: %v", grad)
	}
	sum := 0
	for id := 1; id <= 4; id++ {
		sum += count(t, get(t, s.URL(), fmt.Sprintf("/ws/v1/school/%d/student/count", id), tok))
	}
	if sum != 300 {
		t.Fatalf("per-school student counts add up to %d, want 300", sum)
	}
}

func TestStaffSectionsCoursesTerms(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	staff := path(t, get(t, s.URL(), "/ws/v1/school/1/staff?expansions=school_affiliations", tok).json(t), "staffs", "staff").([]any)
	if len(staff) != count(t, get(t, s.URL(), "/ws/v1/school/1/staff/count", tok)) || len(staff) == 0 {
		t.Fatal("staff list and count disagree")
	}
	one := staff[1].(map[string]any)
	got := path(t, get(t, s.URL(), fmt.Sprintf("/ws/v1/staff/%v", one["id"]), tok).json(t), "staff").(map[string]any)
	if got["id"] != one["id"] || got["name"] == nil {
		t.Fatalf("staff/{id}: %v", got)
	}
	if path(t, one, "school_affiliations", "school_affiliation", "school_id") != float64(1) {
		t.Fatalf("affiliation: %v", one["school_affiliations"])
	}

	secs := path(t, get(t, s.URL(), "/ws/v1/school/1/section?expansions=term", tok).json(t), "sections", "section").([]any)
	if len(secs) != count(t, get(t, s.URL(), "/ws/v1/school/1/section/count", tok)) {
		t.Fatal("section list and count disagree")
	}
	prev := 0.0
	for _, x := range secs {
		sec := x.(map[string]any)
		if sec["id"].(float64) <= prev {
			t.Fatal("sections are not sorted by id")
		}
		prev = sec["id"].(float64)
		if path(t, sec, "term", "id") != sec["term_id"] {
			t.Fatalf("term expansion does not match term_id: %v", sec)
		}
	}
	sec := secs[0].(map[string]any)
	for res, field := range map[string]string{"course": "course_id", "term": "term_id"} {
		a := get(t, s.URL(), fmt.Sprintf("/ws/v1/%s/%v", res, sec[field]), tok)
		if a.status != 200 || path(t, a.json(t), res, "id") != sec[field] {
			t.Fatalf("%s/{id}: %d %s", res, a.status, a.body)
		}
	}
	enr := get(t, s.URL(), fmt.Sprintf("/ws/v1/section/%v/section_enrollment", sec["id"]), tok)
	list := path(t, enr.json(t), "section_enrollments", "section_enrollment")
	n := count(t, get(t, s.URL(), fmt.Sprintf("/ws/v1/section/%v/section_enrollment/count", sec["id"]), tok))
	if items, ok := list.([]any); !ok || len(items) != n {
		t.Fatalf("enrollments: %v vs count %d", list, n)
	}
	e := list.([]any)[0].(map[string]any)
	if e["section_id"] != sec["id"] || e["dropped"] == nil {
		t.Fatalf("enrollment: %v", e)
	}
	if a := get(t, s.URL(), fmt.Sprintf("/ws/v1/section_enrollment/%v", e["id"]), tok); a.status != 200 {
		t.Fatalf("section_enrollment/{id}: %d", a.status)
	}
	courses := path(t, get(t, s.URL(), "/ws/v1/school/1/course", tok).json(t), "courses", "course").([]any)
	for i := 1; i < len(courses); i++ {
		if courses[i-1].(map[string]any)["course_number"].(string) > courses[i].(map[string]any)["course_number"].(string) {
			t.Fatal("courses are not sorted by course number")
		}
	}
	terms := path(t, get(t, s.URL(), "/ws/v1/school/1/term", tok).json(t), "terms", "term").([]any)
	if len(terms) != 3 || terms[0].(map[string]any)["portion"] != float64(1) {
		t.Fatalf("terms sorted by portion: %v", terms)
	}
}

func TestNotFound(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	for _, p := range []string{"/ws/v1/student/1", "/ws/v1/student/abc", "/ws/v1/school/77/student", "/ws/v1/nosuch", "/ws/v2/district", "/nothing",
		"/ws/v1/section/1/section_enrollment", "/ws/v1/staff/999999", "/ws/v1/course/0", "/ws/v1/term/-1"} {
		if a := get(t, s.URL(), p, tok); a.status != 404 || a.json(t)["message"] == nil {
			t.Errorf("%s: %d %s, want 404 with a JSON message", p, a.status, a.body)
		}
	}
	if a := get(t, s.URL(), "/ws/v1/school/1/section?q=id==1", tok); a.status != 400 {
		t.Errorf("q on sections: %d, want 400", a.status)
	}
}

func TestParallelPages(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	var wg sync.WaitGroup
	ids := make([][]any, 3)
	for p := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := get(t, s.URL(), fmt.Sprintf("/ws/v1/district/student?page=%d", p+1), tok)
			if a.status == 200 {
				ids[p] = path(t, a.json(t), "students", "student").([]any)
			}
		}()
	}
	wg.Wait()
	seen := map[float64]bool{}
	for _, page := range ids {
		for _, r := range page {
			seen[r.(map[string]any)["id"].(float64)] = true
		}
	}
	if len(seen) != 300 {
		t.Fatalf("3 parallel pages gave %d distinct students, want 300", len(seen))
	}
}

// TestMetadataDistrictUUID: /ws/v1/metadata names the district by the
// UUID the store seeded, the same on every call.
func TestMetadataDistrictUUID(t *testing.T) {
	s, _ := start(t, Options{Students: 20})
	want, err := s.store.DistrictUUID(context.Background())
	if err != nil || len(want) != 36 {
		t.Fatalf("seeded district uuid %q: %v", want, err)
	}
	for range 2 {
		a := get(t, s.URL(), "/ws/v1/metadata", "")
		if got := path(t, a.json(t), "metadata", "district_uuid"); a.status != 200 || got != want {
			t.Fatalf("metadata: %d district_uuid %v, want %q", a.status, got, want)
		}
	}
}
