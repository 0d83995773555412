package emulator

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/store"
)

func (s *Server) v1StudentRoutes() {
	s.mux.HandleFunc("GET /ws/v1/district/student", s.v1(s.ws.Handle(s.listStudents(false))))
	s.mux.HandleFunc("GET /ws/v1/district/student/count", s.v1(s.ws.Handle(s.countStudents(false))))
	s.mux.HandleFunc("GET /ws/v1/school/{id}/student", s.v1(s.ws.Handle(s.listStudents(true))))
	s.mux.HandleFunc("GET /ws/v1/school/{id}/student/count", s.v1(s.ws.Handle(s.countStudents(true))))
	s.mux.HandleFunc("GET /ws/v1/student/{id}", s.v1(s.ws.Handle(s.getStudent)))
}

// studentExpansions and studentExtensions are what a real server lists
// (LAS fixture, reference §3.2).
var (
	studentExpansions = expansionList("demographics", "addresses", "alerts", "phones", "school_enrollment", "ethnicity_race",
		"contact", "contact_info", "initial_enrollment", "schedule_setup", "fees", "lunch")
	studentExtensionTables = []string{"u_studentsuserfields", "studentcorefields"}
	studentExtensions      = strings.Join(studentExtensionTables, ",")
)

// studentSearch are the documented searchable student fields (reference
// §3.5), plus id.
var studentSearch = map[string]searchField{
	"id":                                   {"s.DCID", kindInt},
	"student_username":                     {"s.STUDENT_WEB_ID", kindText},
	"local_id":                             {"s.STUDENT_NUMBER", kindInt},
	"name.last_name":                       {"s.LAST_NAME", kindText},
	"name.first_name":                      {"s.FIRST_NAME", kindText},
	"state_province_id":                    {"s.STATE_STUDENTNUMBER", kindText},
	"school_enrollment.entry_date":         {"s.ENTRYDATE", kindDate},
	"school_enrollment.enroll_status_code": {"s.ENROLL_STATUS", kindInt},
	"school_enrollment.enroll_status":      {"s.ENROLL_STATUS", kindEnrollStatus},
}

// studentSelect reads what the requested expansions need: reading every
// column costs several times more than the default fields.
func studentSelect(page listPage) string {
	if len(page.expansions) == 0 {
		return `SELECT s.ID, s.DCID, s.STUDENT_NUMBER, s.STUDENT_WEB_ID, s.FIRST_NAME, s.MIDDLE_NAME, s.LAST_NAME FROM STUDENTS s`
	}
	return `SELECT s.*, sch.DCID AS SCHOOL_DCID, uf.EMAIL AS UF_EMAIL FROM STUDENTS s
	LEFT JOIN SCHOOLS sch ON sch.SCHOOL_NUMBER = s.SCHOOLID
	LEFT JOIN U_STUDENTSUSERFIELDS uf ON uf.STUDENTSDCID = s.DCID`
}

// schoolNumber resolves a school's DCID (the path id) to its number.
func (s *Server) schoolNumber(ctx context.Context, dcid int64) (int64, bool, error) {
	rows, err := queryRows(ctx, s.store.DB, `SELECT SCHOOL_NUMBER FROM SCHOOLS WHERE DCID = ?`, dcid)
	if err != nil || len(rows) == 0 {
		return 0, false, err
	}
	return rows[0].int("SCHOOL_NUMBER"), true, nil
}

// studentScope builds the WHERE clause for a student list or count.
func (s *Server) studentScope(r *http.Request, perSchool bool) (string, []any, error) {
	where, args, err := compileQ(r.URL.Query().Get("q"), studentSearch)
	if err != nil {
		return "", nil, queryError("filtering students", err)
	}
	if perSchool {
		id, ok := pathID(r, "id")
		num, found, err := s.schoolNumber(r.Context(), id)
		if err != nil {
			return "", nil, respond.Internal("reading schools", err)
		}
		if !ok || !found {
			return "", nil, fail(http.StatusNotFound, "no school with id "+r.PathValue("id"))
		}
		where += " AND s.SCHOOLID = ?"
		args = append(args, num)
	}
	return where, args, nil
}

