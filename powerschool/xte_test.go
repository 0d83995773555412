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

// fakeGradebook is a small PowerTeacher Pro /ws/xte behind fakePS,
// following the gradebook wire contract: one section (DCID 12345) taught by
// users_dcid 770. It can fail a write after applying it (fault), which the
// emulator cannot; package gradepush tests pushes against the emulator.
type fakeGradebook struct {
	ps *fakePS

	mu          sync.Mutex
	enrolled    map[int64]bool // DCID → enrolled (false: dropped)
	categories  []map[string]any
	assignments map[int64]*fakeAssignment
	nextID      int64
	writes      atomic.Int32 // POST/PUT/DELETE received under /ws/xte
	scorePuts   atomic.Int32
	usersSeen   map[string]bool // users_dcid values received
	termIDs     []string        // term_id of each score write
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
		enrolled: map[int64]bool{4001: true, 4002: true, 4003: false},
		categories: []map[string]any{
			{"teachercategoryid": 2511, "name": "Homework", "isactive": true, "isinfinalgrades": true, "districtteachercategoryid": nil, "usersdcid": gbTeacher, "yearid": 35, "color": "3"},
			{"teachercategoryid": 2512, "name": "Tests", "isactive": true, "isinfinalgrades": true, "districtteachercategoryid": 2, "usersdcid": gbTeacher, "yearid": 35},
			{"teachercategoryid": 2513, "name": "Old", "isactive": false, "isinfinalgrades": true, "usersdcid": gbTeacher, "yearid": 35},
		},
		assignments: map[int64]*fakeAssignment{}, usersSeen: map[string]bool{}}
	h := g.ps.handle
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
	// A bare create is sent once and reports the failure (package gradepush
	// looks the assignment up before sending it again).
	if _, err := x.CreateAssignment(context.Background(), gbTeacher, quiz(10)); statusOf(err) != http.StatusBadGateway {
		t.Fatalf("err = %v, want the 502", err)
	}
	if n := g.writes.Load(); n != 1 {
		t.Fatalf("%d POSTs, want 1", n)
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

func TestScoreBatchErrorReadsStudentDCIDLeniently(t *testing.T) {
	for _, body := range []string{
		`{"message":"Validation failed","errors":[{"params":{"student_dcid":"4003"}},{"params":{"student_dcid":4004}},{"params":{}},{"params":{"student_dcid":"x"}}]}`,
	} {
		err := newScoreBatchError(nil, 0, newAPIError(http.StatusConflict, "PUT", "/ws/xte/score", []byte(body), func(s string) string { return s }))
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

// A batch that fails stops PutScores with a *ScoreBatchError saying where
// it starts: the batches before it are stored.
func TestXTEPutScoresReportsWhereItStopped(t *testing.T) {
	g := newFakeGradebook(t)
	x := g.ps.client().XTE
	base := scoredQuiz(t, x)
	rows := make([]ScoreWrite, ScoreBatchSize+2)
	for i := range rows {
		rows[i] = base
		rows[i].StudentDCID, rows[i].Score = 4001, strconv.Itoa(i)
	}
	rows[ScoreBatchSize+1].StudentDCID = 4003 // dropped: the second batch is refused
	_, err := x.PutScores(context.Background(), gbTeacher, rows)
	var be *ScoreBatchError
	if !errors.As(err, &be) || !be.Refused() || be.Offset != ScoreBatchSize || len(be.Rows) != 2 || !be.Blames(4003) {
		t.Fatalf("err = %v (%+v), want the second batch refused at offset %d", err, be, ScoreBatchSize)
	}
	if got := g.stored("Quiz 1")[4001]; got != strconv.Itoa(ScoreBatchSize-1) {
		t.Errorf("stored %q, want the first batch's last score", got)
	}

	// Any other failure is reported the same way, not as a refusal.
	g.mu.Lock()
	g.fault = func(r *http.Request) (int, bool) { return http.StatusForbidden, false }
	g.mu.Unlock()
	_, err = x.PutScores(context.Background(), gbTeacher, rows[:1])
	if !errors.As(err, &be) || be.Refused() || be.Offset != 0 || statusOf(err) != http.StatusForbidden || len(be.Students) != 0 {
		t.Fatalf("err = %v, want a 403 at offset 0", err)
	}
}
