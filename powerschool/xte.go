package powerschool

// PowerTeacher Pro's plugin API (/ws/xte, reference §7.1): teacher
// categories, section assignments and scores. OAuth clients must name the
// acting teacher (users_dcid = USERS.DCID) on every call; PowerSchool does
// not restrict a plugin by teacher, so the caller has to pick the right one.
//
// Writes here are never repeated by the retry layer: a POST or PUT whose
// answer was lost may have been applied, so after an ambiguous failure the
// SDK reads the data back and decides what still needs sending.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pskit/pskit/internal/wire"
)

// ScoreBatchSize is how many score rows one PUT /ws/xte/score carries.
const ScoreBatchSize = 200

// PowerTeacher Pro column limits (ASSIGNMENTSECTION.NAME is VARCHAR2(50),
// TEACHERCATEGORY.NAME holds 30 characters).
const (
	AssignmentNameMax = 50
	CategoryNameMax   = 30
)

// ScoreTypePoints is the only score type pskit writes: passback into
// PowerTeacher Pro is points-based.
const ScoreTypePoints = "POINTS"

// XTEService covers PowerTeacher Pro's /ws/xte API.
type XTEService struct{ c *Client }

// TeacherCategory is a PowerTeacher Pro category (TEACHERCATEGORY).
type TeacherCategory struct {
	ID                        FlexInt    `json:"teachercategoryid"`
	Name                      string     `json:"name"`
	IsActive                  FlexBool   `json:"isactive"`
	IsInFinalGrades           FlexBool   `json:"isinfinalgrades"`
	DistrictTeacherCategoryID FlexInt    `json:"districtteachercategoryid"`
	UsersDCID                 FlexInt    `json:"usersdcid"`
	YearID                    FlexInt    `json:"yearid"`
	Color                     FlexString `json:"color,omitempty"`
}

// Assignment is a PowerTeacher Pro assignment (ASSIGNMENT) with its
// per-section records.
type Assignment struct {
	ID                    FlexInt             `json:"assignmentid,omitempty"`
	StandardScoringMethod string              `json:"standardscoringmethod,omitempty"`
	Sections              []AssignmentSection `json:"_assignmentsections"`
}

// Section returns the assignment's record for one section, or nil.
func (a *Assignment) Section(sectionDCID int64) *AssignmentSection {
	for i := range a.Sections {
		if int64(a.Sections[i].SectionDCID) == sectionDCID {
			return &a.Sections[i]
		}
	}
	return nil
}

// AssignmentSection is an assignment in one section (ASSIGNMENTSECTION).
type AssignmentSection struct {
	ID                    FlexInt               `json:"assignmentsectionid,omitempty"`
	SectionDCID           FlexInt               `json:"sectionsdcid"`
	Name                  string                `json:"name"`
	Description           string                `json:"description"`
	DueDate               string                `json:"duedate"` // YYYY-MM-DD
	ScoreType             string                `json:"scoretype"`
	ScoreEntryPoints      float64               `json:"scoreentrypoints"`
	TotalPointValue       float64               `json:"totalpointvalue"`
	ExtraCreditPoints     float64               `json:"extracreditpoints"`
	Weight                float64               `json:"weight"`
	IsCountedInFinalGrade FlexBool              `json:"iscountedinfinalgrade"`
	IsScoresPublish       FlexBool              `json:"isscorespublish"`
	YearID                FlexInt               `json:"yearid,omitempty"`
	Categories            []CategoryAssociation `json:"_assignmentcategoryassociations"`
	// Scores is filled by XTEService.GetAssignment only.
	Scores []AssignmentScore `json:"_assignmentscores,omitempty"`
}

// PrimaryCategory returns the primary category's ID (the first one when
// none is marked primary), 0 when there is none.
func (s *AssignmentSection) PrimaryCategory() int64 {
	for _, c := range s.Categories {
		if c.IsPrimary {
			return int64(c.TeacherCategoryID)
		}
	}
	if len(s.Categories) > 0 {
		return int64(s.Categories[0].TeacherCategoryID)
	}
	return 0
}

// CategoryAssociation links an assignment section to a teacher category.
type CategoryAssociation struct {
	TeacherCategoryID FlexInt  `json:"teachercategoryid"`
	IsPrimary         FlexBool `json:"isprimary"`
}

