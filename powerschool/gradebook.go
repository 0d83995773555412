package powerschool

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A gradebook push (psctl grades push): every row is first checked against
// what the section allows (LoadSection, Plan), then only the valid rows are
// sent (ApplyGradebook), and unchanged scores are not sent at all.

// GradebookAssignment is one assignment of a gradebook to push.
type GradebookAssignment struct {
	Row         int // where it came from (a CSV line), for messages
	Title       string
	DueDate     string // YYYY-MM-DD
	Category    string // name of one of the teacher's categories
	Points      float64
	ScoreType   string // "" means POINTS, the only type accepted
	Description string
}

// GradebookScore is one student's score on an assignment.
type GradebookScore struct {
	Row        int
	Assignment string // the assignment's title
	Student    string // student number (/ws/v1 local_id)
	Score      string // points, e.g. "8" or "9.5"
}

// Gradebook is what to push into one section. Scores may name an
// assignment that is not in Assignments but already exists in the section.
type Gradebook struct {
	SectionDCID int64
	// UsersDCID is the acting teacher; 0 means the section's teacher.
	UsersDCID   int64
	Assignments []GradebookAssignment
	Scores      []GradebookScore
}

// SectionFacts are what the server would check a push against.
type SectionFacts struct {
	SectionDCID int64
	SchoolID    int64
	TermID      int64 // the section's term_id in /ws/v1 (TERMS.DCID)
	// TermsID is the section's TERMS.ID, which PUT /ws/xte/score takes as
	// term_id. /ws/v1 gives only TERMS.DCID, so LoadSection reads it from
	// the table API (TERMS.ID in the plugin's access_request); 0 when it
	// cannot, and then no term_id is sent.
	TermsID            int64
	YearID             int64 // TERMS.YEARID: start year - 1990
	TermStart, TermEnd string
	UsersDCID          int64
	// Students maps the student numbers of the section's enrolled students
	// to their STUDENTS.DCID.
	Students   map[string]int64
	Categories []TeacherCategory
	// Assignments are the section's assignments; those read with their
	// scores carry them in Sections[].Scores.
	Assignments []Assignment
}

// GradebookAction says what a push does with an assignment or a score.
type GradebookAction string

const (
	ActionCreate    GradebookAction = "create"
	ActionUpdate    GradebookAction = "update"
	ActionUnchanged GradebookAction = "unchanged"
)

// Rejection is a row that will not be (or was not) sent, and why.
type Rejection struct {
	Row        int
	Assignment string
	Student    string
	Reason     string
}

func (r Rejection) String() string {
	var parts []string
	if r.Row > 0 {
		parts = append(parts, "row "+strconv.Itoa(r.Row))
	}
	if r.Assignment != "" {
		parts = append(parts, strconv.Quote(r.Assignment))
	}
	if r.Student != "" {
		parts = append(parts, "student "+r.Student)
	}
	return strings.Join(parts, ", ") + ": " + r.Reason
}

// PlannedAssignment is a valid assignment and its valid scores.
type PlannedAssignment struct {
	GradebookAssignment
	CategoryID          int64
	Action              GradebookAction
	AssignmentID        int64 // 0 until created
	AssignmentSectionID int64
	Scores              []*PlannedScore
}

// PlannedScore is a valid score.
type PlannedScore struct {
	Row         int
	Student     string
	StudentDCID int64
	Score       string
	Action      GradebookAction
	ScoreID     int64 // stored ASSIGNMENTSCOREID when updating
}

// GradebookPlan is a checked push: what will be created, updated or left
// alone, and every rejected row.
type GradebookPlan struct {
	Facts       *SectionFacts
	Assignments []*PlannedAssignment
	Rejected    []Rejection
}

// GradebookCounts counts assignments or scores by outcome.
type GradebookCounts struct {
	Created, Updated, Unchanged, Rejected int
}

