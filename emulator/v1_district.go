package emulator

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/pskit/pskit/emulator/internal/respond"
)

func (s *Server) v1DistrictRoutes() {
	s.mux.HandleFunc("GET /ws/v1/district", s.v1(s.ws.Handle(s.getDistrict)))
	s.mux.HandleFunc("GET /ws/v1/district/school", s.v1(s.ws.Handle(s.listSchools)))
	s.mux.HandleFunc("GET /ws/v1/district/school/count", s.v1(s.ws.Handle(s.countSchools)))
	s.mux.HandleFunc("GET /ws/v1/school/{id}", s.v1(s.ws.Handle(s.getSchool)))
}

func (s *Server) getDistrict(r *http.Request) (any, error) {
	rows, err := queryRows(r.Context(), s.store.DB, `SELECT NAME, VALUE FROM PREFS WHERE SCHOOLID = 0`)
	if err != nil {
		return nil, respond.Internal("reading the district", err)
	}
	p := map[string]any{}
	for _, rw := range rows {
		p[rw["NAME"].(string)] = rw["VALUE"]
	}
	pr := row(p)
	d := obj("@expansions", "", "uuid", pr.str("districtuuid"), "name", pr.str("districtname"), "district_number", pr.str("districtnumber"),
		"addresses", nonEmpty(obj("physical", nonEmpty(obj("street", pr.str("districtaddress"), "city", pr.str("districtcity"),
			"state_province", pr.str("districtstate"), "postal_code", pr.str("districtzip"))))),
		"phones", nonEmpty(obj("main", nonEmpty(obj("number", pr.str("districtphone"))), "fax", nonEmpty(obj("number", pr.str("districtfax"))))))
	if m, ok := d.(map[string]any); ok {
		m["@expansions"] = ""
	}
	return map[string]any{"district": d}, nil
}

var schoolExpansions = expansionList("school_boundary", "full_time_equivalencies", "school_fees_setup")

// The district school list and count leave out the "Graduated Students"
// school (reference §3.1).
const schoolListWhere = `SCHOOL_NUMBER <> 999999` // store.GraduatedSchoolNumber

func (s *Server) countSchools(r *http.Request) (any, error) {
	var n int64
	if err := s.store.DB.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM SCHOOLS WHERE `+schoolListWhere).Scan(&n); err != nil {
		return nil, respond.Internal("counting schools", err)
	}
	return countBody(n), nil
}

func (s *Server) listSchools(r *http.Request) (any, error) {
	c, _ := callerFrom(r.Context())
	page, err := parsePage(r, c.PageSizes.School, schoolExpansions)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	if r.URL.Query().Get("q") != "" {
		return nil, fail(http.StatusBadRequest, "q is not supported on schools; page through /ws/v1/district/school instead")
	}
	recs, err := s.schools(r.Context(), `WHERE `+schoolListWhere+` ORDER BY DCID LIMIT ? OFFSET ?`, page, page.size, page.offset())
	if err != nil {
		return nil, respond.Internal("reading schools", err)
	}
	return envelope("schools", "school", schoolExpansions, "", recs), nil
}

func (s *Server) getSchool(r *http.Request) (any, error) {
	page, err := parsePage(r, 1, schoolExpansions)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	id, ok := pathID(r, "id")
	var recs []map[string]any
	if ok {
		recs, err = s.schools(r.Context(), `WHERE DCID = ?`, page, id)
	}
	if err != nil {
		return nil, respond.Internal("reading a school", err)
	}
	if len(recs) == 0 {
		return nil, fail(http.StatusNotFound, fmt.Sprintf("no school with id %s (ids are SCHOOLS.DCID)", r.PathValue("id")))
	}
	recs[0]["@expansions"] = schoolExpansions
	recs[0]["@extensions"] = ""
	return map[string]any{"school": recs[0]}, nil
}

func (s *Server) schools(ctx context.Context, tail string, page listPage, args ...any) ([]map[string]any, error) {
	rows, err := queryRows(ctx, s.store.DB, `SELECT * FROM SCHOOLS `+tail, args...)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		var principal any
		if name, _ := r.str("PRINCIPAL").(string); name != "" {
			first, last, _ := strings.Cut(name, " ")
			principal = obj("email", r.str("PRINCIPALEMAIL"), "name", obj("first_name", first, "last_name", last))
		}
		m, _ := obj("id", r.num("DCID"), "name", r.str("NAME"), "school_number", r.num("SCHOOL_NUMBER"),
			"low_grade", r.num("LOW_GRADE"), "high_grade", r.num("HIGH_GRADE"), "alternate_school_number", r.num("ALTERNATE_SCHOOL_NUMBER"),
			"addresses", nonEmpty(obj("physical", nonEmpty(obj("street", r.str("SCHOOLADDRESS"), "city", r.str("SCHOOLCITY"),
				"state_province", r.str("SCHOOLSTATE"), "postal_code", r.str("SCHOOLZIP"))))),
			"phones", nonEmpty(obj("main", nonEmpty(obj("number", r.str("SCHOOLPHONE"))))),
			"principal", principal).(map[string]any)
		if page.expansions["full_time_equivalencies"] {
			m["full_time_equivalencies"] = obj("full_time_equivalency", obj("fteid", 1000+r.int("DCID"), "name", "FTE Value: 1"))
		}
		if page.expansions["school_boundary"] {
			m["school_boundary"] = ""
		}
		if page.expansions["school_fees_setup"] {
			m["school_fees_setup"] = ""
		}
		out = append(out, m)
	}
	return out, nil
}
