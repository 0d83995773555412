package gradepush_test

import (
	"strings"
	"testing"

	"github.com/pskit/pskit/gradepush"
	ps "github.com/pskit/pskit/powerschool"
)

// Each PowerTeacher Pro rule rejects the assignment and its score, with
// the row and a reason that says what to do; the edges pass.
func TestPlanRules(t *testing.T) {
	f := &gradepush.Facts{SectionDCID: 12345, YearID: 35, TermStart: "2025-08-15", TermEnd: "2026-06-10", UsersDCID: 770,
		Students: map[string]int64{"1001": 4001},
		Categories: []ps.TeacherCategory{{ID: 1, Name: "Homework", IsActive: true}, {ID: 2, Name: "Old", IsActive: false},
			{ID: 3, Name: strings.Repeat("c", 31), IsActive: true}}}
	ok := gradepush.Assignment{Row: 1, Title: "A", DueDate: "2025-09-01", Category: "Homework", Points: 10}
	for _, tc := range []struct {
		name   string
		change func(*gradepush.Assignment)
		want   string
	}{
		{"percent", func(a *gradepush.Assignment) { a.ScoreType = "PERCENT" }, "only points"},
		{"title 51", func(a *gradepush.Assignment) { a.Title = strings.Repeat("é", 51) }, "51 characters"},
		{"empty title", func(a *gradepush.Assignment) { a.Title = " " }, "title is empty"},
		{"category 31", func(a *gradepush.Assignment) { a.Category = strings.Repeat("c", 31) }, "31 characters; PowerTeacher Pro allows 30"},
		{"no category", func(a *gradepush.Assignment) { a.Category = "" }, `no category; give one of the teacher's active categories: "Homework"`},
		{"inactive", func(a *gradepush.Assignment) { a.Category = "Old" }, `category "Old" is inactive`},
		{"unknown category", func(a *gradepush.Assignment) { a.Category = "Labs" }, `no category "Labs"; use one of: "Homework"`},
		{"before term", func(a *gradepush.Assignment) { a.DueDate = "2025-08-14" }, "outside the section's term (2025-08-15 to 2026-06-10)"},
		{"after term", func(a *gradepush.Assignment) { a.DueDate = "2026-06-11" }, "outside"},
		{"bad date", func(a *gradepush.Assignment) { a.DueDate = "10/01/2025" }, "YYYY-MM-DD"},
		{"zero points", func(a *gradepush.Assignment) { a.Points = 0 }, "above 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := ok
			tc.change(&a)
			p := f.Plan(&gradepush.Gradebook{Assignments: []gradepush.Assignment{a},
				Scores: []gradepush.Score{{Row: 1, Assignment: a.Title, Student: "1001", Score: "1"}}})
			if len(p.Assignments) != 0 || len(p.Rejected) != 2 || !strings.Contains(p.Rejected[0].Reason, tc.want) || p.Rejected[0].Row != 1 {
				t.Fatalf("rejections %v, want one containing %q and its score", p.Rejected, tc.want)
			}
		})
	}
	// Edges that pass: the term's first and last day, 50 characters, extra
	// credit, a category named in another case.
	edge := []gradepush.Assignment{ok, ok, ok}
	edge[0].Title, edge[0].DueDate = strings.Repeat("é", 50), "2025-08-15"
	edge[1].Title, edge[1].DueDate, edge[1].Category = "B", "2026-06-10", "homework"
	edge[2].Row, edge[2].Title = 3, "B" // a title a second time
	p := f.Plan(&gradepush.Gradebook{Assignments: edge, Scores: []gradepush.Score{
		{Row: 4, Assignment: "B", Student: "1001", Score: "12"},
		{Row: 5, Assignment: "B", Student: "1001", Score: "1"},
		{Row: 6, Assignment: "B", Student: "1001x", Score: "1"},
		{Row: 7, Assignment: edge[0].Title, Student: "1001", Score: "-1"},
		{Row: 8, Assignment: edge[0].Title, Student: "1001", Score: "ten"},
		{Row: 9, Assignment: "Nope", Student: "1001", Score: "1"},
	}, Rejected: []gradepush.Rejection{{Row: 10, Assignment: "C", Reason: "from the file"}}})
	if len(p.Assignments) != 2 || p.Summary().Scores.Created != 1 {
		t.Fatalf("plan %+v", p)
	}
	wantRows := map[int]string{10: "from the file", 3: "appears more than once (first on row 1)", 5: "second score", 6: "not enrolled",
		7: "negative", 8: "not a number", 9: `no assignment "Nope"`}
	if len(p.Rejected) != len(wantRows) || p.Rejected[0].Row != 10 {
		t.Fatalf("rejections %v, the file's first", p.Rejected)
	}
	for _, r := range p.Rejected {
		if !strings.Contains(r.Reason, wantRows[r.Row]) {
			t.Errorf("row %d: %q, want %q", r.Row, r.Reason, wantRows[r.Row])
		}
	}
	sum := p.Summary()
	if sum.Assignments != (gradepush.Counts{Created: 2, Rejected: 2}) || sum.Scores != (gradepush.Counts{Created: 1, Rejected: 5}) {
		t.Errorf("summary %+v", sum)
	}
}