// GradebookSummary is what a push did (or, for a plan, would do).
type GradebookSummary struct {
	Assignments GradebookCounts
	Scores      GradebookCounts
	Rejected    []Rejection
}

// Summary counts the plan's actions.
func (p *GradebookPlan) Summary() GradebookSummary {
	s := GradebookSummary{Rejected: p.Rejected}
	for _, a := range p.Assignments {
		count(&s.Assignments, a.Action)
		for _, sc := range a.Scores {
			count(&s.Scores, sc.Action)
		}
	}
	for _, r := range p.Rejected {
		if r.Student == "" {
			s.Assignments.Rejected++
		} else {
			s.Scores.Rejected++
		}
	}
	return s
}

func count(c *GradebookCounts, a GradebookAction) {
	switch a {
	case ActionCreate:
		c.Created++
	case ActionUpdate:
		c.Updated++
	case ActionUnchanged:
		c.Unchanged++
	}
}

// sectionTeacher finds the USERS.DCID of a section's teacher. A section's
// staff_id is the teacher's SCHOOLSTAFF.DCID, while /ws/v1/staff/{id} is
// keyed by USERS.DCID on servers that follow the documented ids; so after a
// 404 there, the SCHOOLSTAFF row is read through the table API (the plugin
// then needs SCHOOLSTAFF.USERS_DCID in its access_request).
func (x *XTEService) sectionTeacher(ctx context.Context, sectionDCID, staffID int64) (int64, error) {
	st, err := x.c.Staff.Get(ctx, staffID, nil)
	if err == nil && st.UsersDCID != 0 {
		return int64(st.UsersDCID), nil
	}
	if err != nil && !IsNotFound(err) {
		return 0, fmt.Errorf("powerschool: reading section %d's teacher (staff %d) to find users_dcid: %w; give the teacher's USERS.DCID explicitly", sectionDCID, staffID, err)
	}
	rec, terr := x.c.Tables.Get(ctx, "schoolstaff", staffID, "users_dcid")
	if terr != nil {
		return 0, fmt.Errorf("powerschool: section %d's teacher (staff %d) is neither a /ws/v1/staff id nor a readable SCHOOLSTAFF row (%w); give the teacher's USERS.DCID explicitly, or add SCHOOLSTAFF.USERS_DCID to the plugin's access_request", sectionDCID, staffID, terr)
	}
	v, _ := rec.Value("schoolstaff.users_dcid")
	id, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if perr != nil || id == 0 {
		return 0, fmt.Errorf("powerschool: SCHOOLSTAFF %d (section %d's teacher) has no users_dcid; give the teacher's USERS.DCID explicitly", staffID, sectionDCID)
	}
	return id, nil
}

// termsID reads the TERMS.ID of the term whose DCID /ws/v1 gives, for
// PUT /ws/xte/score's term_id, through the table API. Without access to
// TERMS.ID it returns 0 and the scores are sent without term_id.
func (x *XTEService) termsID(ctx context.Context, termDCID int64) int64 {
	rec, err := x.c.Tables.Get(ctx, "terms", termDCID, "id")
	if err != nil {
		x.c.logger.DebugContext(ctx, "term_id not known: scores are sent without it", "term_dcid", termDCID, "error", err)
		return 0
	}
	v, _ := rec.Value("terms.id")
	id, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return id
}

