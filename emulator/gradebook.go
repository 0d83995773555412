package emulator

import (
	"context"
	"net/http"
)

// oneRosterPageCap is the calling plugin's maximum page size, which caps
// OneRoster's limit (PowerSchool's plugin "Maximum Page Size").
func oneRosterPageCap(r *http.Request) int {
	c, ok := callerFrom(r.Context())
	if !ok {
		return 0
	}
	return c.PageSizes.Student
}

// FailNextScoreWrites makes the next n PUT /ws/xte/score requests answer
// 412 {"message":"Resubmit"} without writing, as PowerTeacher Pro does
// under concurrent edits; n <= 0 clears it.
func (s *Server) FailNextScoreWrites(n int) { s.gradebook.FailNextScoreWrites(n) }

// SectionTeacher returns the USERS.DCID of the teacher of a section
// (SECTIONS.DCID): the users_dcid /ws/xte calls for it must pass.
func (s *Server) SectionTeacher(ctx context.Context, sectionDCID int64) (int64, error) {
	return s.gradebook.SectionTeacher(ctx, sectionDCID)
}
