package powerschool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeGradebook is a small PowerTeacher Pro behind fakePS, following the
// gradebook wire contract: one section (DCID 12345, school 2)
// taught by staff 77 (users_dcid 770). The term is given by DCID (7001),
// as /ws/v1 does, so the school year (35) must come from start_year.
type fakeGradebook struct {
	ps *fakePS

	mu          sync.Mutex
	students    map[int64]string // DCID → student number
	enrolled    map[int64]bool   // DCID → enrolled (false: dropped)
	categories  []map[string]any
	assignments map[int64]*fakeAssignment
	nextID      int64
	writes      atomic.Int32 // POST/PUT/DELETE received under /ws/xte
	scorePuts   atomic.Int32
	usersSeen   map[string]bool // users_dcid values received
	termIDs     []string        // term_id of each score write
	// termsReadable lets the table API answer TERMS.ID for the section's term.
	termsReadable bool
	// staffByUsersDCID makes /ws/v1/staff/{id} keyed by USERS.DCID, so the
	// section's staff_id (a SCHOOLSTAFF.DCID) is not found there.
	staffByUsersDCID bool
	// fault, when set, may answer a write itself: it returns a status and
	// whether the write is applied before answering with it.
	fault func(r *http.Request) (status int, applyFirst bool)
}

type fakeAssignment struct {
	id, secID    int64
	name, due    string
	points       float64
	category     int64
	scores       map[int64]*fakeScore
	nextScoreIDs *int64
}

type fakeScore struct {
	id      int64
	entered string
}

const (
	gbSection = 12345
	gbTeacher = 770
)

func newFakeGradebook(t *testing.T) *fakeGradebook {
	g := &fakeGradebook{ps: newFakePS(t), nextID: 100,
		students: map[int64]string{4001: "1001", 4002: "1002", 4003: "1003"},
		enrolled: map[int64]bool{4001: true, 4002: true, 4003: false},
		categories: []map[string]any{
			{"teachercategoryid": 2511, "name": "Homework", "isactive": true, "isinfinalgrades": true, "districtteachercategoryid": nil, "usersdcid": gbTeacher, "yearid": 35, "color": "3"},
			{"teachercategoryid": 2512, "name": "Tests", "isactive": true, "isinfinalgrades": true, "districtteachercategoryid": 2, "usersdcid": gbTeacher, "yearid": 35},
			{"teachercategoryid": 2513, "name": "Old", "isactive": false, "isinfinalgrades": true, "usersdcid": gbTeacher, "yearid": 35},
		},
		assignments: map[int64]*fakeAssignment{}, usersSeen: map[string]bool{}}
	h := g.ps.handle
	h("GET /ws/v1/section/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != strconv.Itoa(gbSection) {
			http.Error(w, `{"message":"Not found"}`, http.StatusNotFound)
			return
		}
		writeJSON(w, map[string]any{"section": map[string]any{"id": gbSection, "school_id": 2, "staff_id": 77, "term_id": 7001, "course_id": 9}})
	})
	h("GET /ws/v1/school/2/term/count", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"resource": map[string]any{"count": 2}})
	})
	h("GET /ws/v1/school/2/term", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"terms": map[string]any{"term": []any{
			map[string]any{"id": 7001, "school_id": 2, "start_year": 2025, "start_date": "2025-08-15", "end_date": "2026-06-10", "name": "2025-2026"},
			map[string]any{"id": 3501, "school_id": 2, "start_date": "2025-08-15", "end_date": "2026-01-15", "name": "S1"},
		}}})
	})
	h("GET /ws/v1/staff/77", func(w http.ResponseWriter, r *http.Request) {
		if g.staffByUsersDCID {
			http.Error(w, `{"message":"Not found"}`, http.StatusNotFound)
			return
		}
		writeJSON(w, map[string]any{"staff": map[string]any{"id": 77, "users_dcid": gbTeacher, "name": map[string]any{"last_name": "Smith"}}})
	})
	h("GET /ws/schema/table/terms/7001", func(w http.ResponseWriter, r *http.Request) {
		if !g.termsReadable {
			http.Error(w, `{"message":"No access to field terms.id"}`, http.StatusForbidden)
			return
		}
		writeJSON(w, map[string]any{"id": 7001, "name": "TERMS", "tables": map[string]any{"terms": map[string]any{"id": "3500"}}})
	})
	h("GET /ws/schema/table/schoolstaff/77", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("projection") == "" {
			http.Error(w, `{"message":"projection is required"}`, http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]any{"id": 77, "name": "SCHOOLSTAFF", "tables": map[string]any{"schoolstaff": map[string]any{"users_dcid": strconv.Itoa(gbTeacher)}}})
	})
	h("GET /ws/v1/section/12345/section_enrollment/count", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"resource": map[string]any{"count": len(g.enrolled)}})
	})
	h("GET /ws/v1/section/12345/section_enrollment", func(w http.ResponseWriter, r *http.Request) {
		var list []any
		for _, id := range []int64{4001, 4002, 4003} {
			list = append(list, map[string]any{"id": id + 1, "section_id": gbSection, "student_id": id, "dropped": !g.enrolled[id]})
		}
		writeJSON(w, map[string]any{"section_enrollments": map[string]any{"section_enrollment": list}})
	})
	h("GET /ws/v1/student/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		num, ok := g.students[id]
		if !ok {
			http.Error(w, `{"message":"Not found"}`, http.StatusNotFound)
			return
		}
		n, _ := strconv.Atoi(num)
		writeJSON(w, map[string]any{"student": map[string]any{"id": id, "local_id": n}})
	})
	h("GET /ws/xte/teacher_category", func(w http.ResponseWriter, r *http.Request) {
		g.saw(r)
		if r.URL.Query().Get("year_id") != "35" {
			writeJSON(w, []any{})
			return
		}
		writeJSON(w, g.categories)
	})
	h("GET /ws/xte/section/assignment/", func(w http.ResponseWriter, r *http.Request) {
		g.saw(r)
		g.mu.Lock()
		defer g.mu.Unlock()
		list := []any{}
		for id := int64(100); id < g.nextID; id++ {
			if a := g.assignments[id]; a != nil && r.URL.Query().Get("section_ids") == strconv.Itoa(gbSection) {
				list = append(list, a.json(false))
			}
		}
		writeJSON(w, list)
	})
	h("GET /ws/xte/section/assignment/{id}", func(w http.ResponseWriter, r *http.Request) {
		g.saw(r)
		g.mu.Lock()
		defer g.mu.Unlock()
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		a := g.assignments[id]
		if a == nil {
			http.Error(w, `{"message":"Not found"}`, http.StatusNotFound)
			return
		}
		writeJSON(w, a.json(true))
	})
	h("POST /ws/xte/section/assignment/", func(w http.ResponseWriter, r *http.Request) { g.write(w, r, g.create) })
	h("PUT /ws/xte/section/assignment/{id}", func(w http.ResponseWriter, r *http.Request) { g.write(w, r, g.update) })
	h("DELETE /ws/xte/section/assignment/{id}", func(w http.ResponseWriter, r *http.Request) { g.write(w, r, g.delete) })
	h("PUT /ws/xte/score", func(w http.ResponseWriter, r *http.Request) {
		g.scorePuts.Add(1)
		g.write(w, r, g.putScores)
	})
	return g
}

