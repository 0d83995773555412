package gradepush

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	ps "github.com/pskit/pskit/powerschool"
)

// Facts are what the server would check a push into one section against.
type Facts struct {
	SectionDCID int64
	SchoolID    int64
	TermID      int64 // the section's term_id in /ws/v1 (TERMS.DCID)
	// TermsID is the section's TERMS.ID, which PUT /ws/xte/score takes as
	// term_id. /ws/v1 gives only TERMS.DCID, so Load reads it through the
	// table API (TERMS.ID in the plugin's access_request); 0 when it
	// cannot, and then no term_id is sent.
	TermsID            int64
	YearID             int64 // TERMS.YEARID: start year - 1990
	TermStart, TermEnd string
	UsersDCID          int64 // the acting teacher
	// Students maps the student numbers the push names, of those enrolled
	// in the section, to their STUDENTS.DCID.
	Students   map[string]int64
	Categories []ps.TeacherCategory
	// Assignments are the section's assignments; those the push names are
	// read with their scores (in Sections[].Scores).
	Assignments []ps.Assignment
}

// Load reads what a push of g into the section (SECTIONS.DCID) is checked
// against. usersDCID is the acting teacher; 0 means the section's teacher.
func Load(ctx context.Context, c *ps.Client, sectionDCID, usersDCID int64, g *Gradebook) (*Facts, error) {
	sec, err := c.Sections.Get(ctx, sectionDCID, nil)
	if err != nil {
		if ps.IsNotFound(err) {
			return nil, fmt.Errorf("section %d not found; give the section's ID from /ws/v1 (SECTIONS.DCID): %w", sectionDCID, err)
		}
		return nil, err
	}
	f := &Facts{SectionDCID: sectionDCID, SchoolID: int64(sec.SchoolID), TermID: int64(sec.TermID), YearID: int64(sec.TermID) / 100, UsersDCID: usersDCID}
	if err := f.loadTerm(ctx, c); err != nil {
		return nil, err
	}
	f.TermsID = termsID(ctx, c, f.TermID)
	if f.UsersDCID == 0 {
		if f.UsersDCID, err = sectionTeacher(ctx, c, sectionDCID, int64(sec.StaffID)); err != nil {
			return nil, err
		}
	}
	if f.Students, err = EnrolledStudents(ctx, c, sectionDCID, g.students()); err != nil {
		return nil, err
	}
	if f.Categories, err = c.XTE.Categories(ctx, f.UsersDCID, f.YearID); err != nil {
		return nil, fmt.Errorf("reading teacher %d's categories: %w", f.UsersDCID, err)
	}
	if f.Assignments, err = c.XTE.ListAssignments(ctx, f.UsersDCID, sectionDCID); err != nil {
		return nil, fmt.Errorf("reading section %d's assignments: %w", sectionDCID, err)
	}
	titles := g.titles()
	for i, a := range f.Assignments {
		s := a.Section(sectionDCID)
		if s == nil || !slices.Contains(titles, strings.TrimSpace(s.Name)) {
			continue
		}
		full, err := c.XTE.GetAssignment(ctx, f.UsersDCID, int64(a.ID))
		if err != nil {
			return nil, fmt.Errorf("reading the scores of assignment %d (%q): %w", a.ID, s.Name, err)
		}
		f.Assignments[i] = *full
	}
	return f, nil
}

// loadTerm finds the section's term among its school's terms (else by
// itself) for its dates and school year.
func (f *Facts) loadTerm(ctx context.Context, c *ps.Client) error {
	for t, err := range c.Terms.List(ctx, f.SchoolID, nil) {
		if err != nil {
			return fmt.Errorf("reading school %d's terms for the section's term dates: %w", f.SchoolID, err)
		}
		if int64(t.ID) == f.TermID {
			f.useTerm(&t)
			break
		}
	}
	if f.TermStart == "" {
		t, err := c.Terms.Get(ctx, f.TermID)
		if err != nil {
			return fmt.Errorf("term %d of section %d is not among school %d's terms and reading it failed: %w", f.TermID, f.SectionDCID, f.SchoolID, err)
		}
		f.useTerm(t)
	}
	for _, d := range []struct{ name, value string }{{"start", f.TermStart}, {"end", f.TermEnd}} {
		if _, err := ps.ParseDueDate(d.value); err != nil {
			return fmt.Errorf("term %d has no usable %s date (%q), so due dates cannot be checked", f.TermID, d.name, d.value)
		}
	}
	f.TermStart, f.TermEnd = f.TermStart[:10], f.TermEnd[:10]
	return nil
}

