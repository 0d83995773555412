package gradebook

import (
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
)

// rosterModified is the dateLastModified of rostering records: the core
// tables keep no modification time.
const rosterModified = "2025-07-01T00:00:00.000Z"

var baseFields = []string{"sourcedId", "status", "dateLastModified", "metadata"}

func fieldsOf(extra ...string) []string {
	return append(append([]string(nil), baseFields...), extra...)
}

var (
	orgFields        = fieldsOf("name", "type", "identifier", "parent", "children")
	sessionFields    = fieldsOf("title", "startDate", "endDate", "type", "parent", "children", "schoolYear")
	courseFields     = fieldsOf("title", "schoolYear", "courseCode", "grades", "subjects", "org", "subjectCodes", "resources")
	classFields      = fieldsOf("title", "classCode", "classType", "location", "grades", "subjects", "course", "school", "terms", "subjectCodes", "periods", "resources")
	userFields       = fieldsOf("username", "userIds", "enabledUser", "givenName", "familyName", "middleName", "role", "identifier", "email", "sms", "phone", "agents", "orgs", "grades")
	enrollmentFields = fieldsOf("user", "class", "school", "role", "primary", "beginDate", "endDate")
)

type loader func(r *http.Request) ([]record, error)

// collection is one OneRoster entity list: its JSON wrapper keys, fields
// and the loader of its records in default order.
type collection struct {
	plural, single string
	fields         []string
	load           loader
}

func (g *Gradebook) rosterRoutes(mux *http.ServeMux) {
	orgs := collection{"orgs", "org", orgFields, g.loadOrgs}
	schools := collection{"orgs", "org", orgFields, only(g.loadOrgs, "type", "school")}
	sessions := collection{"academicSessions", "academicSession", sessionFields, g.loadSessions}
	terms := collection{"academicSessions", "academicSession", sessionFields, not(g.loadSessions, "type", "gradingPeriod")}
	periods := collection{"academicSessions", "academicSession", sessionFields, only(g.loadSessions, "type", "gradingPeriod")}
	courses := collection{"courses", "course", courseFields, g.loadCourses}
	classes := collection{"classes", "class", classFields, g.loadClasses}
	users := collection{"users", "user", userFields, g.loadUsers}
	students := collection{"users", "user", userFields, only(g.loadUsers, "role", "student")}
	teachers := collection{"users", "user", userFields, only(g.loadUsers, "role", "teacher")}
	enrollments := collection{"enrollments", "enrollment", enrollmentFields, g.loadEnrollments}

	for path, c := range map[string]collection{
		"orgs": orgs, "schools": schools, "academicSessions": sessions, "terms": terms, "gradingPeriods": periods,
		"courses": courses, "classes": classes, "users": users, "students": students, "teachers": teachers,
		"enrollments": enrollments,
	} {
		mux.HandleFunc("GET /"+path, g.list(c))
		mux.HandleFunc("GET /"+path+"/{id}", g.one(c, path))
	}

	byRef := func(field string) func(child record, parentID string) bool {
		return func(child record, id string) bool { return refID(child[field]) == id }
	}
	// Classes reached through enrollments (a user's classes).
	classesOf := func(role string) loader {
		return func(r *http.Request) ([]record, error) {
			ens, err := g.loadEnrollments(r)
			if err != nil {
				return nil, err
			}
			ids := map[string]bool{}
			for _, e := range ens {
				if refID(e["user"]) == r.PathValue("id") && (role == "" || e["role"] == role) {
					ids[refID(e["class"])] = true
				}
			}
			return keep(g.loadClasses, func(c record) bool { return ids[c["sourcedId"].(string)] })(r)
		}
	}
	// Users reached through enrollments (a class's students or teachers).
	usersIn := func(role string) loader {
		return func(r *http.Request) ([]record, error) {
			ens, err := g.loadEnrollments(r)
			if err != nil {
				return nil, err
			}
			ids := map[string]bool{}
			for _, e := range ens {
				if refID(e["class"]) == r.PathValue("id") && e["role"] == role {
					ids[refID(e["user"])] = true
				}
			}
			return keep(g.loadUsers, func(u record) bool { return ids[u["sourcedId"].(string)] })(r)
		}
	}
	nested := []struct {
		path   string
		parent collection
		child  collection
	}{
		{"/schools/{id}/classes", schools, filtered(classes, byRef("school"))},
		{"/schools/{id}/courses", schools, filtered(courses, byRef("org"))},
		{"/schools/{id}/enrollments", schools, filtered(enrollments, byRef("school"))},
		{"/schools/{id}/students", schools, filtered(students, anyRef("orgs"))},
		{"/schools/{id}/teachers", schools, filtered(teachers, anyRef("orgs"))},
		{"/courses/{id}/classes", courses, filtered(classes, byRef("course"))},
		{"/terms/{id}/classes", terms, filtered(classes, anyRef("terms"))},
		{"/terms/{id}/gradingPeriods", terms, collection{periods.plural, periods.single, periods.fields, g.periodsOf}},
		{"/classes/{id}/students", classes, collection{students.plural, students.single, userFields, usersIn("student")}},
		{"/classes/{id}/teachers", classes, collection{teachers.plural, teachers.single, userFields, usersIn("teacher")}},
		{"/students/{id}/classes", students, collection{classes.plural, classes.single, classFields, classesOf("student")}},
		{"/teachers/{id}/classes", teachers, collection{classes.plural, classes.single, classFields, classesOf("teacher")}},
		{"/users/{id}/classes", users, collection{classes.plural, classes.single, classFields, classesOf("")}},
	}
	for _, n := range nested {
		mux.HandleFunc("GET "+n.path, func(w http.ResponseWriter, r *http.Request) {
			parents, err := n.parent.load(r)
			if err != nil {
				writeOR(w, err)
				return
			}
			if _, ok := find(parents, r.PathValue("id")); !ok {
				writeOR(w, unknownObject("no %s with sourcedId %q", n.parent.single, r.PathValue("id")))
				return
			}
			g.list(n.child)(w, r)
		})
	}
}