// LoadSection reads what a push into the section is checked against: the
// section and its term, the teacher (usersDCID, or the section's teacher
// when 0), the enrolled students, the teacher's categories and the
// section's assignments, with stored scores for those titled in
// withScores.
func (x *XTEService) LoadSection(ctx context.Context, sectionDCID, usersDCID int64, withScores []string) (*SectionFacts, error) {
	c := x.c
	sec, err := c.Sections.Get(ctx, sectionDCID, nil)
	if err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("powerschool: section %d not found; give the section's ID from /ws/v1 (SECTIONS.DCID): %w", sectionDCID, err)
		}
		return nil, err
	}
	f := &SectionFacts{SectionDCID: sectionDCID, SchoolID: int64(sec.SchoolID), TermID: int64(sec.TermID), YearID: int64(sec.TermID) / 100, UsersDCID: usersDCID}
	if err := x.loadTerm(ctx, f); err != nil {
		return nil, err
	}
	f.TermsID = x.termsID(ctx, f.TermID)
	if f.UsersDCID == 0 {
		if f.UsersDCID, err = x.sectionTeacher(ctx, sectionDCID, int64(sec.StaffID)); err != nil {
			return nil, err
		}
	}
	if f.Students, err = x.enrolledStudents(ctx, sectionDCID); err != nil {
		return nil, err
	}
	if f.Categories, err = x.Categories(ctx, f.UsersDCID, f.YearID); err != nil {
		return nil, fmt.Errorf("powerschool: reading teacher %d's categories: %w", f.UsersDCID, err)
	}
	if f.Assignments, err = x.ListAssignments(ctx, f.UsersDCID, sectionDCID); err != nil {
		return nil, fmt.Errorf("powerschool: reading section %d's assignments: %w", sectionDCID, err)
	}
	want := map[string]bool{}
	for _, t := range withScores {
		want[strings.TrimSpace(t)] = true
	}
	for i, a := range f.Assignments {
		s := a.Section(sectionDCID)
		if s == nil || !want[strings.TrimSpace(s.Name)] {
			continue
		}
		full, err := x.GetAssignment(ctx, f.UsersDCID, int64(a.ID))
		if err != nil {
			return nil, fmt.Errorf("powerschool: reading the scores of assignment %d (%q): %w", a.ID, s.Name, err)
		}
		f.Assignments[i] = *full
	}
	return f, nil
}

func (x *XTEService) loadTerm(ctx context.Context, f *SectionFacts) error {
	for t, err := range x.c.Terms.List(ctx, f.SchoolID, nil) {
		if err != nil {
			return fmt.Errorf("powerschool: reading school %d's terms for the section's term dates: %w", f.SchoolID, err)
		}
		if int64(t.ID) == f.TermID {
			f.useTerm(&t)
			break
		}
	}
	if f.TermStart == "" {
		t, err := x.c.Terms.Get(ctx, f.TermID)
		if err != nil {
			return fmt.Errorf("powerschool: term %d of section %d is not among school %d's terms and reading it failed: %w", f.TermID, f.SectionDCID, f.SchoolID, err)
		}
		f.useTerm(t)
	}
	if _, err := parseDate(f.TermStart); err != nil {
		return fmt.Errorf("powerschool: term %d has no usable start date (%q), so due dates cannot be checked", f.TermID, f.TermStart)
	}
	if _, err := parseDate(f.TermEnd); err != nil {
		return fmt.Errorf("powerschool: term %d has no usable end date (%q), so due dates cannot be checked", f.TermID, f.TermEnd)
	}
	f.TermStart, f.TermEnd = f.TermStart[:10], f.TermEnd[:10]
	return nil
}

// useTerm takes the term's dates, and its school year: PowerSchool's
// YEARID is the start year minus 1990 (2025-26 is 35), which also equals
// floor(TERMS.ID/100).
func (f *SectionFacts) useTerm(t *Term) {
	f.TermStart, f.TermEnd = t.StartDate, t.EndDate
	if t.StartYear > 1990 {
		f.YearID = int64(t.StartYear) - 1990
	}
}

