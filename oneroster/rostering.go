package oneroster

import (
	"context"
	"iter"
)

// Rostering reads. Collections take *ListOptions (nil for defaults); single
// reads take an optional list of fields to return. Wrapper keys follow the
// 1.1 binding: schools are orgs; terms and grading periods are
// academicSessions; students and teachers are users.

// ListOrgs reads /orgs.
func (c *Client) ListOrgs(ctx context.Context, opts *ListOptions) iter.Seq2[Org, error] {
	return list[Org](ctx, c, "/orgs", "orgs", opts)
}

// GetOrg reads /orgs/{id}.
func (c *Client) GetOrg(ctx context.Context, id string, fields ...string) (Org, error) {
	return getOne[Org](ctx, c, "/orgs/"+esc(id), "org", fields)
}

// ListSchools reads /schools.
func (c *Client) ListSchools(ctx context.Context, opts *ListOptions) iter.Seq2[Org, error] {
	return list[Org](ctx, c, "/schools", "orgs", opts)
}

// GetSchool reads /schools/{id}.
func (c *Client) GetSchool(ctx context.Context, id string, fields ...string) (Org, error) {
	return getOne[Org](ctx, c, "/schools/"+esc(id), "org", fields)
}

// ListAcademicSessions reads /academicSessions.
func (c *Client) ListAcademicSessions(ctx context.Context, opts *ListOptions) iter.Seq2[AcademicSession, error] {
	return list[AcademicSession](ctx, c, "/academicSessions", "academicSessions", opts)
}

// GetAcademicSession reads /academicSessions/{id}.
func (c *Client) GetAcademicSession(ctx context.Context, id string, fields ...string) (AcademicSession, error) {
	return getOne[AcademicSession](ctx, c, "/academicSessions/"+esc(id), "academicSession", fields)
}

// ListTerms reads /terms.
func (c *Client) ListTerms(ctx context.Context, opts *ListOptions) iter.Seq2[AcademicSession, error] {
	return list[AcademicSession](ctx, c, "/terms", "academicSessions", opts)
}

// GetTerm reads /terms/{id}.
func (c *Client) GetTerm(ctx context.Context, id string, fields ...string) (AcademicSession, error) {
	return getOne[AcademicSession](ctx, c, "/terms/"+esc(id), "academicSession", fields)
}

// ListGradingPeriods reads /gradingPeriods.
func (c *Client) ListGradingPeriods(ctx context.Context, opts *ListOptions) iter.Seq2[AcademicSession, error] {
	return list[AcademicSession](ctx, c, "/gradingPeriods", "academicSessions", opts)
}

// GetGradingPeriod reads /gradingPeriods/{id}.
func (c *Client) GetGradingPeriod(ctx context.Context, id string, fields ...string) (AcademicSession, error) {
	return getOne[AcademicSession](ctx, c, "/gradingPeriods/"+esc(id), "academicSession", fields)
}

// ListCourses reads /courses.
func (c *Client) ListCourses(ctx context.Context, opts *ListOptions) iter.Seq2[Course, error] {
	return list[Course](ctx, c, "/courses", "courses", opts)
}

// GetCourse reads /courses/{id}.
func (c *Client) GetCourse(ctx context.Context, id string, fields ...string) (Course, error) {
	return getOne[Course](ctx, c, "/courses/"+esc(id), "course", fields)
}

// ListClasses reads /classes.
func (c *Client) ListClasses(ctx context.Context, opts *ListOptions) iter.Seq2[Class, error] {
	return list[Class](ctx, c, "/classes", "classes", opts)
}

// GetClass reads /classes/{id}.
func (c *Client) GetClass(ctx context.Context, id string, fields ...string) (Class, error) {
	return getOne[Class](ctx, c, "/classes/"+esc(id), "class", fields)
}

// ListUsers reads /users.
func (c *Client) ListUsers(ctx context.Context, opts *ListOptions) iter.Seq2[User, error] {
	return list[User](ctx, c, "/users", "users", opts)
}

