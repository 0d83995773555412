package emulator

import (
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
	pr, err := s.store.DistrictPrefs(r.Context())
	if err != nil {
		return nil, respond.Internal("reading the district", err)
	}
	d := obj("@expansions", "", "uuid", pr.Str("districtuuid"), "name", pr.Str("districtname"), "district_number", pr.Str("districtnumber"),
		"addresses", nonEmpty(obj("physical", nonEmpty(obj("street", pr.Str("districtaddress"), "city", pr.Str("districtcity"),
			"state_province", pr.Str("districtstate"), "postal_code", pr.Str("districtzip"))))),
		"phones", nonEmpty(obj("main", nonEmpty(obj("number", pr.Str("districtphone"))), "fax", nonEmpty(obj("number", pr.Str("districtfax"))))))
	if m, ok := d.(map[string]any); ok {
		m["@expansions"] = ""
	}
	return map[string]any{"district": d}, nil
}

var schoolExpansions = expansionList("school_boundary", "full_time_equivalencies", "school_fees_setup")

// The district school list and count leave out the "Graduated Students"
// school (reference §3.1): store.Schools and store.CountSchools do.

func (s *Server) countSchools(r *http.Request) (any, error) {
	n, err := s.store.CountSchools(r.Context())
	if err != nil {
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
	rows, err := s.store.Schools(r.Context(), page.storePage())
	if err != nil {
		return nil, respond.Internal("reading schools", err)
	}
	return envelope("schools", "school", schoolExpansions, "", renderSchools(rows, page)), nil
}

func (s *Server) getSchool(r *http.Request) (any, error) {
	page, err := parsePage(r, 1, schoolExpansions)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	id, ok := pathID(r, "id")
	var recs []map[string]any
	if ok {
		var sch row
		var found bool
		sch, found, err = s.store.School(r.Context(), id)
		if found {
			recs = renderSchools([]row{sch}, page)
		}
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

// renderSchools renders SCHOOLS rows as /ws/v1 school records.
func renderSchools(rows []row, page listPage) []map[string]any {
	out := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		var principal any
		if name, _ := r.Str("PRINCIPAL").(string); name != "" {
			first, last, _ := strings.Cut(name, " ")
			principal = obj("email", r.Str("PRINCIPALEMAIL"), "name", obj("first_name", first, "last_name", last))
		}
		m, _ := obj("id", r.Num("DCID"), "name", r.Str("NAME"), "school_number", r.Num("SCHOOL_NUMBER"),
			"low_grade", r.Num("LOW_GRADE"), "high_grade", r.Num("HIGH_GRADE"), "alternate_school_number", r.Num("ALTERNATE_SCHOOL_NUMBER"),
			"addresses", nonEmpty(obj("physical", nonEmpty(obj("street", r.Str("SCHOOLADDRESS"), "city", r.Str("SCHOOLCITY"),
				"state_province", r.Str("SCHOOLSTATE"), "postal_code", r.Str("SCHOOLZIP"))))),
			"phones", nonEmpty(obj("main", nonEmpty(obj("number", r.Str("SCHOOLPHONE"))))),
			"principal", principal).(map[string]any)
		if page.expansions["full_time_equivalencies"] {
			m["full_time_equivalencies"] = obj("full_time_equivalency", obj("fteid", 1000+r.Int("DCID"), "name", "FTE Value: 1"))
		}
		if page.expansions["school_boundary"] {
			m["school_boundary"] = ""
		}
		if page.expansions["school_fees_setup"] {
			m["school_fees_setup"] = ""
		}
		out = append(out, m)
	}
	return out
}