func (s *Server) countStudents(perSchool bool) respond.Func {
	return func(r *http.Request) (any, error) {
		where, args, err := s.studentScope(r, perSchool)
		if err != nil {
			return nil, err
		}
		var n int64
		if err := s.store.DB.QueryRowContext(r.Context(), "SELECT COUNT(*) FROM STUDENTS s WHERE "+where, args...).Scan(&n); err != nil {
			return nil, respond.Internal("counting students", err)
		}
		return countBody(n), nil
	}
}

func (s *Server) listStudents(perSchool bool) respond.Func {
	return func(r *http.Request) (any, error) {
		c, _ := callerFrom(r.Context())
		page, err := parsePage(r, c.PageSizes.Student, studentExpansions)
		if err != nil {
			return nil, fail(http.StatusBadRequest, err.Error())
		}
		where, args, err := s.studentScope(r, perSchool)
		if err != nil {
			return nil, err
		}
		// Page over the bare table first, from the nearest page boundary
		// the store knows (a seek, not a deep OFFSET), then join.
		keys, err := s.store.PageKeys(r.Context(), store.KeyPage{From: "STUDENTS s", Key: "s.DCID", Where: where, Args: args,
			Offset: int64(page.offset()), Limit: int64(page.size)})
		if err != nil {
			return nil, respond.Internal("reading students", err)
		}
		rows, err := queryRows(r.Context(), s.store.DB, studentSelect(page)+" WHERE s.DCID IN ("+placeholders(len(keys))+") ORDER BY s.DCID", int64Args(keys)...)
		if err != nil {
			return nil, respond.Internal("reading students", err)
		}
		recs, err := s.renderStudents(r.Context(), rows, page)
		if err != nil {
			return nil, respond.Internal("reading student details", err)
		}
		return envelope("students", "student", studentExpansions, studentExtensions, recs), nil
	}
}

func (s *Server) getStudent(r *http.Request) (any, error) {
	page, err := parsePage(r, 1, studentExpansions)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	id, ok := pathID(r, "id")
	if !ok {
		return nil, fail(http.StatusNotFound, "no student with id "+r.PathValue("id"))
	}
	rows, err := queryRows(r.Context(), s.store.DB, studentSelect(page)+" WHERE s.DCID = ?", id)
	if err != nil {
		return nil, respond.Internal("reading a student", err)
	}
	if len(rows) == 0 {
		return nil, fail(http.StatusNotFound, fmt.Sprintf("no student with id %d (ids are STUDENTS.DCID)", id))
	}
	recs, err := s.renderStudents(r.Context(), rows, page)
	if err != nil {
		return nil, respond.Internal("reading student details", err)
	}
	recs[0].Expansions, recs[0].Extensions = studentExpansions, studentExtensions
	return map[string]any{"student": recs[0]}, nil
}

// v1Student keeps PowerSchool's field order; nil fields are omitted.
type v1Student struct {
	Expansions        string `json:"@expansions,omitempty"`
	Extensions        string `json:"@extensions,omitempty"`
	ExtensionData     any    `json:"_extension_data,omitempty"`
	ID                int64  `json:"id"`
	LocalID           any    `json:"local_id,omitempty"`
	StudentUsername   any    `json:"student_username,omitempty"`
	Name              any    `json:"name,omitempty"`
	Demographics      any    `json:"demographics,omitempty"`
	Addresses         any    `json:"addresses,omitempty"`
	Alerts            any    `json:"alerts,omitempty"`
	Phones            any    `json:"phones,omitempty"`
	SchoolEnrollment  any    `json:"school_enrollment,omitempty"`
	EthnicityRace     any    `json:"ethnicity_race,omitempty"`
	Contact           any    `json:"contact,omitempty"`
	ContactInfo       any    `json:"contact_info,omitempty"`
	InitialEnrollment any    `json:"initial_enrollment,omitempty"`
	ScheduleSetup     any    `json:"schedule_setup,omitempty"`
	Fees              any    `json:"fees,omitempty"`
	Lunch             any    `json:"lunch,omitempty"`
}

var enrollStatus = map[int64][2]string{0: {"A", "Active"}, -1: {"P", "Pre-Registered"}, 2: {"T", "Transferred Out"}, 3: {"G", "Graduated"}, 4: {"H", "Historical"}}

