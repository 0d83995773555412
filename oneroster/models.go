package oneroster

import "encoding/json"

// Record types follow the OneRoster 1.1 JSON binding (§1.5 of the project's
// reference). Optional values use omitzero so a PUT sends only what the
// caller set. Every decoded record keeps its raw JSON (Raw) so vendor fields
// and metadata stay reachable.

// Base holds the fields every OneRoster entity has.
type Base struct {
	SourcedID        string         `json:"sourcedId"`
	Status           string         `json:"status,omitempty"` // "active" or "tobedeleted"
	DateLastModified DateTime       `json:"dateLastModified,omitzero"`
	Metadata         map[string]any `json:"metadata,omitempty"`

	raw json.RawMessage
}

// Raw returns the record exactly as the provider sent it, or nil for a record
// built by the caller.
func (b *Base) Raw() json.RawMessage { return b.raw }

func (b *Base) setRaw(raw json.RawMessage) { b.raw = raw }

// Record status values.
const (
	StatusActive      = "active"
	StatusToBeDeleted = "tobedeleted"
)

// GUIDRef points at another record. Providers send href and type; on PUT
// only sourcedId is needed.
type GUIDRef struct {
	Href      string `json:"href,omitempty"`
	SourcedID string `json:"sourcedId"`
	Type      string `json:"type,omitempty"`
}

// Ref returns a GUIDRef holding only sourcedID.
func Ref(sourcedID string) GUIDRef { return GUIDRef{SourcedID: sourcedID} }

// UserID is one of a user's identifiers in another system.
type UserID struct {
	Type       string `json:"type"`
	Identifier string `json:"identifier"`
}

// User is a person: student, teacher, guardian and so on.
type User struct {
	Base
	Username    string    `json:"username,omitempty"`
	UserIDs     []UserID  `json:"userIds,omitempty"`
	EnabledUser Bool      `json:"enabledUser,omitempty"`
	GivenName   string    `json:"givenName,omitempty"`
	FamilyName  string    `json:"familyName,omitempty"`
	MiddleName  string    `json:"middleName,omitempty"`
	Role        string    `json:"role,omitempty"`
	Identifier  Text      `json:"identifier,omitempty"`
	Email       string    `json:"email,omitempty"`
	SMS         string    `json:"sms,omitempty"`
	Phone       string    `json:"phone,omitempty"`
	Agents      []GUIDRef `json:"agents,omitempty"`
	Orgs        []GUIDRef `json:"orgs,omitempty"`
	Grades      Strings   `json:"grades,omitempty"`
}

// Class is a section: a course taught to a group of students in a term.
type Class struct {
	Base
	Title        string    `json:"title,omitempty"`
	ClassCode    string    `json:"classCode,omitempty"`
	ClassType    string    `json:"classType,omitempty"` // "homeroom" or "scheduled"
	Location     string    `json:"location,omitempty"`
	Grades       Strings   `json:"grades,omitempty"`
	Subjects     Strings   `json:"subjects,omitempty"`
	Course       GUIDRef   `json:"course,omitzero"`
	School       GUIDRef   `json:"school,omitzero"`
	Terms        []GUIDRef `json:"terms,omitempty"`
	SubjectCodes Strings   `json:"subjectCodes,omitempty"`
	Periods      Strings   `json:"periods,omitempty"`
	Resources    []GUIDRef `json:"resources,omitempty"`
}

// Org is a district, school, department and so on.
type Org struct {
	Base
	Name       string    `json:"name,omitempty"`
	Type       string    `json:"type,omitempty"`
	Identifier Text      `json:"identifier,omitempty"`
	Parent     GUIDRef   `json:"parent,omitzero"`
	Children   []GUIDRef `json:"children,omitempty"`
}

// AcademicSession is a school year, semester, term or grading period.
type AcademicSession struct {
	Base
	Title      string    `json:"title,omitempty"`
	StartDate  Date      `json:"startDate,omitzero"`
	EndDate    Date      `json:"endDate,omitzero"`
	Type       string    `json:"type,omitempty"` // gradingPeriod, semester, schoolYear, term
	Parent     GUIDRef   `json:"parent,omitzero"`
	Children   []GUIDRef `json:"children,omitempty"`
	SchoolYear Text      `json:"schoolYear,omitempty"`
}

// Course is what a class teaches.
type Course struct {
	Base
	Title        string    `json:"title,omitempty"`
	SchoolYear   GUIDRef   `json:"schoolYear,omitzero"`
	CourseCode   string    `json:"courseCode,omitempty"`
	Grades       Strings   `json:"grades,omitempty"`
	Subjects     Strings   `json:"subjects,omitempty"`
	Org          GUIDRef   `json:"org,omitzero"`
	SubjectCodes Strings   `json:"subjectCodes,omitempty"`
	Resources    []GUIDRef `json:"resources,omitempty"`
}

// Enrollment ties a user to a class in a role.
type Enrollment struct {
	Base
	User      GUIDRef `json:"user,omitzero"`
	Class     GUIDRef `json:"class,omitzero"`
	School    GUIDRef `json:"school,omitzero"`
	Role      string  `json:"role,omitempty"`
	Primary   Bool    `json:"primary,omitempty"`
	BeginDate Date    `json:"beginDate,omitzero"`
	EndDate   Date    `json:"endDate,omitzero"`
}

// Category groups line items (Classwork, Test...).
type Category struct {
	Base
	Title string `json:"title"`
}

// LineItem is a gradebook column: an assignment.
type LineItem struct {
	Base
	Title          string   `json:"title"`
	Description    string   `json:"description,omitempty"`
	AssignDate     DateTime `json:"assignDate,omitzero"`
	DueDate        DateTime `json:"dueDate,omitzero"`
	Class          GUIDRef  `json:"class,omitzero"`
	Category       GUIDRef  `json:"category,omitzero"`
	GradingPeriod  GUIDRef  `json:"gradingPeriod,omitzero"`
	ResultValueMin Number   `json:"resultValueMin"`
	ResultValueMax Number   `json:"resultValueMax"`
}

// Result is one student's score on one line item.
type Result struct {
	Base
	LineItem    GUIDRef `json:"lineItem,omitzero"`
	Student     GUIDRef `json:"student,omitzero"`
	ScoreStatus string  `json:"scoreStatus"`
	Score       Number  `json:"score"`
	ScoreDate   Date    `json:"scoreDate,omitzero"`
	Comment     string  `json:"comment,omitempty"`
}

// Score status values of the 1.1 binding. They contain spaces.
const (
	ScoreExempt          = "exempt"
	ScoreFullyGraded     = "fully graded"
	ScoreNotSubmitted    = "not submitted"
	ScorePartiallyGraded = "partially graded"
	ScoreSubmitted       = "submitted"
)
