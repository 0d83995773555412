package powerschool

import (
	"context"
	"iter"
	"strconv"
)

// Section is a /ws/v1 section.
type Section struct {
	ID                 FlexInt    `json:"id"` // SECTIONS.DCID
	CourseID           FlexInt    `json:"course_id"`
	SchoolID           FlexInt    `json:"school_id"`
	StaffID            FlexInt    `json:"staff_id"`
	TermID             FlexInt    `json:"term_id"`
	SectionNumber      FlexString `json:"section_number,omitempty"`
	Expression         string     `json:"expression,omitempty"`
	ExternalExpression string     `json:"external_expression,omitempty"`
	GradebookType      FlexString `json:"gradebooktype,omitempty"`
	Record
}

// SectionEnrollment is a /ws/v1 section enrollment (a CC record).
type SectionEnrollment struct {
	ID        FlexInt  `json:"id"` // CC.DCID
	SectionID FlexInt  `json:"section_id"`
	StudentID FlexInt  `json:"student_id"`
	EntryDate string   `json:"entry_date,omitempty"`
	ExitDate  string   `json:"exit_date,omitempty"`
	Dropped   FlexBool `json:"dropped"`
	Record
}

// SectionsService covers /ws/v1 sections.
type SectionsService struct{ c *Client }

func schoolSections(schoolID int64) resource {
	return schoolScoped(schoolID, "section", "sections", func(m *Metadata) FlexInt { return m.SectionMaxPageSize })
}

// List iterates over one school's sections.
func (s *SectionsService) List(ctx context.Context, schoolID int64, opts *ListOptions) iter.Seq2[Section, error] {
	return list[Section](ctx, s.c, schoolSections(schoolID), opts)
}

// Count counts one school's sections.
func (s *SectionsService) Count(ctx context.Context, schoolID int64, opts *ListOptions) (int, error) {
	return s.c.count(ctx, schoolSections(schoolID).path+"/count", opts.query(false))
}

// Get fetches one section by ID.
func (s *SectionsService) Get(ctx context.Context, id int64, opts *GetOptions) (*Section, error) {
	return getOne[Section](ctx, s.c, "/ws/v1/section/"+strconv.FormatInt(id, 10), "section", opts.query())
}

// SectionEnrollmentsService covers /ws/v1 section enrollments.
type SectionEnrollmentsService struct{ c *Client }

// sectionEnrollments assumes the usual envelope; a bare array under
// "section_enrollments" (as the Swagger docs show) is read too.
func sectionEnrollments(sectionID int64) resource {
	return resource{path: "/ws/v1/section/" + strconv.FormatInt(sectionID, 10) + "/section_enrollment",
		plural: "section_enrollments", singular: "section_enrollment",
		maxPage: func(m *Metadata) FlexInt { return m.SectionEnrollmentMaxPageSize }}
}

// List iterates over one section's enrollments.
func (s *SectionEnrollmentsService) List(ctx context.Context, sectionID int64, opts *ListOptions) iter.Seq2[SectionEnrollment, error] {
	return list[SectionEnrollment](ctx, s.c, sectionEnrollments(sectionID), opts)
}

// Count counts one section's enrollments.
func (s *SectionEnrollmentsService) Count(ctx context.Context, sectionID int64, opts *ListOptions) (int, error) {
	return s.c.count(ctx, sectionEnrollments(sectionID).path+"/count", opts.query(false))
}

// Get fetches one section enrollment by ID (CC.DCID).
func (s *SectionEnrollmentsService) Get(ctx context.Context, id int64) (*SectionEnrollment, error) {
	return getOne[SectionEnrollment](ctx, s.c, "/ws/v1/section_enrollment/"+strconv.FormatInt(id, 10), "section_enrollment", nil)
}
