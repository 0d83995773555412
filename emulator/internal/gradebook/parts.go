package gradebook

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// source is what records are read from: the district's database, and the
// absolute OneRoster root (scheme, host and base path) their links point at.
type source struct {
	db   *sql.DB
	root string
}

// part is one source of a collection's records, in default order. A
// collection is one or more parts (users are students, then staff), so an
// unfiltered, unsorted page can be read with LIMIT/OFFSET instead of
// loading the whole district.
type part interface {
	count(ctx context.Context, src source) (int, error)
	// load reads limit records from offset; limit < 0 reads them all.
	load(ctx context.Context, src source, limit, offset int) ([]record, error)
	// byID reads the record with the given sourcedId, if any.
	byID(ctx context.Context, src source, id string) (record, bool, error)
}

// memPart is a part computed in memory (small tables, joined data).
type memPart loader

func (m memPart) count(ctx context.Context, src source) (int, error) {
	recs, err := m(ctx, src)
	return len(recs), err
}

func (m memPart) load(ctx context.Context, src source, limit, offset int) ([]record, error) {
	recs, err := m(ctx, src)
	if err != nil {
		return nil, err
	}
	start := min(offset, len(recs))
	end := len(recs)
	if limit >= 0 {
		end = min(start+limit, end)
	}
	return recs[start:end], nil
}

func (m memPart) byID(ctx context.Context, src source, id string) (record, bool, error) {
	recs, err := m(ctx, src)
	if err != nil {
		return nil, false, err
	}
	rec, ok := find(recs, id)
	return rec, ok, nil
}

// sqlPart reads records with one SELECT.
type sqlPart struct {
	cols   string
	from   string // FROM and JOINs
	where  string // always applied; "" for none
	args   []any
	order  string
	idExpr string // SQL expression giving the sourcedId
	// scan turns a row into a record; root is the OneRoster root for links.
	scan func(root string, rows *sql.Rows) (record, error)
	// after, when set, completes a page of records (side tables).
	after func(ctx context.Context, src source, recs []record) error
}

// and narrows the part with another condition.
func (p sqlPart) and(cond string, args ...any) sqlPart {
	if p.where != "" {
		cond = "(" + p.where + ") AND (" + cond + ")"
	}
	p.where, p.args = cond, append(append([]any(nil), p.args...), args...)
	return p
}

func (p sqlPart) whereSQL() string {
	if p.where == "" {
		return ""
	}
	return " WHERE " + p.where
}

func (p sqlPart) count(ctx context.Context, src source) (int, error) {
	var n int
	if err := src.db.QueryRowContext(ctx, "SELECT COUNT(*) "+p.from+p.whereSQL(), p.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the roster: %w", err)
	}
	return n, nil
}

