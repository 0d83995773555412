package gradebook

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// categoryID finds a teacher's category by name through the API.
func (e *env) categoryID(user int, name string) int64 {
	e.t.Helper()
	var cs []xteCategory
	e.want(e.do("GET", fmt.Sprintf("/ws/xte/teacher_category?users_dcid=%d&year_id=35", user), nil), 200).json(e.t, &cs)
	for _, c := range cs {
		if c.Name == name {
			return c.TeacherCategoryID
		}
	}
	e.t.Fatalf("teacher %d has no category %q in %+v", user, name, cs)
	return 0
}

func assignmentBody(section int64, name, due string, category int64) map[string]any {
	return map[string]any{
		"standardscoringmethod": "GradeScale", "yearid": 35,
		"_assignmentsections": []map[string]any{{
			"sectionsdcid": section, "name": name, "description": "", "duedate": due,
			"scoretype": "POINTS", "scoreentrypoints": 10, "totalpointvalue": 10, "extracreditpoints": 0, "weight": 1,
			"iscountedinfinalgrade": true, "isscorespublish": true, "yearid": 35, "publishoption": "Immediately",
			"_assignmentcategoryassociations": []map[string]any{{"teachercategoryid": category, "isprimary": true}},
		}},
	}
}

// create makes an assignment for teacher 77 in section 701 and returns the
// assignment and assignment section ids.
func (e *env) create(name string) (int64, int64) {
	e.t.Helper()
	r := e.want(e.do("POST", "/ws/xte/section/assignment/?users_dcid=77", assignmentBody(701, name, "2025-10-01", e.categoryID(77, "Homework"))), 201)
	if len(r.body) != 0 {
		e.t.Fatalf("create answered a body %q, want none", r.body)
	}
	loc := r.header.Get("Location")
	prefix := e.url + "/ws/xte/section/assignment/"
	if !strings.HasPrefix(loc, prefix) {
		e.t.Fatalf("Location %q, want it under %s", loc, prefix)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, prefix), 10, 64)
	if err != nil {
		e.t.Fatalf("Location %q does not end in an id", loc)
	}
	var secIDs []int64
	if err := jsonUnmarshal(r.header.Get("AssignmentSectionIds"), &secIDs); err != nil || len(secIDs) != 1 {
		e.t.Fatalf("AssignmentSectionIds %q: want a JSON array of one id (%v)", r.header.Get("AssignmentSectionIds"), err)
	}
	return id, secIDs[0]
}

