package gradepush

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	ps "github.com/pskit/pskit/powerschool"
)

// PlannedAssignment is a valid assignment and its valid scores.
type PlannedAssignment struct {
	Assignment
	CategoryID          int64 // TEACHERCATEGORYID
	Action              Action
	AssignmentID        int64 // 0 until created
	AssignmentSectionID int64
	Scores              []*PlannedScore
}

// PlannedScore is a valid score.
type PlannedScore struct {
	Row         int
	Student     string // student number
	StudentDCID int64
	Score       string
	Action      Action
	ScoreID     int64 // the stored ASSIGNMENTSCOREID when updating
}

// Plan is a checked push: what will be created, updated or left alone,
// and every rejected row.
type Plan struct {
	Facts       *Facts
	Assignments []*PlannedAssignment
	Rejected    []Rejection
}

// Summary counts what the plan would do, as Apply would report it if the
// server accepted everything.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, r := range p.Rejected {
		s.reject(r)
	}
	for _, a := range p.Assignments {
		s.Assignments.add(a.Action)
		for _, sc := range a.Scores {
			s.Scores.add(sc.Action)
		}
	}
	return s
}

// planner holds the state of one Facts.Plan call.
type planner struct {
	f          *Facts
	p          *Plan
	existing   map[string][]*ps.AssignmentSection // by trimmed title
	ids        map[*ps.AssignmentSection]int64    // ASSIGNMENTID of each
	planned    map[string]*PlannedAssignment
	rejectedAt map[string]int // title -> row of its rejected assignment
	stored     map[*PlannedAssignment]map[int64]ps.AssignmentScore
}

func (pl *planner) reject(row int, a, s, format string, args ...any) {
	pl.p.Rejected = append(pl.p.Rejected, Rejection{Row: row, Assignment: a, Student: s, Reason: fmt.Sprintf(format, args...)})
}

// adopt makes pa the stored assignment section s, with its scores.
func (pl *planner) adopt(pa *PlannedAssignment, s *ps.AssignmentSection) {
	pa.AssignmentID, pa.AssignmentSectionID = pl.ids[s], int64(s.ID)
	m := map[int64]ps.AssignmentScore{}
	for _, sc := range s.Scores {
		m[int64(sc.StudentDCID)] = sc
	}
	pl.stored[pa] = m
}

// Plan checks every row of g against the facts, by the rules PowerTeacher
// Pro enforces (points only; a title of at most 50 characters; an active
// category of at most 30; a due date inside the section's term; scores only
// for enrolled students), and compares it with what is stored. A rejected
// row does not stop the others; scores of a rejected assignment are
// rejected too. The rows g.Rejected holds come first among the rejections.
func (f *Facts) Plan(g *Gradebook) *Plan {
	pl := &planner{f: f, p: &Plan{Facts: f, Rejected: append([]Rejection(nil), g.Rejected...)},
		existing: map[string][]*ps.AssignmentSection{}, ids: map[*ps.AssignmentSection]int64{},
		planned: map[string]*PlannedAssignment{}, rejectedAt: map[string]int{},
		stored: map[*PlannedAssignment]map[int64]ps.AssignmentScore{}}
	for i := range f.Assignments {
		if s := f.Assignments[i].Section(f.SectionDCID); s != nil {
			t := strings.TrimSpace(s.Name)
			pl.existing[t] = append(pl.existing[t], s)
			pl.ids[s] = int64(f.Assignments[i].ID)
		}
	}
	for _, a := range g.Assignments {
		pl.assignment(a)
	}
	seen := map[[2]string]int{}
	for _, s := range g.Scores {
		pl.score(s, seen)
	}
	return pl.p
}

func (pl *planner) assignment(a Assignment) {
	f := pl.f
	a.Title = strings.TrimSpace(a.Title)
	if row, dup := pl.rejectedAt[a.Title]; dup || pl.planned[a.Title] != nil {
		if !dup {
			row = pl.planned[a.Title].Row
		}
		pl.reject(a.Row, a.Title, "", "assignment %q appears more than once (first on row %d); give each title once", a.Title, row)
		return
	}
	reasons, catID := f.checkAssignment(a)
	if n := len(pl.existing[a.Title]); n > 1 {
		reasons = append(reasons, fmt.Sprintf("section %d already has %d assignments titled %q; rename them in PowerTeacher Pro so the title picks one", f.SectionDCID, n, a.Title))
	}
	if len(reasons) > 0 {
		pl.rejectedAt[a.Title] = a.Row
		pl.reject(a.Row, a.Title, "", "%s", strings.Join(reasons, "; "))
		return
	}
	pa := &PlannedAssignment{Assignment: a, CategoryID: catID, Action: Create}
	if ex := pl.existing[a.Title]; len(ex) == 1 {
		pl.adopt(pa, ex[0])
		pa.Action = Unchanged
		if !sameDay(ex[0].DueDate, a.DueDate) || ex[0].TotalPointValue != a.Points || ex[0].PrimaryCategory() != catID ||
			(a.Description != "" && ex[0].Description != a.Description) {
			pa.Action = Update
		}
	}
	pl.planned[a.Title] = pa
	pl.p.Assignments = append(pl.p.Assignments, pa)
}

