package gradebook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/pskit/pskit/emulator/internal/respond"
)

// rosterModified is the dateLastModified of rostering records: the core
// tables keep no modification time.
const rosterModified = "2025-07-01T00:00:00.000Z"

var baseFields = []string{"sourcedId", "status", "dateLastModified", "metadata"}

func fieldsOf(extra ...string) []string {
	return append(append([]string(nil), baseFields...), extra...)
}

var (
	orgFields         = fieldsOf("name", "type", "identifier", "parent", "children")
	sessionFields     = fieldsOf("title", "startDate", "endDate", "type", "parent", "children", "schoolYear")
	courseFields      = fieldsOf("title", "schoolYear", "courseCode", "grades", "subjects", "org", "subjectCodes", "resources")
	classFields       = fieldsOf("title", "classCode", "classType", "location", "grades", "subjects", "course", "school", "terms", "subjectCodes", "periods", "resources")
	userFields        = fieldsOf("username", "userIds", "enabledUser", "givenName", "familyName", "middleName", "role", "identifier", "email", "sms", "phone", "agents", "orgs", "grades")
	enrollmentFields  = fieldsOf("user", "class", "school", "role", "primary", "beginDate", "endDate")
	demographicFields = fieldsOf("birthDate", "sex", "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
		"nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity",
		"countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth", "publicSchoolResidenceStatus")
	resourceFields = fieldsOf("title", "roles", "importance", "vendorResourceId", "vendorId", "applicationId")
)

// loader reads a small collection whole.
type loader func(ctx context.Context, src source) ([]record, error)

// collection is one OneRoster entity list: its JSON wrapper keys, fields
// and the parts its records come from, given the path's {id} (a nested
// collection narrows to its parent; the others ignore it).
type collection struct {
	plural, single string
	fields         []string
	parts          func(id string) []part
}

func fixed(parts ...part) func(string) []part {
	return func(string) []part { return parts }
}

func mem(l loader) func(string) []part {
	return fixed(memPart(l))
}

