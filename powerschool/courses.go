package powerschool

import (
	"context"
	"iter"
	"strconv"
)

// Course is a /ws/v1 course.
type Course struct {
	ID           FlexInt    `json:"id"` // COURSES.DCID
	CourseNumber FlexString `json:"course_number,omitempty"`
	CourseName   string     `json:"course_name,omitempty"`
	Record
}

// Term is a /ws/v1 term.
type Term struct {
	ID           FlexInt `json:"id"` // TERMS.DCID
	SchoolID     FlexInt `json:"school_id"`
	StartYear    FlexInt `json:"start_year"`
	Portion      FlexInt `json:"portion"`
	StartDate    string  `json:"start_date,omitempty"`
	EndDate      string  `json:"end_date,omitempty"`
	Abbreviation string  `json:"abbreviation,omitempty"`
	Name         string  `json:"name,omitempty"`
	Record
}

// CoursesService covers /ws/v1 courses.
type CoursesService struct{ c *Client }

func schoolCourses(schoolID int64) resource {
	return schoolScoped(schoolID, "course", "courses", func(m *Metadata) FlexInt { return m.CourseMaxPageSize })
}

// List iterates over one school's courses.
func (s *CoursesService) List(ctx context.Context, schoolID int64, opts *ListOptions) iter.Seq2[Course, error] {
	return list[Course](ctx, s.c, schoolCourses(schoolID), opts)
}

// Count counts one school's courses.
func (s *CoursesService) Count(ctx context.Context, schoolID int64, opts *ListOptions) (int, error) {
	return s.c.count(ctx, schoolCourses(schoolID).path+"/count", opts.query(false))
}

// Get fetches one course by ID.
func (s *CoursesService) Get(ctx context.Context, id int64) (*Course, error) {
	return getOne[Course](ctx, s.c, "/ws/v1/course/"+strconv.FormatInt(id, 10), "course", nil)
}

// TermsService covers /ws/v1 terms.
type TermsService struct{ c *Client }

func schoolTerms(schoolID int64) resource {
	return schoolScoped(schoolID, "term", "terms", func(m *Metadata) FlexInt { return m.TermMaxPageSize })
}

// List iterates over one school's terms.
func (s *TermsService) List(ctx context.Context, schoolID int64, opts *ListOptions) iter.Seq2[Term, error] {
	return list[Term](ctx, s.c, schoolTerms(schoolID), opts)
}

// Count counts one school's terms.
func (s *TermsService) Count(ctx context.Context, schoolID int64, opts *ListOptions) (int, error) {
	return s.c.count(ctx, schoolTerms(schoolID).path+"/count", opts.query(false))
}

// Get fetches one term by ID.
func (s *TermsService) Get(ctx context.Context, id int64) (*Term, error) {
	return getOne[Term](ctx, s.c, "/ws/v1/term/"+strconv.FormatInt(id, 10), "term", nil)
}
