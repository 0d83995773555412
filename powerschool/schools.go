package powerschool

import (
	"context"
	"iter"
	"strconv"
)

// School is a /ws/v1 school.
type School struct {
	ID              FlexInt    `json:"id"` // SCHOOLS.DCID
	Name            string     `json:"name,omitempty"`
	SchoolNumber    FlexInt    `json:"school_number,omitempty"`
	StateProvinceID FlexString `json:"state_province_id,omitempty"`
	LowGrade        FlexInt    `json:"low_grade"`
	HighGrade       FlexInt    `json:"high_grade"`
	Addresses       *Addresses `json:"addresses,omitempty"`
	Record
}

// SchoolsService covers /ws/v1 schools.
type SchoolsService struct{ c *Client }

func districtSchools() resource {
	return resource{path: "/ws/v1/district/school", plural: "schools", singular: "school",
		maxPage: func(m *Metadata) FlexInt { return m.SchoolMaxPageSize }}
}

// List iterates over the district's schools (PowerSchool leaves out the
// "Graduated Students" school).
func (s *SchoolsService) List(ctx context.Context, opts *ListOptions) iter.Seq2[School, error] {
	return list[School](ctx, s.c, districtSchools(), opts)
}

// Count counts the district's schools.
func (s *SchoolsService) Count(ctx context.Context, opts *ListOptions) (int, error) {
	return s.c.count(ctx, districtSchools().path+"/count", opts.query(false))
}

// Get fetches one school by ID.
func (s *SchoolsService) Get(ctx context.Context, id int64, opts *GetOptions) (*School, error) {
	return getOne[School](ctx, s.c, "/ws/v1/school/"+strconv.FormatInt(id, 10), "school", opts.query())
}

// schoolScoped is a list under /ws/v1/school/{id}/<name>.
func schoolScoped(schoolID int64, name, plural string, max func(*Metadata) FlexInt) resource {
	return resource{path: "/ws/v1/school/" + strconv.FormatInt(schoolID, 10) + "/" + name, plural: plural, singular: name, maxPage: max}
}