func (g *Gradebook) list(c collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		recs, err := c.load(r)
		if err != nil {
			writeOR(w, err)
			return
		}
		g.writeCollection(w, r, c.plural, c.fields, recs)
	}
}

func (g *Gradebook) one(c collection, path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		recs, err := c.load(r)
		if err != nil {
			writeOR(w, err)
			return
		}
		rec, ok := find(recs, r.PathValue("id"))
		if !ok {
			writeOR(w, unknownObject("no record at /%s/%s", path, r.PathValue("id")))
			return
		}
		g.writeSingle(w, r, c.single, c.fields, rec)
	}
}

func keep(l loader, pred func(record) bool) loader {
	return func(r *http.Request) ([]record, error) {
		recs, err := l(r)
		if err != nil {
			return nil, err
		}
		out := recs[:0:0]
		for _, rec := range recs {
			if pred(rec) {
				out = append(out, rec)
			}
		}
		return out, nil
	}
}

func only(l loader, field, value string) loader {
	return keep(l, func(r record) bool { return r[field] == value })
}

func not(l loader, field, value string) loader {
	return keep(l, func(r record) bool { return r[field] != value })
}

// filtered narrows a collection to the children of the path's {id}.
func filtered(c collection, pred func(child record, parentID string) bool) collection {
	load := c.load
	c.load = func(r *http.Request) ([]record, error) {
		id := r.PathValue("id")
		return keep(load, func(rec record) bool { return pred(rec, id) })(r)
	}
	return c
}

func anyRef(field string) func(record, string) bool {
	return func(child record, id string) bool {
		refs, _ := child[field].([]record)
		for _, ref := range refs {
			if refID(ref) == id {
				return true
			}
		}
		return false
	}
}

func base(id string) record {
	return record{"sourcedId": id, "status": "active", "dateLastModified": rosterModified}
}

func str(n int64) string { return strconv.FormatInt(n, 10) }

