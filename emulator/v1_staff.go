package emulator

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/store"
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

// staffScope is the school number and filter of a staff list or count.
// School staff lists hold active staff only, sorted by ID (reference §3.1).
func (s *Server) staffScope(r *http.Request) (int64, store.Filter, error) {
	where, args, err := compileQ(r.URL.Query().Get("q"), staffSearch)
	if err != nil {
		return 0, store.Filter{}, queryError("filtering staff", err)
	}
	num, err := s.schoolNumber(r)
	if err != nil {
		return 0, store.Filter{}, err
	}
	return num, store.Filter{Where: where, Args: args}, nil
}

func (s *Server) countStaff(r *http.Request) (any, error) {
	num, f, err := s.staffScope(r)
	if err != nil {
		return nil, err
	}
	n, err := s.store.CountStaff(r.Context(), num, f)
	if err != nil {
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
	num, f, err := s.staffScope(r)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.Staff(r.Context(), num, f, page.storePage())
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
	u, found, err := s.store.StaffMember(r.Context(), id)
	if err != nil {
		return nil, respond.Internal("reading a staff member", err)
	}
	if !found {
		return nil, fail(http.StatusNotFound, fmt.Sprintf("no staff member with id %d (ids are USERS.DCID)", id))
	}
	recs, err := s.renderStaff(r.Context(), []row{u}, page)
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
			ids[i] = r.Int("DCID")
		}
		ar, err := s.store.StaffAffiliations(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, a := range ar {
			u := a.Int("USERS_DCID")
			affiliations[u] = append(affiliations[u], obj("school_id", a.Num("SCHOOL_DCID"), "type", int64(1), "status", a.Num("STATUS")))
		}
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		m := map[string]any{"id": r.Int("DCID"), "users_dcid": r.Int("DCID"),
			"name": obj("first_name", r.Str("FIRST_NAME"), "middle_name", r.Str("MIDDLE_NAME"), "last_name", r.Str("LAST_NAME"))}
		for k, v := range map[string]any{"local_id": r.Str("TEACHERNUMBER"), "admin_username": r.Str("LOGINID"), "teacher_username": r.Str("TEACHERLOGINID")} {
			if v != nil {
				m[k] = v
			}
		}
		e := page.expansions
		if e["addresses"] {
			m["addresses"] = obj("home", nonEmpty(obj("street", r.Str("STREET"), "city", r.Str("CITY"), "state_province", r.Str("STATE"), "postal_code", r.Str("ZIP"))))
		}
		if e["emails"] {
			m["emails"] = obj("work_email", r.Str("EMAIL_ADDR"))
		}
		if e["phones"] {
			m["phones"] = obj("home_phone", r.Str("HOME_PHONE"))
		}
		if e["school_affiliations"] {
			m["school_affiliations"] = obj("school_affiliation", oneOrMany(affiliations[r.Int("DCID")]))
		}
		out[i] = m
	}
	return out, nil
}
