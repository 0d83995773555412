package emulator

import (
	"context"
	"fmt"
	"net/http"
)

func (s *Server) v1StaffRoutes() {
	s.mux.HandleFunc("GET /ws/v1/school/{id}/staff", s.v1(s.listStaff))
	s.mux.HandleFunc("GET /ws/v1/school/{id}/staff/count", s.v1(s.countStaff))
	s.mux.HandleFunc("GET /ws/v1/staff/{id}", s.v1(s.getStaff))
}

var staffExpansions = expansionList("addresses", "emails", "phones", "school_affiliations")

// staffSearch is assumed: the reference documents q only for students.
var staffSearch = map[string]searchField{
	"id":               {"u.DCID", kindInt},
	"local_id":         {"u.TEACHERNUMBER", kindText},
	"name.first_name":  {"u.FIRST_NAME", kindText},
	"name.last_name":   {"u.LAST_NAME", kindText},
	"admin_username":   {"u.LOGINID", kindText},
	"teacher_username": {"u.TEACHERLOGINID", kindText},
}

// School staff lists hold active staff only, sorted by ID (reference §3.1).
func (s *Server) staffScope(w http.ResponseWriter, r *http.Request) (string, []any, bool) {
	where, args, err := compileQ(r.URL.Query().Get("q"), staffSearch)
	if err != nil {
		s.writeQueryError(w, "filtering staff", err)
		return "", nil, false
	}
	id, ok := pathID(r, "id")
	num, found, err := s.schoolNumber(r.Context(), id)
	if err != nil {
		s.internalError(w, "reading schools", err)
		return "", nil, false
	}
	if !ok || !found {
		writeError(w, http.StatusNotFound, "no school with id "+r.PathValue("id"))
		return "", nil, false
	}
	return where + " AND ss.SCHOOLID = ? AND ss.STATUS = 1", append(args, num), true
}

func (s *Server) countStaff(w http.ResponseWriter, r *http.Request) {
	where, args, ok := s.staffScope(w, r)
	if !ok {
		return
	}
	var n int64
	if err := s.store.DB.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM SCHOOLSTAFF ss JOIN USERS u ON u.DCID = ss.USERS_DCID WHERE `+where, args...).Scan(&n); err != nil {
		s.internalError(w, "counting staff", err)
		return
	}
	writeCount(w, n)
}

func (s *Server) listStaff(w http.ResponseWriter, r *http.Request) {
	c, _ := callerFrom(r.Context())
	page, err := parsePage(r, c.PageSizes.Staff, staffExpansions)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	where, args, ok := s.staffScope(w, r)
	if !ok {
		return
	}
	rows, err := queryRows(r.Context(), s.store.DB, `SELECT u.* FROM SCHOOLSTAFF ss JOIN USERS u ON u.DCID = ss.USERS_DCID WHERE `+where+
		` ORDER BY ss.ID LIMIT ? OFFSET ?`, append(args, page.size, page.offset())...)
	if err != nil {
		s.internalError(w, "reading staff", err)
		return
	}
	recs, err := s.renderStaff(r.Context(), rows, page)
	if err != nil {
		s.internalError(w, "reading staff affiliations", err)
		return
	}
	writeJSON(w, http.StatusOK, envelope("staffs", "staff", staffExpansions, "", recs))
}

func (s *Server) getStaff(w http.ResponseWriter, r *http.Request) {
	page, err := parsePage(r, 1, staffExpansions)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		writeError(w, http.StatusNotFound, "no staff member with id "+r.PathValue("id"))
		return
	}
	rows, err := queryRows(r.Context(), s.store.DB, `SELECT * FROM USERS WHERE DCID = ?`, id)
	if err != nil {
		s.internalError(w, "reading a staff member", err)
		return
	}
	if len(rows) == 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no staff member with id %d (ids are USERS.DCID)", id))
		return
	}
	recs, err := s.renderStaff(r.Context(), rows, page)
	if err != nil {
		s.internalError(w, "reading staff affiliations", err)
		return
	}
	recs[0]["@expansions"], recs[0]["@extensions"] = staffExpansions, ""
	writeJSON(w, http.StatusOK, map[string]any{"staff": recs[0]})
}

func (s *Server) renderStaff(ctx context.Context, rows []row, page listPage) ([]map[string]any, error) {
	affiliations := map[int64][]any{}
	if page.expansions["school_affiliations"] && len(rows) > 0 {
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.int("DCID")
		}
		ar, err := queryRows(ctx, s.store.DB, `SELECT ss.USERS_DCID, ss.STATUS, sch.DCID AS SCHOOL_DCID FROM SCHOOLSTAFF ss
			JOIN SCHOOLS sch ON sch.SCHOOL_NUMBER = ss.SCHOOLID WHERE ss.USERS_DCID IN (`+idList(ids)+`) ORDER BY ss.ID`)
		if err != nil {
			return nil, err
		}
		for _, a := range ar {
			u := a.int("USERS_DCID")
			affiliations[u] = append(affiliations[u], obj("school_id", a.num("SCHOOL_DCID"), "type", int64(1), "status", a.num("STATUS")))
		}
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		m := map[string]any{"id": r.int("DCID"), "users_dcid": r.int("DCID"),
			"name": obj("first_name", r.str("FIRST_NAME"), "middle_name", r.str("MIDDLE_NAME"), "last_name", r.str("LAST_NAME"))}
		for k, v := range map[string]any{"local_id": r.str("TEACHERNUMBER"), "admin_username": r.str("LOGINID"), "teacher_username": r.str("TEACHERLOGINID")} {
			if v != nil {
				m[k] = v
			}
		}
		e := page.expansions
		if e["addresses"] {
			m["addresses"] = obj("home", nonEmpty(obj("street", r.str("STREET"), "city", r.str("CITY"), "state_province", r.str("STATE"), "postal_code", r.str("ZIP"))))
		}
		if e["emails"] {
			m["emails"] = obj("work_email", r.str("EMAIL_ADDR"))
		}
		if e["phones"] {
			m["phones"] = obj("home_phone", r.str("HOME_PHONE"))
		}
		if e["school_affiliations"] {
			m["school_affiliations"] = obj("school_affiliation", oneOrMany(affiliations[r.int("DCID")]))
		}
		out[i] = m
	}
	return out, nil
}