func (g *Gradebook) rosterRoutes(mux *http.ServeMux) {
	orgs := collection{"orgs", "org", orgFields, mem(loadOrgs)}
	schools := collection{"orgs", "org", orgFields, mem(only(loadOrgs, "type", "school"))}
	sessions := collection{"academicSessions", "academicSession", sessionFields, mem(loadSessions)}
	terms := collection{"academicSessions", "academicSession", sessionFields, mem(not(loadSessions, "type", "gradingPeriod"))}
	periods := collection{"academicSessions", "academicSession", sessionFields, mem(only(loadSessions, "type", "gradingPeriod"))}
	courses := collection{"courses", "course", courseFields, fixed(coursesPart)}
	classes := collection{"classes", "class", classFields, fixed(classesPart)}
	users := collection{"users", "user", userFields, fixed(studentsPart, staffPart)}
	students := collection{"users", "user", userFields, fixed(studentsPart)}
	teachers := collection{"users", "user", userFields, fixed(teachersPart)}
	enrollments := collection{"enrollments", "enrollment", enrollmentFields, fixed(ccPart, tsPart)}
	// Demographics use "demographics" as both wrapper keys (1.1 OpenAPI).
	demographics := collection{"demographics", "demographics", demographicFields, fixed(demographicsPart)}
	// The district holds no learning resources: the collections exist, empty.
	resources := collection{"resources", "resource", resourceFields, mem(noRecords)}

	for path, c := range map[string]collection{
		"orgs": orgs, "schools": schools, "academicSessions": sessions, "terms": terms, "gradingPeriods": periods,
		"courses": courses, "classes": classes, "users": users, "students": students, "teachers": teachers,
		"enrollments": enrollments, "demographics": demographics, "resources": resources,
	} {
		mux.HandleFunc("GET /"+path, orHandle(g.list(c)))
		mux.HandleFunc("GET /"+path+"/{id}", orHandle(g.one(c, path)))
	}

	const (
		// Ids reach these only after the parent was found by its exact
		// sourcedId, so CAST gives the same row and keeps the indexes usable.
		sectionStudents = "SELECT cc.STUDENTID FROM CC cc WHERE cc.SECTIONID = (SELECT x.ID FROM SECTIONS x WHERE x.DCID = CAST(? AS INTEGER))"
		studentSections = "SELECT cc.SECTIONID FROM CC cc WHERE cc.SECTIONID > 0 AND cc.STUDENTID = (SELECT x.ID FROM STUDENTS x WHERE x.DCID = CAST(? AS INTEGER))"
		teacherStaff    = "SELECT ss.ID FROM SCHOOLSTAFF ss WHERE 't' || ss.USERS_DCID = ?"
	)
	with := func(c collection, parts func(id string) []part) collection {
		c.parts = parts
		return c
	}
	nested := []struct {
		path   string
		parent collection
		child  collection
	}{
		{"/schools/{id}/classes", schools, with(classes, func(id string) []part {
			return []part{classesPart.and("CAST(sc.DCID AS TEXT) = ?", id)}
		})},
		{"/schools/{id}/courses", schools, with(courses, func(id string) []part {
			return []part{coursesPart.and("CAST(sc.DCID AS TEXT) = ?", id)}
		})},
		{"/schools/{id}/enrollments", schools, with(enrollments, func(id string) []part {
			return []part{ccPart.and("CAST(sc.DCID AS TEXT) = ?", id), tsPart.and("CAST(sc.DCID AS TEXT) = ?", id)}
		})},
		{"/schools/{id}/students", schools, with(students, func(id string) []part {
			return []part{studentsPart.and("CAST(sc.DCID AS TEXT) = ?", id)}
		})},
		{"/schools/{id}/teachers", schools, with(teachers, func(id string) []part {
			return []part{teachersPart.and(`u.DCID IN (SELECT ss.USERS_DCID FROM SCHOOLSTAFF ss
				JOIN SCHOOLS x ON x.SCHOOL_NUMBER = ss.SCHOOLID WHERE CAST(x.DCID AS TEXT) = ?)`, id)}
		})},
		{"/schools/{id}/terms", schools, with(terms, func(id string) []part {
			return []part{memPart(func(ctx context.Context, src source) ([]record, error) { return termsOfSchool(ctx, src, id) })}
		})},
		{"/courses/{id}/resources", courses, with(resources, func(string) []part { return []part{memPart(noRecords)} })},
		{"/classes/{id}/resources", classes, with(resources, func(string) []part { return []part{memPart(noRecords)} })},
		{"/courses/{id}/classes", courses, with(classes, func(id string) []part {
			return []part{classesPart.and("CAST(c.DCID AS TEXT) = ?", id)}
		})},
		{"/terms/{id}/classes", terms, with(classes, func(id string) []part {
			return []part{classesPart.and("'term-' || t.DCID = ?", id)}
		})},
		{"/terms/{id}/gradingPeriods", terms, with(periods, func(id string) []part {
			return []part{memPart(func(ctx context.Context, src source) ([]record, error) { return periodsOf(ctx, src, id) })}
		})},
		{"/classes/{id}/students", classes, with(students, func(id string) []part {
			return []part{studentsPart.and("st.ID IN ("+sectionStudents+")", id)}
		})},
		{"/classes/{id}/teachers", classes, with(teachers, func(id string) []part {
			return []part{teachersPart.and("u.DCID IN (SELECT ss.USERS_DCID FROM SECTIONS x JOIN SCHOOLSTAFF ss ON ss.ID = x.TEACHER WHERE x.DCID = CAST(? AS INTEGER))", id)}
		})},
		{"/students/{id}/classes", students, with(classes, func(id string) []part {
			return []part{classesPart.and("s.ID IN ("+studentSections+")", id)}
		})},
		{"/teachers/{id}/classes", teachers, with(classes, func(id string) []part {
			return []part{classesPart.and("s.TEACHER IN ("+teacherStaff+")", id)}
		})},
		{"/users/{id}/classes", users, with(classes, func(id string) []part {
			return []part{classesPart.and("s.ID IN ("+studentSections+") OR s.TEACHER IN ("+teacherStaff+")", id, id)}
		})},
	}
	// A class within a school: the path's {id} is the class, which must
	// belong to the school.
	inSchool := []struct {
		path  string
		child collection
	}{
		{"/schools/{school}/classes/{id}/students", with(students, func(id string) []part {
			return []part{studentsPart.and("st.ID IN ("+sectionStudents+")", id)}
		})},
		{"/schools/{school}/classes/{id}/teachers", with(teachers, func(id string) []part {
			return []part{teachersPart.and("u.DCID IN (SELECT ss.USERS_DCID FROM SECTIONS x JOIN SCHOOLSTAFF ss ON ss.ID = x.TEACHER WHERE x.DCID = CAST(? AS INTEGER))", id)}
		})},
		{"/schools/{school}/classes/{id}/enrollments", with(enrollments, func(id string) []part {
			return []part{ccPart.and("s.DCID = CAST(? AS INTEGER)", id), tsPart.and("s.DCID = CAST(? AS INTEGER)", id)}
		})},
	}
	for _, n := range inSchool {
		mux.HandleFunc("GET "+n.path, orHandle(func(r *http.Request) (any, error) {
			ctx, src := r.Context(), g.source(r)
			school, class := r.PathValue("school"), r.PathValue("id")
			if _, ok, err := findIn(ctx, src, schools.parts(school), school); err != nil || !ok {
				if err == nil {
					err = unknownObject("no school with sourcedId %q", school)
				}
				return nil, err
			}
			rec, ok, err := classesPart.byID(ctx, src, class)
			if err == nil && (!ok || refID(rec["school"]) != school) {
				err = unknownObject("no class with sourcedId %q in school %q", class, school)
			}
			if err != nil {
				return nil, err
			}
			return g.list(n.child)(r)
		}))
	}
	for _, n := range nested {
		mux.HandleFunc("GET "+n.path, orHandle(func(r *http.Request) (any, error) {
			id := r.PathValue("id")
			if _, ok, err := findIn(r.Context(), g.source(r), n.parent.parts(id), id); err != nil || !ok {
				if err == nil {
					err = unknownObject("no %s with sourcedId %q", n.parent.single, id)
				}
				return nil, err
			}
			return g.list(n.child)(r)
		}))
	}
}