// enrolledStudents maps the student numbers of the section's current
// enrollments to STUDENTS.DCID.
func (x *XTEService) enrolledStudents(ctx context.Context, sectionDCID int64) (map[string]int64, error) {
	var dcids []int64
	for e, err := range x.c.SectionEnrollments.List(ctx, sectionDCID, nil) {
		if err != nil {
			return nil, fmt.Errorf("powerschool: reading section %d's enrollments: %w", sectionDCID, err)
		}
		if !bool(e.Dropped) && e.StudentID > 0 {
			dcids = append(dcids, int64(e.StudentID))
		}
	}
	numbers := make([]string, len(dcids))
	errs := make([]error, len(dcids))
	sem := make(chan struct{}, max(1, x.c.workers(0)))
	done := make(chan struct{})
	for i, id := range dcids {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			st, err := x.c.Students.Get(ctx, id, nil)
			if err != nil {
				errs[i] = fmt.Errorf("powerschool: reading student %d (enrolled in section %d): %w", id, sectionDCID, err)
				return
			}
			numbers[i] = st.LocalID.String()
		}()
	}
	for range dcids {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(dcids))
	for i, id := range dcids {
		out[numbers[i]] = id
	}
	return out, nil
}

// PlanGradebook reads the section and checks every row of g against it.
func (x *XTEService) PlanGradebook(ctx context.Context, g Gradebook) (*GradebookPlan, error) {
	var titles []string
	for _, a := range g.Assignments {
		titles = append(titles, a.Title)
	}
	for _, s := range g.Scores {
		titles = append(titles, s.Assignment)
	}
	f, err := x.LoadSection(ctx, g.SectionDCID, g.UsersDCID, titles)
	if err != nil {
		return nil, err
	}
	return f.Plan(g), nil
}

