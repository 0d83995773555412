package gradepush

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	or "github.com/pskit/pskit/oneroster"
	ps "github.com/pskit/pskit/powerschool"
)

// LineItemID is the sourcedId a push gives a new line item: derived from
// the section and the title, so pushing again addresses the same record.
func LineItemID(sectionDCID int64, title string) string {
	return "pskit-li-" + digest(strconv.FormatInt(sectionDCID, 10), title)
}

// ResultID is the sourcedId of a new result: derived from the line item
// and the student.
func ResultID(lineItemID string, studentDCID int64) string {
	return "pskit-r-" + digest(lineItemID, strconv.FormatInt(studentDCID, 10))
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// oneRosterApplier writes line items and results. Records that already
// exist (matched by title in the class, and by student in the line item)
// keep their sourcedIds, so nothing is duplicated whichever API created
// them.
type oneRosterApplier struct {
	c     *or.Client
	today func() time.Time
	// lineItems maps the class's line item titles to sourcedIds, read on
	// the first assignment of each plan (facts).
	facts     *Facts
	lineItems map[string]string
	// found holds the titles whose line item existed before the push.
	found map[string]bool
}

// NewOneRoster returns an Applier that writes through a OneRoster 1.1
// provider, mapping class = SECTIONS.DCID, student = STUDENTS.DCID and
// category = TEACHERCATEGORYID, as PowerSchool's provider (and the pskit
// emulator) do. Only changed records are PUT, each once; a 400, 409 or 422
// is reported as a rejected row.
func NewOneRoster(c *or.Client) Applier {
	return &oneRosterApplier{c: c, today: time.Now}
}

func (a *oneRosterApplier) Assignment(ctx context.Context, f *Facts, pa *PlannedAssignment) (string, error) {
	classID := strconv.FormatInt(f.SectionDCID, 10)
	if a.facts != f {
		a.facts, a.lineItems, a.found = f, map[string]string{}, map[string]bool{}
		for li, err := range a.c.ListClassLineItems(ctx, classID, nil) {
			if err != nil {
				return "", fmt.Errorf("reading class %s's line items: %w", classID, err)
			}
			if _, dup := a.lineItems[li.Title]; !dup {
				a.lineItems[li.Title] = li.SourcedID
				a.found[li.Title] = true
			}
		}
	}
	if _, ok := a.lineItems[pa.Title]; !ok {
		a.lineItems[pa.Title] = LineItemID(f.SectionDCID, pa.Title)
	}
	if pa.Action == Unchanged && a.found[pa.Title] {
		return "", nil
	}
	due, _ := ps.ParseDueDate(pa.DueDate)
	li := or.LineItem{Base: or.Base{SourcedID: a.lineItems[pa.Title], Status: or.StatusActive}, Title: pa.Title, Description: pa.Description,
		DueDate: or.NewDateTime(due), AssignDate: or.NewDateTime(due), Class: or.Ref(classID), Category: or.Ref(strconv.FormatInt(pa.CategoryID, 10)),
		ResultValueMin: 0, ResultValueMax: or.Number(pa.Points)}
	if err := or.CheckPowerTeacherPro(li); err != nil {
		return err.Error(), nil
	}
	if _, err := a.c.PutLineItem(ctx, li); err != nil {
		if refused(err) {
			return "the server refused the line item: " + err.Error(), nil
		}
		return "", fmt.Errorf("writing line item %q: %w", pa.Title, err)
	}
	return "", nil
}

func (a *oneRosterApplier) Scores(ctx context.Context, f *Facts, pa *PlannedAssignment, scores []*PlannedScore, done func(*PlannedScore, string)) error {
	classID := strconv.FormatInt(f.SectionDCID, 10)
	liID := a.lineItems[pa.Title]
	results := map[string]string{} // student sourcedId → result sourcedId
	if a.found[pa.Title] {
		for r, err := range a.c.ListLineItemResults(ctx, classID, liID, nil) {
			if err != nil {
				return fmt.Errorf("reading the results of line item %s: %w", liID, err)
			}
			results[r.Student.SourcedID] = r.SourcedID
		}
	}
	today := a.today()
	for _, s := range scores {
		student := strconv.FormatInt(s.StudentDCID, 10)
		rid, ok := results[student]
		if !ok {
			rid = ResultID(liID, s.StudentDCID)
		}
		v, _ := strconv.ParseFloat(s.Score, 64)
		_, err := a.c.PutResult(ctx, or.Result{Base: or.Base{SourcedID: rid, Status: or.StatusActive}, LineItem: or.Ref(liID), Student: or.Ref(student),
			ScoreStatus: or.ScoreFullyGraded, Score: or.Number(v), ScoreDate: or.NewDate(today.Year(), today.Month(), today.Day())})
		switch {
		case err == nil:
			done(s, "")
		case refused(err):
			done(s, "the server refused the result: "+err.Error())
		default:
			return fmt.Errorf("writing the result of student %s on %q: %w", s.Student, pa.Title, err)
		}
	}
	return nil
}

// refused reports whether the provider rejected the record's content (so
// the row is reported and the push goes on).
func refused(err error) bool {
	var e *or.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.StatusCode {
	case http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity:
		return true
	}
	return false
}