func (s *Server) renderStudents(ctx context.Context, rows []row, page listPage) ([]*v1Student, error) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.int("DCID")
	}
	var fees map[int64][]any
	if page.expansions["fees"] && len(rows) > 0 {
		var err error
		if fees, err = s.studentFees(ctx, rows); err != nil {
			return nil, err
		}
	}
	ext, err := s.extensionData(ctx, studentExtensionTables, page.extensions, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*v1Student, len(rows))
	for i, r := range rows {
		st := &v1Student{ID: r.int("DCID"), LocalID: r.num("STUDENT_NUMBER"), StudentUsername: r.str("STUDENT_WEB_ID"),
			Name: obj("first_name", r.str("FIRST_NAME"), "middle_name", r.str("MIDDLE_NAME"), "last_name", r.str("LAST_NAME"))}
		if ext != nil {
			st.ExtensionData = ext[st.ID]
		}
		e := page.expansions
		if e["demographics"] {
			st.Demographics = obj("gender", r.str("GENDER"), "birth_date", r.str("DOB"), "projected_graduation_year", r.num("CLASSOF"))
		}
		if e["addresses"] {
			st.Addresses = obj(
				"physical", nonEmpty(obj("street", r.str("STREET"), "city", r.str("CITY"), "state_province", r.str("STATE"), "postal_code", r.str("ZIP"))),
				"mailing", nonEmpty(obj("street", r.str("MAILING_STREET"), "city", r.str("MAILING_CITY"), "state_province", r.str("MAILING_STATE"), "postal_code", r.str("MAILING_ZIP"))))
		}
		if e["alerts"] {
			alert := func(prefix string) any {
				return nonEmpty(obj("description", r.str(prefix), "expires_date", r.str(prefix+"EXPIRES")))
			}
			st.Alerts = obj("legal", alert("ALERT_GUARDIAN"), "discipline", alert("ALERT_DISCIPLINE"), "medical", alert("ALERT_MEDICAL"), "other", alert("ALERT_OTHER"))
		}
		if e["phones"] {
			st.Phones = obj("main", nonEmpty(obj("number", r.str("HOME_PHONE"))))
		}
		if e["school_enrollment"] {
			code := r.int("ENROLL_STATUS")
			status, ok := enrollStatus[code]
			if !ok {
				status = [2]string{"I", "Inactive"}
			}
			st.SchoolEnrollment = obj("enroll_status", status[0], "enroll_status_description", status[1], "enroll_status_code", code,
				"grade_level", r.num("GRADE_LEVEL"), "entry_date", r.str("ENTRYDATE"), "exit_date", r.str("EXITDATE"),
				"school_number", r.num("SCHOOLID"), "school_id", r.num("SCHOOL_DCID"), "entry_comment", r.str("ENTRYCOMMENT"),
				"full_time_equivalency", nonEmpty(obj("fteid", r.num("FTEID"), "name", "FTE Value: 1")))
		}
		if e["ethnicity_race"] {
			var fed any
			if v, ok := r.num("FEDETHNICITY").(int64); ok {
				fed = map[bool]string{true: "YES", false: "NO"}[v == 1]
			}
			st.EthnicityRace = obj("scheduling_reporting_ethnicity", r.str("ETHNICITY"), "federal_ethnicity", fed)
		}
		if e["contact"] {
			st.Contact = obj("emergency_contact_name1", r.str("EMERG_CONTACT_1"), "emergency_phone1", r.str("EMERG_PHONE_1"),
				"emergency_contact_name2", r.str("EMERG_CONTACT_2"), "emergency_phone2", r.str("EMERG_PHONE_2"),
				"guardian_email", r.str("GUARDIANEMAIL"), "guardian_fax", r.str("GUARDIANFAX"),
				"mother", r.str("MOTHER"), "father", r.str("FATHER"), "doctor_name", r.str("DOCTOR_NAME"), "doctor_phone", r.str("DOCTOR_PHONE"))
		}
		if e["contact_info"] {
			st.ContactInfo = obj("email", r.str("UF_EMAIL"))
		}
		if e["initial_enrollment"] {
			st.InitialEnrollment = obj("district_entry_date", r.str("DISTRICTENTRYDATE"), "district_entry_grade_level", r.num("DISTRICTENTRYGRADELEVEL"),
				"school_entry_date", r.str("SCHOOLENTRYDATE"), "school_entry_grade_level", r.num("SCHOOLENTRYGRADELEVEL"))
		}
		if e["schedule_setup"] {
			st.ScheduleSetup = obj("home_room", r.str("HOME_ROOM"), "next_school", r.num("NEXT_SCHOOL"), "sched_next_year_grade", r.num("SCHED_NEXTYEARGRADE"))
		}
		if e["fees"] {
			st.Fees = obj("fee", oneOrMany(fees[r.int("ID")]))
		}
		if e["lunch"] {
			money := func(col string) any {
				f, _ := r[col].(float64)
				if n, ok := r[col].(int64); ok {
					f = float64(n)
				}
				return strconv.FormatFloat(f, 'f', 2, 64) // balances are strings on real servers
			}
			st.Lunch = obj("balance_1", money("BALANCE1"), "balance_2", money("BALANCE2"), "balance_3", money("BALANCE3"), "balance_4", money("BALANCE4"),
				"lunch_id", r.num("LUNCH_ID"), "last_meal", r.str("LASTMEAL"))
		}
		out[i] = st
	}
	return out, nil
}