// assignmentOf returns the planned assignment a score names, adopting a
// stored one the file does not list; nil when the score is rejected.
func (pl *planner) assignmentOf(row int, title, student string) *PlannedAssignment {
	if pa := pl.planned[title]; pa != nil {
		return pa
	}
	f := pl.f
	if r, ok := pl.rejectedAt[title]; ok {
		pl.reject(row, title, student, "not sent because its assignment was rejected (row %d)", r)
		return nil
	}
	switch ex := pl.existing[title]; len(ex) {
	case 0:
		pl.reject(row, title, student, "no assignment %q in the file or in section %d; add its title, due date, category and points", title, f.SectionDCID)
		return nil
	case 1:
		pa := &PlannedAssignment{Assignment: Assignment{Row: row, Title: title, DueDate: ex[0].DueDate, Points: ex[0].TotalPointValue},
			CategoryID: ex[0].PrimaryCategory(), Action: Unchanged}
		pl.adopt(pa, ex[0])
		pl.planned[title] = pa
		pl.p.Assignments = append(pl.p.Assignments, pa)
		return pa
	default:
		pl.reject(row, title, student, "section %d has %d assignments titled %q; rename them in PowerTeacher Pro so the title picks one", f.SectionDCID, len(ex), title)
		return nil
	}
}

func (pl *planner) score(s Score, seen map[[2]string]int) {
	title, student := strings.TrimSpace(s.Assignment), strings.TrimSpace(s.Student)
	pa := pl.assignmentOf(s.Row, title, student)
	if pa == nil {
		return
	}
	dcid, ok := pl.f.Students[student]
	if !ok {
		pl.reject(s.Row, title, student, "student %s is not enrolled in section %d (PowerTeacher Pro would refuse the whole batch)", student, pl.f.SectionDCID)
		return
	}
	score := strings.TrimSpace(s.Score)
	v, err := strconv.ParseFloat(score, 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		pl.reject(s.Row, title, student, "score %q is not a number of points", score)
		return
	case v < 0:
		pl.reject(s.Row, title, student, "score %s is negative", score)
		return
	}
	key := [2]string{title, student}
	if row, dup := seen[key]; dup {
		pl.reject(s.Row, title, student, "a second score for the same student and assignment (first on row %d)", row)
		return
	}
	seen[key] = s.Row
	planned := &PlannedScore{Row: s.Row, Student: student, StudentDCID: dcid, Score: score, Action: Create}
	if old, ok := pl.stored[pa][dcid]; ok {
		planned.ScoreID = int64(old.ID)
		planned.Action = Update
		if (ps.ScoreWrite{Score: score}).SameAs(old) {
			planned.Action = Unchanged
		}
	}
	pa.Scores = append(pa.Scores, planned)
}

// checkAssignment returns why a would be refused, and its category's ID.
func (f *Facts) checkAssignment(a Assignment) ([]string, int64) {
	var reasons []string
	if st := strings.ToUpper(strings.TrimSpace(a.ScoreType)); st != "" && st != ps.ScoreTypePoints {
		reasons = append(reasons, fmt.Sprintf("score type %q is not supported: only points (POINTS) can be pushed", a.ScoreType))
	}
	if err := ps.CheckAssignmentTitle(a.Title); err != nil {
		reasons = append(reasons, err.Error())
	}
	if due, err := ps.ParseDueDate(a.DueDate); err != nil {
		reasons = append(reasons, err.Error())
	} else if d := due.Format(time.DateOnly); d < f.TermStart || d > f.TermEnd {
		reasons = append(reasons, fmt.Sprintf("due date %s is outside the section's term (%s to %s)", d, f.TermStart, f.TermEnd))
	}
	if math.IsNaN(a.Points) || math.IsInf(a.Points, 0) || a.Points <= 0 {
		reasons = append(reasons, fmt.Sprintf("points possible is %v; give a number above 0", a.Points))
	}
	var catID int64
	name := strings.TrimSpace(a.Category)
	switch {
	case name == "":
		reasons = append(reasons, "no category; give one of the teacher's active categories: "+f.activeCategories())
	case utf8.RuneCountInString(name) > ps.CategoryNameMax:
		reasons = append(reasons, fmt.Sprintf("category name %q is %d characters; PowerTeacher Pro allows %d", name, utf8.RuneCountInString(name), ps.CategoryNameMax))
	default:
		cat := f.category(name)
		switch {
		case cat == nil:
			reasons = append(reasons, fmt.Sprintf("teacher %d has no category %q; use one of: %s", f.UsersDCID, name, f.activeCategories()))
		case !bool(cat.IsActive):
			reasons = append(reasons, fmt.Sprintf("category %q is inactive for teacher %d; activate it in PowerTeacher Pro or use one of: %s", name, f.UsersDCID, f.activeCategories()))
		default:
			catID = int64(cat.ID)
		}
	}
	return reasons, catID
}

// category finds a category by name, exactly or else ignoring case.
func (f *Facts) category(name string) *ps.TeacherCategory {
	var fold *ps.TeacherCategory
	for i := range f.Categories {
		c := &f.Categories[i]
		if c.Name == name {
			return c
		}
		if fold == nil && strings.EqualFold(c.Name, name) {
			fold = c
		}
	}
	return fold
}

func (f *Facts) activeCategories() string {
	var names []string
	for _, c := range f.Categories {
		if c.IsActive {
			names = append(names, strconv.Quote(c.Name))
		}
	}
	if len(names) == 0 {
		return "(none is active)"
	}
	return strings.Join(names, ", ")
}

func sameDay(a, b string) bool {
	ta, errA := ps.ParseDueDate(a)
	tb, errB := ps.ParseDueDate(b)
	return errA == nil && errB == nil && ta.Equal(tb)
}
