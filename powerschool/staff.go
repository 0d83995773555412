package powerschool

import (
	"context"
	"iter"
	"strconv"
)

// Staff is a /ws/v1 staff member.
type Staff struct {
	ID                 FlexInt             `json:"id"` // TEACHERS.DCID
	LocalID            FlexString          `json:"local_id,omitempty"`
	AdminUsername      FlexString          `json:"admin_username,omitempty"`
	TeacherUsername    FlexString          `json:"teacher_username,omitempty"`
	Name               Name                `json:"name"`
	UsersDCID          FlexInt             `json:"users_dcid,omitempty"`
	Addresses          *Addresses          `json:"addresses,omitempty"`
	SchoolAffiliations *SchoolAffiliations `json:"school_affiliations,omitempty"`
	Record
}

// SchoolAffiliations lists the schools a staff member belongs to.
type SchoolAffiliations struct {
	SchoolAffiliation List[SchoolAffiliation] `json:"school_affiliation"`
}

func (s *SchoolAffiliations) UnmarshalJSON(b []byte) error {
	type plain SchoolAffiliations
	return unmarshalBlock(b, (*plain)(s))
}

// SchoolAffiliation is one school of a staff member.
type SchoolAffiliation struct {
	SchoolID FlexInt `json:"school_id"`
	Type     FlexInt `json:"type"`
	Status   FlexInt `json:"status"`
}

// StaffService covers /ws/v1 staff.
type StaffService struct{ c *Client }

func schoolStaff(schoolID int64) resource {
	return schoolScoped(schoolID, "staff", "staffs", func(m *Metadata) FlexInt { return m.StaffMaxPageSize })
}

// List iterates over one school's active staff.
func (s *StaffService) List(ctx context.Context, schoolID int64, opts *ListOptions) iter.Seq2[Staff, error] {
	return list[Staff](ctx, s.c, schoolStaff(schoolID), opts)
}

// Count counts one school's active staff.
func (s *StaffService) Count(ctx context.Context, schoolID int64, opts *ListOptions) (int, error) {
	return s.c.count(ctx, schoolStaff(schoolID).path+"/count", opts.query(false))
}

// Get fetches one staff member by ID.
func (s *StaffService) Get(ctx context.Context, id int64, opts *GetOptions) (*Staff, error) {
	return getOne[Staff](ctx, s.c, "/ws/v1/staff/"+strconv.FormatInt(id, 10), "staff", opts.query())
}