// useTerm takes the term's dates, and its school year: PowerSchool's
// YEARID is the start year minus 1990 (2025-26 is 35), which also equals
// floor(TERMS.ID/100).
func (f *Facts) useTerm(t *ps.Term) {
	f.TermStart, f.TermEnd = t.StartDate, t.EndDate
	if t.StartYear > 1990 {
		f.YearID = int64(t.StartYear) - 1990
	}
}

// termsID reads the TERMS.ID of the term whose DCID /ws/v1 gives, for
// PUT /ws/xte/score's term_id, through the table API. Without access to
// TERMS.ID it returns 0 and the scores are sent without term_id.
func termsID(ctx context.Context, c *ps.Client, termDCID int64) int64 {
	rec, err := c.Tables.Get(ctx, "terms", termDCID, "id")
	if err != nil {
		return 0
	}
	v, _ := rec.Value("terms.id")
	id, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return id
}

// sectionTeacher finds the USERS.DCID of a section's teacher. A section's
// staff_id is the teacher's SCHOOLSTAFF.DCID, while /ws/v1/staff/{id} is
// keyed by USERS.DCID on servers that follow the documented ids; so after a
// 404 there, the SCHOOLSTAFF row is read through the table API (the plugin
// then needs SCHOOLSTAFF.USERS_DCID in its access_request).
func sectionTeacher(ctx context.Context, c *ps.Client, sectionDCID, staffID int64) (int64, error) {
	st, err := c.Staff.Get(ctx, staffID, nil)
	if err == nil && st.UsersDCID != 0 {
		return int64(st.UsersDCID), nil
	}
	if err != nil && !ps.IsNotFound(err) {
		return 0, fmt.Errorf("reading section %d's teacher (staff %d) to find users_dcid: %w; give the teacher's USERS.DCID explicitly", sectionDCID, staffID, err)
	}
	rec, terr := c.Tables.Get(ctx, "schoolstaff", staffID, "users_dcid")
	if terr != nil {
		return 0, fmt.Errorf("section %d's teacher (staff %d) is neither a /ws/v1/staff id nor a readable SCHOOLSTAFF row (%w); give the teacher's USERS.DCID explicitly, or add SCHOOLSTAFF.USERS_DCID to the plugin's access_request", sectionDCID, staffID, terr)
	}
	v, _ := rec.Value("schoolstaff.users_dcid")
	id, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if perr != nil || id == 0 {
		return 0, fmt.Errorf("SCHOOLSTAFF %d (section %d's teacher) has no users_dcid; give the teacher's USERS.DCID explicitly", staffID, sectionDCID)
	}
	return id, nil
}

// numbersPerQuery bounds the student numbers in one q= value list, which
// keeps the request line short.
const numbersPerQuery = 100

// EnrolledStudents maps those of the given student numbers (/ws/v1
// local_id) whose students are enrolled in the section (not dropped) to
// their STUDENTS.DCID. It reads the section's enrollments as one list and
// the named students with local_id==(…) value lists: a few requests per
// section, however many students it has.
func EnrolledStudents(ctx context.Context, c *ps.Client, sectionDCID int64, numbers []string) (map[string]int64, error) {
	out := map[string]int64{}
	var wanted []string
	for _, n := range numbers {
		n = strings.TrimSpace(n)
		// local_id is a number: anything else names no student, and
		// would make the server refuse the query.
		if _, err := strconv.ParseUint(n, 10, 63); err == nil && !slices.Contains(wanted, n) {
			wanted = append(wanted, n)
		}
	}
	if len(wanted) == 0 {
		return out, nil
	}
	enrolled := map[int64]bool{}
	for e, err := range c.SectionEnrollments.List(ctx, sectionDCID, nil) {
		if err != nil {
			return nil, fmt.Errorf("reading section %d's enrollments: %w", sectionDCID, err)
		}
		if !bool(e.Dropped) && e.StudentID > 0 {
			enrolled[int64(e.StudentID)] = true
		}
	}
	if len(enrolled) == 0 {
		return out, nil
	}
	for chunk := range slices.Chunk(wanted, numbersPerQuery) {
		q := "local_id==(" + strings.Join(chunk, ",") + ")"
		for st, err := range c.Students.List(ctx, &ps.ListOptions{Q: q}) {
			if err != nil {
				return nil, fmt.Errorf("reading the students with the numbers named in the push: %w", err)
			}
			if enrolled[int64(st.ID)] {
				out[st.LocalID.String()] = int64(st.ID)
			}
		}
	}
	return out, nil
}
