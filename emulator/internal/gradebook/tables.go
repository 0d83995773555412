package gradebook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// write runs fn in a transaction while holding the write lock.
func (g *Gradebook) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if g.opts.Write != nil {
		return g.opts.Write(ctx, fn)
	}
	g.wmu.Lock()
	defer g.wmu.Unlock()
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// sectionInfo is what the gradebook needs to know about a SECTIONS row.
type sectionInfo struct {
	dcid, id     int64
	schoolNumber int64
	termID       int64
	firstDay     string // the section's term, YYYY-MM-DD
	lastDay      string
	teacherDCID  int64 // USERS.DCID of SECTIONS.TEACHER, 0 if none
}

func (s sectionInfo) yearID() int64 { return s.termID / 100 }

func (g *Gradebook) section(ctx context.Context, q querier, dcid int64) (sectionInfo, error) {
	var s sectionInfo
	err := q.QueryRowContext(ctx, `
		SELECT s.DCID, s.ID, s.SCHOOLID, s.TERMID, COALESCE(t.FIRSTDAY, ''), COALESCE(t.LASTDAY, ''), COALESCE(ss.USERS_DCID, 0)
		FROM SECTIONS s
		LEFT JOIN TERMS t ON t.ID = s.TERMID AND t.SCHOOLID = s.SCHOOLID
		LEFT JOIN SCHOOLSTAFF ss ON ss.ID = s.TEACHER
		WHERE s.DCID = ?`, dcid).Scan(&s.dcid, &s.id, &s.schoolNumber, &s.termID, &s.firstDay, &s.lastDay, &s.teacherDCID)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("section %d: %w", dcid, ErrUnknownSection)
	}
	if err != nil {
		return s, fmt.Errorf("reading section %d: %w", dcid, err)
	}
	return s, nil
}

// enrolled reports whether the student (STUDENTS.DCID) holds a current CC
// row in the section. Dropped enrolments carry a negative SECTIONID.
func enrolled(ctx context.Context, q querier, sec sectionInfo, studentDCID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `
		SELECT COUNT(*) FROM CC JOIN STUDENTS st ON st.ID = CC.STUDENTID
		WHERE st.DCID = ? AND CC.SECTIONID = ?`, studentDCID, sec.id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("checking enrolment of student %d: %w", studentDCID, err)
	}
	return n > 0, nil
}

func userExists(ctx context.Context, q querier, usersDCID int64) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM USERS WHERE DCID = ?", usersDCID).Scan(&n); err != nil {
		return false, fmt.Errorf("looking up user %d: %w", usersDCID, err)
	}
	return n > 0, nil
}

// category is a TEACHERCATEGORY row.
type category struct {
	ID         int64
	UsersDCID  int64
	Name       string
	Active     bool
	InFinal    bool
	DistrictID sql.NullInt64
	YearID     sql.NullInt64
	Color      string
	ExternalID string
	Modified   string
}

const categoryCols = `TEACHERCATEGORYID, USERSDCID, NAME, ISACTIVE, ISINFINALGRADES, DISTRICTTEACHERCATEGORYID,
	YEARID, COALESCE(COLOR, ''), COALESCE(EXTERNALID, ''), COALESCE(WHENMODIFIED, '')`

func scanCategory(sc interface{ Scan(...any) error }) (category, error) {
	var c category
	err := sc.Scan(&c.ID, &c.UsersDCID, &c.Name, &c.Active, &c.InFinal, &c.DistrictID, &c.YearID, &c.Color, &c.ExternalID, &c.Modified)
	return c, err
}

func categories(ctx context.Context, q querier, where string, args ...any) ([]category, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+categoryCols+" FROM TEACHERCATEGORY "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reading teacher categories: %w", err)
	}
	defer rows.Close()
	var out []category
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, fmt.Errorf("reading teacher categories: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func categoryByID(ctx context.Context, q querier, id int64) (category, bool, error) {
	cs, err := categories(ctx, q, "WHERE TEACHERCATEGORYID = ?", id)
	if err != nil || len(cs) == 0 {
		return category{}, false, err
	}
	return cs[0], true, nil
}

// asgSection is an ASSIGNMENTSECTION row with its assignment's columns and
// its category associations.
type asgSection struct {
	ID                int64
	AssignmentID      int64
	SectionsDCID      int64
	Name, Description string
	DueDate           string
	ScoreType         string
	ScoreEntryPoints  float64
	TotalPointValue   float64
	ExtraCreditPoints float64
	Weight            float64
	Counted, Publish  bool
	YearID            int64
	Modified          string
	Method            string // ASSIGNMENT.STANDARDSCORINGMETHOD
	ExternalID        string // ASSIGNMENT.EXTERNALID: a OneRoster lineItem sourcedId
	Cats              []catAssoc
}

