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

// studentColumns reads what the requested expansions need.
func studentColumns(page listPage) store.StudentColumns {
	if len(page.expansions) == 0 {
		return store.StudentCore
	}
	return store.StudentFull
}

// schoolNumber resolves the path's school id (a DCID) to its number, or 404.
func (s *Server) schoolNumber(r *http.Request) (int64, error) {
	id, ok := pathID(r, "id")
	num, found, err := s.store.SchoolNumber(r.Context(), id)
	if err != nil {
		return 0, respond.Internal("reading schools", err)
	}
	if !ok || !found {
		return 0, fail(http.StatusNotFound, "no school with id "+r.PathValue("id"))
	}
	return num, nil
}

// studentScope is the filter of a student list or count.
func (s *Server) studentScope(r *http.Request, perSchool bool) (store.Filter, error) {
	where, args, err := compileQ(r.URL.Query().Get("q"), studentSearch)
	if err != nil {
		return store.Filter{}, queryError("filtering students", err)
	}
	if perSchool {
		num, err := s.schoolNumber(r)
		if err != nil {
			return store.Filter{}, err
		}
		where += " AND s.SCHOOLID = ?"
		args = append(args, num)
	}
	return store.Filter{Where: where, Args: args}, nil
}

func (s *Server) countStudents(perSchool bool) respond.Func {
	return func(r *http.Request) (any, error) {
		f, err := s.studentScope(r, perSchool)
		if err != nil {
			return nil, err
		}
		n, err := s.store.CountStudents(r.Context(), f)
		if err != nil {
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
		f, err := s.studentScope(r, perSchool)
		if err != nil {
			return nil, err
		}
		rows, err := s.store.Students(r.Context(), f, page.storePage(), studentColumns(page))
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
	st, found, err := s.store.Student(r.Context(), id, studentColumns(page))
	if err != nil {
		return nil, respond.Internal("reading a student", err)
	}
	if !found {
		return nil, fail(http.StatusNotFound, fmt.Sprintf("no student with id %d (ids are STUDENTS.DCID)", id))
	}
	recs, err := s.renderStudents(r.Context(), []row{st}, page)
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
		ids[i] = r.Int("DCID")
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
		st := &v1Student{ID: r.Int("DCID"), LocalID: r.Num("STUDENT_NUMBER"), StudentUsername: r.Str("STUDENT_WEB_ID"),
			Name: obj("first_name", r.Str("FIRST_NAME"), "middle_name", r.Str("MIDDLE_NAME"), "last_name", r.Str("LAST_NAME"))}
		if ext != nil {
			st.ExtensionData = ext[st.ID]
		}
		e := page.expansions
		if e["demographics"] {
			st.Demographics = obj("gender", r.Str("GENDER"), "birth_date", r.Str("DOB"), "projected_graduation_year", r.Num("CLASSOF"))
		}
		if e["addresses"] {
			st.Addresses = obj(
				"physical", nonEmpty(obj("street", r.Str("STREET"), "city", r.Str("CITY"), "state_province", r.Str("STATE"), "postal_code", r.Str("ZIP"))),
				"mailing", nonEmpty(obj("street", r.Str("MAILING_STREET"), "city", r.Str("MAILING_CITY"), "state_province", r.Str("MAILING_STATE"), "postal_code", r.Str("MAILING_ZIP"))))
		}
		if e["alerts"] {
			alert := func(prefix string) any {
				return nonEmpty(obj("description", r.Str(prefix), "expires_date", r.Str(prefix+"EXPIRES")))
			}
			st.Alerts = obj("legal", alert("ALERT_GUARDIAN"), "discipline", alert("ALERT_DISCIPLINE"), "medical", alert("ALERT_MEDICAL"), "other", alert("ALERT_OTHER"))
		}
		if e["phones"] {
			st.Phones = obj("main", nonEmpty(obj("number", r.Str("HOME_PHONE"))))
		}
		if e["school_enrollment"] {
			code := r.Int("ENROLL_STATUS")
			status, ok := enrollStatus[code]
			if !ok {
				status = [2]string{"I", "Inactive"}
			}
			st.SchoolEnrollment = obj("enroll_status", status[0], "enroll_status_description", status[1], "enroll_status_code", code,
				"grade_level", r.Num("GRADE_LEVEL"), "entry_date", r.Str("ENTRYDATE"), "exit_date", r.Str("EXITDATE"),
				"school_number", r.Num("SCHOOLID"), "school_id", r.Num("SCHOOL_DCID"), "entry_comment", r.Str("ENTRYCOMMENT"),
				"full_time_equivalency", nonEmpty(obj("fteid", r.Num("FTEID"), "name", "FTE Value: 1")))
		}
		if e["ethnicity_race"] {
			var fed any
			if v, ok := r.Num("FEDETHNICITY").(int64); ok {
				fed = map[bool]string{true: "YES", false: "NO"}[v == 1]
			}
			st.EthnicityRace = obj("scheduling_reporting_ethnicity", r.Str("ETHNICITY"), "federal_ethnicity", fed)
		}
		if e["contact"] {
			st.Contact = obj("emergency_contact_name1", r.Str("EMERG_CONTACT_1"), "emergency_phone1", r.Str("EMERG_PHONE_1"),
				"emergency_contact_name2", r.Str("EMERG_CONTACT_2"), "emergency_phone2", r.Str("EMERG_PHONE_2"),
				"guardian_email", r.Str("GUARDIANEMAIL"), "guardian_fax", r.Str("GUARDIANFAX"),
				"mother", r.Str("MOTHER"), "father", r.Str("FATHER"), "doctor_name", r.Str("DOCTOR_NAME"), "doctor_phone", r.Str("DOCTOR_PHONE"))
		}
		if e["contact_info"] {
			st.ContactInfo = obj("email", r.Str("UF_EMAIL"))
		}
		if e["initial_enrollment"] {
			st.InitialEnrollment = obj("district_entry_date", r.Str("DISTRICTENTRYDATE"), "district_entry_grade_level", r.Num("DISTRICTENTRYGRADELEVEL"),
				"school_entry_date", r.Str("SCHOOLENTRYDATE"), "school_entry_grade_level", r.Num("SCHOOLENTRYGRADELEVEL"))
		}
		if e["schedule_setup"] {
			st.ScheduleSetup = obj("home_room", r.Str("HOME_ROOM"), "next_school", r.Num("NEXT_SCHOOL"), "sched_next_year_grade", r.Num("SCHED_NEXTYEARGRADE"))
		}
		if e["fees"] {
			st.Fees = obj("fee", oneOrMany(fees[r.Int("ID")]))
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
				"lunch_id", r.Num("LUNCH_ID"), "last_meal", r.Str("LASTMEAL"))
		}
		out[i] = st
	}
	return out, nil
}

