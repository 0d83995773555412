package powerschool

import (
	"context"
	"iter"
	"strconv"
)

// Student is a /ws/v1 student. Without expansions only ID, LocalID,
// StudentUsername and Name are filled.
type Student struct {
	ID                FlexInt            `json:"id"` // STUDENTS.DCID
	LocalID           FlexInt            `json:"local_id,omitempty"`
	StudentUsername   FlexString         `json:"student_username,omitempty"`
	StateProvinceID   FlexString         `json:"state_province_id,omitempty"`
	Name              Name               `json:"name"`
	Demographics      *Demographics      `json:"demographics,omitempty"`
	Addresses         *Addresses         `json:"addresses,omitempty"`
	SchoolEnrollment  *SchoolEnrollment  `json:"school_enrollment,omitempty"`
	EthnicityRace     *EthnicityRace     `json:"ethnicity_race,omitempty"`
	ContactInfo       *ContactInfo       `json:"contact_info,omitempty"`
	InitialEnrollment *InitialEnrollment `json:"initial_enrollment,omitempty"`
	Extensions        *ExtensionData     `json:"_extension_data,omitempty"`
	Record
}

// Demographics is the student "demographics" expansion.
type Demographics struct {
	Gender                  string  `json:"gender,omitempty"`
	BirthDate               string  `json:"birth_date,omitempty"` // YYYY-MM-DD
	DistrictEntryDate       string  `json:"district_entry_date,omitempty"`
	ProjectedGraduationYear FlexInt `json:"projected_graduation_year,omitempty"`
}

func (d *Demographics) UnmarshalJSON(b []byte) error {
	type plain Demographics
	return unmarshalBlock(b, (*plain)(d))
}

// SchoolEnrollment is the student "school_enrollment" expansion.
type SchoolEnrollment struct {
	EnrollStatus            string               `json:"enroll_status,omitempty"` // A, P, T, G, H, I
	EnrollStatusDescription string               `json:"enroll_status_description,omitempty"`
	EnrollStatusCode        FlexInt              `json:"enroll_status_code"`
	GradeLevel              FlexInt              `json:"grade_level"`
	EntryDate               string               `json:"entry_date,omitempty"`
	ExitDate                string               `json:"exit_date,omitempty"`
	SchoolNumber            FlexInt              `json:"school_number,omitempty"`
	SchoolID                FlexInt              `json:"school_id,omitempty"`
	EntryCode               string               `json:"entry_code,omitempty"`
	EntryComment            string               `json:"entry_comment,omitempty"`
	ExitCode                string               `json:"exit_code,omitempty"`
	ExitComment             string               `json:"exit_comment,omitempty"`
	FullTimeEquivalency     *FullTimeEquivalency `json:"full_time_equivalency,omitempty"`
}

func (s *SchoolEnrollment) UnmarshalJSON(b []byte) error {
	type plain SchoolEnrollment
	return unmarshalBlock(b, (*plain)(s))
}

// FullTimeEquivalency is part of SchoolEnrollment.
type FullTimeEquivalency struct {
	FTEID FlexInt `json:"fteid"`
	Name  string  `json:"name,omitempty"`
}

func (f *FullTimeEquivalency) UnmarshalJSON(b []byte) error {
	type plain FullTimeEquivalency
	return unmarshalBlock(b, (*plain)(f))
}

// EthnicityRace is the student "ethnicity_race" expansion.
type EthnicityRace struct {
	FederalEthnicity FlexString      `json:"federal_ethnicity,omitempty"`
	Races            List[RaceEntry] `json:"races,omitempty"`
}

func (e *EthnicityRace) UnmarshalJSON(b []byte) error {
	type plain EthnicityRace
	return unmarshalBlock(b, (*plain)(e))
}

// RaceEntry is one race code.
type RaceEntry struct {
	DistrictRaceCode FlexString `json:"district_race_code,omitempty"`
}

// ContactInfo is the student "contact_info" expansion.
type ContactInfo struct {
	Email string `json:"email,omitempty"`
}

func (c *ContactInfo) UnmarshalJSON(b []byte) error {
	type plain ContactInfo
	return unmarshalBlock(b, (*plain)(c))
}

// InitialEnrollment is the student "initial_enrollment" expansion.
type InitialEnrollment struct {
	DistrictEntryDate       string  `json:"district_entry_date,omitempty"`
	DistrictEntryGradeLevel FlexInt `json:"district_entry_grade_level"`
	SchoolEntryDate         string  `json:"school_entry_date,omitempty"`
	SchoolEntryGradeLevel   FlexInt `json:"school_entry_grade_level"`
}

func (i *InitialEnrollment) UnmarshalJSON(b []byte) error {
	type plain InitialEnrollment
	return unmarshalBlock(b, (*plain)(i))
}

// StudentsService covers /ws/v1 students.
type StudentsService struct{ c *Client }

func studentMax(m *Metadata) FlexInt { return m.StudentMaxPageSize }

func districtStudents() resource {
	return resource{path: "/ws/v1/district/student", plural: "students", singular: "student", maxPage: studentMax}
}

func schoolStudents(schoolID int64) resource {
	return resource{path: "/ws/v1/school/" + strconv.FormatInt(schoolID, 10) + "/student", plural: "students", singular: "student", maxPage: studentMax}
}

// List iterates over every student in the district matching opts.
func (s *StudentsService) List(ctx context.Context, opts *ListOptions) iter.Seq2[Student, error] {
	return list[Student](ctx, s.c, districtStudents(), opts)
}

// ListBySchool iterates over the students of one school (by school ID).
func (s *StudentsService) ListBySchool(ctx context.Context, schoolID int64, opts *ListOptions) iter.Seq2[Student, error] {
	return list[Student](ctx, s.c, schoolStudents(schoolID), opts)
}

// Count counts the district's students matching opts.Q.
func (s *StudentsService) Count(ctx context.Context, opts *ListOptions) (int, error) {
	return s.c.count(ctx, districtStudents().path+"/count", opts.query(false))
}

// CountBySchool counts one school's students matching opts.Q.
func (s *StudentsService) CountBySchool(ctx context.Context, schoolID int64, opts *ListOptions) (int, error) {
	return s.c.count(ctx, schoolStudents(schoolID).path+"/count", opts.query(false))
}

// Get fetches one student by ID (STUDENTS.DCID).
func (s *StudentsService) Get(ctx context.Context, id int64, opts *GetOptions) (*Student, error) {
	return getOne[Student](ctx, s.c, "/ws/v1/student/"+strconv.FormatInt(id, 10), "student", opts.query())
}