// Plan checks every row of g against the facts, by the rules PowerTeacher
// Pro enforces (points only; a title of at most 50 characters; an active
// category of at most 30; a due date inside the section's term; scores only
// for enrolled students), and compares it with what is stored. A rejected
// row does not stop the others; scores of a rejected assignment are
// rejected too.
func (f *SectionFacts) Plan(g Gradebook) *GradebookPlan {
	p := &GradebookPlan{Facts: f}
	reject := func(row int, a, s, format string, args ...any) {
		p.Rejected = append(p.Rejected, Rejection{Row: row, Assignment: a, Student: s, Reason: fmt.Sprintf(format, args...)})
	}
	existing := map[string][]*AssignmentSection{}
	ids := map[*AssignmentSection]int64{}
	for i := range f.Assignments {
		if s := f.Assignments[i].Section(f.SectionDCID); s != nil {
			t := strings.TrimSpace(s.Name)
			existing[t] = append(existing[t], s)
			ids[s] = int64(f.Assignments[i].ID)
		}
	}
	planned := map[string]*PlannedAssignment{}
	rejectedAt := map[string]int{}
	stored := map[*PlannedAssignment]map[int64]AssignmentScore{}
	adopt := func(pa *PlannedAssignment, s *AssignmentSection) {
		pa.AssignmentID, pa.AssignmentSectionID = ids[s], int64(s.ID)
		m := map[int64]AssignmentScore{}
		for _, sc := range s.Scores {
			m[int64(sc.StudentDCID)] = sc
		}
		stored[pa] = m
	}

	for _, a := range g.Assignments {
		a.Title = strings.TrimSpace(a.Title)
		if row, dup := rejectedAt[a.Title]; dup || planned[a.Title] != nil {
			if !dup {
				row = planned[a.Title].Row
			}
			reject(a.Row, a.Title, "", "assignment %q appears more than once (first on row %d); give each title once", a.Title, row)
			continue
		}
		reasons, catID := f.checkAssignment(a)
		if len(existing[a.Title]) > 1 {
			reasons = append(reasons, fmt.Sprintf("section %d already has %d assignments titled %q; rename them in PowerTeacher Pro so the title picks one", f.SectionDCID, len(existing[a.Title]), a.Title))
		}
		if len(reasons) > 0 {
			rejectedAt[a.Title] = a.Row
			reject(a.Row, a.Title, "", "%s", strings.Join(reasons, "; "))
			continue
		}
		pa := &PlannedAssignment{GradebookAssignment: a, CategoryID: catID, Action: ActionCreate}
		if ex := existing[a.Title]; len(ex) == 1 {
			adopt(pa, ex[0])
			pa.Action = ActionUnchanged
			if !sameDay(ex[0].DueDate, a.DueDate) || ex[0].TotalPointValue != a.Points || ex[0].PrimaryCategory() != catID ||
				(a.Description != "" && ex[0].Description != a.Description) {
				pa.Action = ActionUpdate
			}
		}
		planned[a.Title] = pa
		p.Assignments = append(p.Assignments, pa)
	}

	seen := map[[2]string]int{}
	for _, s := range g.Scores {
		title, student := strings.TrimSpace(s.Assignment), strings.TrimSpace(s.Student)
		pa := planned[title]
		if pa == nil {
			if row, ok := rejectedAt[title]; ok {
				reject(s.Row, title, student, "not sent because its assignment was rejected (row %d)", row)
				continue
			}
			switch ex := existing[title]; len(ex) {
			case 0:
				reject(s.Row, title, student, "no assignment %q in the file or in section %d; add its title, due date, category and points", title, f.SectionDCID)
				continue
			case 1:
				pa = &PlannedAssignment{GradebookAssignment: GradebookAssignment{Row: s.Row, Title: title, DueDate: ex[0].DueDate, Points: ex[0].TotalPointValue},
					CategoryID: ex[0].PrimaryCategory(), Action: ActionUnchanged}
				adopt(pa, ex[0])
				planned[title] = pa
				p.Assignments = append(p.Assignments, pa)
			default:
				reject(s.Row, title, student, "section %d has %d assignments titled %q; rename them in PowerTeacher Pro so the title picks one", f.SectionDCID, len(ex), title)
				continue
			}
		}
		dcid, ok := f.Students[student]
		if !ok {
			reject(s.Row, title, student, "student %s is not enrolled in section %d (PowerTeacher Pro would refuse the whole batch)", student, f.SectionDCID)
			continue
		}
		score := strings.TrimSpace(s.Score)
		v, err := strconv.ParseFloat(score, 64)
		switch {
		case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
			reject(s.Row, title, student, "score %q is not a number of points", score)
			continue
		case v < 0:
			reject(s.Row, title, student, "score %s is negative", score)
			continue
		}
		key := [2]string{title, student}
		if row, dup := seen[key]; dup {
			reject(s.Row, title, student, "a second score for the same student and assignment (first on row %d)", row)
			continue
		}
		seen[key] = s.Row
		ps := &PlannedScore{Row: s.Row, Student: student, StudentDCID: dcid, Score: score, Action: ActionCreate}
		if old, ok := stored[pa][dcid]; ok {
			ps.ScoreID = int64(old.ID)
			ps.Action = ActionUpdate
			if (ScoreWrite{Score: score}).sameAs(old) {
				ps.Action = ActionUnchanged
			}
		}
		pa.Scores = append(pa.Scores, ps)
	}
	return p
}