type catAssoc struct {
	CategoryID int64
	Primary    bool
}

// primaryCategory returns the primary category id, or the first one.
func (s asgSection) primaryCategory() int64 {
	for _, c := range s.Cats {
		if c.Primary {
			return c.CategoryID
		}
	}
	if len(s.Cats) > 0 {
		return s.Cats[0].CategoryID
	}
	return 0
}

// lineItemID is the OneRoster sourcedId of the section's line item.
func (s asgSection) lineItemID() string {
	if s.ExternalID != "" {
		return s.ExternalID
	}
	return "a" + strconv.FormatInt(s.ID, 10)
}

// asgSections reads assignment sections; where refers to ASSIGNMENTSECTION
// as s and ASSIGNMENT as a.
func asgSections(ctx context.Context, q querier, where string, args ...any) ([]asgSection, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT s.ASSIGNMENTSECTIONID, s.ASSIGNMENTID, s.SECTIONSDCID, s.NAME, COALESCE(s.DESCRIPTION, ''), s.DUEDATE,
			s.SCORETYPE, COALESCE(s.SCOREENTRYPOINTS, 0), COALESCE(s.TOTALPOINTVALUE, 0), COALESCE(s.EXTRACREDITPOINTS, 0),
			COALESCE(s.WEIGHT, 1), s.ISCOUNTEDINFINALGRADE, s.ISSCORESPUBLISH, COALESCE(s.YEARID, 0), COALESCE(s.WHENMODIFIED, ''),
			COALESCE(a.STANDARDSCORINGMETHOD, ''), COALESCE(a.EXTERNALID, '')
		FROM ASSIGNMENTSECTION s JOIN ASSIGNMENT a ON a.ASSIGNMENTID = s.ASSIGNMENTID `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reading assignments: %w", err)
	}
	var out []asgSection
	byID := map[int64]int{}
	for rows.Next() {
		var s asgSection
		if err := rows.Scan(&s.ID, &s.AssignmentID, &s.SectionsDCID, &s.Name, &s.Description, &s.DueDate, &s.ScoreType,
			&s.ScoreEntryPoints, &s.TotalPointValue, &s.ExtraCreditPoints, &s.Weight, &s.Counted, &s.Publish, &s.YearID,
			&s.Modified, &s.Method, &s.ExternalID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading assignments: %w", err)
		}
		byID[s.ID] = len(out)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading assignments: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(out))
	for _, s := range out {
		ids = append(ids, strconv.FormatInt(s.ID, 10))
	}
	crows, err := q.QueryContext(ctx, `SELECT ASSIGNMENTSECTIONID, TEACHERCATEGORYID, ISPRIMARY FROM ASSIGNMENTCATEGORYASSOC
		WHERE ASSIGNMENTSECTIONID IN (`+strings.Join(ids, ",")+`) ORDER BY ASSIGNMENTCATEGORYASSOCID`)
	if err != nil {
		return nil, fmt.Errorf("reading assignment categories: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var sid int64
		var c catAssoc
		if err := crows.Scan(&sid, &c.CategoryID, &c.Primary); err != nil {
			return nil, fmt.Errorf("reading assignment categories: %w", err)
		}
		if i, ok := byID[sid]; ok {
			out[i].Cats = append(out[i].Cats, c)
		}
	}
	return out, crows.Err()
}

// scoreRow is an ASSIGNMENTSCORE row with the ids of its section.
type scoreRow struct {
	ID           int64
	SectionID    int64 // ASSIGNMENTSECTIONID
	StudentDCID  int64
	Entered      string
	Kind         string
	Points       sql.NullFloat64
	Late         bool
	Exempt       bool
	Missing      bool
	Collected    bool
	Absent       bool
	Incomplete   bool
	Comment      string
	EntryDate    string
	ExternalID   string
	Modified     string
	AssignmentID int64
	SectionsDCID int64
	LineItemID   string // OneRoster sourcedId of the section's line item
}

// resultID is the OneRoster sourcedId of the score.
func (r scoreRow) resultID() string {
	if r.ExternalID != "" {
		return r.ExternalID
	}
	return "r" + strconv.FormatInt(r.ID, 10)
}

// scores reads score rows; where refers to ASSIGNMENTSCORE as sc,
// ASSIGNMENTSECTION as s and ASSIGNMENT as a.
func scores(ctx context.Context, q querier, where string, args ...any) ([]scoreRow, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT sc.ASSIGNMENTSCOREID, sc.ASSIGNMENTSECTIONID, sc.STUDENTSDCID, COALESCE(sc.ACTUALSCOREENTERED, ''),
			COALESCE(sc.ACTUALSCOREKIND, ''), sc.SCOREPOINTS, sc.ISLATE, sc.ISEXEMPT, sc.ISMISSING, sc.ISCOLLECTED,
			sc.ISABSENT, sc.ISINCOMPLETE, COALESCE(sc.COMMENTVALUE, ''), COALESCE(sc.SCOREENTRYDATE, ''),
			COALESCE(sc.EXTERNALID, ''), COALESCE(sc.WHENMODIFIED, ''), s.ASSIGNMENTID, s.SECTIONSDCID,
			COALESCE(a.EXTERNALID, 'a' || s.ASSIGNMENTSECTIONID)
		FROM ASSIGNMENTSCORE sc
		JOIN ASSIGNMENTSECTION s ON s.ASSIGNMENTSECTIONID = sc.ASSIGNMENTSECTIONID
		JOIN ASSIGNMENT a ON a.ASSIGNMENTID = s.ASSIGNMENTID `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reading scores: %w", err)
	}
	defer rows.Close()
	var out []scoreRow
	for rows.Next() {
		var r scoreRow
		if err := rows.Scan(&r.ID, &r.SectionID, &r.StudentDCID, &r.Entered, &r.Kind, &r.Points, &r.Late, &r.Exempt,
			&r.Missing, &r.Collected, &r.Absent, &r.Incomplete, &r.Comment, &r.EntryDate, &r.ExternalID, &r.Modified,
			&r.AssignmentID, &r.SectionsDCID, &r.LineItemID); err != nil {
			return nil, fmt.Errorf("reading scores: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// fieldError is one broken rule, named by field, in both /ws/xte's errors
// array and OneRoster's imsx_description.
type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Value    string `json:"value,omitempty"`
	// Params carries machine-readable facts, as PowerTeacher Pro's
	// {"params":{"student_dcid":N}} on a score batch refused for a student.
	Params  map[string]any `json:"params,omitempty"`
	message string
}

// sectionInput is what creating or editing an assignment section needs,
// from either /ws/xte or a OneRoster lineItem.
type sectionInput struct {
	SectionsDCID int64
	Name         string
	DueDate      string // YYYY-MM-DD
	ScoreType    string
	TotalPoints  float64
	CategoryIDs  []int64
	// field names the inputs in messages (the wire's own names).
	field map[string]string
}

func (in sectionInput) name(f string) string {
	if n, ok := in.field[f]; ok {
		return n
	}
	return f
}

// NameMax is ASSIGNMENTSECTION.NAME's length (VARCHAR2(50), counted in
// bytes as Oracle does by default); CategoryNameMax is the category name
// limit vendors report for PowerTeacher Pro.
const (
	NameMax         = 50
	CategoryNameMax = 30
)

// validateSection applies PowerTeacher Pro's rules to one assignment
// section for the acting teacher. It returns the section on success.
func (g *Gradebook) validateSection(ctx context.Context, q querier, teacherDCID int64, in sectionInput) (sectionInfo, []fieldError, error) {
	var errs []fieldError
	add := func(field, code, value, format string, args ...any) {
		errs = append(errs, fieldError{Resource: "assignmentsection", Field: in.name(field), Code: code, Value: value, message: fmt.Sprintf(format, args...)})
	}
	sec, err := g.section(ctx, q, in.SectionsDCID)
	if errors.Is(err, ErrUnknownSection) {
		add("sectionsdcid", "NOT_FOUND", strconv.FormatInt(in.SectionsDCID, 10), "%s %d is not a section (SECTIONS.DCID)", in.name("sectionsdcid"), in.SectionsDCID)
		return sec, errs, nil
	}
	if err != nil {
		return sec, nil, err
	}
	if st := strings.ToUpper(in.ScoreType); st != "POINTS" {
		add("scoretype", "INVALID_VALUE", in.ScoreType, "%s %q is not supported: the emulator scores POINTS only", in.name("scoretype"), in.ScoreType)
	}
	switch n := len(in.Name); {
	case strings.TrimSpace(in.Name) == "":
		add("name", "REQUIRED", "", "%s is required", in.name("name"))
	case n > NameMax:
		add("name", "TOO_LONG", "", "%s is %d bytes, at most %d fit ASSIGNMENTSECTION.NAME", in.name("name"), n, NameMax)
	}
	if in.TotalPoints < 0 {
		add("totalpointvalue", "INVALID_VALUE", strconv.FormatFloat(in.TotalPoints, 'f', -1, 64), "%s must not be negative", in.name("totalpointvalue"))
	}
	if in.DueDate == "" {
		add("duedate", "REQUIRED", "", "%s is required (YYYY-MM-DD)", in.name("duedate"))
	} else if _, err := time.Parse(time.DateOnly, in.DueDate); err != nil {
		add("duedate", "INVALID_VALUE", in.DueDate, "%s %q is not a date (YYYY-MM-DD)", in.name("duedate"), in.DueDate)
	} else if sec.firstDay == "" || in.DueDate < sec.firstDay || in.DueDate > sec.lastDay {
		add("duedate", "OUT_OF_RANGE", in.DueDate, "%s %s is outside the term of section %d (%s to %s)", in.name("duedate"), in.DueDate, sec.dcid, sec.firstDay, sec.lastDay)
	}
	if len(in.CategoryIDs) == 0 {
		add("teachercategoryid", "REQUIRED", "", "a category (%s) is required", in.name("teachercategoryid"))
	}
	for _, id := range in.CategoryIDs {
		c, ok, err := categoryByID(ctx, q, id)
		if err != nil {
			return sec, nil, err
		}
		v := strconv.FormatInt(id, 10)
		switch {
		case !ok || c.UsersDCID != teacherDCID:
			add("teachercategoryid", "NOT_FOUND", v, "%s %d is not a category of teacher %d", in.name("teachercategoryid"), id, teacherDCID)
		case !c.Active:
			add("teachercategoryid", "INACTIVE", v, "%s %d (%s) is inactive for teacher %d", in.name("teachercategoryid"), id, c.Name, teacherDCID)
		}
	}
	return sec, errs, nil
}

func joinMessages(errs []fieldError) string {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.message
	}
	return strings.Join(msgs, "; ")
}

// insertSection writes an ASSIGNMENTSECTION row and its primary category.
func insertSection(ctx context.Context, tx *sql.Tx, assignmentID int64, s asgSection, now string) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO ASSIGNMENTSECTION (ASSIGNMENTID, SECTIONSDCID, NAME, DESCRIPTION, DUEDATE,
		SCORETYPE, SCOREENTRYPOINTS, TOTALPOINTVALUE, EXTRACREDITPOINTS, WEIGHT, ISCOUNTEDINFINALGRADE, ISSCORESPUBLISH, YEARID, WHENMODIFIED)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		assignmentID, s.SectionsDCID, s.Name, s.Description, s.DueDate, s.ScoreType, s.ScoreEntryPoints, s.TotalPointValue,
		s.ExtraCreditPoints, s.Weight, s.Counted, s.Publish, s.YearID, now)
	if err != nil {
		return 0, fmt.Errorf("writing assignment section: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, setCategories(ctx, tx, id, s.Cats)
}

// updateSection rewrites an ASSIGNMENTSECTION row and its categories.
func updateSection(ctx context.Context, tx *sql.Tx, s asgSection, now string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ASSIGNMENTSECTION SET SECTIONSDCID = ?, NAME = ?, DESCRIPTION = ?, DUEDATE = ?,
		SCORETYPE = ?, SCOREENTRYPOINTS = ?, TOTALPOINTVALUE = ?, EXTRACREDITPOINTS = ?, WEIGHT = ?, ISCOUNTEDINFINALGRADE = ?,
		ISSCORESPUBLISH = ?, YEARID = ?, WHENMODIFIED = ? WHERE ASSIGNMENTSECTIONID = ?`,
		s.SectionsDCID, s.Name, s.Description, s.DueDate, s.ScoreType, s.ScoreEntryPoints, s.TotalPointValue,
		s.ExtraCreditPoints, s.Weight, s.Counted, s.Publish, s.YearID, now, s.ID)
	if err != nil {
		return fmt.Errorf("updating assignment section %d: %w", s.ID, err)
	}
	return setCategories(ctx, tx, s.ID, s.Cats)
}

func setCategories(ctx context.Context, tx *sql.Tx, sectionID int64, cats []catAssoc) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM ASSIGNMENTCATEGORYASSOC WHERE ASSIGNMENTSECTIONID = ?", sectionID); err != nil {
		return fmt.Errorf("updating assignment categories: %w", err)
	}
	for i, c := range cats {
		primary := c.Primary || (i == 0 && !anyPrimary(cats))
		if _, err := tx.ExecContext(ctx, "INSERT INTO ASSIGNMENTCATEGORYASSOC (ASSIGNMENTSECTIONID, TEACHERCATEGORYID, ISPRIMARY) VALUES (?, ?, ?)",
			sectionID, c.CategoryID, primary); err != nil {
			return fmt.Errorf("updating assignment categories: %w", err)
		}
	}
	return nil
}

func anyPrimary(cats []catAssoc) bool {
	for _, c := range cats {
		if c.Primary {
			return true
		}
	}
	return false
}

// deleteSections removes assignment sections, their scores and category
// links, and any assignment left without sections.
func deleteSections(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	for _, id := range ids {
		for _, q := range []string{
			"DELETE FROM ASSIGNMENTSCORE WHERE ASSIGNMENTSECTIONID = ?",
			"DELETE FROM ASSIGNMENTCATEGORYASSOC WHERE ASSIGNMENTSECTIONID = ?",
			"DELETE FROM ASSIGNMENTSECTION WHERE ASSIGNMENTSECTIONID = ?",
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("deleting assignment section %d: %w", id, err)
			}
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM ASSIGNMENT WHERE NOT EXISTS
		(SELECT 1 FROM ASSIGNMENTSECTION s WHERE s.ASSIGNMENTID = ASSIGNMENT.ASSIGNMENTID)`)
	if err != nil {
		return fmt.Errorf("deleting empty assignments: %w", err)
	}
	return nil
}

