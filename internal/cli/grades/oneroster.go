package grades

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

// applyOneRoster sends a plan as OneRoster line items and results. Records
// that already exist (matched by title in the class, and by student in the
// line item) keep their sourcedIds, so nothing is duplicated whichever API
// created them. Class = SECTIONS.DCID, student = STUDENTS.DCID, category =
// TEACHERCATEGORYID, as the server maps them.
func applyOneRoster(ctx context.Context, c *or.Client, p *ps.GradebookPlan) (ps.GradebookSummary, error) {
	sum := ps.GradebookSummary{Rejected: append([]ps.Rejection(nil), p.Rejected...)}
	for _, r := range p.Rejected {
		if r.Student == "" {
			sum.Assignments.Rejected++
		} else {
			sum.Scores.Rejected++
		}
	}
	f := p.Facts
	classID := strconv.FormatInt(f.SectionDCID, 10)
	existing := map[string]string{} // title → sourcedId
	for li, err := range c.ListClassLineItems(ctx, classID, nil) {
		if err != nil {
			return sum, fmt.Errorf("reading class %s's line items: %w", classID, err)
		}
		if _, dup := existing[li.Title]; !dup {
			existing[li.Title] = li.SourcedID
		}
	}
	for _, pa := range p.Assignments {
		liID, found := existing[pa.Title]
		if !found {
			liID = LineItemID(f.SectionDCID, pa.Title)
		}
		due, _ := time.Parse(time.DateOnly, pa.DueDate[:min(10, len(pa.DueDate))])
		li := or.LineItem{Base: or.Base{SourcedID: liID, Status: or.StatusActive}, Title: pa.Title, Description: pa.Description,
			DueDate: or.NewDateTime(due), AssignDate: or.NewDateTime(due), Class: or.Ref(classID), Category: or.Ref(strconv.FormatInt(pa.CategoryID, 10)),
			ResultValueMin: 0, ResultValueMax: or.Number(pa.Points)}
		if pa.Action != ps.ActionUnchanged || !found {
			reject := func(reason string) {
				sum.Assignments.Rejected++
				sum.Rejected = append(sum.Rejected, ps.Rejection{Row: pa.Row, Assignment: pa.Title, Reason: reason})
				for _, s := range pa.Scores {
					sum.Scores.Rejected++
					sum.Rejected = append(sum.Rejected, ps.Rejection{Row: s.Row, Assignment: pa.Title, Student: s.Student, Reason: "not sent because its line item was refused"})
				}
			}
			if err := or.CheckPowerTeacherPro(li); err != nil {
				reject(err.Error())
				continue
			}
			if _, err := c.PutLineItem(ctx, li); err != nil {
				if refused(err) {
					reject("the server refused the line item: " + err.Error())
					continue
				}
				return sum, fmt.Errorf("writing line item %q: %w", pa.Title, err)
			}
		}
		count(&sum.Assignments, pa.Action)

		needs := false
		for _, s := range pa.Scores {
			needs = needs || s.Action != ps.ActionUnchanged
		}
		results := map[string]string{} // student sourcedId → result sourcedId
		if needs && found {
			for r, err := range c.ListLineItemResults(ctx, classID, liID, nil) {
				if err != nil {
					return sum, fmt.Errorf("reading the results of line item %s: %w", liID, err)
				}
				results[r.Student.SourcedID] = r.SourcedID
			}
		}
		today := time.Now()
		for _, s := range pa.Scores {
			if s.Action == ps.ActionUnchanged {
				sum.Scores.Unchanged++
				continue
			}
			student := strconv.FormatInt(s.StudentDCID, 10)
			rid, ok := results[student]
			if !ok {
				rid = ResultID(liID, s.StudentDCID)
			}
			v, _ := strconv.ParseFloat(s.Score, 64)
			_, err := c.PutResult(ctx, or.Result{Base: or.Base{SourcedID: rid, Status: or.StatusActive}, LineItem: or.Ref(liID), Student: or.Ref(student),
				ScoreStatus: or.ScoreFullyGraded, Score: or.Number(v), ScoreDate: or.NewDate(today.Year(), today.Month(), today.Day())})
			if err != nil {
				if refused(err) {
					sum.Scores.Rejected++
					sum.Rejected = append(sum.Rejected, ps.Rejection{Row: s.Row, Assignment: pa.Title, Student: s.Student, Reason: "the server refused the result: " + err.Error()})
					continue
				}
				return sum, fmt.Errorf("writing the result of student %s on %q: %w", s.Student, pa.Title, err)
			}
			count(&sum.Scores, s.Action)
		}
	}
	return sum, nil
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

func count(c *ps.GradebookCounts, a ps.GradebookAction) {
	switch a {
	case ps.ActionCreate:
		c.Created++
	case ps.ActionUpdate:
		c.Updated++
	case ps.ActionUnchanged:
		c.Unchanged++
	}
}