// GetUser reads /users/{id}.
func (c *Client) GetUser(ctx context.Context, id string, fields ...string) (User, error) {
	return getOne[User](ctx, c, "/users/"+esc(id), "user", fields)
}

// ListStudents reads /students.
func (c *Client) ListStudents(ctx context.Context, opts *ListOptions) iter.Seq2[User, error] {
	return list[User](ctx, c, "/students", "users", opts)
}

// GetStudent reads /students/{id}.
func (c *Client) GetStudent(ctx context.Context, id string, fields ...string) (User, error) {
	return getOne[User](ctx, c, "/students/"+esc(id), "user", fields)
}

// ListTeachers reads /teachers.
func (c *Client) ListTeachers(ctx context.Context, opts *ListOptions) iter.Seq2[User, error] {
	return list[User](ctx, c, "/teachers", "users", opts)
}

// GetTeacher reads /teachers/{id}.
func (c *Client) GetTeacher(ctx context.Context, id string, fields ...string) (User, error) {
	return getOne[User](ctx, c, "/teachers/"+esc(id), "user", fields)
}

// ListEnrollments reads /enrollments.
func (c *Client) ListEnrollments(ctx context.Context, opts *ListOptions) iter.Seq2[Enrollment, error] {
	return list[Enrollment](ctx, c, "/enrollments", "enrollments", opts)
}

// GetEnrollment reads /enrollments/{id}.
func (c *Client) GetEnrollment(ctx context.Context, id string, fields ...string) (Enrollment, error) {
	return getOne[Enrollment](ctx, c, "/enrollments/"+esc(id), "enrollment", fields)
}

// ListClassStudents reads /classes/{classID}/students.
func (c *Client) ListClassStudents(ctx context.Context, classID string, opts *ListOptions) iter.Seq2[User, error] {
	return list[User](ctx, c, "/classes/"+esc(classID)+"/students", "users", opts)
}

// ListClassTeachers reads /classes/{classID}/teachers.
func (c *Client) ListClassTeachers(ctx context.Context, classID string, opts *ListOptions) iter.Seq2[User, error] {
	return list[User](ctx, c, "/classes/"+esc(classID)+"/teachers", "users", opts)
}

// ListSchoolClasses reads /schools/{schoolID}/classes.
func (c *Client) ListSchoolClasses(ctx context.Context, schoolID string, opts *ListOptions) iter.Seq2[Class, error] {
	return list[Class](ctx, c, "/schools/"+esc(schoolID)+"/classes", "classes", opts)
}

// ListSchoolTerms reads /schools/{schoolID}/terms.
func (c *Client) ListSchoolTerms(ctx context.Context, schoolID string, opts *ListOptions) iter.Seq2[AcademicSession, error] {
	return list[AcademicSession](ctx, c, "/schools/"+esc(schoolID)+"/terms", "academicSessions", opts)
}

// ListTermGradingPeriods reads /terms/{termID}/gradingPeriods.
func (c *Client) ListTermGradingPeriods(ctx context.Context, termID string, opts *ListOptions) iter.Seq2[AcademicSession, error] {
	return list[AcademicSession](ctx, c, "/terms/"+esc(termID)+"/gradingPeriods", "academicSessions", opts)
}

// ListTermClasses reads /terms/{termID}/classes.
func (c *Client) ListTermClasses(ctx context.Context, termID string, opts *ListOptions) iter.Seq2[Class, error] {
	return list[Class](ctx, c, "/terms/"+esc(termID)+"/classes", "classes", opts)
}

// ListTeacherClasses reads /teachers/{teacherID}/classes.
func (c *Client) ListTeacherClasses(ctx context.Context, teacherID string, opts *ListOptions) iter.Seq2[Class, error] {
	return list[Class](ctx, c, "/teachers/"+esc(teacherID)+"/classes", "classes", opts)
}

// ListStudentClasses reads /students/{studentID}/classes.
func (c *Client) ListStudentClasses(ctx context.Context, studentID string, opts *ListOptions) iter.Seq2[Class, error] {
	return list[Class](ctx, c, "/students/"+esc(studentID)+"/classes", "classes", opts)
}
