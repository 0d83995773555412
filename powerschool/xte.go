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
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"
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

// XTE returns the PowerTeacher Pro service.
func (c *Client) XTE() *XTEService { return &XTEService{c: c} }

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
// if the answer is lost, read the section's assignments before sending it
// again (XTEService.ApplyGradebook does).
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
	resp, err := x.once().send(ctx, &request{method: http.MethodPost, path: p, query: usersQuery(usersDCID), body: b})
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
			return nil, fmt.Errorf("powerschool: POST %s: the AssignmentSectionIds header %q is not a JSON array of IDs: %w", p, truncate(h, 80), err)
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
	if err := x.once().Do(ctx, http.MethodPut, "/ws/xte/section/assignment/"+strconv.FormatInt(assignmentID, 10), q, n.body(assignmentID), &a); err != nil {
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
	if reason := checkAssignmentName(n.Name); reason != "" {
		errs = append(errs, reason)
	}
	if _, err := parseDate(n.DueDate); err != nil {
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

// sameAs reports whether the stored score s already holds what w would write.
func (w ScoreWrite) sameAs(s AssignmentScore) bool {
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

// ScoreBatchError is a batch the server refused as a whole (409): nothing
// of it was written. Rows holds the batch; Students the STUDENTS.DCIDs the
// server blamed in errors[].params.student_dcid (students with no
// association with the section), when it named any.
type ScoreBatchError struct {
	Rows     []ScoreWrite
	Students []int64
	Err      error
}

func newScoreBatchError(rows []ScoreWrite, err error) *ScoreBatchError {
	return &ScoreBatchError{Rows: rows, Students: blamedStudents(err), Err: err}
}

// Blames reports whether the server named studentDCID as the reason.
func (e *ScoreBatchError) Blames(studentDCID int64) bool {
	return slices.Contains(e.Students, studentDCID)
}

func (e *ScoreBatchError) Error() string {
	if len(e.Students) > 0 {
		return fmt.Sprintf("powerschool: a batch of %d scores was refused because of student(s) %s and none of it was written: %v",
			len(e.Rows), joinInts(e.Students), e.Err)
	}
	return fmt.Sprintf("powerschool: a batch of %d scores was refused and none of it was written: %v", len(e.Rows), e.Err)
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
// student but gives no assignmentscoreid; GetAssignment has the ids), and
// stops at the first batch that fails (earlier batches stay written).
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
			return stored, err
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
		return nil, newScoreBatchError(batch, err)
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
				return nil, newScoreBatchError(batch, err)
			}
			return nil, fmt.Errorf("powerschool: scores resubmitted once after 412 and refused again: %w", err)
		}
		return out, nil
	case ambiguous(ctx, err):
		x.c.logger.DebugContext(ctx, "scores: answer lost; re-reading before sending again", "rows", len(batch), "error", err.Error())
		current, readErr := x.storedScores(ctx, usersDCID, batch)
		if readErr != nil {
			return nil, fmt.Errorf("powerschool: %w; re-reading the scores to see what was stored also failed (%v), so nothing was re-sent: run the push again", err, readErr)
		}
		var rest []ScoreWrite
		var done []AssignmentScore
		for _, w := range batch {
			s, ok := current[scoreKey{w.AssignmentSectionID, w.StudentDCID}]
			if ok && w.sameAs(s) {
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

// ambiguous reports whether a write may or may not have been applied: the
// request failed on the network or the server failed while answering.
func ambiguous(ctx context.Context, err error) bool {
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
	if err := x.once().Do(ctx, http.MethodPut, "/ws/xte/score", q, map[string]any{"assignment_scores": rows}, &out); err != nil {
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

// once returns a view of the client whose requests are sent exactly once:
// no retry on timeouts or 5xx (a 401 still fetches a new token and resends,
// since the server did not act on it).
func (x *XTEService) once() *Client {
	c := x.c
	return &Client{base: c.base, cfg: c.cfg, logger: c.logger, tokens: c.tokens, scrub: c.scrub,
		retry: &retryablehttp.Client{
			HTTPClient:   c.retry.HTTPClient,
			RetryMax:     0,
			CheckRetry:   func(ctx context.Context, _ *http.Response, _ error) (bool, error) { return false, ctx.Err() },
			Backoff:      retryablehttp.DefaultBackoff,
			ErrorHandler: retryablehttp.PassthroughErrorHandler,
		}}
}

// ---- Gradebook push: validate every row first, then send only valid rows.

// GradebookAssignment is one assignment of a gradebook to push.
type GradebookAssignment struct {
	Row         int // where it came from (a CSV line), for messages
	Title       string
	DueDate     string // YYYY-MM-DD
	Category    string // name of one of the teacher's categories
	Points      float64
	ScoreType   string // "" means POINTS, the only type accepted
	Description string
}

// GradebookScore is one student's score on an assignment.
type GradebookScore struct {
	Row        int
	Assignment string // the assignment's title
	Student    string // student number (/ws/v1 local_id)
	Score      string // points, e.g. "8" or "9.5"
}

// Gradebook is what to push into one section. Scores may name an
// assignment that is not in Assignments but already exists in the section.
type Gradebook struct {
	SectionDCID int64
	// UsersDCID is the acting teacher; 0 means the section's teacher.
	UsersDCID   int64
	Assignments []GradebookAssignment
	Scores      []GradebookScore
}

// SectionFacts are what the server would check a push against.
type SectionFacts struct {
	SectionDCID int64
	SchoolID    int64
	TermID      int64 // the section's term_id in /ws/v1 (TERMS.DCID)
	// TermsID is the section's TERMS.ID, which PUT /ws/xte/score takes as
	// term_id. /ws/v1 gives only TERMS.DCID, so LoadSection reads it from
	// the table API (TERMS.ID in the plugin's access_request); 0 when it
	// cannot, and then no term_id is sent.
	TermsID            int64
	YearID             int64 // TERMS.YEARID: start year - 1990
	TermStart, TermEnd string
	UsersDCID          int64
	// Students maps the student numbers of the section's enrolled students
	// to their STUDENTS.DCID.
	Students   map[string]int64
	Categories []TeacherCategory
	// Assignments are the section's assignments; those read with their
	// scores carry them in Sections[].Scores.
	Assignments []Assignment
}

// GradebookAction says what a push does with an assignment or a score.
type GradebookAction string

const (
	ActionCreate    GradebookAction = "create"
	ActionUpdate    GradebookAction = "update"
	ActionUnchanged GradebookAction = "unchanged"
)

// Rejection is a row that will not be (or was not) sent, and why.
type Rejection struct {
	Row        int
	Assignment string
	Student    string
	Reason     string
}

func (r Rejection) String() string {
	var parts []string
	if r.Row > 0 {
		parts = append(parts, "row "+strconv.Itoa(r.Row))
	}
	if r.Assignment != "" {
		parts = append(parts, strconv.Quote(r.Assignment))
	}
	if r.Student != "" {
		parts = append(parts, "student "+r.Student)
	}
	return strings.Join(parts, ", ") + ": " + r.Reason
}

// PlannedAssignment is a valid assignment and its valid scores.
type PlannedAssignment struct {
	GradebookAssignment
	CategoryID          int64
	Action              GradebookAction
	AssignmentID        int64 // 0 until created
	AssignmentSectionID int64
	Scores              []*PlannedScore
}

// PlannedScore is a valid score.
type PlannedScore struct {
	Row         int
	Student     string
	StudentDCID int64
	Score       string
	Action      GradebookAction
	ScoreID     int64 // stored ASSIGNMENTSCOREID when updating
}

// GradebookPlan is a checked push: what will be created, updated or left
// alone, and every rejected row.
type GradebookPlan struct {
	Facts       *SectionFacts
	Assignments []*PlannedAssignment
	Rejected    []Rejection
}

// GradebookCounts counts assignments or scores by outcome.
type GradebookCounts struct {
	Created, Updated, Unchanged, Rejected int
}

// GradebookSummary is what a push did (or, for a plan, would do).
type GradebookSummary struct {
	Assignments GradebookCounts
	Scores      GradebookCounts
	Rejected    []Rejection
}

// Summary counts the plan's actions.
func (p *GradebookPlan) Summary() GradebookSummary {
	s := GradebookSummary{Rejected: p.Rejected}
	for _, a := range p.Assignments {
		count(&s.Assignments, a.Action)
		for _, sc := range a.Scores {
			count(&s.Scores, sc.Action)
		}
	}
	for _, r := range p.Rejected {
		if r.Student == "" {
			s.Assignments.Rejected++
		} else {
			s.Scores.Rejected++
		}
	}
	return s
}

func count(c *GradebookCounts, a GradebookAction) {
	switch a {
	case ActionCreate:
		c.Created++
	case ActionUpdate:
		c.Updated++
	case ActionUnchanged:
		c.Unchanged++
	}
}

// sectionTeacher finds the USERS.DCID of a section's teacher. A section's
// staff_id is the teacher's SCHOOLSTAFF.DCID, while /ws/v1/staff/{id} is
// keyed by USERS.DCID on servers that follow the documented ids; so after a
// 404 there, the SCHOOLSTAFF row is read through the table API (the plugin
// then needs SCHOOLSTAFF.USERS_DCID in its access_request).
func (x *XTEService) sectionTeacher(ctx context.Context, sectionDCID, staffID int64) (int64, error) {
	st, err := x.c.Staff.Get(ctx, staffID, nil)
	if err == nil && st.UsersDCID != 0 {
		return int64(st.UsersDCID), nil
	}
	if err != nil && !IsNotFound(err) {
		return 0, fmt.Errorf("powerschool: reading section %d's teacher (staff %d) to find users_dcid: %w; give the teacher's USERS.DCID explicitly", sectionDCID, staffID, err)
	}
	rec, terr := x.c.Tables.Get(ctx, "schoolstaff", staffID, "users_dcid")
	if terr != nil {
		return 0, fmt.Errorf("powerschool: section %d's teacher (staff %d) is neither a /ws/v1/staff id nor a readable SCHOOLSTAFF row (%w); give the teacher's USERS.DCID explicitly, or add SCHOOLSTAFF.USERS_DCID to the plugin's access_request", sectionDCID, staffID, terr)
	}
	v, _ := rec.Value("schoolstaff.users_dcid")
	id, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if perr != nil || id == 0 {
		return 0, fmt.Errorf("powerschool: SCHOOLSTAFF %d (section %d's teacher) has no users_dcid; give the teacher's USERS.DCID explicitly", staffID, sectionDCID)
	}
	return id, nil
}

// termsID reads the TERMS.ID of the term whose DCID /ws/v1 gives, for
// PUT /ws/xte/score's term_id, through the table API. Without access to
// TERMS.ID it returns 0 and the scores are sent without term_id.
func (x *XTEService) termsID(ctx context.Context, termDCID int64) int64 {
	rec, err := x.c.Tables.Get(ctx, "terms", termDCID, "id")
	if err != nil {
		x.c.logger.DebugContext(ctx, "term_id not known: scores are sent without it", "term_dcid", termDCID, "error", err)
		return 0
	}
	v, _ := rec.Value("terms.id")
	id, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return id
}

// LoadSection reads what a push into the section is checked against: the
// section and its term, the teacher (usersDCID, or the section's teacher
// when 0), the enrolled students, the teacher's categories and the
// section's assignments, with stored scores for those titled in
// withScores.
func (x *XTEService) LoadSection(ctx context.Context, sectionDCID, usersDCID int64, withScores []string) (*SectionFacts, error) {
	c := x.c
	sec, err := c.Sections.Get(ctx, sectionDCID, nil)
	if err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("powerschool: section %d not found; give the section's ID from /ws/v1 (SECTIONS.DCID): %w", sectionDCID, err)
		}
		return nil, err
	}
	f := &SectionFacts{SectionDCID: sectionDCID, SchoolID: int64(sec.SchoolID), TermID: int64(sec.TermID), YearID: int64(sec.TermID) / 100, UsersDCID: usersDCID}
	if err := x.loadTerm(ctx, f); err != nil {
		return nil, err
	}
	f.TermsID = x.termsID(ctx, f.TermID)
	if f.UsersDCID == 0 {
		if f.UsersDCID, err = x.sectionTeacher(ctx, sectionDCID, int64(sec.StaffID)); err != nil {
			return nil, err
		}
	}
	if f.Students, err = x.enrolledStudents(ctx, sectionDCID); err != nil {
		return nil, err
	}
	if f.Categories, err = x.Categories(ctx, f.UsersDCID, f.YearID); err != nil {
		return nil, fmt.Errorf("powerschool: reading teacher %d's categories: %w", f.UsersDCID, err)
	}
	if f.Assignments, err = x.ListAssignments(ctx, f.UsersDCID, sectionDCID); err != nil {
		return nil, fmt.Errorf("powerschool: reading section %d's assignments: %w", sectionDCID, err)
	}
	want := map[string]bool{}
	for _, t := range withScores {
		want[strings.TrimSpace(t)] = true
	}
	for i, a := range f.Assignments {
		s := a.Section(sectionDCID)
		if s == nil || !want[strings.TrimSpace(s.Name)] {
			continue
		}
		full, err := x.GetAssignment(ctx, f.UsersDCID, int64(a.ID))
		if err != nil {
			return nil, fmt.Errorf("powerschool: reading the scores of assignment %d (%q): %w", a.ID, s.Name, err)
		}
		f.Assignments[i] = *full
	}
	return f, nil
}

func (x *XTEService) loadTerm(ctx context.Context, f *SectionFacts) error {
	for t, err := range x.c.Terms.List(ctx, f.SchoolID, nil) {
		if err != nil {
			return fmt.Errorf("powerschool: reading school %d's terms for the section's term dates: %w", f.SchoolID, err)
		}
		if int64(t.ID) == f.TermID {
			f.useTerm(&t)
			break
		}
	}
	if f.TermStart == "" {
		t, err := x.c.Terms.Get(ctx, f.TermID)
		if err != nil {
			return fmt.Errorf("powerschool: term %d of section %d is not among school %d's terms and reading it failed: %w", f.TermID, f.SectionDCID, f.SchoolID, err)
		}
		f.useTerm(t)
	}
	if _, err := parseDate(f.TermStart); err != nil {
		return fmt.Errorf("powerschool: term %d has no usable start date (%q), so due dates cannot be checked", f.TermID, f.TermStart)
	}
	if _, err := parseDate(f.TermEnd); err != nil {
		return fmt.Errorf("powerschool: term %d has no usable end date (%q), so due dates cannot be checked", f.TermID, f.TermEnd)
	}
	f.TermStart, f.TermEnd = f.TermStart[:10], f.TermEnd[:10]
	return nil
}

// useTerm takes the term's dates, and its school year: PowerSchool's
// YEARID is the start year minus 1990 (2025-26 is 35), which also equals
// floor(TERMS.ID/100).
func (f *SectionFacts) useTerm(t *Term) {
	f.TermStart, f.TermEnd = t.StartDate, t.EndDate
	if t.StartYear > 1990 {
		f.YearID = int64(t.StartYear) - 1990
	}
}

// enrolledStudents maps the student numbers of the section's current
// enrollments to STUDENTS.DCID.
func (x *XTEService) enrolledStudents(ctx context.Context, sectionDCID int64) (map[string]int64, error) {
	var dcids []int64
	for e, err := range x.c.SectionEnrollments.List(ctx, sectionDCID, nil) {
		if err != nil {
			return nil, fmt.Errorf("powerschool: reading section %d's enrollments: %w", sectionDCID, err)
		}
		if !bool(e.Dropped) && e.StudentID > 0 {
			dcids = append(dcids, int64(e.StudentID))
		}
	}
	numbers := make([]string, len(dcids))
	errs := make([]error, len(dcids))
	sem := make(chan struct{}, max(1, x.c.workers(0)))
	done := make(chan struct{})
	for i, id := range dcids {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			st, err := x.c.Students.Get(ctx, id, nil)
			if err != nil {
				errs[i] = fmt.Errorf("powerschool: reading student %d (enrolled in section %d): %w", id, sectionDCID, err)
				return
			}
			numbers[i] = st.LocalID.String()
		}()
	}
	for range dcids {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(dcids))
	for i, id := range dcids {
		out[numbers[i]] = id
	}
	return out, nil
}

// PlanGradebook reads the section and checks every row of g against it.
func (x *XTEService) PlanGradebook(ctx context.Context, g Gradebook) (*GradebookPlan, error) {
	var titles []string
	for _, a := range g.Assignments {
		titles = append(titles, a.Title)
	}
	for _, s := range g.Scores {
		titles = append(titles, s.Assignment)
	}
	f, err := x.LoadSection(ctx, g.SectionDCID, g.UsersDCID, titles)
	if err != nil {
		return nil, err
	}
	return f.Plan(g), nil
}

// Plan checks every row of g against the facts, by the rules PowerTeacher
// Pro enforces (points only; a title of at most 50 characters; an active
// category of at most 30; a due date inside the section's term; scores only
// for enrolled students), and compares it with what is stored. A rejected
// row does not stop the others; scores of a rejected assignment are
// rejected too.
func (f *SectionFacts) Plan(g Gradebook) *GradebookPlan {
	p := &GradebookPlan{Facts: f}
	reject := func(row int, a, s, format string, args ...any) {
		p.Rejected = append(p.Rejected, Rejection{Row: row, Assignment: a, Student: s, Reason: fmt.Sprintf(format, args...)})
	}
	existing := map[string][]*AssignmentSection{}
	ids := map[*AssignmentSection]int64{}
	for i := range f.Assignments {
		if s := f.Assignments[i].Section(f.SectionDCID); s != nil {
			t := strings.TrimSpace(s.Name)
			existing[t] = append(existing[t], s)
			ids[s] = int64(f.Assignments[i].ID)
		}
	}
	planned := map[string]*PlannedAssignment{}
	rejectedAt := map[string]int{}
	stored := map[*PlannedAssignment]map[int64]AssignmentScore{}
	adopt := func(pa *PlannedAssignment, s *AssignmentSection) {
		pa.AssignmentID, pa.AssignmentSectionID = ids[s], int64(s.ID)
		m := map[int64]AssignmentScore{}
		for _, sc := range s.Scores {
			m[int64(sc.StudentDCID)] = sc
		}
		stored[pa] = m
	}

	for _, a := range g.Assignments {
		a.Title = strings.TrimSpace(a.Title)
		if row, dup := rejectedAt[a.Title]; dup || planned[a.Title] != nil {
			if !dup {
				row = planned[a.Title].Row
			}
			reject(a.Row, a.Title, "", "assignment %q appears more than once (first on row %d); give each title once", a.Title, row)
			continue
		}
		reasons, catID := f.checkAssignment(a)
		if len(existing[a.Title]) > 1 {
			reasons = append(reasons, fmt.Sprintf("section %d already has %d assignments titled %q; rename them in PowerTeacher Pro so the title picks one", f.SectionDCID, len(existing[a.Title]), a.Title))
		}
		if len(reasons) > 0 {
			rejectedAt[a.Title] = a.Row
			reject(a.Row, a.Title, "", "%s", strings.Join(reasons, "; "))
			continue
		}
		pa := &PlannedAssignment{GradebookAssignment: a, CategoryID: catID, Action: ActionCreate}
		if ex := existing[a.Title]; len(ex) == 1 {
			adopt(pa, ex[0])
			pa.Action = ActionUnchanged
			if !sameDay(ex[0].DueDate, a.DueDate) || ex[0].TotalPointValue != a.Points || ex[0].PrimaryCategory() != catID ||
				(a.Description != "" && ex[0].Description != a.Description) {
				pa.Action = ActionUpdate
			}
		}
		planned[a.Title] = pa
		p.Assignments = append(p.Assignments, pa)
	}

	seen := map[[2]string]int{}
	for _, s := range g.Scores {
		title, student := strings.TrimSpace(s.Assignment), strings.TrimSpace(s.Student)
		pa := planned[title]
		if pa == nil {
			if row, ok := rejectedAt[title]; ok {
				reject(s.Row, title, student, "not sent because its assignment was rejected (row %d)", row)
				continue
			}
			switch ex := existing[title]; len(ex) {
			case 0:
				reject(s.Row, title, student, "no assignment %q in the file or in section %d; add its title, due date, category and points", title, f.SectionDCID)
				continue
			case 1:
				pa = &PlannedAssignment{GradebookAssignment: GradebookAssignment{Row: s.Row, Title: title, DueDate: ex[0].DueDate, Points: ex[0].TotalPointValue},
					CategoryID: ex[0].PrimaryCategory(), Action: ActionUnchanged}
				adopt(pa, ex[0])
				planned[title] = pa
				p.Assignments = append(p.Assignments, pa)
			default:
				reject(s.Row, title, student, "section %d has %d assignments titled %q; rename them in PowerTeacher Pro so the title picks one", f.SectionDCID, len(ex), title)
				continue
			}
		}
		dcid, ok := f.Students[student]
		if !ok {
			reject(s.Row, title, student, "student %s is not enrolled in section %d (PowerTeacher Pro would refuse the whole batch)", student, f.SectionDCID)
			continue
		}
		score := strings.TrimSpace(s.Score)
		v, err := strconv.ParseFloat(score, 64)
		switch {
		case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
			reject(s.Row, title, student, "score %q is not a number of points", score)
			continue
		case v < 0:
			reject(s.Row, title, student, "score %s is negative", score)
			continue
		}
		key := [2]string{title, student}
		if row, dup := seen[key]; dup {
			reject(s.Row, title, student, "a second score for the same student and assignment (first on row %d)", row)
			continue
		}
		seen[key] = s.Row
		ps := &PlannedScore{Row: s.Row, Student: student, StudentDCID: dcid, Score: score, Action: ActionCreate}
		if old, ok := stored[pa][dcid]; ok {
			ps.ScoreID = int64(old.ID)
			ps.Action = ActionUpdate
			if (ScoreWrite{Score: score}).sameAs(old) {
				ps.Action = ActionUnchanged
			}
		}
		pa.Scores = append(pa.Scores, ps)
	}
	return p
}

// checkAssignment returns why a would be refused, and its category's ID.
func (f *SectionFacts) checkAssignment(a GradebookAssignment) ([]string, int64) {
	var reasons []string
	if st := strings.ToUpper(strings.TrimSpace(a.ScoreType)); st != "" && st != ScoreTypePoints {
		reasons = append(reasons, fmt.Sprintf("score type %q is not supported: only points (POINTS) can be pushed", a.ScoreType))
	}
	if r := checkAssignmentName(a.Title); r != "" {
		reasons = append(reasons, r)
	}
	if due, err := parseDate(a.DueDate); err != nil {
		reasons = append(reasons, err.Error())
	} else if d := due.Format(time.DateOnly); d < f.TermStart || d > f.TermEnd {
		reasons = append(reasons, fmt.Sprintf("due date %s is outside the section's term (%s to %s)", d, f.TermStart, f.TermEnd))
	}
	if math.IsNaN(a.Points) || math.IsInf(a.Points, 0) || a.Points <= 0 {
		reasons = append(reasons, fmt.Sprintf("points possible is %v; give a number above 0", a.Points))
	}
	var catID int64
	name := strings.TrimSpace(a.Category)
	switch {
	case name == "":
		reasons = append(reasons, "no category; give one of the teacher's active categories: "+f.activeCategories())
	case utf8.RuneCountInString(name) > CategoryNameMax:
		reasons = append(reasons, fmt.Sprintf("category name %q is %d characters; PowerTeacher Pro allows %d", name, utf8.RuneCountInString(name), CategoryNameMax))
	default:
		cat := f.category(name)
		switch {
		case cat == nil:
			reasons = append(reasons, fmt.Sprintf("teacher %d has no category %q; use one of: %s", f.UsersDCID, name, f.activeCategories()))
		case !bool(cat.IsActive):
			reasons = append(reasons, fmt.Sprintf("category %q is inactive for teacher %d; activate it in PowerTeacher Pro or use one of: %s", name, f.UsersDCID, f.activeCategories()))
		default:
			catID = int64(cat.ID)
		}
	}
	return reasons, catID
}

// category finds a category by name, exactly or else ignoring case.
func (f *SectionFacts) category(name string) *TeacherCategory {
	var fold *TeacherCategory
	for i := range f.Categories {
		c := &f.Categories[i]
		if c.Name == name {
			return c
		}
		if fold == nil && strings.EqualFold(c.Name, name) {
			fold = c
		}
	}
	return fold
}

func (f *SectionFacts) activeCategories() string {
	var names []string
	for _, c := range f.Categories {
		if c.IsActive {
			names = append(names, strconv.Quote(c.Name))
		}
	}
	if len(names) == 0 {
		return "(none is active)"
	}
	return strings.Join(names, ", ")
}

func checkAssignmentName(name string) string {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "the title is empty"
	case n > AssignmentNameMax:
		return fmt.Sprintf("title is %d characters; PowerTeacher Pro allows %d (ASSIGNMENTSECTION.NAME)", n, AssignmentNameMax)
	}
	return ""
}

func parseDate(s string) (time.Time, error) {
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

func sameDay(a, b string) bool {
	ta, errA := parseDate(a)
	tb, errB := parseDate(b)
	return errA == nil && errB == nil && ta.Equal(tb)
}

// ApplyGradebook sends a plan: it creates and updates assignments, then
// writes the scores that differ from what is stored. A row the server
// refuses (409) is added to the rejections and the rest go on; any other
// failure stops the push and is returned with the summary so far.
func (x *XTEService) ApplyGradebook(ctx context.Context, p *GradebookPlan) (GradebookSummary, error) {
	sum := GradebookSummary{Rejected: append([]Rejection(nil), p.Rejected...)}
	for _, r := range p.Rejected {
		if r.Student == "" {
			sum.Assignments.Rejected++
		} else {
			sum.Scores.Rejected++
		}
	}
	f := p.Facts
	for _, pa := range p.Assignments {
		refused, err := x.applyAssignment(ctx, f, pa)
		if err != nil {
			return sum, err
		}
		if refused != "" {
			sum.Assignments.Rejected++
			sum.Rejected = append(sum.Rejected, Rejection{Row: pa.Row, Assignment: pa.Title, Reason: "the server refused it: " + refused})
			for _, s := range pa.Scores {
				sum.Scores.Rejected++
				sum.Rejected = append(sum.Rejected, Rejection{Row: s.Row, Assignment: pa.Title, Student: s.Student, Reason: "not sent because its assignment was refused"})
			}
			continue
		}
		count(&sum.Assignments, pa.Action)
		var writes []ScoreWrite
		var which []*PlannedScore
		for _, s := range pa.Scores {
			if s.Action == ActionUnchanged {
				sum.Scores.Unchanged++
				continue
			}
			writes = append(writes, ScoreWrite{AssignmentID: pa.AssignmentID, AssignmentSectionID: pa.AssignmentSectionID,
				SectionDCID: f.SectionDCID, StudentDCID: s.StudentDCID, Score: s.Score, ScoreID: s.ScoreID, TermID: f.TermsID})
			which = append(which, s)
		}
		if len(writes) == 0 {
			continue
		}
		for start := 0; start < len(writes); start += ScoreBatchSize {
			end := min(start+ScoreBatchSize, len(writes))
			_, err := x.PutScores(ctx, f.UsersDCID, writes[start:end])
			var be *ScoreBatchError
			if errors.As(err, &be) {
				for _, s := range which[start:end] {
					sum.Scores.Rejected++
					reason := "the server refused the batch: " + apiMessage(be.Err)
					switch {
					case be.Blames(s.StudentDCID):
						reason = "the server refused this student (no association with the section; its batch was not written): " + apiMessage(be.Err)
					case len(be.Students) > 0:
						reason = "not written: the server refused its batch because of student(s) with STUDENTS.DCID " + joinInts(be.Students)
					}
					sum.Rejected = append(sum.Rejected, Rejection{Row: s.Row, Assignment: pa.Title, Student: s.Student, Reason: reason})
				}
				continue
			}
			if err != nil {
				return sum, err
			}
			for _, s := range which[start:end] {
				count(&sum.Scores, s.Action)
			}
		}
	}
	return sum, nil
}

// applyAssignment creates or updates pa. refused is the server's reason
// when it answered 409; err is a failure that should stop the push.
func (x *XTEService) applyAssignment(ctx context.Context, f *SectionFacts, pa *PlannedAssignment) (refused string, err error) {
	n := NewAssignment{SectionDCID: f.SectionDCID, YearID: f.YearID, Name: pa.Title, Description: pa.Description,
		DueDate: pa.DueDate, Points: pa.Points, CategoryID: pa.CategoryID}
	switch pa.Action {
	case ActionCreate:
		created, err := x.CreateAssignment(ctx, f.UsersDCID, n)
		if err != nil && ambiguous(ctx, err) {
			// The assignment may exist now: look before sending it again.
			x.c.logger.DebugContext(ctx, "assignment create: answer lost; re-reading the section", "title", pa.Title, "error", err.Error())
			if found, rerr := x.findAssignment(ctx, f, pa.Title); rerr != nil {
				return "", fmt.Errorf("%w; re-reading section %d to see whether %q was created also failed: %v", err, f.SectionDCID, pa.Title, rerr)
			} else if found != nil {
				pa.AssignmentID, pa.AssignmentSectionID = int64(found.ID), int64(found.Section(f.SectionDCID).ID)
				return "", nil
			}
			created, err = x.CreateAssignment(ctx, f.UsersDCID, n)
		}
		if statusOf(err) == http.StatusConflict {
			return apiMessage(err), nil
		}
		if err != nil {
			return "", fmt.Errorf("creating assignment %q: %w", pa.Title, err)
		}
		pa.AssignmentID = created.AssignmentID
		if len(created.AssignmentSectionIDs) > 0 {
			pa.AssignmentSectionID = created.AssignmentSectionIDs[0]
			return "", nil
		}
		a, err := x.GetAssignment(ctx, f.UsersDCID, created.AssignmentID)
		if err != nil {
			return "", fmt.Errorf("assignment %q was created (ID %d) but reading it back failed: %w", pa.Title, created.AssignmentID, err)
		}
		s := a.Section(f.SectionDCID)
		if s == nil {
			return "", fmt.Errorf("assignment %q was created (ID %d) but has no record for section %d", pa.Title, created.AssignmentID, f.SectionDCID)
		}
		pa.AssignmentSectionID = int64(s.ID)
	case ActionUpdate:
		_, err := x.UpdateAssignment(ctx, f.UsersDCID, pa.AssignmentID, n, false)
		if err != nil && ambiguous(ctx, err) {
			x.c.logger.DebugContext(ctx, "assignment update: answer lost; re-reading it", "title", pa.Title, "error", err.Error())
			a, rerr := x.GetAssignment(ctx, f.UsersDCID, pa.AssignmentID)
			if rerr != nil {
				return "", fmt.Errorf("%w; re-reading assignment %d also failed: %v", err, pa.AssignmentID, rerr)
			}
			if s := a.Section(f.SectionDCID); s != nil && sameDay(s.DueDate, n.DueDate) && s.TotalPointValue == n.Points && s.PrimaryCategory() == n.CategoryID {
				return "", nil
			}
			_, err = x.UpdateAssignment(ctx, f.UsersDCID, pa.AssignmentID, n, false)
		}
		if statusOf(err) == http.StatusConflict {
			return apiMessage(err), nil
		}
		if err != nil {
			return "", fmt.Errorf("updating assignment %q: %w", pa.Title, err)
		}
	}
	return "", nil
}

func (x *XTEService) findAssignment(ctx context.Context, f *SectionFacts, title string) (*Assignment, error) {
	list, err := x.ListAssignments(ctx, f.UsersDCID, f.SectionDCID)
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

// apiMessage is the server's own message of an APIError, else err's text.
func apiMessage(err error) string {
	var api *APIError
	if errors.As(err, &api) && api.Message != "" {
		return api.Message
	}
	return err.Error()
}