// checkAssignment returns why a would be refused, and its category's ID.
func (f *SectionFacts) checkAssignment(a GradebookAssignment) ([]string, int64) {
	var reasons []string
	if st := strings.ToUpper(strings.TrimSpace(a.ScoreType)); st != "" && st != ScoreTypePoints {
		reasons = append(reasons, fmt.Sprintf("score type %q is not supported: only points (POINTS) can be pushed", a.ScoreType))
	}
	if r := checkAssignmentName(a.Title); r != "" {
		reasons = append(reasons, r)
	}
	if due, err := parseDate(a.DueDate); err != nil {
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
	case utf8.RuneCountInString(name) > CategoryNameMax:
		reasons = append(reasons, fmt.Sprintf("category name %q is %d characters; PowerTeacher Pro allows %d", name, utf8.RuneCountInString(name), CategoryNameMax))
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
func (f *SectionFacts) category(name string) *TeacherCategory {
	var fold *TeacherCategory
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

func (f *SectionFacts) activeCategories() string {
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

func checkAssignmentName(name string) string {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "the title is empty"
	case n > AssignmentNameMax:
		return fmt.Sprintf("title is %d characters; PowerTeacher Pro allows %d (ASSIGNMENTSECTION.NAME)", n, AssignmentNameMax)
	}
	return ""
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("no due date; give one as YYYY-MM-DD")
	}
	if len(s) > 10 && s[10] == 'T' {
		s = s[:10]
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("due date %q is not a date; write it as YYYY-MM-DD", s)
	}
	return t, nil
}

func sameDay(a, b string) bool {
	ta, errA := parseDate(a)
	tb, errB := parseDate(b)
	return errA == nil && errB == nil && ta.Equal(tb)
}

// ApplyGradebook sends a plan: it creates and updates assignments, then
// writes the scores that differ from what is stored. A row the server
// refuses (409) is added to the rejections and the rest go on; any other
// failure stops the push and is returned with the summary so far.
func (x *XTEService) ApplyGradebook(ctx context.Context, p *GradebookPlan) (GradebookSummary, error) {
	sum := GradebookSummary{Rejected: append([]Rejection(nil), p.Rejected...)}
	for _, r := range p.Rejected {
		if r.Student == "" {
			sum.Assignments.Rejected++
		} else {
			sum.Scores.Rejected++
		}
	}
	f := p.Facts
	for _, pa := range p.Assignments {
		refused, err := x.applyAssignment(ctx, f, pa)
		if err != nil {
			return sum, err
		}
		if refused != "" {
			sum.Assignments.Rejected++
			sum.Rejected = append(sum.Rejected, Rejection{Row: pa.Row, Assignment: pa.Title, Reason: "the server refused it: " + refused})
			for _, s := range pa.Scores {
				sum.Scores.Rejected++
				sum.Rejected = append(sum.Rejected, Rejection{Row: s.Row, Assignment: pa.Title, Student: s.Student, Reason: "not sent because its assignment was refused"})
			}
			continue
		}
		count(&sum.Assignments, pa.Action)
		var writes []ScoreWrite
		var which []*PlannedScore
		for _, s := range pa.Scores {
			if s.Action == ActionUnchanged {
				sum.Scores.Unchanged++
				continue
			}
			writes = append(writes, ScoreWrite{AssignmentID: pa.AssignmentID, AssignmentSectionID: pa.AssignmentSectionID,
				SectionDCID: f.SectionDCID, StudentDCID: s.StudentDCID, Score: s.Score, ScoreID: s.ScoreID, TermID: f.TermsID})
			which = append(which, s)
		}
		if len(writes) == 0 {
			continue
		}
		for start := 0; start < len(writes); start += ScoreBatchSize {
			end := min(start+ScoreBatchSize, len(writes))
			_, err := x.PutScores(ctx, f.UsersDCID, writes[start:end])
			var be *ScoreBatchError
			if errors.As(err, &be) {
				for _, s := range which[start:end] {
					sum.Scores.Rejected++
					reason := "the server refused the batch: " + apiMessage(be.Err)
					switch {
					case be.Blames(s.StudentDCID):
						reason = "the server refused this student (no association with the section; its batch was not written): " + apiMessage(be.Err)
					case len(be.Students) > 0:
						reason = "not written: the server refused its batch because of student(s) with STUDENTS.DCID " + joinInts(be.Students)
					}
					sum.Rejected = append(sum.Rejected, Rejection{Row: s.Row, Assignment: pa.Title, Student: s.Student, Reason: reason})
				}
				continue
			}
			if err != nil {
				return sum, err
			}
			for _, s := range which[start:end] {
				count(&sum.Scores, s.Action)
			}
		}
	}
	return sum, nil
}

// applyAssignment creates or updates pa. refused is the server's reason
// when it answered 409; err is a failure that should stop the push.
func (x *XTEService) applyAssignment(ctx context.Context, f *SectionFacts, pa *PlannedAssignment) (refused string, err error) {
	n := NewAssignment{SectionDCID: f.SectionDCID, YearID: f.YearID, Name: pa.Title, Description: pa.Description,
		DueDate: pa.DueDate, Points: pa.Points, CategoryID: pa.CategoryID}
	switch pa.Action {
	case ActionCreate:
		created, err := x.CreateAssignment(ctx, f.UsersDCID, n)
		if err != nil && ambiguous(ctx, err) {
			// The assignment may exist now: look before sending it again.
			x.c.logger.DebugContext(ctx, "assignment create: answer lost; re-reading the section", "title", pa.Title, "error", err.Error())
			if found, rerr := x.findAssignment(ctx, f, pa.Title); rerr != nil {
				return "", fmt.Errorf("%w; re-reading section %d to see whether %q was created also failed: %v", err, f.SectionDCID, pa.Title, rerr)
			} else if found != nil {
				pa.AssignmentID, pa.AssignmentSectionID = int64(found.ID), int64(found.Section(f.SectionDCID).ID)
				return "", nil
			}
			created, err = x.CreateAssignment(ctx, f.UsersDCID, n)
		}
		if statusOf(err) == http.StatusConflict {
			return apiMessage(err), nil
		}
		if err != nil {
			return "", fmt.Errorf("creating assignment %q: %w", pa.Title, err)
		}
		pa.AssignmentID = created.AssignmentID
		if len(created.AssignmentSectionIDs) > 0 {
			pa.AssignmentSectionID = created.AssignmentSectionIDs[0]
			return "", nil
		}
		a, err := x.GetAssignment(ctx, f.UsersDCID, created.AssignmentID)
		if err != nil {
			return "", fmt.Errorf("assignment %q was created (ID %d) but reading it back failed: %w", pa.Title, created.AssignmentID, err)
		}
		s := a.Section(f.SectionDCID)
		if s == nil {
			return "", fmt.Errorf("assignment %q was created (ID %d) but has no record for section %d", pa.Title, created.AssignmentID, f.SectionDCID)
		}
		pa.AssignmentSectionID = int64(s.ID)
	case ActionUpdate:
		_, err := x.UpdateAssignment(ctx, f.UsersDCID, pa.AssignmentID, n, false)
		if err != nil && ambiguous(ctx, err) {
			x.c.logger.DebugContext(ctx, "assignment update: answer lost; re-reading it", "title", pa.Title, "error", err.Error())
			a, rerr := x.GetAssignment(ctx, f.UsersDCID, pa.AssignmentID)
			if rerr != nil {
				return "", fmt.Errorf("%w; re-reading assignment %d also failed: %v", err, pa.AssignmentID, rerr)
			}
			if s := a.Section(f.SectionDCID); s != nil && sameDay(s.DueDate, n.DueDate) && s.TotalPointValue == n.Points && s.PrimaryCategory() == n.CategoryID {
				return "", nil
			}
			_, err = x.UpdateAssignment(ctx, f.UsersDCID, pa.AssignmentID, n, false)
		}
		if statusOf(err) == http.StatusConflict {
			return apiMessage(err), nil
		}
		if err != nil {
			return "", fmt.Errorf("updating assignment %q: %w", pa.Title, err)
		}
	}
	return "", nil
}

func (x *XTEService) findAssignment(ctx context.Context, f *SectionFacts, title string) (*Assignment, error) {
	list, err := x.ListAssignments(ctx, f.UsersDCID, f.SectionDCID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if s := list[i].Section(f.SectionDCID); s != nil && strings.TrimSpace(s.Name) == title {
			return &list[i], nil
		}
	}
	return nil, nil
}

// apiMessage is the server's own message of an APIError, else err's text.
func apiMessage(err error) string {
	var api *APIError
	if errors.As(err, &api) && api.Message != "" {
		return api.Message
	}
	return err.Error()
}