// AssignmentScore is one stored score (ASSIGNMENTSCORE).
type AssignmentScore struct {
	ID                 FlexInt    `json:"assignmentscoreid"`
	StudentDCID        FlexInt    `json:"studentsdcid"`
	ActualScoreEntered FlexString `json:"actualscoreentered"`
	ActualScoreKind    string     `json:"actualscorekind,omitempty"`
	ScorePoints        *float64   `json:"scorepoints,omitempty"`
	IsLate             FlexBool   `json:"islate"`
	IsExempt           FlexBool   `json:"isexempt"`
	IsMissing          FlexBool   `json:"ismissing"`
	ScoreEntryDate     string     `json:"scoreentrydate,omitempty"`
}

// NewAssignment describes an assignment to create or update in one section.
type NewAssignment struct {
	SectionDCID int64
	YearID      int64 // floor(TERMS.ID/100) of the section's term
	Name        string
	Description string
	DueDate     string  // YYYY-MM-DD, inside the section's term
	Points      float64 // points possible
	ExtraCredit float64
	CategoryID  int64 // TEACHERCATEGORYID, active
	// NotInFinalGrade leaves the assignment out of the final grade.
	NotInFinalGrade bool
}

func (n NewAssignment) body(assignmentID int64) map[string]any {
	sec := map[string]any{
		"sectionsdcid": n.SectionDCID, "name": n.Name, "description": n.Description, "duedate": n.DueDate,
		"scoretype": ScoreTypePoints, "scoreentrypoints": n.Points, "totalpointvalue": n.Points, "pointspossible": n.Points,
		"extracreditpoints": n.ExtraCredit, "weight": 1, "iscountedinfinalgrade": !n.NotInFinalGrade,
		"isscorespublish": true, "isscoringneeded": true, "maxretakeallowed": 0,
		"publishoption": "Immediately", "publishdaysbeforedue": 0, "yearid": n.YearID,
		"_assignmentcategoryassociations": []map[string]any{{"teachercategoryid": n.CategoryID, "isprimary": true}},
		"_assignmentstandardassociations": []any{},
	}
	b := map[string]any{"standardcalcdirection": "NONE", "standardscoringmethod": "GradeScale", "yearid": n.YearID,
		"_assignmentsections": []any{sec}}
	if assignmentID != 0 {
		b["assignmentid"] = assignmentID
	}
	return b
}

// CreatedAssignment is what POST /ws/xte/section/assignment/ answers.
type CreatedAssignment struct {
	AssignmentID int64
	// AssignmentSectionIDs come from the AssignmentSectionIds header; empty
	// when the server did not send it.
	AssignmentSectionIDs []int64
	Location             string
}

func usersQuery(usersDCID int64) url.Values {
	return url.Values{"users_dcid": {strconv.FormatInt(usersDCID, 10)}}
}

func checkTeacher(usersDCID int64) error {
	if usersDCID <= 0 {
		return errors.New("powerschool: /ws/xte needs the acting teacher's USERS.DCID (users_dcid); find it as users_dcid on /ws/v1/staff/{id}")
	}
	return nil
}

// Categories lists a teacher's categories for a school year
// (yearID = floor(TERMS.ID/100)).
func (x *XTEService) Categories(ctx context.Context, usersDCID, yearID int64) ([]TeacherCategory, error) {
	if err := checkTeacher(usersDCID); err != nil {
		return nil, err
	}
	q := usersQuery(usersDCID)
	q.Set("year_id", strconv.FormatInt(yearID, 10))
	var out List[TeacherCategory]
	err := x.c.Do(ctx, http.MethodGet, "/ws/xte/teacher_category", q, nil, &out)
	return out, err
}

// ListAssignments lists the assignments of the given sections (SECTIONS.DCID).
func (x *XTEService) ListAssignments(ctx context.Context, usersDCID int64, sectionDCIDs ...int64) ([]Assignment, error) {
	if err := checkTeacher(usersDCID); err != nil {
		return nil, err
	}
	if len(sectionDCIDs) == 0 {
		return nil, errors.New("powerschool: ListAssignments needs at least one section ID (SECTIONS.DCID)")
	}
	ids := make([]string, len(sectionDCIDs))
	for i, id := range sectionDCIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	q := usersQuery(usersDCID)
	q.Set("section_ids", strings.Join(ids, ","))
	var out List[Assignment]
	err := x.c.Do(ctx, http.MethodGet, "/ws/xte/section/assignment/", q, nil, &out)
	return out, err
}