func TestTeacherCategories(t *testing.T) {
	e := newEnv(t)
	var cs []xteCategory
	e.want(e.do("GET", "/ws/xte/teacher_category?users_dcid=77&year_id=35", nil), 200).json(t, &cs)
	got := map[string]bool{}
	for _, c := range cs {
		if c.UsersDCID != 77 || c.YearID == nil || *c.YearID != 35 || c.DistrictTeacherCategoryID == nil {
			t.Errorf("category %+v: want usersdcid 77, yearid 35 and a district category id", c)
		}
		got[c.Name] = c.IsActive
	}
	want := map[string]bool{"Homework": true, "Quizzes": true, "Tests": true, "Projects": false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("categories %v, want %v", got, want)
	}
	e.want(e.do("GET", "/ws/xte/teacher_category?users_dcid=77&year_id=34", nil), 200).json(t, &cs)
	if len(cs) != 0 {
		t.Errorf("year 34 lists %d categories, want none", len(cs))
	}
	e.want(e.do("GET", "/ws/xte/teacher_category", nil), 400)
	e.want(e.do("GET", "/ws/xte/teacher_category?users_dcid=abc", nil), 400)
	e.want(e.do("GET", "/ws/xte/teacher_category?users_dcid=99999", nil), 404)

	// Seeding is deterministic and idempotent.
	if err := e.g.SeedCategories(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := e.count("SELECT COUNT(*) FROM TEACHERCATEGORY"); n != 12 {
		t.Errorf("%d categories after a second seeding, want 12 (4 for each of 3 users)", n)
	}
	if id := e.categoryID(77, "Homework"); id != 2501 {
		t.Errorf("first category id %d, want 2501", id)
	}
}

func TestAssignmentCreateGetListUpdate(t *testing.T) {
	e := newEnv(t)
	id, secID := e.create("Quiz 1")
	if id == secID {
		t.Fatalf("assignment id and assignment section id are both %d", id)
	}
	var a xteAssignment
	e.want(e.do("GET", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", id), nil), 200).json(t, &a)
	if a.AssignmentID != id || a.StandardScoringMethod != "GradeScale" || len(a.Sections) != 1 {
		t.Fatalf("assignment %+v", a)
	}
	s := a.Sections[0]
	if s.AssignmentSectionID != secID || s.SectionsDCID != 701 || s.Name != "Quiz 1" || s.DueDate != "2025-10-01" ||
		s.ScoreType != "POINTS" || s.TotalPointValue != 10 || s.YearID != 35 || !s.IsCountedInFinalGrade {
		t.Errorf("section %+v", s)
	}
	if len(s.Categories) != 1 || !s.Categories[0].IsPrimary || s.Categories[0].TeacherCategoryID != e.categoryID(77, "Homework") {
		t.Errorf("categories %+v", s.Categories)
	}
	if s.Scores == nil || len(*s.Scores) != 0 {
		t.Errorf("_assignmentscores %v, want an empty array", s.Scores)
	}

	var list []xteAssignment
	e.want(e.do("GET", "/ws/xte/section/assignment/?users_dcid=77&section_ids=701", nil), 200).json(t, &list)
	if len(list) != 1 || list[0].AssignmentID != id || list[0].Sections[0].Scores != nil {
		t.Errorf("list %+v, want the one assignment without scores", list)
	}
	e.want(e.do("GET", "/ws/xte/section/assignment?users_dcid=78&section_ids=702", nil), 200).json(t, &list)
	if len(list) != 0 {
		t.Errorf("section 702 lists %d assignments, want none", len(list))
	}
	e.want(e.do("GET", "/ws/xte/section/assignment/?users_dcid=77", nil), 400)
	e.want(e.do("GET", "/ws/xte/section/assignment/?users_dcid=77&section_ids=702", nil), 403)
	e.want(e.do("GET", "/ws/xte/section/assignment/?users_dcid=77&section_ids=9999", nil), 404)
	e.want(e.do("GET", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=78", id), nil), 403)
	e.want(e.do("GET", "/ws/xte/section/assignment/123?users_dcid=77", nil), 404)

	body := assignmentBody(701, "Quiz 1 (retake)", "2025-10-03", e.categoryID(77, "Quizzes"))
	body["assignmentid"] = id
	body["_assignmentsections"].([]map[string]any)[0]["assignmentsectionid"] = secID
	e.want(e.do("PUT", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77&update_scores=false", id), body), 200).json(t, &a)
	if s := a.Sections[0]; len(a.Sections) != 1 || s.AssignmentSectionID != secID || s.Name != "Quiz 1 (retake)" ||
		s.DueDate != "2025-10-03" || s.Categories[0].TeacherCategoryID != e.categoryID(77, "Quizzes") {
		t.Errorf("after update: %+v", a)
	}
	body["assignmentid"] = id + 1
	e.want(e.do("PUT", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", id), body), 400)
}

func TestAssignmentValidation(t *testing.T) {
	e := newEnv(t)
	homework := e.categoryID(77, "Homework")
	cases := []struct {
		name   string
		edit   func(sec map[string]any)
		status int
		field  string
	}{
		{"percent score type", func(s map[string]any) { s["scoretype"] = "PERCENT" }, 409, "scoretype"},
		{"name of 51 bytes", func(s map[string]any) { s["name"] = strings.Repeat("n", 51) }, 409, "name"},
		{"empty name", func(s map[string]any) { s["name"] = "  " }, 409, "name"},
		{"due date after the term", func(s map[string]any) { s["duedate"] = "2026-03-01" }, 409, "duedate"},
		{"due date before the term", func(s map[string]any) { s["duedate"] = "2025-08-19" }, 409, "duedate"},
		{"due date not a date", func(s map[string]any) { s["duedate"] = "10/01/2025" }, 409, "duedate"},
		{"inactive category", func(s map[string]any) {
			s["_assignmentcategoryassociations"] = []map[string]any{{"teachercategoryid": e.categoryID(77, "Projects"), "isprimary": true}}
		}, 409, "teachercategoryid"},
		{"another teacher's category", func(s map[string]any) {
			s["_assignmentcategoryassociations"] = []map[string]any{{"teachercategoryid": e.categoryID(78, "Homework"), "isprimary": true}}
		}, 409, "teachercategoryid"},
		{"no category", func(s map[string]any) { delete(s, "_assignmentcategoryassociations") }, 409, "teachercategoryid"},
		{"unknown section", func(s map[string]any) { s["sectionsdcid"] = 9999 }, 409, "sectionsdcid"},
		{"section of another teacher", func(s map[string]any) { s["sectionsdcid"] = 702 }, 403, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := assignmentBody(701, "Quiz", "2025-10-01", homework)
			c.edit(body["_assignmentsections"].([]map[string]any)[0])
			r := e.want(e.do("POST", "/ws/xte/section/assignment/?users_dcid=77", body), c.status)
			var xe xteError
			r.json(t, &xe)
			if xe.Message == "" {
				t.Errorf("no message in %s", r.body)
			}
			if c.field != "" {
				found := false
				for _, fe := range xe.Errors {
					found = found || fe.Field == c.field
				}
				if !found || !strings.Contains(xe.Message, c.field) {
					t.Errorf("error %s does not name field %s", r.body, c.field)
				}
			}
		})
	}
	if n := e.count("SELECT COUNT(*) FROM ASSIGNMENT"); n != 0 {
		t.Errorf("%d assignments written by rejected requests", n)
	}
	e.want(e.do("POST", "/ws/xte/section/assignment/?users_dcid=77", `{"_assignmentsections":[]}`), 409)
	e.want(e.do("POST", "/ws/xte/section/assignment/?users_dcid=77", `{"_assignmentsections":`), 400)
	e.want(e.do("POST", "/ws/xte/section/assignment/", assignmentBody(701, "Quiz", "2025-10-01", homework)), 400)
}

func scoreBody(secID int64, rows ...map[string]any) map[string]any {
	for _, r := range rows {
		r["_assignmentsection"] = map[string]any{"assignmentsectionid": secID, "sectionsdcid": 701}
		if _, ok := r["actualscorekind"]; !ok {
			r["actualscorekind"] = "REAL_SCORE"
		}
	}
	return map[string]any{"assignment_scores": rows}
}

type scoresOut struct {
	Scores []xteScoreOut `json:"assignment_scores"`
}

func TestScores(t *testing.T) {
	e := newEnv(t)
	id, secID := e.create("Quiz 1")
	put := "/ws/xte/score?users_dcid=77&status=A&term_id=3501"

	var out scoresOut
	e.want(e.do("PUT", put, scoreBody(secID,
		map[string]any{"studentsdcid": 4001, "actualscoreentered": "8"},
		map[string]any{"studentsdcid": 4002, "actualscoreentered": "9.5", "islate": true})), 200).json(t, &out)
	if len(out.Scores) != 2 {
		t.Fatalf("scores %+v", out.Scores)
	}
	// The live answer names each student but carries no assignmentscoreid.
	if strings.Contains(string(e.do("PUT", put, scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "8"})).body), "assignmentscoreid") {
		t.Error("the PUT /ws/xte/score answer carries assignmentscoreid; the live server's does not")
	}
	first := out.Scores[0]
	if first.AssignmentScoreID != 0 || first.StudentsDCID != 4001 || first.ActualScoreEntered != "8" || first.ScorePoints == nil ||
		*first.ScorePoints != 8 || first.ScoreEntryDate != "2025-10-02T10:00:00Z" || first.AssignmentSection == nil ||
		first.AssignmentSection.AssignmentSectionID != secID || first.AssignmentSection.Assignment.AssignmentID != id {
		t.Errorf("first score %+v", first)
	}
	if !out.Scores[1].IsLate {
		t.Errorf("islate not stored: %+v", out.Scores[1])
	}
	var a xteAssignment
	e.want(e.do("GET", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", id), nil), 200).json(t, &a)
	first.AssignmentScoreID = (*a.Sections[0].Scores)[0].AssignmentScoreID
	if first.AssignmentScoreID == 0 {
		t.Fatalf("GET assignment gives no assignmentscoreid: %+v", *a.Sections[0].Scores)
	}

	// Re-sending without ids updates the same rows.
	e.want(e.do("PUT", put, scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "12"})), 200).json(t, &out)
	if out.Scores[0].StudentsDCID != 4001 || *out.Scores[0].ScorePoints != 12 {
		t.Errorf("re-sent score %+v, want student 4001 at 12 points (extra credit kept)", out.Scores[0])
	}
	e.want(e.do("GET", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", id), nil), 200).json(t, &a)
	if sc := (*a.Sections[0].Scores)[0]; sc.AssignmentScoreID != first.AssignmentScoreID || sc.ActualScoreEntered != "12" {
		t.Errorf("after re-sending, stored %+v, want row %d updated in place to 12", sc, first.AssignmentScoreID)
	}
	if n := e.count("SELECT COUNT(*) FROM ASSIGNMENTSCORE"); n != 2 {
		t.Errorf("%d score rows, want 2", n)
	}

	// One unenrolled student fails the whole batch and writes nothing.
	for _, student := range []int{4003, 4004} {
		r := e.want(e.do("PUT", put, scoreBody(secID,
			map[string]any{"studentsdcid": 4001, "actualscoreentered": "1"},
			map[string]any{"studentsdcid": student, "actualscoreentered": "5"})), 409)
		var xe xteError
		r.json(t, &xe)
		wantMsg := fmt.Sprintf("Student %d is not enrolled in section 701", student)
		if !strings.HasPrefix(xe.Message, wantMsg) || len(xe.Errors) != 1 || xe.Errors[0].Code != "NOT_ENROLLED" ||
			xe.Errors[0].Field != "studentsdcid" || xe.Errors[0].Value != strconv.Itoa(student) ||
			xe.Errors[0].Params["student_dcid"] != float64(student) {
			t.Errorf("409 body %s, want message %q and one NOT_ENROLLED error with params.student_dcid %d", r.body, wantMsg, student)
		}
	}
	// Every student without an association is named, each in params.
	r := e.want(e.do("PUT", put, scoreBody(secID,
		map[string]any{"studentsdcid": 4003, "actualscoreentered": "1"},
		map[string]any{"studentsdcid": 4001, "actualscoreentered": "1"},
		map[string]any{"studentsdcid": 4004, "actualscoreentered": "5"})), 409)
	var many struct {
		Errors []struct {
			Params struct {
				StudentDCID int64 `json:"student_dcid"`
			} `json:"params"`
		} `json:"errors"`
	}
	r.json(t, &many)
	if len(many.Errors) != 2 || many.Errors[0].Params.StudentDCID != 4003 || many.Errors[1].Params.StudentDCID != 4004 {
		t.Errorf("409 for two students: %s, want params.student_dcid 4003 and 4004", r.body)
	}
	e.want(e.do("GET", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", id), nil), 200).json(t, &a)
	if sc := *a.Sections[0].Scores; len(sc) != 2 || sc[0].StudentsDCID != 4001 || sc[0].ActualScoreEntered != "12" {
		t.Errorf("scores after rejected batches %+v, want 4001 still at 12", sc)
	}

	// A stale assignmentscoreid answers 412 Resubmit; the right one updates.
	r = e.want(e.do("PUT", put, scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "3", "assignmentscoreid": first.AssignmentScoreID + 100})), 412)
	if string(r.body) != "{\"message\":\"Resubmit\"}\n" {
		t.Errorf("412 body %q", r.body)
	}
	e.want(e.do("PUT", put, scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "3", "assignmentscoreid": first.AssignmentScoreID})), 200)

	// The fault switch answers 412 for the next write only.
	e.g.FailNextScoreWrites(1)
	e.want(e.do("PUT", put, scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "4"})), 412)
	e.want(e.do("PUT", put, scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "4"})), 200).json(t, &out)
	if *out.Scores[0].ScorePoints != 4 {
		t.Errorf("score after the fault %v, want 4", *out.Scores[0].ScorePoints)
	}

	// Exempt and missing flags, and an empty score.
	e.want(e.do("PUT", put, scoreBody(secID, map[string]any{"studentsdcid": 4002, "actualscoreentered": "", "isexempt": true})), 200).json(t, &out)
	if s := out.Scores[0]; !s.IsExempt || s.ScorePoints != nil {
		t.Errorf("exempt score %+v, want isexempt and no points", s)
	}

	// Request errors.
	e.want(e.do("PUT", put, `{"assignment_scores":[{"studentsdcid":4001,"actualscoreentered":8,"_assignmentsection":{"assignmentsectionid":`+strconv.FormatInt(secID, 10)+`}}]}`), 400)
	e.want(e.do("PUT", put, scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "A+"})), 409)
	e.want(e.do("PUT", put, `{"assignment_scores":[]}`), 400)
	e.want(e.do("PUT", "/ws/xte/score?users_dcid=78", scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "1"})), 403)
	e.want(e.do("PUT", put, scoreBody(secID+500, map[string]any{"studentsdcid": 4001, "actualscoreentered": "1"})), 500)
	e.want(e.do("PUT", "/ws/xte/score?users_dcid=77&term_id=S1", scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "1"})), 400)
	req := e.do("PUT", put, "plain text")
	e.want(req, 400)
}