func (p sqlPart) load(ctx context.Context, src source, limit, offset int) ([]record, error) {
	q := "SELECT " + p.cols + " " + p.from + p.whereSQL() + " ORDER BY " + p.order + " LIMIT ? OFFSET ?"
	rows, err := src.db.QueryContext(ctx, q, append(append([]any(nil), p.args...), limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("reading the roster: %w", err)
	}
	defer rows.Close()
	out := []record{}
	for rows.Next() {
		rec, err := p.scan(src.root, rows)
		if err != nil {
			return nil, fmt.Errorf("reading the roster: %w", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the roster: %w", err)
	}
	if p.after != nil && len(out) > 0 {
		if err := p.after(ctx, src, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p sqlPart) byID(ctx context.Context, src source, id string) (record, bool, error) {
	recs, err := p.and(p.idExpr+" = ?", id).load(ctx, src, 1, 0)
	if err != nil || len(recs) == 0 {
		return nil, false, err
	}
	return recs[0], true, nil
}

// loadAll reads every record of the parts.
func loadAll(ctx context.Context, src source, parts []part) ([]record, error) {
	var all []record
	for _, p := range parts {
		recs, err := p.load(ctx, src, -1, 0)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	return all, nil
}

// page reads one page across the parts and the total.
func page(ctx context.Context, src source, parts []part, limit, offset int) (int, []record, error) {
	total := 0
	var out []record
	for _, p := range parts {
		n, err := p.count(ctx, src)
		if err != nil {
			return 0, nil, err
		}
		total += n
		if limit-len(out) <= 0 || offset >= n {
			offset = max(0, offset-n)
			continue
		}
		recs, err := p.load(ctx, src, limit-len(out), offset)
		if err != nil {
			return 0, nil, err
		}
		out = append(out, recs...)
		offset = 0
	}
	return total, out, nil
}

func findIn(ctx context.Context, src source, parts []part, id string) (record, bool, error) {
	for _, p := range parts {
		rec, ok, err := p.byID(ctx, src, id)
		if err != nil || ok {
			return rec, ok, err
		}
	}
	return nil, false, nil
}

// setOptional sets an optional string field only when it has a value:
// strict OneRoster 1.1 clients reject an empty string where a field may
// simply be absent.
func setOptional(rec record, key, val string) {
	if val != "" {
		rec[key] = val
	}
}

// --- the district's parts ---

var coursesPart = sqlPart{
	cols:   "c.DCID, COALESCE(c.COURSE_NAME, ''), c.COURSE_NUMBER, COALESCE(sc.DCID, 0)",
	from:   "FROM COURSES c LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = c.SCHOOLID",
	order:  "c.DCID",
	idExpr: "CAST(c.DCID AS TEXT)",
	scan: func(root string, rows *sql.Rows) (record, error) {
		var dcid, school int64
		var name, number string
		if err := rows.Scan(&dcid, &name, &number, &school); err != nil {
			return nil, err
		}
		rec := base(str(dcid))
		rec["title"], rec["courseCode"] = name, number
		if school != 0 {
			rec["org"] = refTo(root, "org", "orgs", str(school))
		}
		return rec, nil
	},
}

var classesPart = sqlPart{
	cols: `s.DCID, s.COURSE_NUMBER, COALESCE(s.SECTION_NUMBER, ''), COALESCE(c.COURSE_NAME, s.COURSE_NUMBER),
		COALESCE(c.DCID, 0), COALESCE(sc.DCID, 0), COALESCE(t.DCID, 0), COALESCE(s.EXPRESSION, ''), COALESCE(s.ROOM, ''), s.ID`,
	from: `FROM SECTIONS s
		LEFT JOIN COURSES c ON c.COURSE_NUMBER = s.COURSE_NUMBER
		LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = s.SCHOOLID
		LEFT JOIN TERMS t ON t.ID = s.TERMID AND t.SCHOOLID = s.SCHOOLID`,
	order:  "s.DCID",
	idExpr: "CAST(s.DCID AS TEXT)",
	scan: func(root string, rows *sql.Rows) (record, error) {
		var dcid, course, school, term, id int64
		var number, section, name, expr, room string
		if err := rows.Scan(&dcid, &number, &section, &name, &course, &school, &term, &expr, &room, &id); err != nil {
			return nil, err
		}
		rec := base(str(dcid))
		rec["title"] = name + " - " + section
		rec["classCode"] = number + "." + section
		rec["classType"] = "scheduled"
		setOptional(rec, "location", room)
		rec["metadata"] = record{"sectionId": id}
		if course != 0 {
			rec["course"] = refTo(root, "course", "courses", str(course))
		}
		if school != 0 {
			rec["school"] = refTo(root, "org", "orgs", str(school))
		}
		if term != 0 {
			rec["terms"] = []record{refTo(root, "academicSession", "academicSessions", "term-"+str(term))}
		}
		if expr != "" {
			rec["periods"] = []string{expr}
		}
		return rec, nil
	},
}

// studentsPart gives students, sourcedId STUDENTS.DCID.
var studentsPart = sqlPart{
	cols: `st.DCID, COALESCE(st.STUDENT_NUMBER, 0), COALESCE(st.STUDENT_WEB_ID, ''), COALESCE(st.FIRST_NAME, ''),
		COALESCE(st.MIDDLE_NAME, ''), COALESCE(st.LAST_NAME, ''), COALESCE(st.GRADE_LEVEL, 99), COALESCE(sc.DCID, 0),
		COALESCE(st.ENROLL_STATUS, 0)`,
	from:   "FROM STUDENTS st LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = st.SCHOOLID",
	order:  "st.DCID",
	idExpr: "CAST(st.DCID AS TEXT)",
	scan: func(root string, rows *sql.Rows) (record, error) {
		var dcid, number, grade, school, status int64
		var web, first, middle, last string
		if err := rows.Scan(&dcid, &number, &web, &first, &middle, &last, &grade, &school, &status); err != nil {
			return nil, err
		}
		rec := base(str(dcid))
		rec["givenName"], rec["familyName"] = first, last
		setOptional(rec, "username", web)
		setOptional(rec, "middleName", middle)
		rec["role"], rec["identifier"], rec["enabledUser"] = "student", str(number), strconv.FormatBool(status == 0)
		rec["userIds"] = []record{{"type": "studentNumber", "identifier": str(number)}}
		if school != 0 {
			rec["orgs"] = []record{refTo(root, "org", "orgs", str(school))}
		}
		if c := gradeCode(grade); c != "" {
			rec["grades"] = []string{c}
		}
		return rec, nil
	},
}

// staffPart gives USERS, sourcedId "t" + USERS.DCID; those with
// PowerTeacher access are teachers, the others administrators.
var staffPart = sqlPart{
	cols: `u.DCID, COALESCE(u.TEACHERNUMBER, ''), COALESCE(u.LOGINID, ''), COALESCE(u.FIRST_NAME, ''),
		COALESCE(u.MIDDLE_NAME, ''), COALESCE(u.LAST_NAME, ''), COALESCE(u.EMAIL_ADDR, ''), COALESCE(u.PTACCESS, 0)`,
	from:   "FROM USERS u",
	order:  "u.DCID",
	idExpr: "'t' || u.DCID",
	scan: func(root string, rows *sql.Rows) (record, error) {
		var dcid, pt int64
		var number, login, first, middle, last, email string
		if err := rows.Scan(&dcid, &number, &login, &first, &middle, &last, &email, &pt); err != nil {
			return nil, err
		}
		rec := base("t" + str(dcid))
		rec["givenName"], rec["familyName"], rec["enabledUser"] = first, last, "false"
		setOptional(rec, "username", login)
		setOptional(rec, "middleName", middle)
		setOptional(rec, "identifier", number)
		setOptional(rec, "email", email)
		rec["role"] = "administrator"
		if pt == 1 {
			rec["role"] = "teacher"
		}
		rec["userIds"] = []record{{"type": "teacherNumber", "identifier": number}}
		rec["metadata"] = record{"usersDcid": dcid}
		return rec, nil
	},
	after: staffSchools,
}

// staffSchools fills orgs and enabledUser from SCHOOLSTAFF.
func staffSchools(ctx context.Context, src source, recs []record) error {
	rows, err := src.db.QueryContext(ctx, `SELECT ss.USERS_DCID, sc.DCID, ss.STATUS FROM SCHOOLSTAFF ss
		JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = ss.SCHOOLID ORDER BY ss.USERS_DCID, sc.DCID`)
	if err != nil {
		return fmt.Errorf("reading school staff: %w", err)
	}
	defer rows.Close()
	orgs := map[int64][]record{}
	enabled := map[int64]bool{}
	for rows.Next() {
		var user, school, status int64
		if err := rows.Scan(&user, &school, &status); err != nil {
			return fmt.Errorf("reading school staff: %w", err)
		}
		orgs[user] = append(orgs[user], refTo(src.root, "org", "orgs", str(school)))
		enabled[user] = enabled[user] || status == 1
	}
	for _, rec := range recs {
		id := rec["metadata"].(record)["usersDcid"].(int64)
		if o := orgs[id]; len(o) > 0 {
			rec["orgs"] = o
		}
		rec["enabledUser"] = strconv.FormatBool(enabled[id])
	}
	return rows.Err()
}

// ccPart gives current student enrolments ("cc-" + CC.DCID); a dropped one
// has a negative SECTIONID and is left out.
var ccPart = sqlPart{
	cols: "cc.DCID, st.DCID, s.DCID, COALESCE(sc.DCID, 0), COALESCE(cc.DATEENROLLED, ''), COALESCE(cc.DATELEFT, '')",
	from: `FROM CC cc JOIN STUDENTS st ON st.ID = cc.STUDENTID JOIN SECTIONS s ON s.ID = cc.SECTIONID
		LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = s.SCHOOLID`,
	where:  "cc.SECTIONID > 0",
	order:  "cc.DCID",
	idExpr: "'cc-' || cc.DCID",
	scan: func(root string, rows *sql.Rows) (record, error) {
		var dcid, student, section, school int64
		var begin, end string
		if err := rows.Scan(&dcid, &student, &section, &school, &begin, &end); err != nil {
			return nil, err
		}
		rec := base("cc-" + str(dcid))
		rec["user"] = refTo(root, "user", "users", str(student))
		rec["class"] = refTo(root, "class", "classes", str(section))
		rec["school"] = refTo(root, "org", "orgs", str(school))
		rec["role"], rec["primary"], rec["beginDate"], rec["endDate"] = "student", "false", begin, end
		return rec, nil
	},
}

// tsPart gives one teacher enrolment per section with a teacher
// ("ts-" + SECTIONS.DCID).
var tsPart = sqlPart{
	cols: "s.DCID, ss.USERS_DCID, COALESCE(sc.DCID, 0), COALESCE(t.FIRSTDAY, ''), COALESCE(t.LASTDAY, '')",
	from: `FROM SECTIONS s JOIN SCHOOLSTAFF ss ON ss.ID = s.TEACHER
		LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = s.SCHOOLID
		LEFT JOIN TERMS t ON t.ID = s.TERMID AND t.SCHOOLID = s.SCHOOLID`,
	order:  "s.DCID",
	idExpr: "'ts-' || s.DCID",
	scan: func(root string, rows *sql.Rows) (record, error) {
		var section, user, school int64
		var begin, end string
		if err := rows.Scan(&section, &user, &school, &begin, &end); err != nil {
			return nil, err
		}
		rec := base("ts-" + str(section))
		rec["user"] = refTo(root, "user", "users", "t"+str(user))
		rec["class"] = refTo(root, "class", "classes", str(section))
		rec["school"] = refTo(root, "org", "orgs", str(school))
		rec["role"], rec["primary"], rec["beginDate"], rec["endDate"] = "teacher", "true", begin, end
		return rec, nil
	},
}

// demographicsPart gives one demographics record per student, with the
// student's sourcedId (STUDENTS.DCID) as its own.
var demographicsPart = sqlPart{
	cols:   "st.DCID, COALESCE(st.DOB, ''), COALESCE(st.GENDER, ''), st.FEDETHNICITY",
	from:   "FROM STUDENTS st",
	order:  "st.DCID",
	idExpr: "CAST(st.DCID AS TEXT)",
	scan: func(root string, rows *sql.Rows) (record, error) {
		var dcid int64
		var dob, gender string
		var hispanic sql.NullInt64
		if err := rows.Scan(&dcid, &dob, &gender, &hispanic); err != nil {
			return nil, err
		}
		rec := base(str(dcid))
		if len(dob) >= 10 {
			rec["birthDate"] = dob[:10]
		}
		switch gender {
		case "M":
			rec["sex"] = "male"
		case "F":
			rec["sex"] = "female"
		}
		if hispanic.Valid {
			rec["hispanicOrLatinoEthnicity"] = strconv.FormatBool(hispanic.Int64 == 1)
		}
		return rec, nil
	},
}

var teachersPart = staffPart.and("COALESCE(u.PTACCESS, 0) = 1")