func (g *fakeGradebook) saw(r *http.Request) {
	g.mu.Lock()
	g.usersSeen[r.URL.Query().Get("users_dcid")] = true
	g.mu.Unlock()
}

// write runs a write handler under the fault hook.
func (g *fakeGradebook) write(w http.ResponseWriter, r *http.Request, fn func(http.ResponseWriter, *http.Request, map[string]any)) {
	g.writes.Add(1)
	g.saw(r)
	var body map[string]any
	if r.Body != nil && r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"message":"bad JSON"}`, http.StatusBadRequest)
			return
		}
	}
	if r.URL.Query().Get("users_dcid") != strconv.Itoa(gbTeacher) && r.Method != http.MethodDelete {
		http.Error(w, `{"message":"User does not teach section 12345 EDIT"}`, http.StatusForbidden)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fault != nil {
		if status, apply := g.fault(r); status != 0 {
			if apply {
				fn(discard{}, r, body)
			}
			w.WriteHeader(status)
			return
		}
	}
	fn(w, r, body)
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

func conflict(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusConflict)
	json.NewEncoder(w).Encode(map[string]any{"message": msg, "errors": []any{map[string]any{"resource": "assignmentsection", "field": "name", "code": "INVALID"}}})
}

func (g *fakeGradebook) sectionBody(w http.ResponseWriter, body map[string]any) (map[string]any, bool) {
	secs, _ := body["_assignmentsections"].([]any)
	if len(secs) != 1 {
		conflict(w, "one section record expected")
		return nil, false
	}
	s := secs[0].(map[string]any)
	name, _ := s["name"].(string)
	due, _ := s["duedate"].(string)
	switch {
	case s["scoretype"] != "POINTS":
		conflict(w, "scoretype must be POINTS")
	case len(name) > 50 || name == "":
		conflict(w, "name must be 1 to 50 characters")
	case due < "2025-08-15" || due > "2026-06-10":
		conflict(w, "duedate is outside the term")
	case s["sectionsdcid"] != float64(gbSection):
		conflict(w, "unknown section")
	default:
		return s, true
	}
	return nil, false
}

func (g *fakeGradebook) fill(a *fakeAssignment, s map[string]any) {
	a.name, a.due = s["name"].(string), s["duedate"].(string)
	a.points = s["totalpointvalue"].(float64)
	cats := s["_assignmentcategoryassociations"].([]any)
	a.category = int64(cats[0].(map[string]any)["teachercategoryid"].(float64))
}

func (g *fakeGradebook) create(w http.ResponseWriter, r *http.Request, body map[string]any) {
	s, ok := g.sectionBody(w, body)
	if !ok {
		return
	}
	id := g.nextID
	g.nextID++
	a := &fakeAssignment{id: id, secID: id + 90000, scores: map[int64]*fakeScore{}, nextScoreIDs: new(int64)}
	g.fill(a, s)
	g.assignments[id] = a
	w.Header().Set("Location", "http://"+r.Host+basePath+"/ws/xte/section/assignment/"+strconv.FormatInt(id, 10))
	w.Header().Set("AssignmentSectionIds", fmt.Sprintf("[%d]", a.secID))
	w.WriteHeader(http.StatusCreated)
}

func (g *fakeGradebook) update(w http.ResponseWriter, r *http.Request, body map[string]any) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	a := g.assignments[id]
	if a == nil {
		http.Error(w, `{"message":"Not found"}`, http.StatusNotFound)
		return
	}
	s, ok := g.sectionBody(w, body)
	if !ok {
		return
	}
	g.fill(a, s)
	writeJSON(w, a.json(false))
}

func (g *fakeGradebook) delete(w http.ResponseWriter, r *http.Request, _ map[string]any) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	a := g.assignments[id]
	if a == nil {
		http.Error(w, `{"message":"Not found"}`, http.StatusNotFound)
		return
	}
	if len(a.scores) > 0 && r.URL.Query().Get("force") != "true" {
		http.Error(w, `{"message":"Assignment has scores"}`, http.StatusPreconditionFailed)
		return
	}
	delete(g.assignments, id)
	w.WriteHeader(http.StatusNoContent)
}

func (g *fakeGradebook) putScores(w http.ResponseWriter, r *http.Request, body map[string]any) {
	g.termIDs = append(g.termIDs, r.URL.Query().Get("term_id"))
	rows, _ := body["assignment_scores"].([]any)
	type target struct {
		a   *fakeAssignment
		stu int64
		row map[string]any
	}
	var todo []target
	for _, raw := range rows {
		row := raw.(map[string]any)
		stu := int64(row["studentsdcid"].(float64))
		asec := int64(row["_assignmentsection"].(map[string]any)["assignmentsectionid"].(float64))
		var a *fakeAssignment
		for _, x := range g.assignments {
			if x.secID == asec {
				a = x
			}
		}
		if a == nil {
			http.Error(w, fmt.Sprintf(`{"message":"Unable to find AssignmentSection with id %d"}`, asec), http.StatusInternalServerError)
			return
		}
		if !g.enrolled[stu] {
			// Live: the whole batch fails, naming the student in params.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			fmt.Fprintf(w, `{"message":"Student %d is not enrolled in section %d","errors":[{"resource":"assignment_score","field":"studentsdcid","code":"NOT_ENROLLED","params":{"student_dcid":%d}}]}`, stu, gbSection, stu)
			return
		}
		if id, ok := row["assignmentscoreid"].(float64); ok {
			if old := a.scores[stu]; old == nil || old.id != int64(id) {
				http.Error(w, `{"message":"Resubmit"}`, http.StatusPreconditionFailed)
				return
			}
		}
		todo = append(todo, target{a, stu, row})
	}
	var out []any
	for _, t := range todo {
		sc := t.a.scores[t.stu]
		if sc == nil {
			*t.a.nextScoreIDs++
			sc = &fakeScore{id: t.a.secID*10 + *t.a.nextScoreIDs}
			t.a.scores[t.stu] = sc
		}
		sc.entered = t.row["actualscoreentered"].(string)
		// Live: each student named, no assignmentscoreid.
		out = append(out, map[string]any{"studentsdcid": t.stu, "actualscoreentered": sc.entered})
	}
	writeJSON(w, map[string]any{"assignment_scores": out})
}

func (a *fakeAssignment) json(withScores bool) map[string]any {
	sec := map[string]any{"assignmentsectionid": a.secID, "sectionsdcid": gbSection, "name": a.name, "description": "", "duedate": a.due,
		"scoretype": "POINTS", "scoreentrypoints": a.points, "totalpointvalue": a.points, "extracreditpoints": 0, "weight": 1,
		"iscountedinfinalgrade": true, "isscorespublish": true, "yearid": 35,
		"_assignmentcategoryassociations": []any{map[string]any{"teachercategoryid": a.category, "isprimary": true}}}
	if withScores {
		scores := []any{}
		for stu, s := range a.scores {
			p, _ := strconv.ParseFloat(s.entered, 64)
			scores = append(scores, map[string]any{"assignmentscoreid": s.id, "studentsdcid": stu, "actualscoreentered": s.entered,
				"actualscorekind": "REAL_SCORE", "scorepoints": p, "islate": false, "isexempt": false, "ismissing": false})
		}
		sec["_assignmentscores"] = scores
	}
	return map[string]any{"assignmentid": a.id, "standardscoringmethod": "GradeScale", "_assignmentsections": []any{sec}}
}

func (g *fakeGradebook) stored(title string) map[int64]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int64]string{}
	for _, a := range g.assignments {
		if a.name == title {
			for stu, s := range a.scores {
				out[stu] = s.entered
			}
		}
	}
	return out
}

func (g *fakeGradebook) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.assignments)
}

func quiz(points float64) NewAssignment {
	return NewAssignment{SectionDCID: gbSection, YearID: 35, Name: "Quiz 1", DueDate: "2025-10-01", Points: points, CategoryID: 2511}
}

func TestXTECreateSurfacesLocationAndSectionIDs(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	ctx := context.Background()
	got, err := x.CreateAssignment(ctx, gbTeacher, quiz(10))
	if err != nil {
		t.Fatal(err)
	}
	if got.AssignmentID != 100 || len(got.AssignmentSectionIDs) != 1 || got.AssignmentSectionIDs[0] != 90100 {
		t.Fatalf("created = %+v, want assignment 100 with section record 90100", got)
	}
	if !strings.HasSuffix(got.Location, "/ws/xte/section/assignment/100") {
		t.Errorf("Location = %q", got.Location)
	}
	a, err := x.GetAssignment(ctx, gbTeacher, got.AssignmentID)
	if err != nil {
		t.Fatal(err)
	}
	s := a.Section(gbSection)
	if s == nil || s.Name != "Quiz 1" || s.TotalPointValue != 10 || s.PrimaryCategory() != 2511 || s.DueDate != "2025-10-01" {
		t.Fatalf("read back %+v", a)
	}
	if !g.usersSeen["770"] || len(g.usersSeen) != 1 {
		t.Errorf("users_dcid values sent: %v, want only 770", g.usersSeen)
	}
	cats, err := x.Categories(ctx, gbTeacher, 35)
	if err != nil || len(cats) != 3 || cats[0].Name != "Homework" || !bool(cats[0].IsActive) || bool(cats[2].IsActive) || cats[1].DistrictTeacherCategoryID != 2 {
		t.Fatalf("categories = %+v, %v", cats, err)
	}
}

func TestXTEServerValidationIs409WithMessage(t *testing.T) {
	g := newFakeGradebook(t)
	n := quiz(10)
	n.DueDate = "2030-01-01"
	_, err := g.ps.client().XTE.CreateAssignment(context.Background(), gbTeacher, n)
	if statusOf(err) != http.StatusConflict || !strings.Contains(err.Error(), "outside the term") {
		t.Fatalf("err = %v, want 409 naming the due date", err)
	}
}

func TestXTERequiresTeacherAndRefusesBadInputBeforeSending(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	ctx := context.Background()
	if _, err := x.Categories(ctx, 0, 35); err == nil || !strings.Contains(err.Error(), "users_dcid") {
		t.Errorf("no teacher: err = %v", err)
	}
	n := quiz(0)
	n.Name = strings.Repeat("x", 51)
	_, err := x.CreateAssignment(ctx, gbTeacher, n)
	if err == nil || !strings.Contains(err.Error(), "51 characters") || !strings.Contains(err.Error(), "points possible") {
		t.Errorf("bad assignment: err = %v", err)
	}
	if _, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{{StudentDCID: 4001, Score: "1"}}); err == nil {
		t.Error("a score without assignment IDs was accepted")
	}
	if g.writes.Load() != 0 {
		t.Errorf("%d writes reached the server", g.writes.Load())
	}
}

func TestXTEReadOnlyClientRefusesWrites(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client(WithReadOnly()).XTE
	_, err := x.CreateAssignment(context.Background(), gbTeacher, quiz(10))
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("err = %v, want ErrReadOnly", err)
	}
	_, err = x.PutScores(context.Background(), gbTeacher, []ScoreWrite{{AssignmentID: 1, AssignmentSectionID: 2, StudentDCID: 4001, Score: "1"}})
	if !errors.Is(err, ErrReadOnly) || g.writes.Load() != 0 {
		t.Fatalf("err = %v, writes = %d", err, g.writes.Load())
	}
}

func TestXTEDeleteNeedsForceWhenScored(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	ctx := context.Background()
	c, err := x.CreateAssignment(ctx, gbTeacher, quiz(10))
	if err != nil {
		t.Fatal(err)
	}
	w := ScoreWrite{AssignmentID: c.AssignmentID, AssignmentSectionID: c.AssignmentSectionIDs[0], SectionDCID: gbSection, StudentDCID: 4001, Score: "7"}
	if _, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{w}); err != nil {
		t.Fatal(err)
	}
	err = x.DeleteAssignment(ctx, gbTeacher, c.AssignmentID, false)
	if statusOf(err) != http.StatusPreconditionFailed || !strings.Contains(err.Error(), "force") {
		t.Fatalf("delete without force: %v", err)
	}
	if err := x.DeleteAssignment(ctx, gbTeacher, c.AssignmentID, true); err != nil || g.count() != 0 {
		t.Fatalf("delete with force: %v, %d left", err, g.count())
	}
}

// scoredQuiz creates Quiz 1 and returns a score row template for it.
func scoredQuiz(t *testing.T, x *XTEService) ScoreWrite {
	t.Helper()
	c, err := x.CreateAssignment(context.Background(), gbTeacher, quiz(10))
	if err != nil {
		t.Fatal(err)
	}
	return ScoreWrite{AssignmentID: c.AssignmentID, AssignmentSectionID: c.AssignmentSectionIDs[0], SectionDCID: gbSection}
}

func TestXTEPutScoresIsIdempotentAndBatched(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	ctx := context.Background()
	base := scoredQuiz(t, x)
	a, b := base, base
	a.StudentDCID, a.Score = 4001, "8"
	b.StudentDCID, b.Score = 4002, "9.5"
	ids := func() map[int64]int64 {
		t.Helper()
		got, err := x.GetAssignment(ctx, gbTeacher, a.AssignmentID)
		if err != nil {
			t.Fatal(err)
		}
		m := map[int64]int64{}
		for _, sc := range got.Sections[0].Scores {
			m[int64(sc.StudentDCID)] = int64(sc.ID)
		}
		return m
	}
	first, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{a, b})
	if err != nil || len(first) != 2 || first[0].StudentDCID != 4001 || first[1].StudentDCID != 4002 {
		t.Fatalf("first put: %v, %+v", err, first)
	}
	before := ids()
	if _, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{a, b}); err != nil {
		t.Fatal(err)
	}
	if after := ids(); len(after) != 2 || after[4001] != before[4001] || after[4002] != before[4002] {
		t.Errorf("re-sending made new rows: %v then %v", before, after)
	}
	if got := g.stored("Quiz 1"); len(got) != 2 || got[4001] != "8" || got[4002] != "9.5" {
		t.Errorf("stored = %v", got)
	}

	// More rows than one batch: split into ScoreBatchSize pieces.
	g.scorePuts.Store(0)
	rows := make([]ScoreWrite, ScoreBatchSize+1)
	for i := range rows {
		rows[i] = a
	}
	if _, err := x.PutScores(ctx, gbTeacher, rows); err != nil {
		t.Fatal(err)
	}
	if n := g.scorePuts.Load(); n != 2 {
		t.Errorf("%d rows went in %d requests, want 2", len(rows), n)
	}
}

func TestXTEPutScoresNotEnrolledRefusesBatchNamingStudent(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	base := scoredQuiz(t, x)
	ok, bad := base, base
	ok.StudentDCID, ok.Score = 4001, "5"
	bad.StudentDCID, bad.Score = 4003, "5"
	_, err := x.PutScores(context.Background(), gbTeacher, []ScoreWrite{ok, bad})
	var be *ScoreBatchError
	if !errors.As(err, &be) || len(be.Rows) != 2 || !strings.Contains(err.Error(), "Student 4003 is not enrolled") {
		t.Fatalf("err = %v, want a ScoreBatchError naming student 4003", err)
	}
	if len(be.Students) != 1 || !be.Blames(4003) || be.Blames(4001) {
		t.Errorf("Students = %v, want [4003] from errors[].params.student_dcid", be.Students)
	}
	if got := g.stored("Quiz 1"); len(got) != 0 {
		t.Errorf("stored %v after a refused batch", got)
	}
}

func TestXTEResubmitRereadsAndRetriesOnce(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	ctx := context.Background()
	w := scoredQuiz(t, x)
	w.StudentDCID, w.Score = 4001, "6"
	if _, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{w}); err != nil {
		t.Fatal(err)
	}
	// A stale ASSIGNMENTSCOREID: the server answers 412 Resubmit.
	w.ScoreID, w.Score = 999, "7"
	g.scorePuts.Store(0)
	out, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{w})
	if err != nil {
		t.Fatal(err)
	}
	if n := g.scorePuts.Load(); n != 2 {
		t.Errorf("%d score requests, want 2 (the 412, then one resubmit)", n)
	}
	if len(out) != 1 || g.stored("Quiz 1")[4001] != "7" {
		t.Errorf("after resubmit: %+v, stored %v", out, g.stored("Quiz 1"))
	}

	// A server that keeps answering 412 gets exactly one resubmit.
	g.mu.Lock()
	g.fault = func(r *http.Request) (int, bool) {
		if r.URL.Path == basePath+"/ws/xte/score" {
			return http.StatusPreconditionFailed, false
		}
		return 0, false
	}
	g.mu.Unlock()
	g.scorePuts.Store(0)
	if _, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{w}); err == nil || !strings.Contains(err.Error(), "resubmitted once") {
		t.Fatalf("err = %v", err)
	}
	if n := g.scorePuts.Load(); n != 2 {
		t.Errorf("%d score requests against a server that always says 412, want 2", n)
	}
}

func TestXTEWritesAreNotRetriedBlindly(t *testing.T) {
	for _, tc := range []struct {
		name       string
		applyFirst bool
		wantPuts   int32
	}{
		{"applied, answer lost", true, 1}, // re-read shows it stored: nothing re-sent
		{"not applied", false, 2},         // re-read shows it missing: sent once more
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGradebook(t)
			x := g.ps.client().XTE
			w := scoredQuiz(t, x)
			w.StudentDCID, w.Score = 4002, "4"
			var failed atomic.Bool
			g.mu.Lock()
			g.fault = func(r *http.Request) (int, bool) {
				if r.URL.Path == basePath+"/ws/xte/score" && failed.CompareAndSwap(false, true) {
					return http.StatusGatewayTimeout, tc.applyFirst
				}
				return 0, false
			}
			g.mu.Unlock()
			g.scorePuts.Store(0)
			out, err := x.PutScores(context.Background(), gbTeacher, []ScoreWrite{w})
			if err != nil {
				t.Fatal(err)
			}
			if n := g.scorePuts.Load(); n != tc.wantPuts {
				t.Errorf("%d score PUTs, want %d (the retry layer must not repeat it)", n, tc.wantPuts)
			}
			if len(out) != 1 || g.stored("Quiz 1")[4002] != "4" {
				t.Errorf("out %+v, stored %v", out, g.stored("Quiz 1"))
			}
		})
	}
}

func TestXTECreateAfterLostAnswerDoesNotDuplicate(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	var failed atomic.Bool
	g.fault = func(r *http.Request) (int, bool) {
		if r.Method == http.MethodPost && failed.CompareAndSwap(false, true) {
			return http.StatusBadGateway, true
		}
		return 0, false
	}
	// A bare create is sent once and reports the failure...
	if _, err := x.CreateAssignment(context.Background(), gbTeacher, quiz(10)); statusOf(err) != http.StatusBadGateway {
		t.Fatalf("err = %v, want the 502", err)
	}
	if n := g.writes.Load(); n != 1 {
		t.Fatalf("%d POSTs, want 1", n)
	}
	// ...and a push finds the assignment it created instead of making a second.
	g.mu.Lock()
	g.assignments = map[int64]*fakeAssignment{}
	g.mu.Unlock()
	failed.Store(false)
	g.writes.Store(0)
	sum := push(t, x, gradebook(GradebookScore{Row: 2, Assignment: "Quiz 1", Student: "1001", Score: "9"}))
	if g.count() != 1 || sum.Assignments.Created != 1 || sum.Scores.Created != 1 {
		t.Fatalf("%d assignments after a lost create; summary %+v", g.count(), sum)
	}
	if g.stored("Quiz 1")[4001] != "9" {
		t.Errorf("stored %v", g.stored("Quiz 1"))
	}
}

func gradebook(scores ...GradebookScore) Gradebook {
	return Gradebook{SectionDCID: gbSection, Assignments: []GradebookAssignment{
		{Row: 2, Title: "Quiz 1", DueDate: "2025-10-01", Category: "Homework", Points: 10},
	}, Scores: scores}
}

func push(t *testing.T, x *XTEService, g Gradebook) GradebookSummary {
	t.Helper()
	p, err := x.PlanGradebook(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := x.ApplyGradebook(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestGradebookPushTwiceSecondWritesNothing(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	gb := gradebook(
		GradebookScore{Row: 2, Assignment: "Quiz 1", Student: "1001", Score: "8"},
		GradebookScore{Row: 2, Assignment: "Quiz 1", Student: "1002", Score: "10"},
	)
	gb.Assignments = append(gb.Assignments, GradebookAssignment{Row: 3, Title: "Test 1", DueDate: "2025-11-01", Category: "tests", Points: 50})
	gb.Scores = append(gb.Scores, GradebookScore{Row: 3, Assignment: "Test 1", Student: "1001", Score: "41"})

	first := push(t, x, gb)
	want := GradebookCounts{Created: 2}
	if first.Assignments != want || first.Scores != (GradebookCounts{Created: 3}) || len(first.Rejected) != 0 {
		t.Fatalf("first push: %+v", first)
	}
	g.writes.Store(0)
	second := push(t, x, gb)
	if second.Assignments != (GradebookCounts{Unchanged: 2}) || second.Scores != (GradebookCounts{Unchanged: 3}) {
		t.Fatalf("second push: %+v", second)
	}
	if n := g.writes.Load(); n != 0 {
		t.Errorf("second push sent %d writes, want none", n)
	}

	// A changed score and a changed due date: one update each, the rest unchanged.
	gb.Scores[0].Score = "9"
	gb.Assignments[1].DueDate = "2025-11-02"
	third := push(t, x, gb)
	if third.Assignments != (GradebookCounts{Updated: 1, Unchanged: 1}) || third.Scores != (GradebookCounts{Updated: 1, Unchanged: 2}) {
		t.Fatalf("third push: %+v", third)
	}
	if g.stored("Quiz 1")[4001] != "9" || g.count() != 2 {
		t.Errorf("stored %v, %d assignments", g.stored("Quiz 1"), g.count())
	}
}

func TestGradebookRejectedRowsDoNotBlockOthers(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	gb := gradebook(
		GradebookScore{Row: 2, Assignment: "Quiz 1", Student: "1001", Score: "8"},
		GradebookScore{Row: 2, Assignment: "Quiz 1", Student: "1003", Score: "8"}, // dropped
		GradebookScore{Row: 2, Assignment: "Quiz 1", Student: "9999", Score: "8"}, // unknown
	)
	gb.Assignments = append(gb.Assignments, GradebookAssignment{Row: 3, Title: "Long " + strings.Repeat("a", 50), DueDate: "2025-11-01", Category: "Homework", Points: 5})
	gb.Scores = append(gb.Scores, GradebookScore{Row: 3, Assignment: gb.Assignments[1].Title, Student: "1001", Score: "5"})
	sum := push(t, x, gb)
	if sum.Assignments != (GradebookCounts{Created: 1, Rejected: 1}) || sum.Scores != (GradebookCounts{Created: 1, Rejected: 3}) {
		t.Fatalf("summary %+v", sum)
	}
	text := fmt.Sprint(sum.Rejected)
	for _, want := range []string{"student 1003 is not enrolled in section 12345", "student 9999 is not enrolled", "55 characters", "its assignment was rejected (row 3)"} {
		if !strings.Contains(text, want) {
			t.Errorf("rejections %s do not mention %q", text, want)
		}
	}
	if got := g.stored("Quiz 1"); len(got) != 1 || got[4001] != "8" {
		t.Errorf("stored %v, want only student 4001's score", got)
	}
}

func TestGradebookServerRefusalIsReportedPerRow(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	p, err := x.PlanGradebook(context.Background(), gradebook(GradebookScore{Row: 2, Assignment: "Quiz 1", Student: "1002", Score: "3"}))
	if err != nil {
		t.Fatal(err)
	}
	// The student drops between planning and sending.
	g.mu.Lock()
	g.enrolled[4002] = false
	g.mu.Unlock()
	sum, err := x.ApplyGradebook(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Scores.Rejected != 1 || len(sum.Rejected) != 1 || !strings.Contains(sum.Rejected[0].String(), "Student 4002 is not enrolled") || sum.Rejected[0].Row != 2 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestGradebookPlanRules(t *testing.T) {
	f := &SectionFacts{SectionDCID: gbSection, YearID: 35, TermStart: "2025-08-15", TermEnd: "2026-06-10", UsersDCID: gbTeacher,
		Students: map[string]int64{"1001": 4001},
		Categories: []TeacherCategory{{ID: 1, Name: "Homework", IsActive: true}, {ID: 2, Name: "Old", IsActive: false},
			{ID: 3, Name: strings.Repeat("c", 31), IsActive: true}}}
	ok := GradebookAssignment{Row: 1, Title: "A", DueDate: "2025-09-01", Category: "Homework", Points: 10}
	for _, tc := range []struct {
		name   string
		change func(*GradebookAssignment)
		want   string
	}{
		{"percent", func(a *GradebookAssignment) { a.ScoreType = "PERCENT" }, "only points"},
		{"title 51", func(a *GradebookAssignment) { a.Title = strings.Repeat("é", 51) }, "51 characters"},
		{"empty title", func(a *GradebookAssignment) { a.Title = " " }, "title is empty"},
		{"category 31", func(a *GradebookAssignment) { a.Category = strings.Repeat("c", 31) }, "31 characters; PowerTeacher Pro allows 30"},
		{"inactive", func(a *GradebookAssignment) { a.Category = "Old" }, `category "Old" is inactive`},
		{"unknown category", func(a *GradebookAssignment) { a.Category = "Labs" }, `no category "Labs"; use one of: "Homework"`},
		{"before term", func(a *GradebookAssignment) { a.DueDate = "2025-08-14" }, "outside the section's term (2025-08-15 to 2026-06-10)"},
		{"after term", func(a *GradebookAssignment) { a.DueDate = "2026-06-11" }, "outside"},
		{"bad date", func(a *GradebookAssignment) { a.DueDate = "10/01/2025" }, "YYYY-MM-DD"},
		{"zero points", func(a *GradebookAssignment) { a.Points = 0 }, "above 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := ok
			tc.change(&a)
			p := f.Plan(Gradebook{SectionDCID: gbSection, Assignments: []GradebookAssignment{a},
				Scores: []GradebookScore{{Row: 1, Assignment: a.Title, Student: "1001", Score: "1"}}})
			if len(p.Assignments) != 0 || len(p.Rejected) != 2 || !strings.Contains(p.Rejected[0].Reason, tc.want) || p.Rejected[0].Row != 1 {
				t.Fatalf("rejections %v, want one containing %q and its score", p.Rejected, tc.want)
			}
		})
	}
	// Edges that pass: the term's first and last day, 50 characters, extra credit.
	edge := []GradebookAssignment{ok, ok}
	edge[0].Title, edge[0].DueDate = strings.Repeat("é", 50), "2025-08-15"
	edge[1].Title, edge[1].DueDate, edge[1].Category = "B", "2026-06-10", "homework"
	p := f.Plan(Gradebook{Assignments: edge, Scores: []GradebookScore{
		{Row: 4, Assignment: "B", Student: "1001", Score: "12"},
		{Row: 5, Assignment: "B", Student: "1001", Score: "1"},
		{Row: 6, Assignment: "B", Student: "1001x", Score: "1"},
		{Row: 7, Assignment: edge[0].Title, Student: "1001", Score: "-1"},
		{Row: 8, Assignment: edge[0].Title, Student: "1001", Score: "ten"},
		{Row: 9, Assignment: "Nope", Student: "1001", Score: "1"},
	}})
	if len(p.Assignments) != 2 || p.Summary().Scores.Created != 1 {
		t.Fatalf("plan %+v", p)
	}
	wantRows := map[int]string{5: "second score", 6: "not enrolled", 7: "negative", 8: "not a number", 9: `no assignment "Nope"`}
	if len(p.Rejected) != len(wantRows) {
		t.Fatalf("rejections %v", p.Rejected)
	}
	for _, r := range p.Rejected {
		if !strings.Contains(r.Reason, wantRows[r.Row]) {
			t.Errorf("row %d: %q, want %q", r.Row, r.Reason, wantRows[r.Row])
		}
	}
}

func TestGradebookSectionNotFound(t *testing.T) {
	g := newFakeGradebook(t)
	_, err := g.ps.client().XTE.PlanGradebook(context.Background(), Gradebook{SectionDCID: 1})
	if !IsNotFound(err) || !strings.Contains(err.Error(), "section 1 not found") {
		t.Fatalf("err = %v", err)
	}
}

func TestScoreWriteShape(t *testing.T) {
	b, err := json.Marshal(ScoreWrite{AssignmentID: 55555, AssignmentSectionID: 98765, SectionDCID: 12345, StudentDCID: 4242, Score: "8", ScoreID: 7})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	asec := m["_assignmentsection"].(map[string]any)
	if m["actualscoreentered"] != "8" || m["scorepoints"] != 8.0 || m["studentsdcid"] != 4242.0 || m["assignmentscoreid"] != 7.0 ||
		asec["assignmentsectionid"] != 98765.0 || asec["_assignment"].(map[string]any)["assignmentid"] != 55555.0 {
		t.Fatalf("row = %s", b)
	}
	if !sameScore("8", "8.0") || sameScore("8", "8.5") || !sameScore("A", "A") {
		t.Error("sameScore")
	}
}

func TestXTELoadSectionFindsTeacherThroughSchoolStaff(t *testing.T) {
	g := newFakeGradebook(t)
	g.staffByUsersDCID = true
	f, err := g.ps.client().XTE.LoadSection(context.Background(), gbSection, 0, nil)
	if err != nil {
		t.Fatalf("LoadSection: %v", err)
	}
	if f.UsersDCID != gbTeacher {
		t.Fatalf("UsersDCID = %d, want %d (from SCHOOLSTAFF.USERS_DCID)", f.UsersDCID, gbTeacher)
	}
}

func TestScoreBatchErrorReadsStudentDCIDLeniently(t *testing.T) {
	for _, body := range []string{
		`{"message":"Validation failed","errors":[{"params":{"student_dcid":"4003"}},{"params":{"student_dcid":4004}},{"params":{}},{"params":{"student_dcid":"x"}}]}`,
	} {
		err := newScoreBatchError(nil, newAPIError(http.StatusConflict, "PUT", "/ws/xte/score", []byte(body), func(s string) string { return s }))
		if len(err.Students) != 2 || err.Students[0] != 4003 || err.Students[1] != 4004 {
			t.Errorf("Students = %v from %s, want [4003 4004]", err.Students, body)
		}
		if !strings.Contains(err.Error(), "student(s) 4003, 4004") {
			t.Errorf("message %q does not name the students", err.Error())
		}
	}
}

func TestXTEPutScoresSendsTermID(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	ctx := context.Background()
	w := scoredQuiz(t, x)
	w.StudentDCID, w.Score, w.TermID = 4001, "7", 3501
	if _, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{w}); err != nil {
		t.Fatal(err)
	}
	other := w
	other.StudentDCID, other.TermID = 4002, 3502
	if _, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{w, other}); err == nil || !strings.Contains(err.Error(), "separately") {
		t.Errorf("mixed terms: err = %v, want a refusal before sending", err)
	}
	w.TermID = 0
	if _, err := x.PutScores(ctx, gbTeacher, []ScoreWrite{w}); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.termIDs) != 2 || g.termIDs[0] != "3501" || g.termIDs[1] != "" {
		t.Errorf("term_id sent: %q, want 3501 then none", g.termIDs)
	}
}

// A section's term comes from /ws/v1 as TERMS.DCID; LoadSection reads its
// TERMS.ID (PUT /ws/xte/score's term_id) through the table API, and goes on
// without it when the plugin may not read TERMS.ID.
func TestXTELoadSectionReadsTermsID(t *testing.T) {
	for _, readable := range []bool{true, false} {
		g := newFakeGradebook(t)
		g.termsReadable = readable
		f, err := g.ps.client().XTE.LoadSection(context.Background(), gbSection, gbTeacher, nil)
		if err != nil {
			t.Fatalf("readable=%v: %v", readable, err)
		}
		want := int64(0)
		if readable {
			want = 3500
		}
		if f.TermsID != want {
			t.Errorf("readable=%v: TermsID = %d, want %d", readable, f.TermsID, want)
		}
	}
}