func TestDeleteAssignment(t *testing.T) {
	e := newEnv(t)
	id, secID := e.create("Quiz 1")
	e.want(e.do("PUT", "/ws/xte/score?users_dcid=77", scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "8"})), 200)
	path := fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", id)
	e.want(e.do("DELETE", path, nil), 412)
	e.want(e.do("DELETE", path+"&force=false", nil), 412)
	e.want(e.do("DELETE", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=78&force=true", id), nil), 403)
	e.want(e.do("DELETE", path+"&force=true", nil), 204)
	e.want(e.do("GET", path, nil), 404)
	e.want(e.do("DELETE", path, nil), 404)
	for _, table := range []string{"ASSIGNMENT", "ASSIGNMENTSECTION", "ASSIGNMENTSCORE", "ASSIGNMENTCATEGORYASSOC"} {
		if n := e.count("SELECT COUNT(*) FROM " + table); n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	id2, _ := e.create("Quiz 2")
	e.want(e.do("DELETE", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", id2), nil), 204)
}

func TestXTEUnknownPathAndContentType(t *testing.T) {
	e := newEnv(t)
	e.want(e.do("GET", "/ws/xte/nothing", nil), 404)
	req, _ := http.NewRequest("POST", e.url+"/ws/xte/section/assignment/?users_dcid=77", strings.NewReader("a=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 415 {
		t.Errorf("form body answered %d, want 415", res.StatusCode)
	}
}

func TestConcurrentWrites(t *testing.T) {
	e := newEnv(t)
	_, secID := e.create("Quiz 1")
	errs := make(chan string, 16)
	done := make(chan struct{})
	for i := range 16 {
		go func() {
			defer func() { done <- struct{}{} }()
			student := 4001 + i%2
			body := scoreBody(secID, map[string]any{"studentsdcid": student, "actualscoreentered": strconv.Itoa(i)})
			req, _ := http.NewRequest("PUT", e.url+"/ws/xte/score?users_dcid=77", strings.NewReader(mustJSON(body)))
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				errs <- fmt.Sprintf("write %d answered %d", i, res.StatusCode)
			}
			res, err = http.Get(e.url + OneRosterBasePaths[0] + "/results")
			if err != nil {
				errs <- err.Error()
				return
			}
			res.Body.Close()
		}()
	}
	for range 16 {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := e.count("SELECT COUNT(*) FROM ASSIGNMENTSCORE"); n != 2 {
		t.Errorf("%d score rows after concurrent upserts for 2 students, want 2", n)
	}
}

// TestBodyCap: a write body over 4 MiB is cut off and refused in each
// dialect, not read whole.
func TestBodyCap(t *testing.T) {
	e := newEnv(t)
	big := `{"assignment_scores":[{"comment":"` + strings.Repeat("x", maxBody) + `"}]}`
	for _, c := range []struct{ method, path string }{
		{"PUT", "/ws/xte/score?users_dcid=77"},
		{"POST", "/ws/xte/section/assignment?users_dcid=77"},
		{"PUT", "/ims/oneroster/v1p1/categories/big"},
	} {
		r := e.do(c.method, c.path, big)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "request body too large") {
			t.Errorf("%s %s with %d bytes: %d %.200s", c.method, c.path, len(big), r.status, r.body)
		}
	}
}