// studentFees returns fee blocks keyed by STUDENTS.ID.
func (s *Server) studentFees(ctx context.Context, rows []row) (map[int64][]any, error) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.int("ID")
	}
	fr, err := queryRows(ctx, s.store.DB, `SELECT f.*, sch.DCID AS SCHOOL_DCID FROM FEE f LEFT JOIN SCHOOLS sch ON sch.SCHOOL_NUMBER = f.SCHOOLID
		WHERE f.STUDENTID IN (`+idList(ids)+`) ORDER BY f.DCID`)
	if err != nil {
		return nil, err
	}
	out := map[int64][]any{}
	for _, f := range fr {
		out[f.int("STUDENTID")] = append(out[f.int("STUDENTID")], obj("id", f.num("DCID"), "fee_amount", f["FEE_AMOUNT"], "fee_balance", f["FEE_BALANCE"],
			"fee_description", f.str("DESCRIPTION"), "date_created", f.str("DATE_CREATED"), "school_id", f.num("SCHOOL_DCID"),
			"year_id", f.num("YEARID"), "type_id", f.num("FEE_TYPE_ID"), "type_name", f.str("FEE_TYPE_NAME"),
			"category_name", f.str("FEE_CATEGORY_NAME"), "priority", f.num("PRIORITY")))
	}
	return out, nil
}

// extensionData builds "_extension_data" for each record id from the
// requested extension tables (keyed by STUDENTSDCID-style columns named
// <CORE>DCID). Unknown extension names are ignored, as on real servers.
func (s *Server) extensionData(ctx context.Context, available []string, requested map[string]bool, ids []int64) (map[int64]any, error) {
	if len(requested) == 0 || len(ids) == 0 {
		return nil, nil
	}
	type tableExt struct {
		RecordFound bool   `json:"recordFound"`
		Name        string `json:"name"`
		Field       any    `json:"_field,omitempty"`
	}
	type field struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	per := map[int64][]tableExt{}
	for _, table := range available {
		if !requested[table] {
			continue
		}
		rows, err := s.store.DB.QueryContext(ctx, `SELECT * FROM `+table+` WHERE STUDENTSDCID IN (`+idList(ids)+`)`)
		if err != nil {
			return nil, err
		}
		cols, _ := rows.ColumnTypes()
		found := map[int64][]field{}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			var key int64
			fs := []field{}
			for i, c := range cols {
				name := strings.ToLower(c.Name())
				if name == "studentsdcid" {
					key, _ = vals[i].(int64)
					continue
				}
				if vals[i] == nil {
					continue
				}
				typ := map[string]string{"INTEGER": "Long", "REAL": "Double"}[strings.ToUpper(c.DatabaseTypeName())]
				if typ == "" {
					typ = "String"
				}
				fs = append(fs, field{Name: name, Type: typ, Value: fmt.Sprint(vals[i])})
			}
			found[key] = fs
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, id := range ids {
			fs, ok := found[id]
			per[id] = append(per[id], tableExt{RecordFound: ok, Name: table, Field: oneOrMany(fs)})
		}
	}
	if len(per) == 0 {
		return nil, nil
	}
	out := make(map[int64]any, len(per))
	for id, exts := range per {
		out[id] = map[string]any{"_table_extension": oneOrMany(exts)}
	}
	return out, nil
}

// placeholders is "?, ?, ..." for n values ("NULL" for none, which matches
// nothing in an IN list).
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func int64Args(v []int64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}