// GetAssignment reads one assignment with its stored scores.
func (x *XTEService) GetAssignment(ctx context.Context, usersDCID, assignmentID int64) (*Assignment, error) {
	if err := checkTeacher(usersDCID); err != nil {
		return nil, err
	}
	var a Assignment
	if err := x.c.Do(ctx, http.MethodGet, "/ws/xte/section/assignment/"+strconv.FormatInt(assignmentID, 10), usersQuery(usersDCID), nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateAssignment creates an assignment in one section. It is sent once:
// if the answer is lost (IsAmbiguous), read the section's assignments
// before sending it again (package gradepush does).
func (x *XTEService) CreateAssignment(ctx context.Context, usersDCID int64, n NewAssignment) (*CreatedAssignment, error) {
	if err := checkTeacher(usersDCID); err != nil {
		return nil, err
	}
	if err := n.check(); err != nil {
		return nil, err
	}
	b, err := encodeBody(n.body(0))
	if err != nil {
		return nil, fmt.Errorf("powerschool: encoding the assignment: %w", err)
	}
	const p = "/ws/xte/section/assignment/"
	resp, err := x.c.send(ctx, &request{method: http.MethodPost, path: p, query: usersQuery(usersDCID), body: b})
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	out := &CreatedAssignment{Location: resp.Header.Get("Location")}
	if out.Location != "" {
		if u, err := url.Parse(out.Location); err == nil {
			out.AssignmentID, _ = strconv.ParseInt(path.Base(u.Path), 10, 64)
		}
	}
	if out.AssignmentID == 0 {
		return nil, fmt.Errorf("powerschool: POST %s: answered %d without a usable Location header (%q), so the new assignment's ID is unknown; list the section's assignments to find it", p, resp.StatusCode, out.Location)
	}
	if h := resp.Header.Get("AssignmentSectionIds"); h != "" {
		var ids []FlexInt
		if err := json.Unmarshal([]byte(h), &ids); err != nil {
			return nil, fmt.Errorf("powerschool: POST %s: the AssignmentSectionIds header %q is not a JSON array of IDs: %w", p, wire.Truncate(h, 80), err)
		}
		for _, id := range ids {
			out.AssignmentSectionIDs = append(out.AssignmentSectionIDs, int64(id))
		}
	}
	return out, nil
}

// UpdateAssignment replaces an assignment's section record. updateScores
// lets the server recompute existing scores when the points change.
func (x *XTEService) UpdateAssignment(ctx context.Context, usersDCID, assignmentID int64, n NewAssignment, updateScores bool) (*Assignment, error) {
	if err := checkTeacher(usersDCID); err != nil {
		return nil, err
	}
	if err := n.check(); err != nil {
		return nil, err
	}
	q := usersQuery(usersDCID)
	q.Set("update_scores", strconv.FormatBool(updateScores))
	var a Assignment
	if err := x.c.Do(ctx, http.MethodPut, "/ws/xte/section/assignment/"+strconv.FormatInt(assignmentID, 10), q, n.body(assignmentID), &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// DeleteAssignment deletes an assignment. Without force the server refuses
// (412) when scores exist; force deletes them too.
func (x *XTEService) DeleteAssignment(ctx context.Context, usersDCID, assignmentID int64, force bool) error {
	if err := checkTeacher(usersDCID); err != nil {
		return err
	}
	q := usersQuery(usersDCID)
	q.Set("force", strconv.FormatBool(force))
	err := x.c.Do(ctx, http.MethodDelete, "/ws/xte/section/assignment/"+strconv.FormatInt(assignmentID, 10), q, nil, nil)
	if statusOf(err) == http.StatusPreconditionFailed && !force {
		return fmt.Errorf("assignment %d has scores and was not deleted; delete with force to remove the scores too: %w", assignmentID, err)
	}
	return err
}

func (n NewAssignment) check() error {
	var errs []string
	if n.SectionDCID <= 0 {
		errs = append(errs, "no section (SECTIONS.DCID)")
	}
	if n.CategoryID <= 0 {
		errs = append(errs, "no category (TEACHERCATEGORYID)")
	}
	if err := CheckAssignmentTitle(n.Name); err != nil {
		errs = append(errs, err.Error())
	}
	if _, err := ParseDueDate(n.DueDate); err != nil {
		errs = append(errs, err.Error())
	}
	if n.Points <= 0 {
		errs = append(errs, fmt.Sprintf("points possible is %v; it must be above 0", n.Points))
	}
	if len(errs) > 0 {
		return fmt.Errorf("powerschool: assignment %q not sent: %s", n.Name, strings.Join(errs, "; "))
	}
	return nil
}

// CheckAssignmentTitle checks a title against ASSIGNMENTSECTION.NAME: 1 to
// AssignmentNameMax characters once trimmed.
func CheckAssignmentTitle(title string) error {
	switch n := utf8.RuneCountInString(strings.TrimSpace(title)); {
	case n == 0:
		return errors.New("the title is empty")
	case n > AssignmentNameMax:
		return fmt.Errorf("title is %d characters; PowerTeacher Pro allows %d (ASSIGNMENTSECTION.NAME)", n, AssignmentNameMax)
	}
	return nil
}

// ParseDueDate reads a due date as /ws/xte takes it (YYYY-MM-DD; a
// date-time's time of day is ignored).
func ParseDueDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("no due date; give one as YYYY-MM-DD")
	}
	if len(s) > 10 && s[10] == 'T' {
		s = s[:10]
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("due date %q is not a date; write it as YYYY-MM-DD", s)
	}
	return t, nil
}

// ScoreWrite is one score to store with PUT /ws/xte/score.
type ScoreWrite struct {
	AssignmentID        int64
	AssignmentSectionID int64
	SectionDCID         int64
	StudentDCID         int64
	// Score is the score as entered, e.g. "8" or "9.5"; PowerTeacher Pro
	// takes it as a string.
	Score string
	// ScoreID is the stored row's ASSIGNMENTSCOREID when updating; 0 lets
	// the server match the row by student.
	ScoreID int64
	// TermID is the section's TERMS.ID (not the /ws/v1 TERMS.DCID), sent
	// as term_id; rows sent together must share it (0 sends none).
	TermID                int64
	Late, Exempt, Missing bool
}

// MarshalJSON writes the row in PowerTeacher Pro's shape.
func (w ScoreWrite) MarshalJSON() ([]byte, error) {
	row := map[string]any{
		"studentsdcid": w.StudentDCID, "actualscoreentered": w.Score, "actualscorekind": "REAL_SCORE",
		"actualscoregradescaledcid": nil, "islate": w.Late, "iscollected": false, "isexempt": w.Exempt,
		"ismissing": w.Missing, "isabsent": false, "isincomplete": false, "scorepercent": nil,
		"_assignmentsection": map[string]any{"assignmentsectionid": w.AssignmentSectionID, "sectionsdcid": w.SectionDCID,
			"_assignment": map[string]any{"assignmentid": w.AssignmentID}},
	}
	if f, err := strconv.ParseFloat(w.Score, 64); err == nil {
		row["scorepoints"] = f
	}
	if w.ScoreID != 0 {
		row["assignmentscoreid"] = w.ScoreID
	}
	return json.Marshal(row)
}

// SameAs reports whether the stored score s already holds what w would
// write (scores compared as numbers: "8" is "8.0"), so w need not be sent.
func (w ScoreWrite) SameAs(s AssignmentScore) bool {
	return sameScore(string(s.ActualScoreEntered), w.Score) && bool(s.IsLate) == w.Late &&
		bool(s.IsExempt) == w.Exempt && bool(s.IsMissing) == w.Missing
}

// sameScore compares entered scores as numbers when both are ("8" = "8.0").
func sameScore(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return fa == fb
	}
	return a == b
}

// ScoreBatchError is a batch of PutScores that failed; PutScores stops
// there. The rows before Offset (in the rows given to PutScores) are
// stored. When Refused, the server refused the batch as a whole (409) and
// nothing of it was written; Students then holds the STUDENTS.DCIDs it
// blamed in errors[].params.student_dcid (students with no association
// with the section), when it named any.
type ScoreBatchError struct {
	Rows     []ScoreWrite
	Offset   int
	Students []int64
	Err      error
}

func newScoreBatchError(rows []ScoreWrite, offset int, err error) *ScoreBatchError {
	e := &ScoreBatchError{Rows: rows, Offset: offset, Err: err}
	if e.Refused() {
		e.Students = blamedStudents(err)
	}
	return e
}

// Refused reports whether the server refused the batch's content (409):
// sending it again unchanged will fail again.
func (e *ScoreBatchError) Refused() bool { return statusOf(e.Err) == http.StatusConflict }

// Blames reports whether the server named studentDCID as the reason.
func (e *ScoreBatchError) Blames(studentDCID int64) bool {
	return slices.Contains(e.Students, studentDCID)
}

func (e *ScoreBatchError) Error() string {
	switch {
	case e.Refused() && len(e.Students) > 0:
		return fmt.Sprintf("powerschool: a batch of %d scores was refused because of student(s) %s and none of it was written: %v",
			len(e.Rows), joinInts(e.Students), e.Err)
	case e.Refused():
		return fmt.Sprintf("powerschool: a batch of %d scores was refused and none of it was written: %v", len(e.Rows), e.Err)
	case e.Offset > 0:
		return fmt.Sprintf("the first %d scores were stored, then: %v", e.Offset, e.Err)
	}
	return e.Err.Error()
}

// blamedStudents reads errors[].params.student_dcid from a 409, as a
// number or a string of digits.
func blamedStudents(err error) []int64 {
	var ae *APIError
	if !errors.As(err, &ae) {
		return nil
	}
	var out []int64
	for _, d := range ae.Errors {
		var id int64
		switch v := d.Params["student_dcid"].(type) {
		case float64:
			id = int64(v)
		case string:
			id, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
		if id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func joinInts(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

func (e *ScoreBatchError) Unwrap() error { return e.Err }

// PutScores stores scores with PUT /ws/xte/score, ScoreBatchSize rows per
// request. Re-sending the same scores updates the same rows. A 412
// "Resubmit" (stale ASSIGNMENTSCOREIDs) makes it re-read the stored rows and
// send the batch once more with their IDs; a lost answer (network error or
// 500/502/503/504) makes it re-read and send only what is not stored yet,
// once. It returns the server's answer rows (PowerTeacher Pro names each
// student but gives no assignmentscoreid; GetAssignment has the ids). It
// stops at the first batch that fails, returned as a *ScoreBatchError;
// earlier batches stay written.
func (x *XTEService) PutScores(ctx context.Context, usersDCID int64, rows []ScoreWrite) ([]AssignmentScore, error) {
	if err := checkTeacher(usersDCID); err != nil {
		return nil, err
	}
	for i, r := range rows {
		if r.AssignmentID <= 0 || r.AssignmentSectionID <= 0 || r.StudentDCID <= 0 {
			return nil, fmt.Errorf("powerschool: score %d (student %d) needs AssignmentID, AssignmentSectionID and StudentDCID; nothing was sent", i+1, r.StudentDCID)
		}
		if r.TermID != rows[0].TermID {
			return nil, fmt.Errorf("powerschool: scores for terms %d and %d in one call; send each term's scores separately (nothing was sent)", rows[0].TermID, r.TermID)
		}
	}
	var stored []AssignmentScore
	for start := 0; start < len(rows); start += ScoreBatchSize {
		batch := rows[start:min(start+ScoreBatchSize, len(rows))]
		out, err := x.putScoreBatch(ctx, usersDCID, batch)
		if err != nil {
			return stored, newScoreBatchError(batch, start, err)
		}
		stored = append(stored, out...)
	}
	return stored, nil
}

func (x *XTEService) putScoreBatch(ctx context.Context, usersDCID int64, batch []ScoreWrite) ([]AssignmentScore, error) {
	out, err := x.sendScores(ctx, usersDCID, batch)
	switch {
	case err == nil:
		return out, nil
	case statusOf(err) == http.StatusConflict:
		return nil, err
	case statusOf(err) == http.StatusPreconditionFailed:
		x.c.logger.DebugContext(ctx, "scores: server asked to resubmit; re-reading the stored rows", "rows", len(batch))
		current, readErr := x.storedScores(ctx, usersDCID, batch)
		if readErr != nil {
			return nil, fmt.Errorf("powerschool: PUT /ws/xte/score answered 412 Resubmit and re-reading the stored scores failed: %w", readErr)
		}
		fresh := make([]ScoreWrite, len(batch))
		for i, w := range batch {
			w.ScoreID = 0
			if s, ok := current[scoreKey{w.AssignmentSectionID, w.StudentDCID}]; ok {
				w.ScoreID = int64(s.ID)
			}
			fresh[i] = w
		}
		out, err = x.sendScores(ctx, usersDCID, fresh)
		if err != nil {
			if statusOf(err) == http.StatusConflict {
				return nil, err
			}
			return nil, fmt.Errorf("powerschool: scores resubmitted once after 412 and refused again: %w", err)
		}
		return out, nil
	case IsAmbiguous(ctx, err):
		x.c.logger.DebugContext(ctx, "scores: answer lost; re-reading before sending again", "rows", len(batch), "error", err.Error())
		current, readErr := x.storedScores(ctx, usersDCID, batch)
		if readErr != nil {
			return nil, fmt.Errorf("powerschool: %w; re-reading the scores to see what was stored also failed (%v), so nothing was re-sent: run the push again", err, readErr)
		}
		var rest []ScoreWrite
		var done []AssignmentScore
		for _, w := range batch {
			s, ok := current[scoreKey{w.AssignmentSectionID, w.StudentDCID}]
			if ok && w.SameAs(s) {
				done = append(done, s)
				continue
			}
			if ok {
				w.ScoreID = int64(s.ID)
			}
			rest = append(rest, w)
		}
		if len(rest) == 0 {
			return done, nil
		}
		out, err = x.sendScores(ctx, usersDCID, rest)
		if err != nil {
			return nil, fmt.Errorf("powerschool: %d of %d scores were not stored after a lost answer and re-sending them failed: %w", len(rest), len(batch), err)
		}
		return append(done, out...), nil
	}
	return nil, err
}

// IsAmbiguous reports whether a write that returned err may or may not
// have been applied: the request failed on the network or the server
// failed while answering. Read the data back before sending it again.
func IsAmbiguous(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, ErrReadOnly) || IsAuthError(err) || IsRateLimited(err) {
		return false
	}
	var api *APIError
	if errors.As(err, &api) {
		switch api.StatusCode {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return true // transport error: the request may have reached the server
}

func (x *XTEService) sendScores(ctx context.Context, usersDCID int64, rows []ScoreWrite) ([]AssignmentScore, error) {
	q := usersQuery(usersDCID)
	q.Set("status", "A")
	if term := rows[0].TermID; term != 0 {
		q.Set("term_id", strconv.FormatInt(term, 10))
	}
	var out struct {
		Scores List[AssignmentScore] `json:"assignment_scores"`
	}
	if err := x.c.Do(ctx, http.MethodPut, "/ws/xte/score", q, map[string]any{"assignment_scores": rows}, &out); err != nil {
		return nil, err
	}
	return out.Scores, nil
}

type scoreKey struct{ assignmentSectionID, studentDCID int64 }

// storedScores re-reads the assignments of rows and indexes their scores.
func (x *XTEService) storedScores(ctx context.Context, usersDCID int64, rows []ScoreWrite) (map[scoreKey]AssignmentScore, error) {
	seen := map[int64]bool{}
	out := map[scoreKey]AssignmentScore{}
	for _, r := range rows {
		if seen[r.AssignmentID] {
			continue
		}
		seen[r.AssignmentID] = true
		a, err := x.GetAssignment(ctx, usersDCID, r.AssignmentID)
		if err != nil {
			return nil, err
		}
		for _, s := range a.Sections {
			for _, sc := range s.Scores {
				out[scoreKey{int64(s.ID), int64(sc.StudentDCID)}] = sc
			}
		}
	}
	return out, nil
}
