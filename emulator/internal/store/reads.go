package store

import (
	"context"
	"strconv"
	"strings"
)

// The typed reads behind /ws/v1: each takes a context and typed arguments
// and knows its tables, so the HTTP layer holds no SQL for them. Lists take
// a Filter compiled from q= by the caller and a Page.

// Row is one result row keyed by upper-case column name; values are
// int64, float64, string or nil.
type Row map[string]any

// Str returns a non-empty text column (numbers as text), or nil so JSON
// leaves it out.
func (r Row) Str(col string) any {
	switch v := r[col].(type) {
	case string:
		if v != "" {
			return v
		}
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return nil
}

// Num returns an integer column, or nil.
func (r Row) Num(col string) any {
	switch v := r[col].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return nil
}

// Int returns an integer column, or 0.
func (r Row) Int(col string) int64 {
	n, _ := r.Num(col).(int64)
	return n
}

// Rows runs a read and returns its rows: the raw read path for what
// renders whole rows (expansions, extension data).
func (s *Store) Rows(ctx context.Context, query string, args ...any) ([]Row, error) {
	rows, err := s.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		cols[i] = strings.ToUpper(c)
	}
	var out []Row
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make(Row, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				r[c] = string(b)
			} else {
				r[c] = vals[i]
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Filter is a SQL condition with its arguments, compiled from q= by the
// caller; "" means every row. Student filters name STUDENTS as s, staff
// filters USERS as u and SCHOOLSTAFF as ss.
type Filter struct {
	Where string
	Args  []any
}

func (f Filter) where() string {
	if f.Where == "" {
		return "1=1"
	}
	return f.Where
}

// Page is one page of a list: Limit rows from Offset.
type Page struct{ Offset, Limit int }

func (s *Store) count(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.DB.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

func (s *Store) one(ctx context.Context, query string, args ...any) (Row, bool, error) {
	rows, err := s.Rows(ctx, query, args...)
	if err != nil || len(rows) == 0 {
		return nil, false, err
	}
	return rows[0], true, nil
}

// SchoolNumber resolves a school's DCID to its SCHOOL_NUMBER.
func (s *Store) SchoolNumber(ctx context.Context, dcid int64) (int64, bool, error) {
	r, ok, err := s.one(ctx, `SELECT SCHOOL_NUMBER FROM SCHOOLS WHERE DCID = ?`, dcid)
	return r.Int("SCHOOL_NUMBER"), ok, err
}

// SectionID resolves a section's DCID to SECTIONS.ID, which CC refers to.
func (s *Store) SectionID(ctx context.Context, dcid int64) (int64, bool, error) {
	r, ok, err := s.one(ctx, `SELECT ID FROM SECTIONS WHERE DCID = ?`, dcid)
	return r.Int("ID"), ok, err
}

// DistrictPrefs returns the district's PREFS (SCHOOLID 0) by name.
func (s *Store) DistrictPrefs(ctx context.Context) (Row, error) {
	rows, err := s.Rows(ctx, `SELECT NAME, VALUE FROM PREFS WHERE SCHOOLID = 0`)
	if err != nil {
		return nil, err
	}
	p := Row{}
	for _, r := range rows {
		if name, ok := r["NAME"].(string); ok {
			p[name] = r["VALUE"]
		}
	}
	return p, nil
}

// schoolListWhere leaves the "Graduated Students" school out of the
// district's school list and count.
const schoolListWhere = `SCHOOL_NUMBER <> 999999` // GraduatedSchoolNumber

// CountSchools counts the district's schools.
func (s *Store) CountSchools(ctx context.Context) (int64, error) {
	return s.count(ctx, `SELECT COUNT(*) FROM SCHOOLS WHERE `+schoolListWhere)
}

// Schools returns a page of the district's schools by DCID.
func (s *Store) Schools(ctx context.Context, p Page) ([]Row, error) {
	return s.Rows(ctx, `SELECT * FROM SCHOOLS WHERE `+schoolListWhere+` ORDER BY DCID LIMIT ? OFFSET ?`, p.Limit, p.Offset)
}

// School returns the school with the DCID.
func (s *Store) School(ctx context.Context, dcid int64) (Row, bool, error) {
	return s.one(ctx, `SELECT * FROM SCHOOLS WHERE DCID = ?`, dcid)
}

// StudentColumns chooses what a student read returns.
type StudentColumns int

const (
	// StudentCore is the default fields' columns: reading every column
	// costs several times more.
	StudentCore StudentColumns = iota
	// StudentFull is every STUDENTS column, the school's DCID
	// (SCHOOL_DCID) and U_STUDENTSUSERFIELDS.EMAIL (UF_EMAIL).
	StudentFull
)

func (c StudentColumns) selectFrom() string {
	if c == StudentCore {
		return `SELECT s.ID, s.DCID, s.STUDENT_NUMBER, s.STUDENT_WEB_ID, s.FIRST_NAME, s.MIDDLE_NAME, s.LAST_NAME FROM STUDENTS s`
	}
	return `SELECT s.*, sch.DCID AS SCHOOL_DCID, uf.EMAIL AS UF_EMAIL FROM STUDENTS s
	LEFT JOIN SCHOOLS sch ON sch.SCHOOL_NUMBER = s.SCHOOLID
	LEFT JOIN U_STUDENTSUSERFIELDS uf ON uf.STUDENTSDCID = s.DCID`
}

// CountStudents counts the students f selects.
func (s *Store) CountStudents(ctx context.Context, f Filter) (int64, error) {
	return s.count(ctx, "SELECT COUNT(*) FROM STUDENTS s WHERE "+f.where(), f.Args...)
}

// Students returns a page of the students f selects, by DCID. It pages
// over the bare table first, from the nearest page boundary it knows (a
// seek, not a deep OFFSET), then reads the page's columns.
func (s *Store) Students(ctx context.Context, f Filter, p Page, cols StudentColumns) ([]Row, error) {
	keys, err := s.PageKeys(ctx, KeyPage{From: "STUDENTS s", Key: "s.DCID", Where: f.Where, Args: f.Args,
		Offset: int64(p.Offset), Limit: int64(p.Limit)})
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	marks := strings.Repeat("?,", len(keys))
	return s.Rows(ctx, cols.selectFrom()+" WHERE s.DCID IN ("+marks[:len(marks)-1]+") ORDER BY s.DCID", args...)
}

// Student returns the student with the DCID.
func (s *Store) Student(ctx context.Context, dcid int64, cols StudentColumns) (Row, bool, error) {
	return s.one(ctx, cols.selectFrom()+" WHERE s.DCID = ?", dcid)
}

// staffAt is a school's active staff (f may name u and ss).
const staffAt = ` FROM SCHOOLSTAFF ss JOIN USERS u ON u.DCID = ss.USERS_DCID WHERE ss.SCHOOLID = ? AND ss.STATUS = 1 AND `

// CountStaff counts the active staff of a school (by number) f selects.
func (s *Store) CountStaff(ctx context.Context, schoolNumber int64, f Filter) (int64, error) {
	return s.count(ctx, `SELECT COUNT(*)`+staffAt+f.where(), append([]any{schoolNumber}, f.Args...)...)
}

// Staff returns a page of a school's active staff f selects, by
// SCHOOLSTAFF.ID: their USERS rows.
func (s *Store) Staff(ctx context.Context, schoolNumber int64, f Filter, p Page) ([]Row, error) {
	args := append(append([]any{schoolNumber}, f.Args...), p.Limit, p.Offset)
	return s.Rows(ctx, `SELECT u.*`+staffAt+f.where()+` ORDER BY ss.ID LIMIT ? OFFSET ?`, args...)
}

// StaffMember returns the USERS row with the DCID.
func (s *Store) StaffMember(ctx context.Context, dcid int64) (Row, bool, error) {
	return s.one(ctx, `SELECT * FROM USERS WHERE DCID = ?`, dcid)
}

// idList renders ids for an IN (...) clause: integers, never text.
func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// DistrictUUID returns the district's PREFS districtuuid (an error when
// it is missing).
func (s *Store) DistrictUUID(ctx context.Context) (string, error) {
	var uuid string
	err := s.DB.QueryRowContext(ctx, `SELECT VALUE FROM PREFS WHERE NAME = 'districtuuid' AND SCHOOLID = 0`).Scan(&uuid)
	return uuid, err
}

// CountSectionEnrollments counts a section's CC rows (by SECTIONS.ID),
// dropped ones (SECTIONID negated) included.
func (s *Store) CountSectionEnrollments(ctx context.Context, sectionID int64) (int64, error) {
	return s.count(ctx, `SELECT COUNT(*) FROM CC WHERE SECTIONID IN (?, ?)`, sectionID, -sectionID)
}

// Fees returns the FEE rows of the students (by STUDENTS.ID), by DCID,
// each with its school's DCID as SCHOOL_DCID.
func (s *Store) Fees(ctx context.Context, studentIDs []int64) ([]Row, error) {
	return s.Rows(ctx, `SELECT f.*, sch.DCID AS SCHOOL_DCID FROM FEE f LEFT JOIN SCHOOLS sch ON sch.SCHOOL_NUMBER = f.SCHOOLID
		WHERE f.STUDENTID IN (`+idList(studentIDs)+`) ORDER BY f.DCID`)
}

// StaffAffiliations returns the users' SCHOOLSTAFF rows (USERS_DCID,
// STATUS, and the school's DCID as SCHOOL_DCID), by SCHOOLSTAFF.ID.
func (s *Store) StaffAffiliations(ctx context.Context, usersDCIDs []int64) ([]Row, error) {
	return s.Rows(ctx, `SELECT ss.USERS_DCID, ss.STATUS, sch.DCID AS SCHOOL_DCID FROM SCHOOLSTAFF ss
		JOIN SCHOOLS sch ON sch.SCHOOL_NUMBER = ss.SCHOOLID WHERE ss.USERS_DCID IN (`+idList(usersDCIDs)+`) ORDER BY ss.ID`)
}

// ExtensionField is one non-null column of an extension table row.
type ExtensionField struct {
	Name     string // lower case
	DeclType string // the declared SQLite type, upper case ("INTEGER", "REAL", "TEXT")
	Value    any
}

// ExtensionRows reads the rows of a student extension table (keyed by
// STUDENTSDCID) for the students, by STUDENTSDCID: each row's non-null
// columns but the key, in column order (an empty list for a row with
// none). table is a known table name, never user input.
func (s *Store) ExtensionRows(ctx context.Context, table string, studentDCIDs []int64) (map[int64][]ExtensionField, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT * FROM `+table+` WHERE STUDENTSDCID IN (`+idList(studentDCIDs)+`)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	found := map[int64][]ExtensionField{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var key int64
		fs := []ExtensionField{}
		for i, c := range cols {
			name := strings.ToLower(c.Name())
			if name == "studentsdcid" {
				key, _ = vals[i].(int64)
				continue
			}
			if vals[i] == nil {
				continue
			}
			fs = append(fs, ExtensionField{Name: name, DeclType: strings.ToUpper(c.DatabaseTypeName()), Value: vals[i]})
		}
		found[key] = fs
	}
	return found, rows.Err()
}

// SchoolList is the read behind a per-school /ws/v1 resource (sections,
// courses, terms) or section enrollments: its tables, columns, school and
// id columns and default order.
type SchoolList struct {
	from, cols, schoolCol, idCol, order string
}

var (
	// Sections are sorted by section_id, course_id, term_id (reference §3.1).
	Sections = SchoolList{
		from: `SECTIONS sec JOIN SCHOOLS sch ON sch.SCHOOL_NUMBER = sec.SCHOOLID
		LEFT JOIN COURSES c ON c.COURSE_NUMBER = sec.COURSE_NUMBER
		LEFT JOIN SCHOOLSTAFF ss ON ss.ID = sec.TEACHER
		LEFT JOIN TERMS t ON t.ID = sec.TERMID AND t.SCHOOLID = sec.SCHOOLID`,
		schoolCol: "sec.SCHOOLID", idCol: "sec.DCID",
		order: "sec.DCID, c.DCID, t.DCID",
		cols: `sec.DCID, sec.SECTION_NUMBER, sec.EXPRESSION, sec.EXTERNAL_EXPRESSION, sec.GRADEBOOKTYPE, sch.DCID AS SCHOOL_DCID,
		c.DCID AS COURSE_DCID, ss.DCID AS STAFF_DCID, t.DCID AS TERM_DCID, t.SCHOOLID AS TERM_SCHOOL, t.YEARID, t.PORTION,
		t.FIRSTDAY, t.LASTDAY, t.ABBREVIATION, t.NAME AS TERM_NAME`,
	}
	// Courses are sorted by course number (reference §3.1).
	Courses = SchoolList{
		from:      `COURSES c`,
		schoolCol: "c.SCHOOLID", idCol: "c.DCID",
		order: "c.COURSE_NUMBER",
		cols:  `c.DCID, c.COURSE_NUMBER, c.COURSE_NAME`,
	}
	// Terms are sorted by portion then start date (reference §3.1).
	Terms = SchoolList{
		from:      `TERMS t JOIN SCHOOLS sch ON sch.SCHOOL_NUMBER = t.SCHOOLID`,
		schoolCol: "t.SCHOOLID", idCol: "t.DCID",
		order: "t.PORTION, t.FIRSTDAY, t.DCID",
		cols:  `t.DCID, sch.DCID AS SCHOOL_DCID, t.YEARID, t.PORTION, t.FIRSTDAY, t.LASTDAY, t.ABBREVIATION, t.NAME`,
	}
	// Enrollments are CC rows, listed per section (SectionEnrollments) and
	// sorted by student_id, entry_date (reference §3.1); a negative
	// SECTIONID marks a dropped class.
	Enrollments = SchoolList{
		from:  `CC JOIN SECTIONS sec ON sec.ID = ABS(CC.SECTIONID) JOIN STUDENTS st ON st.ID = CC.STUDENTID`,
		idCol: "CC.DCID",
		order: "st.DCID, CC.DATEENROLLED, CC.DCID",
		cols:  `CC.DCID, sec.DCID AS SECTION_DCID, st.DCID AS STUDENT_DCID, CC.DATEENROLLED, CC.DATELEFT, CC.SECTIONID`,
	}
)

// CountInSchool counts the school's (by number) rows of l.
func (s *Store) CountInSchool(ctx context.Context, l SchoolList, schoolNumber int64) (int64, error) {
	return s.count(ctx, `SELECT COUNT(*) FROM `+l.from+` WHERE `+l.schoolCol+` = ?`, schoolNumber)
}

// InSchool returns a page of the school's (by number) rows of l.
func (s *Store) InSchool(ctx context.Context, l SchoolList, schoolNumber int64, p Page) ([]Row, error) {
	return s.Rows(ctx, `SELECT `+l.cols+` FROM `+l.from+` WHERE `+l.schoolCol+` = ? ORDER BY `+l.order+` LIMIT ? OFFSET ?`,
		schoolNumber, p.Limit, p.Offset)
}

// ByDCID returns the row of l with the DCID, if any.
func (s *Store) ByDCID(ctx context.Context, l SchoolList, dcid int64) (Row, bool, error) {
	return s.one(ctx, `SELECT `+l.cols+` FROM `+l.from+` WHERE `+l.idCol+` = ?`, dcid)
}

// SectionEnrollments returns a page of a section's (by SECTIONS.ID)
// enrollments, dropped ones included.
func (s *Store) SectionEnrollments(ctx context.Context, sectionID int64, p Page) ([]Row, error) {
	l := Enrollments
	return s.Rows(ctx, `SELECT `+l.cols+` FROM `+l.from+` WHERE CC.SECTIONID IN (?, ?) ORDER BY `+l.order+` LIMIT ? OFFSET ?`,
		sectionID, -sectionID, p.Limit, p.Offset)
}