// scoreInput is one score to store.
type scoreInput struct {
	SectionID   int64
	StudentDCID int64
	Entered     string
	Kind        string
	Points      sql.NullFloat64
	Late        bool
	Exempt      bool
	Missing     bool
	Collected   bool
	Absent      bool
	Incomplete  bool
	Comment     string
	EntryDate   string
	ExternalID  string // "" keeps the stored one
}

// upsertScore writes a score keyed by (section, student) and returns its id
// and whether it was new.
func upsertScore(ctx context.Context, tx *sql.Tx, in scoreInput, now string) (int64, bool, error) {
	var id int64
	err := tx.QueryRowContext(ctx, "SELECT ASSIGNMENTSCOREID FROM ASSIGNMENTSCORE WHERE ASSIGNMENTSECTIONID = ? AND STUDENTSDCID = ?",
		in.SectionID, in.StudentDCID).Scan(&id)
	var ext any
	if in.ExternalID != "" {
		ext = in.ExternalID
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.ExecContext(ctx, `INSERT INTO ASSIGNMENTSCORE (ASSIGNMENTSECTIONID, STUDENTSDCID, ACTUALSCOREENTERED,
			ACTUALSCOREKIND, SCOREPOINTS, ISLATE, ISEXEMPT, ISMISSING, ISCOLLECTED, ISABSENT, ISINCOMPLETE, COMMENTVALUE,
			SCOREENTRYDATE, EXTERNALID, WHENMODIFIED) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.SectionID, in.StudentDCID, in.Entered, in.Kind, in.Points, in.Late, in.Exempt, in.Missing, in.Collected,
			in.Absent, in.Incomplete, in.Comment, in.EntryDate, ext, now)
		if err != nil {
			return 0, false, fmt.Errorf("writing the score of student %d: %w", in.StudentDCID, err)
		}
		id, err := res.LastInsertId()
		return id, true, err
	case err != nil:
		return 0, false, fmt.Errorf("reading the score of student %d: %w", in.StudentDCID, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE ASSIGNMENTSCORE SET ACTUALSCOREENTERED = ?, ACTUALSCOREKIND = ?, SCOREPOINTS = ?,
		ISLATE = ?, ISEXEMPT = ?, ISMISSING = ?, ISCOLLECTED = ?, ISABSENT = ?, ISINCOMPLETE = ?, COMMENTVALUE = ?,
		SCOREENTRYDATE = ?, EXTERNALID = COALESCE(?, EXTERNALID), WHENMODIFIED = ? WHERE ASSIGNMENTSCOREID = ?`,
		in.Entered, in.Kind, in.Points, in.Late, in.Exempt, in.Missing, in.Collected, in.Absent, in.Incomplete,
		in.Comment, in.EntryDate, ext, now, id)
	if err != nil {
		return 0, false, fmt.Errorf("updating the score of student %d: %w", in.StudentDCID, err)
	}
	return id, false, nil
}

func formatPoints(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