// studentFees returns fee blocks keyed by STUDENTS.ID.
func (s *Server) studentFees(ctx context.Context, rows []row) (map[int64][]any, error) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.Int("ID")
	}
	fr, err := s.store.Fees(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64][]any{}
	for _, f := range fr {
		out[f.Int("STUDENTID")] = append(out[f.Int("STUDENTID")], obj("id", f.Num("DCID"), "fee_amount", f["FEE_AMOUNT"], "fee_balance", f["FEE_BALANCE"],
			"fee_description", f.Str("DESCRIPTION"), "date_created", f.Str("DATE_CREATED"), "school_id", f.Num("SCHOOL_DCID"),
			"year_id", f.Num("YEARID"), "type_id", f.Num("FEE_TYPE_ID"), "type_name", f.Str("FEE_TYPE_NAME"),
			"category_name", f.Str("FEE_CATEGORY_NAME"), "priority", f.Num("PRIORITY")))
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
		rows, err := s.store.ExtensionRows(ctx, table, ids)
		if err != nil {
			return nil, err
		}
		found := map[int64][]field{}
		for key, efs := range rows {
			fs := make([]field, len(efs))
			for i, f := range efs {
				typ := map[string]string{"INTEGER": "Long", "REAL": "Double"}[f.DeclType]
				if typ == "" {
					typ = "String"
				}
				fs[i] = field{Name: f.Name, Type: typ, Value: fmt.Sprint(f.Value)}
			}
			found[key] = fs
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
