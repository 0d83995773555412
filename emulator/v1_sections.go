package emulator

import (
	"fmt"
	"net/http"

	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/store"
)

// Sections, section enrollments, courses and terms.
func (s *Server) v1SectionRoutes() {
	s.mux.HandleFunc("GET /ws/v1/school/{id}/section", s.v1(s.ws.Handle(s.listSchoolPart(sectionPart))))
	s.mux.HandleFunc("GET /ws/v1/school/{id}/section/count", s.v1(s.ws.Handle(s.countSchoolPart(sectionPart))))
	s.mux.HandleFunc("GET /ws/v1/school/{id}/course", s.v1(s.ws.Handle(s.listSchoolPart(coursePart))))
	s.mux.HandleFunc("GET /ws/v1/school/{id}/course/count", s.v1(s.ws.Handle(s.countSchoolPart(coursePart))))
	s.mux.HandleFunc("GET /ws/v1/school/{id}/term", s.v1(s.ws.Handle(s.listSchoolPart(termPart))))
	s.mux.HandleFunc("GET /ws/v1/school/{id}/term/count", s.v1(s.ws.Handle(s.countSchoolPart(termPart))))
	s.mux.HandleFunc("GET /ws/v1/section/{id}", s.v1(s.ws.Handle(s.getOne(sectionPart))))
	s.mux.HandleFunc("GET /ws/v1/course/{id}", s.v1(s.ws.Handle(s.getOne(coursePart))))
	s.mux.HandleFunc("GET /ws/v1/term/{id}", s.v1(s.ws.Handle(s.getOne(termPart))))
	s.mux.HandleFunc("GET /ws/v1/section/{id}/section_enrollment", s.v1(s.ws.Handle(s.listEnrollments)))
	s.mux.HandleFunc("GET /ws/v1/section/{id}/section_enrollment/count", s.v1(s.ws.Handle(s.countEnrollments)))
	s.mux.HandleFunc("GET /ws/v1/section_enrollment/{id}", s.v1(s.ws.Handle(s.getOne(enrollmentPart))))
}

// schoolPart describes a per-school resource: its read in the store, and
// its rendering.
type schoolPart struct {
	singular, plural, expansions string
	list                         store.SchoolList
	maxSize                      func(PageSizes) int
	render                       func(r row, page listPage) map[string]any
}

var sectionPart = schoolPart{
	singular: "section", plural: "sections", expansions: expansionList("term", "user-defined"),
	list:    store.Sections,
	maxSize: func(p PageSizes) int { return p.Section },
	render: func(r row, page listPage) map[string]any {
		m := obj("id", r.Num("DCID"), "school_id", r.Num("SCHOOL_DCID"), "course_id", r.Num("COURSE_DCID"), "term_id", r.Num("TERM_DCID"),
			"staff_id", r.Num("STAFF_DCID"), "section_number", r.Str("SECTION_NUMBER"), "expression", r.Str("EXPRESSION"),
			"external_expression", r.Str("EXTERNAL_EXPRESSION"), "gradebooktype", r.Num("GRADEBOOKTYPE")).(map[string]any)
		if page.expansions["term"] {
			m["term"] = termObject(r, "TERM_DCID", "SCHOOL_DCID", "TERM_NAME")
		}
		if page.expansions["user-defined"] {
			m["user-defined"] = ""
		}
		return m
	},
}

func termObject(r row, idCol, schoolCol, nameCol string) map[string]any {
	var startYear any
	if y, ok := r.Num("YEARID").(int64); ok {
		startYear = y + 1990
	}
	m, _ := obj("id", r.Num(idCol), "school_id", r.Num(schoolCol), "start_year", startYear, "portion", r.Num("PORTION"),
		"start_date", r.Str("FIRSTDAY"), "end_date", r.Str("LASTDAY"), "abbreviation", r.Str("ABBREVIATION"), "name", r.Str(nameCol)).(map[string]any)
	return m
}

var coursePart = schoolPart{
	singular: "course", plural: "courses",
	list:    store.Courses,
	maxSize: func(p PageSizes) int { return p.Course },
	render: func(r row, _ listPage) map[string]any {
		m, _ := obj("id", r.Num("DCID"), "course_number", r.Str("COURSE_NUMBER"), "course_name", r.Str("COURSE_NAME")).(map[string]any)
		return m
	},
}

var termPart = schoolPart{
	singular: "term", plural: "terms",
	list:    store.Terms,
	maxSize: func(p PageSizes) int { return p.Term },
	render: func(r row, _ listPage) map[string]any {
		return termObject(r, "DCID", "SCHOOL_DCID", "NAME")
	},
}

