package oneroster

import (
	"errors"
	"fmt"
	"math"
)

// PowerTeacherTitleMax is the longest line item title PowerTeacher Pro
// stores: ASSIGNMENTSECTION.NAME is VARCHAR2(50).
const PowerTeacherTitleMax = 50

// CheckPowerTeacherPro reports why a line item would not pass back into
// PowerTeacher Pro, by the rules vendors document for PowerSchool (points
// only, whole-number totals, a title of at most 50 bytes, a due date, a
// category). It cannot check what only the server knows: that the due date
// falls in the section's term and that the category is an active
// district-level one for the teacher. nil means no known rule is broken.
func CheckPowerTeacherPro(li LineItem) error {
	var errs []error
	switch n := len(li.Title); {
	case n == 0:
		errs = append(errs, errors.New("title is empty"))
	case n > PowerTeacherTitleMax:
		// Oracle counts VARCHAR2 length in bytes by default, so count bytes.
		errs = append(errs, fmt.Errorf("title is %d bytes, PowerTeacher Pro stores at most %d (ASSIGNMENTSECTION.NAME)", n, PowerTeacherTitleMax))
	}
	if li.DueDate.IsZero() {
		errs = append(errs, errors.New("dueDate is missing; PowerTeacher Pro needs one inside the section's term"))
	}
	if li.ResultValueMin != 0 {
		errs = append(errs, fmt.Errorf("resultValueMin is %v; points-based passback starts at 0", li.ResultValueMin))
	}
	if max := float64(li.ResultValueMax); max <= 0 || max != math.Trunc(max) {
		errs = append(errs, fmt.Errorf("resultValueMax is %v; PowerTeacher Pro takes a whole number of points above 0", li.ResultValueMax))
	}
	if li.Category.SourcedID == "" {
		errs = append(errs, errors.New("category is missing; map it to an active district-level category of the teacher"))
	}
	if li.Class.SourcedID == "" {
		errs = append(errs, errors.New("class is missing"))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("oneroster: line item %q would not pass back into PowerTeacher Pro: %w", li.SourcedID, errors.Join(errs...))
}

// validScoreStatus lists the 1.1 scoreStatus values (with spaces).
var validScoreStatus = map[string]bool{
	ScoreExempt: true, ScoreFullyGraded: true, ScoreNotSubmitted: true, ScorePartiallyGraded: true, ScoreSubmitted: true,
}

func checkScoreStatus(s string) error {
	if validScoreStatus[s] {
		return nil
	}
	return fmt.Errorf("oneroster: scoreStatus %q is not a OneRoster 1.1 value: use one of %q, %q, %q, %q, %q (with spaces)",
		s, ScoreExempt, ScoreFullyGraded, ScoreNotSubmitted, ScorePartiallyGraded, ScoreSubmitted)
}