// queryRecords runs q and turns each row into a record.
func (g *Gradebook) queryRecords(r *http.Request, q string, scan func(*sql.Rows) (record, error)) ([]record, error) {
	rows, err := g.db.QueryContext(r.Context(), q)
	if err != nil {
		return nil, fmt.Errorf("reading the roster: %w", err)
	}
	defer rows.Close()
	var out []record
	for rows.Next() {
		rec, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("reading the roster: %w", err)
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

func (g *Gradebook) pref(r *http.Request, name, fallback string) string {
	var v sql.NullString
	err := g.db.QueryRowContext(r.Context(), "SELECT VALUE FROM PREFS WHERE NAME = ? AND SCHOOLID = 0", name).Scan(&v)
	if err != nil || !v.Valid {
		return fallback
	}
	return v.String
}

// loadOrgs gives the district ("district") and one org per school.
func (g *Gradebook) loadOrgs(r *http.Request) ([]record, error) {
	schools, err := g.queryRecords(r, "SELECT DCID, NAME, SCHOOL_NUMBER FROM SCHOOLS ORDER BY DCID", func(rows *sql.Rows) (record, error) {
		var dcid, number int64
		var name string
		if err := rows.Scan(&dcid, &name, &number); err != nil {
			return nil, err
		}
		rec := base(str(dcid))
		rec["name"], rec["type"], rec["identifier"] = name, "school", str(number)
		rec["parent"] = refTo(r, "org", "orgs", "district")
		return rec, nil
	})
	if err != nil {
		return nil, err
	}
	district := base("district")
	district["name"] = g.pref(r, "districtname", "District")
	district["type"] = "district"
	district["identifier"] = g.pref(r, "districtnumber", "")
	children := make([]record, 0, len(schools))
	for _, s := range schools {
		children = append(children, refTo(r, "org", "orgs", s["sourcedId"].(string)))
	}
	district["children"] = children
	return append([]record{district}, schools...), nil
}

// loadSessions gives one academicSession per TERMS row (schoolYear for a
// year term, semester for a half, term otherwise) and a gradingPeriod
// ("gp-" + TERMS.DCID) under each term shorter than a year.
func (g *Gradebook) loadSessions(r *http.Request) ([]record, error) {
	type term struct {
		dcid, id, school, year, portion int64
		first, last, abbr, name         string
		yearRec                         bool
	}
	var terms []term
	_, err := g.queryRecords(r, `SELECT DCID, ID, SCHOOLID, YEARID, PORTION, COALESCE(FIRSTDAY, ''), COALESCE(LASTDAY, ''),
		COALESCE(ABBREVIATION, ''), COALESCE(NAME, ''), COALESCE(ISYEARREC, 0) FROM TERMS ORDER BY SCHOOLID, YEARID, PORTION, FIRSTDAY, DCID`,
		func(rows *sql.Rows) (record, error) {
			var t term
			err := rows.Scan(&t.dcid, &t.id, &t.school, &t.year, &t.portion, &t.first, &t.last, &t.abbr, &t.name, &t.yearRec)
			terms = append(terms, t)
			return nil, err
		})
	if err != nil {
		return nil, err
	}
	yearTerm := map[[2]int64]int64{} // (school, yearid) -> DCID of the year term
	for _, t := range terms {
		if t.portion == 1 {
			yearTerm[[2]int64{t.school, t.year}] = t.dcid
		}
	}
	children := map[int64][]record{}
	var out, gps []record
	for _, t := range terms {
		id := "term-" + str(t.dcid)
		rec := base(id)
		rec["title"], rec["startDate"], rec["endDate"] = t.name, t.first, t.last
		if len(t.last) >= 4 {
			rec["schoolYear"] = t.last[:4]
		}
		rec["metadata"] = record{"termId": t.id, "schoolNumber": t.school}
		switch t.portion {
		case 1:
			rec["type"] = "schoolYear"
		case 2:
			rec["type"] = "semester"
		default:
			rec["type"] = "term"
		}
		if t.portion != 1 {
			if y, ok := yearTerm[[2]int64{t.school, t.year}]; ok {
				rec["parent"] = refTo(r, "academicSession", "academicSessions", "term-"+str(y))
				children[y] = append(children[y], refTo(r, "academicSession", "academicSessions", id))
			}
			gp := base("gp-" + str(t.dcid))
			gp["title"] = t.abbr
			gp["startDate"], gp["endDate"], gp["schoolYear"] = t.first, t.last, rec["schoolYear"]
			gp["type"] = "gradingPeriod"
			gp["parent"] = refTo(r, "academicSession", "academicSessions", id)
			gp["metadata"] = record{"termId": t.id, "schoolNumber": t.school}
			rec["children"] = []record{refTo(r, "academicSession", "academicSessions", "gp-"+str(t.dcid))}
			gps = append(gps, gp)
		}
		out = append(out, rec)
	}
	for _, rec := range out {
		var dcid int64
		fmt.Sscanf(rec["sourcedId"].(string), "term-%d", &dcid)
		if kids, ok := children[dcid]; ok {
			rec["children"] = kids
		}
	}
	return append(out, gps...), nil
}

// periodsOf lists the grading periods under a term (a year term's come
// through its semesters).
func (g *Gradebook) periodsOf(r *http.Request) ([]record, error) {
	all, err := g.loadSessions(r)
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	parentOf := map[string]string{}
	for _, s := range all {
		parentOf[s["sourcedId"].(string)] = refID(s["parent"])
	}
	var out []record
	for _, s := range all {
		if s["type"] != "gradingPeriod" {
			continue
		}
		p := refID(s["parent"])
		if p == id || parentOf[p] == id {
			out = append(out, s)
		}
	}
	return out, nil
}

func (g *Gradebook) loadCourses(r *http.Request) ([]record, error) {
	return g.queryRecords(r, `SELECT c.DCID, COALESCE(c.COURSE_NAME, ''), c.COURSE_NUMBER, COALESCE(sc.DCID, 0)
		FROM COURSES c LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = c.SCHOOLID ORDER BY c.DCID`,
		func(rows *sql.Rows) (record, error) {
			var dcid, school int64
			var name, number string
			if err := rows.Scan(&dcid, &name, &number, &school); err != nil {
				return nil, err
			}
			rec := base(str(dcid))
			rec["title"], rec["courseCode"] = name, number
			if school != 0 {
				rec["org"] = refTo(r, "org", "orgs", str(school))
			}
			return rec, nil
		})
}

func (g *Gradebook) loadClasses(r *http.Request) ([]record, error) {
	return g.queryRecords(r, `SELECT s.DCID, s.COURSE_NUMBER, COALESCE(s.SECTION_NUMBER, ''), COALESCE(c.COURSE_NAME, s.COURSE_NUMBER),
			COALESCE(c.DCID, 0), COALESCE(sc.DCID, 0), COALESCE(t.DCID, 0), COALESCE(s.EXPRESSION, ''), COALESCE(s.ROOM, ''), s.ID
		FROM SECTIONS s
		LEFT JOIN COURSES c ON c.COURSE_NUMBER = s.COURSE_NUMBER
		LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = s.SCHOOLID
		LEFT JOIN TERMS t ON t.ID = s.TERMID AND t.SCHOOLID = s.SCHOOLID
		ORDER BY s.DCID`,
		func(rows *sql.Rows) (record, error) {
			var dcid, course, school, term, id int64
			var number, section, name, expr, room string
			if err := rows.Scan(&dcid, &number, &section, &name, &course, &school, &term, &expr, &room, &id); err != nil {
				return nil, err
			}
			rec := base(str(dcid))
			rec["title"] = name + " - " + section
			rec["classCode"] = number + "." + section
			rec["classType"] = "scheduled"
			rec["location"] = room
			rec["metadata"] = record{"sectionId": id}
			if course != 0 {
				rec["course"] = refTo(r, "course", "courses", str(course))
			}
			if school != 0 {
				rec["school"] = refTo(r, "org", "orgs", str(school))
			}
			if term != 0 {
				rec["terms"] = []record{refTo(r, "academicSession", "academicSessions", "term-"+str(term))}
			}
			if expr != "" {
				rec["periods"] = []string{expr}
			}
			return rec, nil
		})
}

// gradeCode turns GRADE_LEVEL into the CEDS code OneRoster uses.
func gradeCode(level int64) string {
	switch {
	case level < 0:
		return "PK"
	case level == 0:
		return "KG"
	case level <= 12:
		return fmt.Sprintf("%02d", level)
	}
	return ""
}

// loadUsers gives students (sourcedId STUDENTS.DCID) then staff
// ("t" + USERS.DCID; teachers have PowerTeacher access, the others are
// administrators).
func (g *Gradebook) loadUsers(r *http.Request) ([]record, error) {
	students, err := g.queryRecords(r, `SELECT st.DCID, COALESCE(st.STUDENT_NUMBER, 0), COALESCE(st.STUDENT_WEB_ID, ''),
			COALESCE(st.FIRST_NAME, ''), COALESCE(st.MIDDLE_NAME, ''), COALESCE(st.LAST_NAME, ''), COALESCE(st.GRADE_LEVEL, 99),
			COALESCE(sc.DCID, 0), COALESCE(st.ENROLL_STATUS, 0)
		FROM STUDENTS st LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = st.SCHOOLID ORDER BY st.DCID`,
		func(rows *sql.Rows) (record, error) {
			var dcid, number, grade, school, status int64
			var web, first, middle, last string
			if err := rows.Scan(&dcid, &number, &web, &first, &middle, &last, &grade, &school, &status); err != nil {
				return nil, err
			}
			rec := base(str(dcid))
			rec["username"], rec["givenName"], rec["familyName"], rec["middleName"] = web, first, last, middle
			rec["role"], rec["identifier"], rec["enabledUser"] = "student", str(number), strconv.FormatBool(status == 0)
			rec["userIds"] = []record{{"type": "studentNumber", "identifier": str(number)}}
			if school != 0 {
				rec["orgs"] = []record{refTo(r, "org", "orgs", str(school))}
			}
			if c := gradeCode(grade); c != "" {
				rec["grades"] = []string{c}
			}
			return rec, nil
		})
	if err != nil {
		return nil, err
	}
	orgsOf := map[int64][]record{}
	enabled := map[int64]bool{}
	_, err = g.queryRecords(r, `SELECT ss.USERS_DCID, sc.DCID, ss.STATUS FROM SCHOOLSTAFF ss
		JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = ss.SCHOOLID ORDER BY ss.USERS_DCID, sc.DCID`,
		func(rows *sql.Rows) (record, error) {
			var user, school, status int64
			err := rows.Scan(&user, &school, &status)
			orgsOf[user] = append(orgsOf[user], refTo(r, "org", "orgs", str(school)))
			enabled[user] = enabled[user] || status == 1
			return nil, err
		})
	if err != nil {
		return nil, err
	}
	staff, err := g.queryRecords(r, `SELECT DCID, COALESCE(TEACHERNUMBER, ''), COALESCE(LOGINID, ''), COALESCE(FIRST_NAME, ''),
			COALESCE(MIDDLE_NAME, ''), COALESCE(LAST_NAME, ''), COALESCE(EMAIL_ADDR, ''), COALESCE(PTACCESS, 0)
		FROM USERS ORDER BY DCID`,
		func(rows *sql.Rows) (record, error) {
			var dcid, pt int64
			var number, login, first, middle, last, email string
			if err := rows.Scan(&dcid, &number, &login, &first, &middle, &last, &email, &pt); err != nil {
				return nil, err
			}
			rec := base("t" + str(dcid))
			rec["username"], rec["givenName"], rec["familyName"], rec["middleName"] = login, first, last, middle
			rec["identifier"], rec["email"], rec["enabledUser"] = number, email, strconv.FormatBool(enabled[dcid])
			rec["role"] = "administrator"
			if pt == 1 {
				rec["role"] = "teacher"
			}
			rec["userIds"] = []record{{"type": "teacherNumber", "identifier": number}}
			rec["metadata"] = record{"usersDcid": dcid}
			if o := orgsOf[dcid]; len(o) > 0 {
				rec["orgs"] = o
			}
			return rec, nil
		})
	if err != nil {
		return nil, err
	}
	return append(students, staff...), nil
}

// loadEnrollments gives current student enrolments ("cc-" + CC.DCID; a
// dropped one has a negative SECTIONID and is left out) and one teacher
// enrolment per section with a teacher ("ts-" + SECTIONS.DCID).
func (g *Gradebook) loadEnrollments(r *http.Request) ([]record, error) {
	students, err := g.queryRecords(r, `SELECT cc.DCID, st.DCID, s.DCID, COALESCE(sc.DCID, 0), COALESCE(cc.DATEENROLLED, ''), COALESCE(cc.DATELEFT, '')
		FROM CC cc JOIN STUDENTS st ON st.ID = cc.STUDENTID JOIN SECTIONS s ON s.ID = cc.SECTIONID
		LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = s.SCHOOLID
		WHERE cc.SECTIONID > 0 ORDER BY cc.DCID`,
		func(rows *sql.Rows) (record, error) {
			var dcid, student, section, school int64
			var begin, end string
			if err := rows.Scan(&dcid, &student, &section, &school, &begin, &end); err != nil {
				return nil, err
			}
			rec := base("cc-" + str(dcid))
			rec["user"] = refTo(r, "user", "users", str(student))
			rec["class"] = refTo(r, "class", "classes", str(section))
			rec["school"] = refTo(r, "org", "orgs", str(school))
			rec["role"], rec["primary"], rec["beginDate"], rec["endDate"] = "student", "false", begin, end
			return rec, nil
		})
	if err != nil {
		return nil, err
	}
	teachers, err := g.queryRecords(r, `SELECT s.DCID, ss.USERS_DCID, COALESCE(sc.DCID, 0), COALESCE(t.FIRSTDAY, ''), COALESCE(t.LASTDAY, '')
		FROM SECTIONS s JOIN SCHOOLSTAFF ss ON ss.ID = s.TEACHER
		LEFT JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = s.SCHOOLID
		LEFT JOIN TERMS t ON t.ID = s.TERMID AND t.SCHOOLID = s.SCHOOLID
		ORDER BY s.DCID`,
		func(rows *sql.Rows) (record, error) {
			var section, user, school int64
			var begin, end string
			if err := rows.Scan(&section, &user, &school, &begin, &end); err != nil {
				return nil, err
			}
			rec := base("ts-" + str(section))
			rec["user"] = refTo(r, "user", "users", "t"+str(user))
			rec["class"] = refTo(r, "class", "classes", str(section))
			rec["school"] = refTo(r, "org", "orgs", str(school))
			rec["role"], rec["primary"], rec["beginDate"], rec["endDate"] = "teacher", "true", begin, end
			return rec, nil
		})
	if err != nil {
		return nil, err
	}
	return append(students, teachers...), nil
}
