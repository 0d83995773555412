package gradepush

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	ps "github.com/pskit/pskit/powerschool"
)

// xteApplier writes through PowerTeacher Pro's /ws/xte.
type xteApplier struct{ x *ps.XTEService }

// NewXTE returns an Applier that writes through PowerTeacher Pro's /ws/xte
// API, acting as the plan's teacher (Facts.UsersDCID). Nothing is sent
// twice blindly: after a lost create answer the section is read again and
// an assignment with the title adopted; PutScores re-reads before re-sending
// scores.
func NewXTE(c *ps.Client) Applier { return xteApplier{c.XTE} }

func (a xteApplier) Assignment(ctx context.Context, f *Facts, pa *PlannedAssignment) (string, error) {
	n := ps.NewAssignment{SectionDCID: f.SectionDCID, YearID: f.YearID, Name: pa.Title, Description: pa.Description,
		DueDate: pa.DueDate, Points: pa.Points, CategoryID: pa.CategoryID}
	var err error
	switch pa.Action {
	case Create:
		err = a.create(ctx, f, pa, n)
	case Update:
		err = a.update(ctx, f, pa, n)
	}
	if refused, ok := conflict(err); ok {
		return "the server refused it: " + refused, nil
	}
	return "", err
}

// conflict returns the server's message when err is a 409: the record's
// content was refused.
func conflict(err error) (string, bool) {
	var api *ps.APIError
	if !errors.As(err, &api) || api.StatusCode != http.StatusConflict {
		return "", false
	}
	if api.Message != "" {
		return api.Message, true
	}
	return err.Error(), true
}

func (a xteApplier) create(ctx context.Context, f *Facts, pa *PlannedAssignment, n ps.NewAssignment) error {
	created, err := a.x.CreateAssignment(ctx, f.UsersDCID, n)
	if err != nil && ps.IsAmbiguous(ctx, err) {
		// The assignment may exist now: look before sending it again.
		found, rerr := a.find(ctx, f, pa.Title)
		switch {
		case rerr != nil:
			return fmt.Errorf("%w; re-reading section %d to see whether %q was created also failed: %v", err, f.SectionDCID, pa.Title, rerr)
		case found != nil:
			pa.AssignmentID, pa.AssignmentSectionID = int64(found.ID), int64(found.Section(f.SectionDCID).ID)
			return nil
		}
		created, err = a.x.CreateAssignment(ctx, f.UsersDCID, n)
	}
	if err != nil {
		return fmt.Errorf("creating assignment %q: %w", pa.Title, err)
	}
	pa.AssignmentID = created.AssignmentID
	if len(created.AssignmentSectionIDs) > 0 {
		pa.AssignmentSectionID = created.AssignmentSectionIDs[0]
		return nil
	}
	got, err := a.x.GetAssignment(ctx, f.UsersDCID, created.AssignmentID)
	if err != nil {
		return fmt.Errorf("assignment %q was created (ID %d) but reading it back failed: %w", pa.Title, created.AssignmentID, err)
	}
	s := got.Section(f.SectionDCID)
	if s == nil {
		return fmt.Errorf("assignment %q was created (ID %d) but has no record for section %d", pa.Title, created.AssignmentID, f.SectionDCID)
	}
	pa.AssignmentSectionID = int64(s.ID)
	return nil
}

func (a xteApplier) update(ctx context.Context, f *Facts, pa *PlannedAssignment, n ps.NewAssignment) error {
	_, err := a.x.UpdateAssignment(ctx, f.UsersDCID, pa.AssignmentID, n, false)
	if err != nil && ps.IsAmbiguous(ctx, err) {
		got, rerr := a.x.GetAssignment(ctx, f.UsersDCID, pa.AssignmentID)
		if rerr != nil {
			return fmt.Errorf("%w; re-reading assignment %d also failed: %v", err, pa.AssignmentID, rerr)
		}
		if s := got.Section(f.SectionDCID); s != nil && sameDay(s.DueDate, n.DueDate) && s.TotalPointValue == n.Points && s.PrimaryCategory() == n.CategoryID {
			return nil
		}
		_, err = a.x.UpdateAssignment(ctx, f.UsersDCID, pa.AssignmentID, n, false)
	}
	if err != nil {
		return fmt.Errorf("updating assignment %q: %w", pa.Title, err)
	}
	return nil
}

// find returns the section's assignment titled title, if there is one.
func (a xteApplier) find(ctx context.Context, f *Facts, title string) (*ps.Assignment, error) {
	list, err := a.x.ListAssignments(ctx, f.UsersDCID, f.SectionDCID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if s := list[i].Section(f.SectionDCID); s != nil && strings.TrimSpace(s.Name) == title {
			return &list[i], nil
		}
	}
	return nil, nil
}

// Scores writes the scores with PutScores, which batches them. A batch the
// server refuses (409) rejects its rows, naming the student it blamed, and
// the rows after it are sent on.
func (a xteApplier) Scores(ctx context.Context, f *Facts, pa *PlannedAssignment, scores []*PlannedScore, done func(*PlannedScore, string)) error {
	writes := make([]ps.ScoreWrite, len(scores))
	for i, s := range scores {
		writes[i] = ps.ScoreWrite{AssignmentID: pa.AssignmentID, AssignmentSectionID: pa.AssignmentSectionID,
			SectionDCID: f.SectionDCID, StudentDCID: s.StudentDCID, Score: s.Score, ScoreID: s.ScoreID, TermID: f.TermsID}
	}
	for start := 0; start < len(writes); {
		_, err := a.x.PutScores(ctx, f.UsersDCID, writes[start:])
		if err == nil {
			for _, s := range scores[start:] {
				done(s, "")
			}
			return nil
		}
		var be *ps.ScoreBatchError
		if !errors.As(err, &be) {
			return err // refused before anything was sent
		}
		for _, s := range scores[start : start+be.Offset] {
			done(s, "")
		}
		if !be.Refused() {
			return err
		}
		end := start + be.Offset + len(be.Rows)
		for _, s := range scores[start+be.Offset : end] {
			done(s, batchRefusal(be, s.StudentDCID))
		}
		start = end
	}
	return nil
}

// batchRefusal says why a score of a refused batch was not written.
func batchRefusal(be *ps.ScoreBatchError, studentDCID int64) string {
	msg, _ := conflict(be.Err)
	switch {
	case be.Blames(studentDCID):
		return "the server refused this student (no association with the section; its batch was not written): " + msg
	case len(be.Students) > 0:
		ids := make([]string, len(be.Students))
		for i, id := range be.Students {
			ids[i] = strconv.FormatInt(id, 10)
		}
		return "not written: the server refused its batch because of student(s) with STUDENTS.DCID " + strings.Join(ids, ", ")
	}
	return "the server refused the batch: " + msg
}