// list answers a collection GET. An unfiltered, unsorted page is read
// with LIMIT/OFFSET; otherwise every record is loaded and filtered here.
func (g *Gradebook) list(c collection) respond.Func {
	return func(r *http.Request) (any, error) {
		params := r.URL.Query()
		q, err := parseQuery(params, c.fields, g.pageCap(r), true)
		if err != nil {
			return nil, err
		}
		ctx, src, parts := r.Context(), g.source(r), c.parts(r.PathValue("id"))
		var total int
		var recs []record
		if q.filter != nil || q.sortField != "" {
			all, err := loadAll(ctx, src, parts)
			if err != nil {
				return nil, err
			}
			total, recs = q.apply(all)
		} else if total, recs, err = page(ctx, src, parts, q.limit, q.offset); err != nil {
			return nil, err
		}
		return pageAnswer(r, c.plural, q, total, recs), nil
	}
}

func (g *Gradebook) one(c collection, path string) respond.Func {
	return func(r *http.Request) (any, error) {
		id := r.PathValue("id")
		rec, ok, err := findIn(r.Context(), g.source(r), c.parts(id), id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, unknownObject("no record at /%s/%s", path, id)
		}
		return singleAnswer(r, c.single, c.fields, rec)
	}
}

func keep(l loader, pred func(record) bool) loader {
	return func(ctx context.Context, src source) ([]record, error) {
		recs, err := l(ctx, src)
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

func base(id string) record {
	return record{"sourcedId": id, "status": "active", "dateLastModified": rosterModified}
}

func str(n int64) string { return strconv.FormatInt(n, 10) }

// queryRecords runs q and turns each row into a record.
func queryRecords(ctx context.Context, db *sql.DB, q string, scan func(*sql.Rows) (record, error)) ([]record, error) {
	rows, err := db.QueryContext(ctx, q)
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

func pref(ctx context.Context, db *sql.DB, name, fallback string) string {
	var v sql.NullString
	err := db.QueryRowContext(ctx, "SELECT VALUE FROM PREFS WHERE NAME = ? AND SCHOOLID = 0", name).Scan(&v)
	if err != nil || !v.Valid {
		return fallback
	}
	return v.String
}

// loadOrgs gives the district ("district") and one org per school.
func loadOrgs(ctx context.Context, src source) ([]record, error) {
	schools, err := queryRecords(ctx, src.db, "SELECT DCID, NAME, SCHOOL_NUMBER FROM SCHOOLS ORDER BY DCID", func(rows *sql.Rows) (record, error) {
		var dcid, number int64
		var name string
		if err := rows.Scan(&dcid, &name, &number); err != nil {
			return nil, err
		}
		rec := base(str(dcid))
		rec["name"], rec["type"], rec["identifier"] = name, "school", str(number)
		rec["parent"] = refTo(src.root, "org", "orgs", "district")
		return rec, nil
	})
	if err != nil {
		return nil, err
	}
	district := base("district")
	district["name"] = pref(ctx, src.db, "districtname", "District")
	district["type"] = "district"
	district["identifier"] = pref(ctx, src.db, "districtnumber", "")
	children := make([]record, 0, len(schools))
	for _, s := range schools {
		children = append(children, refTo(src.root, "org", "orgs", s["sourcedId"].(string)))
	}
	district["children"] = children
	return append([]record{district}, schools...), nil
}

// loadSessions gives one academicSession per TERMS row (schoolYear for a
// year term, semester for a half, term otherwise) and a gradingPeriod
// ("gp-" + TERMS.DCID) under each term shorter than a year.
func loadSessions(ctx context.Context, src source) ([]record, error) {
	type term struct {
		dcid, id, school, year, portion int64
		first, last, abbr, name         string
		yearRec                         bool
	}
	var terms []term
	_, err := queryRecords(ctx, src.db, `SELECT DCID, ID, SCHOOLID, YEARID, PORTION, COALESCE(FIRSTDAY, ''), COALESCE(LASTDAY, ''),
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
				rec["parent"] = refTo(src.root, "academicSession", "academicSessions", "term-"+str(y))
				children[y] = append(children[y], refTo(src.root, "academicSession", "academicSessions", id))
			}
			gp := base("gp-" + str(t.dcid))
			gp["title"] = t.abbr
			gp["startDate"], gp["endDate"], gp["schoolYear"] = t.first, t.last, rec["schoolYear"]
			gp["type"] = "gradingPeriod"
			gp["parent"] = refTo(src.root, "academicSession", "academicSessions", id)
			gp["metadata"] = record{"termId": t.id, "schoolNumber": t.school}
			rec["children"] = []record{refTo(src.root, "academicSession", "academicSessions", "gp-"+str(t.dcid))}
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

// termsOfSchool lists the academic sessions (not grading periods) of the
// school with sourcedId schoolID.
func termsOfSchool(ctx context.Context, src source, schoolID string) ([]record, error) {
	var number int64
	err := src.db.QueryRowContext(ctx, "SELECT SCHOOL_NUMBER FROM SCHOOLS WHERE CAST(DCID AS TEXT) = ?", schoolID).Scan(&number)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the school: %w", err)
	}
	all, err := loadSessions(ctx, src)
	if err != nil {
		return nil, err
	}
	var out []record
	for _, s := range all {
		if s["type"] != "gradingPeriod" && s["metadata"].(record)["schoolNumber"] == number {
			out = append(out, s)
		}
	}
	return out, nil
}

func noRecords(context.Context, source) ([]record, error) { return nil, nil }

// periodsOf lists the grading periods under a term (a year term's come
// through its semesters), by the term's sourcedId.
func periodsOf(ctx context.Context, src source, id string) ([]record, error) {
	all, err := loadSessions(ctx, src)
	if err != nil {
		return nil, err
	}
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
