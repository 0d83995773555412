package emulator

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pskit/pskit/emulator/internal/respond"
)

func (s *Server) v1StaffRoutes() {
	s.mux.HandleFunc("GET /ws/v1/school/{id}/staff", s.v1(s.ws.Handle(s.listStaff)))
	s.mux.HandleFunc("GET /ws/v1/school/{id}/staff/count", s.v1(s.ws.Handle(s.countStaff)))
	s.mux.HandleFunc("GET /ws/v1/staff/{id}", s.v1(s.ws.Handle(s.getStaff)))
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
func (s *Server) staffScope(r *http.Request) (string, []any, error) {
	where, args, err := compileQ(r.URL.Query().Get("q"), staffSearch)
	if err != nil {
		return "", nil, queryError("filtering staff", err)
	}
	id, ok := pathID(r, "id")
	num, found, err := s.schoolNumber(r.Context(), id)
	if err != nil {
		return "", nil, respond.Internal("reading schools", err)
	}
	if !ok || !found {
		return "", nil, fail(http.StatusNotFound, "no school with id "+r.PathValue("id"))
	}
	return where + " AND ss.SCHOOLID = ? AND ss.STATUS = 1", append(args, num), nil
}

func (s *Server) countStaff(r *http.Request) (any, error) {
	where, args, err := s.staffScope(r)
	if err != nil {
		return nil, err
	}
	var n int64
	if err := s.store.DB.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM SCHOOLSTAFF ss JOIN USERS u ON u.DCID = ss.USERS_DCID WHERE `+where, args...).Scan(&n); err != nil {
		return nil, respond.Internal("counting staff", err)
	}
	return countBody(n), nil
}

func (s *Server) listStaff(r *http.Request) (any, error) {
	c, _ := callerFrom(r.Context())
	page, err := parsePage(r, c.PageSizes.Staff, staffExpansions)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	where, args, err := s.staffScope(r)
	if err != nil {
		return nil, err
	}
	rows, err := queryRows(r.Context(), s.store.DB, `SELECT u.* FROM SCHOOLSTAFF ss JOIN USERS u ON u.DCID = ss.USERS_DCID WHERE `+where+
		` ORDER BY ss.ID LIMIT ? OFFSET ?`, append(args, page.size, page.offset())...)
	if err != nil {
		return nil, respond.Internal("reading staff", err)
	}
	recs, err := s.renderStaff(r.Context(), rows, page)
	if err != nil {
		return nil, respond.Internal("reading staff affiliations", err)
	}
	return envelope("staffs", "staff", staffExpansions, "", recs), nil
}

func (s *Server) getStaff(r *http.Request) (any, error) {
	page, err := parsePage(r, 1, staffExpansions)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	id, ok := pathID(r, "id")
	if !ok {
		return nil, fail(http.StatusNotFound, "no staff member with id "+r.PathValue("id"))
	}
	rows, err := queryRows(r.Context(), s.store.DB, `SELECT * FROM USERS WHERE DCID = ?`, id)
	if err != nil {
		return nil, respond.Internal("reading a staff member", err)
	}
	if len(rows) == 0 {
		return nil, fail(http.StatusNotFound, fmt.Sprintf("no staff member with id %d (ids are USERS.DCID)", id))
	}
	recs, err := s.renderStaff(r.Context(), rows, page)
	if err != nil {
		return nil, respond.Internal("reading staff affiliations", err)
	}
	recs[0]["@expansions"], recs[0]["@extensions"] = staffExpansions, ""
	return map[string]any{"staff": recs[0]}, nil
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