// enrollmentPart is a CC row; a negative SECTIONID marks a dropped class.
var enrollmentPart = schoolPart{
	singular: "section_enrollment", plural: "section_enrollments",
	list: store.Enrollments,
	maxSize: func(p PageSizes) int {
		return p.SectionEnrollment
	},
	render: func(r row, _ listPage) map[string]any {
		m, _ := obj("id", r.Num("DCID"), "section_id", r.Num("SECTION_DCID"), "student_id", r.Num("STUDENT_DCID"),
			"entry_date", r.Str("DATEENROLLED"), "exit_date", r.Str("DATELEFT"), "dropped", r.Int("SECTIONID") < 0).(map[string]any)
		return m
	},
}

func (s *Server) schoolScope(r *http.Request, part schoolPart) (int64, error) {
	if r.URL.Query().Get("q") != "" {
		return 0, fail(http.StatusBadRequest, "q is not supported on "+part.plural+"; q filters students and staff")
	}
	return s.schoolNumber(r)
}

func (s *Server) countSchoolPart(part schoolPart) respond.Func {
	return func(r *http.Request) (any, error) {
		num, err := s.schoolScope(r, part)
		if err != nil {
			return nil, err
		}
		n, err := s.store.CountInSchool(r.Context(), part.list, num)
		if err != nil {
			return nil, respond.Internal("counting "+part.plural, err)
		}
		return countBody(n), nil
	}
}

func (s *Server) listSchoolPart(part schoolPart) respond.Func {
	return func(r *http.Request) (any, error) {
		c, _ := callerFrom(r.Context())
		page, err := parsePage(r, part.maxSize(c.PageSizes), part.expansions)
		if err != nil {
			return nil, fail(http.StatusBadRequest, err.Error())
		}
		num, err := s.schoolScope(r, part)
		if err != nil {
			return nil, err
		}
		rows, err := s.store.InSchool(r.Context(), part.list, num, store.Page{Offset: page.offset(), Limit: page.size})
		if err != nil {
			return nil, respond.Internal("reading "+part.plural, err)
		}
		return envelope(part.plural, part.singular, part.expansions, "", part.renderAll(rows, page)), nil
	}
}

func (part schoolPart) renderAll(rows []row, page listPage) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = part.render(r, page)
	}
	return out
}

func (s *Server) getOne(part schoolPart) respond.Func {
	return func(r *http.Request) (any, error) {
		page, err := parsePage(r, 1, part.expansions)
		if err != nil {
			return nil, fail(http.StatusBadRequest, err.Error())
		}
		id, ok := pathID(r, "id")
		var rec row
		var found bool
		if ok {
			rec, found, err = s.store.ByDCID(r.Context(), part.list, id)
		}
		if err != nil {
			return nil, respond.Internal("reading a "+part.singular, err)
		}
		if !found {
			return nil, fail(http.StatusNotFound, fmt.Sprintf("no %s with id %s", part.singular, r.PathValue("id")))
		}
		one := part.render(rec, page)
		if part.expansions != "" {
			one["@expansions"] = part.expansions
		}
		return map[string]any{part.singular: one}, nil
	}
}

// sectionID resolves a section's DCID to SECTIONS.ID, which CC refers to.
func (s *Server) sectionID(r *http.Request) (int64, error) {
	id, ok := pathID(r, "id")
	var sid int64
	var found bool
	var err error
	if ok {
		sid, found, err = s.store.SectionID(r.Context(), id)
	}
	if err != nil {
		return 0, respond.Internal("reading a section", err)
	}
	if !found {
		return 0, fail(http.StatusNotFound, "no section with id "+r.PathValue("id")+" (ids are SECTIONS.DCID)")
	}
	return sid, nil
}

func (s *Server) countEnrollments(r *http.Request) (any, error) {
	sid, err := s.sectionID(r)
	if err != nil {
		return nil, err
	}
	n, err := s.store.CountSectionEnrollments(r.Context(), sid)
	if err != nil {
		return nil, respond.Internal("counting section enrollments", err)
	}
	return countBody(n), nil
}

func (s *Server) listEnrollments(r *http.Request) (any, error) {
	c, _ := callerFrom(r.Context())
	page, err := parsePage(r, c.PageSizes.SectionEnrollment, "")
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	sid, err := s.sectionID(r)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.SectionEnrollments(r.Context(), sid, store.Page{Offset: page.offset(), Limit: page.size})
	if err != nil {
		return nil, respond.Internal("reading section enrollments", err)
	}
	return envelope(enrollmentPart.plural, enrollmentPart.singular, "", "", enrollmentPart.renderAll(rows, page)), nil
}