// Stored assignments are matched by title: unchanged when the file agrees,
// updated when a due date, the points or the category differ; a score for
// a stored assignment the file does not list is planned against it.
func TestPlanComparesWithStored(t *testing.T) {
	pts := func(v float64) *float64 { return &v }
	f := &gradepush.Facts{SectionDCID: 12345, TermStart: "2025-08-15", TermEnd: "2026-06-10",
		Students:   map[string]int64{"1001": 4001, "1002": 4002},
		Categories: []ps.TeacherCategory{{ID: 1, Name: "Homework", IsActive: true}},
		Assignments: []ps.Assignment{{ID: 7, Sections: []ps.AssignmentSection{{ID: 70, SectionDCID: 12345, Name: "Quiz 1", DueDate: "2025-10-01",
			TotalPointValue: 10, Categories: []ps.CategoryAssociation{{TeacherCategoryID: 1, IsPrimary: true}},
			Scores: []ps.AssignmentScore{{ID: 700, StudentDCID: 4001, ActualScoreEntered: "8", ScorePoints: pts(8)}}}}},
			{ID: 8, Sections: []ps.AssignmentSection{{ID: 80, SectionDCID: 12345, Name: "Old quiz", DueDate: "2025-09-01", TotalPointValue: 5}}}},
	}
	quiz := gradepush.Assignment{Row: 2, Title: "Quiz 1", DueDate: "2025-10-01", Category: "Homework", Points: 10}
	p := f.Plan(&gradepush.Gradebook{Assignments: []gradepush.Assignment{quiz}, Scores: []gradepush.Score{
		{Row: 2, Assignment: "Quiz 1", Student: "1001", Score: "8.0"},
		{Row: 2, Assignment: "Quiz 1", Student: "1002", Score: "9"},
		{Row: 3, Assignment: "Old quiz", Student: "1001", Score: "4"},
	}})
	if len(p.Rejected) != 0 || len(p.Assignments) != 2 {
		t.Fatalf("plan %+v", p)
	}
	q, old := p.Assignments[0], p.Assignments[1]
	if q.Action != gradepush.Unchanged || q.AssignmentID != 7 || q.AssignmentSectionID != 70 ||
		q.Scores[0].Action != gradepush.Unchanged || q.Scores[1].Action != gradepush.Create {
		t.Errorf("Quiz 1: %+v, scores %+v %+v", q, q.Scores[0], q.Scores[1])
	}
	if old.Action != gradepush.Unchanged || old.AssignmentSectionID != 80 || old.Scores[0].Action != gradepush.Create {
		t.Errorf("Old quiz: %+v", old)
	}
	quiz.Points = 12
	p = f.Plan(&gradepush.Gradebook{Assignments: []gradepush.Assignment{quiz}, Scores: []gradepush.Score{{Row: 2, Assignment: "Quiz 1", Student: "1001", Score: "9"}}})
	if a := p.Assignments[0]; a.Action != gradepush.Update || a.Scores[0].Action != gradepush.Update || a.Scores[0].ScoreID != 700 {
		t.Errorf("changed points and score: %+v, %+v", a, a.Scores[0])
	}
}
