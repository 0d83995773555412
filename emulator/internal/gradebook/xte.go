package gradebook

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pskit/pskit/emulator/internal/respond"
)

// xteRoutes registers each /ws/xte route with its method, so a mux that
// counts requests by pattern tells a score write from a read.
func (g *Gradebook) xteRoutes(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET /ws/xte/teacher_category", g.withAccess(needCategories, g.xteCategories))
	for _, p := range []string{"/ws/xte/section/assignment", "/ws/xte/section/assignment/{$}"} {
		handle("GET "+p, g.withAccess(needReadAssignment, g.xteListAssignments))
		handle("POST "+p, g.withAccess(needWriteAssign, g.xteCreateAssignment))
	}
	handle("GET /ws/xte/section/assignment/{id}", g.withAccess(needReadAssignment, g.xteGetAssignment))
	handle("PUT /ws/xte/section/assignment/{id}", g.withAccess(needWriteAssign, g.xteUpdateAssignment))
	handle("DELETE /ws/xte/section/assignment/{id}", g.withAccess(needDeleteAssign, g.xteDeleteAssignment))
	handle("PUT /ws/xte/score", g.withAccess(needWriteScores, g.xtePutScores))
	handle("/ws/xte/", xteHandle(func(r *http.Request) (any, error) {
		return nil, &xteError{status: http.StatusNotFound, Message: "No /ws/xte endpoint at " + r.URL.Path + "; the emulator serves teacher_category, section/assignment and score"}
	}))
}

// xteError is /ws/xte's error body: {"message","errors":[...]}.
type xteError struct {
	status  int
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
}

func (e *xteError) Error() string { return e.Message }

func xteValidation(errs []fieldError) *xteError {
	return &xteError{status: http.StatusConflict, Message: "Validation failed: " + joinMessages(errs), Errors: errs}
}

// xteWire gives an *xteError as the respond.Error the dialect renders.
func xteWire(err error) error {
	var xe *xteError
	if errors.As(err, &xe) {
		return &respond.Error{Status: xe.status, Message: xe.Message, Details: xe.Errors}
	}
	return err
}

// xteHandle answers f in the /ws/xte dialect, its body capped at 4 MiB.
func xteHandle(f respond.Func) http.HandlerFunc {
	h := respond.XTE.Handle(func(r *http.Request) (any, error) {
		v, err := f(r)
		return v, xteWire(err)
	})
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		h(w, r)
	}
}

// usersDCID reads the required users_dcid parameter and checks the user exists.
func (g *Gradebook) usersDCID(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("users_dcid")
	if v == "" {
		return 0, &xteError{status: http.StatusBadRequest, Message: "users_dcid is required for OAuth clients: pass the acting teacher's USERS.DCID"}
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, &xteError{status: http.StatusBadRequest, Message: fmt.Sprintf("users_dcid %q is not a USERS.DCID (a positive whole number)", v)}
	}
	ok, err := userExists(r.Context(), g.db, id)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, &xteError{status: http.StatusNotFound, Message: fmt.Sprintf("users_dcid %d is not a user (USERS.DCID)", id)}
	}
	return id, nil
}

func notTeaching(usersDCID, sectionDCID int64) *xteError {
	return &xteError{status: http.StatusForbidden,
		Message: fmt.Sprintf("User %d does not teach section %d EDIT: pass the section teacher's USERS.DCID as users_dcid", usersDCID, sectionDCID)}
}

// maxBody caps a gradebook write's JSON body.
const maxBody = 4 << 20

// decodeBody reads a JSON request body (capped at maxBody by the caller's
// wrapper).
func decodeBody(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || !strings.HasSuffix(mt, "json") {
			return &xteError{status: http.StatusUnsupportedMediaType, Message: fmt.Sprintf("Content-Type %q is not JSON: send application/json", ct)}
		}
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return &xteError{status: http.StatusBadRequest, Message: "The request body is empty: send a JSON object"}
		}
		return &xteError{status: http.StatusBadRequest, Message: "The request body is not valid for this endpoint: " + err.Error()}
	}
	return nil
}

func pathID(r *http.Request, what string) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, &xteError{status: http.StatusBadRequest, Message: fmt.Sprintf("%s id %q is not a positive whole number", what, v)}
	}
	return id, nil
}

// --- teacher categories ---

type xteCategory struct {
	TeacherCategoryID         int64  `json:"teachercategoryid"`
	Name                      string `json:"name"`
	IsActive                  bool   `json:"isactive"`
	IsInFinalGrades           bool   `json:"isinfinalgrades"`
	DistrictTeacherCategoryID *int64 `json:"districtteachercategoryid"`
	UsersDCID                 int64  `json:"usersdcid"`
	YearID                    *int64 `json:"yearid"`
	Color                     string `json:"color"`
}

func (g *Gradebook) xteCategories(r *http.Request) (any, error) {
	user, err := g.usersDCID(r)
	if err != nil {
		return nil, err
	}
	where, args := "WHERE USERSDCID = ?", []any{user}
	if v := r.URL.Query().Get("year_id"); v != "" {
		year, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, &xteError{status: http.StatusBadRequest, Message: fmt.Sprintf("year_id %q is not a whole number (TERMS.YEARID, e.g. 35 for 2025-26)", v)}
		}
		where += " AND (YEARID = ? OR YEARID IS NULL)"
		args = append(args, year)
	}
	cs, err := categories(r.Context(), g.db, where+" ORDER BY DISPLAYPOSITION, TEACHERCATEGORYID", args...)
	if err != nil {
		return nil, err
	}
	out := make([]xteCategory, 0, len(cs))
	for _, c := range cs {
		x := xteCategory{TeacherCategoryID: c.ID, Name: c.Name, IsActive: c.Active, IsInFinalGrades: c.InFinal, UsersDCID: c.UsersDCID, Color: c.Color}
		if c.DistrictID.Valid {
			x.DistrictTeacherCategoryID = &c.DistrictID.Int64
		}
		if c.YearID.Valid {
			x.YearID = &c.YearID.Int64
		}
		out = append(out, x)
	}
	return out, nil
}

// --- assignments ---

type xteCatAssoc struct {
	TeacherCategoryID int64 `json:"teachercategoryid"`
	IsPrimary         bool  `json:"isprimary"`
}

type xteSection struct {
	AssignmentSectionID   int64          `json:"assignmentsectionid"`
	SectionsDCID          int64          `json:"sectionsdcid"`
	Name                  string         `json:"name"`
	Description           string         `json:"description"`
	DueDate               string         `json:"duedate"`
	ScoreType             string         `json:"scoretype"`
	ScoreEntryPoints      float64        `json:"scoreentrypoints"`
	TotalPointValue       float64        `json:"totalpointvalue"`
	ExtraCreditPoints     float64        `json:"extracreditpoints"`
	Weight                float64        `json:"weight"`
	IsCountedInFinalGrade bool           `json:"iscountedinfinalgrade"`
	IsScoresPublish       bool           `json:"isscorespublish"`
	YearID                int64          `json:"yearid"`
	Categories            []xteCatAssoc  `json:"_assignmentcategoryassociations"`
	Scores                *[]xteScoreOut `json:"_assignmentscores,omitempty"`
}

type xteAssignment struct {
	AssignmentID          int64        `json:"assignmentid"`
	StandardScoringMethod string       `json:"standardscoringmethod"`
	Sections              []xteSection `json:"_assignmentsections"`
}

type xteScoreOut struct {
	AssignmentScoreID  int64           `json:"assignmentscoreid,omitempty"` // absent from the PUT /ws/xte/score answer
	StudentsDCID       int64           `json:"studentsdcid"`
	ActualScoreEntered string          `json:"actualscoreentered"`
	ActualScoreKind    string          `json:"actualscorekind"`
	ScorePoints        *float64        `json:"scorepoints"`
	IsLate             bool            `json:"islate"`
	IsExempt           bool            `json:"isexempt"`
	IsMissing          bool            `json:"ismissing"`
	IsCollected        bool            `json:"iscollected"`
	IsAbsent           bool            `json:"isabsent"`
	IsIncomplete       bool            `json:"isincomplete"`
	CommentValue       string          `json:"commentvalue,omitempty"`
	ScoreEntryDate     string          `json:"scoreentrydate"`
	AssignmentSection  *xteScoreTarget `json:"_assignmentsection,omitempty"`
}

type xteScoreTarget struct {
	AssignmentSectionID int64 `json:"assignmentsectionid"`
	SectionsDCID        int64 `json:"sectionsdcid"`
	Assignment          struct {
		AssignmentID int64 `json:"assignmentid"`
	} `json:"_assignment"`
}

func toXTEScore(r scoreRow, withTarget bool) xteScoreOut {
	out := xteScoreOut{AssignmentScoreID: r.ID, StudentsDCID: r.StudentDCID, ActualScoreEntered: r.Entered, ActualScoreKind: r.Kind,
		IsLate: r.Late, IsExempt: r.Exempt, IsMissing: r.Missing, IsCollected: r.Collected, IsAbsent: r.Absent,
		IsIncomplete: r.Incomplete, CommentValue: r.Comment, ScoreEntryDate: r.EntryDate}
	if r.Points.Valid {
		out.ScorePoints = &r.Points.Float64
	}
	if withTarget {
		t := &xteScoreTarget{AssignmentSectionID: r.SectionID, SectionsDCID: r.SectionsDCID}
		t.Assignment.AssignmentID = r.AssignmentID
		out.AssignmentSection = t
	}
	return out
}

// assignmentsJSON groups assignment sections by assignment, in first-seen
// order; scores, when given, are attached to their sections.
func assignmentsJSON(secs []asgSection, scoresBySection map[int64][]scoreRow) []xteAssignment {
	out := []xteAssignment{}
	idx := map[int64]int{}
	for _, s := range secs {
		i, ok := idx[s.AssignmentID]
		if !ok {
			i = len(out)
			idx[s.AssignmentID] = i
			out = append(out, xteAssignment{AssignmentID: s.AssignmentID, StandardScoringMethod: s.Method})
		}
		x := xteSection{AssignmentSectionID: s.ID, SectionsDCID: s.SectionsDCID, Name: s.Name, Description: s.Description,
			DueDate: s.DueDate, ScoreType: s.ScoreType, ScoreEntryPoints: s.ScoreEntryPoints, TotalPointValue: s.TotalPointValue,
			ExtraCreditPoints: s.ExtraCreditPoints, Weight: s.Weight, IsCountedInFinalGrade: s.Counted, IsScoresPublish: s.Publish,
			YearID: s.YearID, Categories: []xteCatAssoc{}}
		for _, c := range s.Cats {
			x.Categories = append(x.Categories, xteCatAssoc{TeacherCategoryID: c.CategoryID, IsPrimary: c.Primary})
		}
		if scoresBySection != nil {
			list := []xteScoreOut{}
			for _, sc := range scoresBySection[s.ID] {
				list = append(list, toXTEScore(sc, false))
			}
			x.Scores = &list
		}
		out[i].Sections = append(out[i].Sections, x)
	}
	return out
}

func (g *Gradebook) xteListAssignments(r *http.Request) (any, error) {
	user, err := g.usersDCID(r)
	if err != nil {
		return nil, err
	}
	raw := r.URL.Query().Get("section_ids")
	if raw == "" {
		return nil, &xteError{status: http.StatusBadRequest, Message: "section_ids is required: a comma-separated list of SECTIONS.DCID"}
	}
	var ids []string
	for _, part := range strings.Split(raw, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil {
			return nil, &xteError{status: http.StatusBadRequest, Message: fmt.Sprintf("section_ids: %q is not a SECTIONS.DCID", part)}
		}
		sec, err := g.section(r.Context(), g.db, id)
		if errors.Is(err, ErrUnknownSection) {
			return nil, &xteError{status: http.StatusNotFound, Message: fmt.Sprintf("Section %d not found (section_ids takes SECTIONS.DCID)", id)}
		}
		if err != nil {
			return nil, err
		}
		if sec.teacherDCID != user {
			return nil, notTeaching(user, id)
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	secs, err := asgSections(r.Context(), g.db, "WHERE s.SECTIONSDCID IN ("+strings.Join(ids, ",")+") ORDER BY s.ASSIGNMENTID, s.ASSIGNMENTSECTIONID")
	if err != nil {
		return nil, err
	}
	return assignmentsJSON(secs, nil), nil
}

type xteAssignmentIn struct {
	AssignmentID          int64          `json:"assignmentid"`
	StandardScoringMethod string         `json:"standardscoringmethod"`
	Sections              []xteSectionIn `json:"_assignmentsections"`
}

type xteSectionIn struct {
	AssignmentSectionID   int64         `json:"assignmentsectionid"`
	SectionsDCID          int64         `json:"sectionsdcid"`
	Name                  string        `json:"name"`
	Description           string        `json:"description"`
	DueDate               string        `json:"duedate"`
	ScoreType             string        `json:"scoretype"`
	ScoreEntryPoints      *float64      `json:"scoreentrypoints"`
	TotalPointValue       *float64      `json:"totalpointvalue"`
	ExtraCreditPoints     float64       `json:"extracreditpoints"`
	Weight                *float64      `json:"weight"`
	IsCountedInFinalGrade *bool         `json:"iscountedinfinalgrade"`
	IsScoresPublish       *bool         `json:"isscorespublish"`
	Categories            []xteCatAssoc `json:"_assignmentcategoryassociations"`
}

// row turns a request section into a row and the input validateSection takes.
func (in xteSectionIn) row() (asgSection, sectionInput) {
	weight := 1.0
	if in.Weight != nil {
		weight = *in.Weight
	}
	var entry, total float64
	switch {
	case in.ScoreEntryPoints != nil && in.TotalPointValue != nil:
		entry, total = *in.ScoreEntryPoints, *in.TotalPointValue
	case in.TotalPointValue != nil:
		total = *in.TotalPointValue
		entry = total
		if weight != 0 {
			entry = total / weight
		}
	case in.ScoreEntryPoints != nil:
		entry, total = *in.ScoreEntryPoints, *in.ScoreEntryPoints*weight
	}
	scoreType := in.ScoreType
	if scoreType == "" {
		scoreType = "POINTS"
	}
	s := asgSection{ID: in.AssignmentSectionID, SectionsDCID: in.SectionsDCID, Name: in.Name, Description: in.Description,
		DueDate: in.DueDate, ScoreType: strings.ToUpper(scoreType), ScoreEntryPoints: entry, TotalPointValue: total,
		ExtraCreditPoints: in.ExtraCreditPoints, Weight: weight, Counted: true, Publish: true}
	if in.IsCountedInFinalGrade != nil {
		s.Counted = *in.IsCountedInFinalGrade
	}
	if in.IsScoresPublish != nil {
		s.Publish = *in.IsScoresPublish
	}
	v := sectionInput{SectionsDCID: in.SectionsDCID, Name: in.Name, DueDate: in.DueDate, ScoreType: scoreType, TotalPoints: total}
	for _, c := range in.Categories {
		s.Cats = append(s.Cats, catAssoc{CategoryID: c.TeacherCategoryID, Primary: c.IsPrimary})
		v.CategoryIDs = append(v.CategoryIDs, c.TeacherCategoryID)
	}
	return s, v
}

// checkSections validates request sections for the acting teacher and
// returns them ready to store.
func (g *Gradebook) checkSections(ctx context.Context, q querier, user int64, in []xteSectionIn) ([]asgSection, error) {
	if len(in) == 0 {
		return nil, xteValidation([]fieldError{{Resource: "assignment", Field: "_assignmentsections", Code: "REQUIRED",
			message: "_assignmentsections needs at least one section"}})
	}
	var rows []asgSection
	var errs []fieldError
	for _, s := range in {
		row, v := s.row()
		sec, ferrs, err := g.validateSection(ctx, q, user, v)
		if err != nil {
			return nil, err
		}
		if len(ferrs) == 0 || ferrs[0].Code != "NOT_FOUND" || ferrs[0].Field != "sectionsdcid" {
			if sec.teacherDCID != user {
				return nil, notTeaching(user, s.SectionsDCID)
			}
		}
		errs = append(errs, ferrs...)
		row.YearID = sec.yearID()
		rows = append(rows, row)
	}
	if len(errs) > 0 {
		return nil, xteValidation(errs)
	}
	return rows, nil
}

func (g *Gradebook) xteCreateAssignment(r *http.Request) (any, error) {
	user, err := g.usersDCID(r)
	if err != nil {
		return nil, err
	}
	var in xteAssignmentIn
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	ctx := r.Context()
	var assignmentID int64
	var sectionIDs []int64
	err = g.write(ctx, func(tx *sql.Tx) error {
		rows, err := g.checkSections(ctx, tx, user, in.Sections)
		if err != nil {
			return err
		}
		method := in.StandardScoringMethod
		if method == "" {
			method = "GradeScale"
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO ASSIGNMENT (STANDARDSCORINGMETHOD) VALUES (?)", method)
		if err != nil {
			return fmt.Errorf("writing assignment: %w", err)
		}
		if assignmentID, err = res.LastInsertId(); err != nil {
			return err
		}
		now := g.now().Format(time.RFC3339)
		for _, row := range rows {
			id, err := insertSection(ctx, tx, assignmentID, row, now)
			if err != nil {
				return err
			}
			sectionIDs = append(sectionIDs, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids, _ := json.Marshal(sectionIDs)
	h := http.Header{}
	h.Set("Location", serverURL(r)+"/ws/xte/section/assignment/"+strconv.FormatInt(assignmentID, 10))
	h.Set("AssignmentSectionIds", string(ids))
	return &respond.Reply{Status: http.StatusCreated, Header: h}, nil
}

// serverURL is the scheme and host the client used.
func serverURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// assignmentFor loads an assignment's sections and checks the user teaches
// at least one of them.
func (g *Gradebook) assignmentFor(ctx context.Context, q querier, user, id int64) ([]asgSection, error) {
	secs, err := asgSections(ctx, q, "WHERE s.ASSIGNMENTID = ? ORDER BY s.ASSIGNMENTSECTIONID", id)
	if err != nil {
		return nil, err
	}
	if len(secs) == 0 {
		return nil, &xteError{status: http.StatusNotFound, Message: fmt.Sprintf("Assignment %d not found (the id is the last segment of the Location header from the create)", id)}
	}
	for _, s := range secs {
		sec, err := g.section(ctx, q, s.SectionsDCID)
		if err != nil && !errors.Is(err, ErrUnknownSection) {
			return nil, err
		}
		if sec.teacherDCID == user {
			return secs, nil
		}
	}
	return nil, notTeaching(user, secs[0].SectionsDCID)
}

func (g *Gradebook) assignmentWithScores(ctx context.Context, q querier, secs []asgSection) (xteAssignment, error) {
	rows, err := scores(ctx, q, "WHERE s.ASSIGNMENTID = ? ORDER BY sc.STUDENTSDCID", secs[0].AssignmentID)
	if err != nil {
		return xteAssignment{}, err
	}
	by := map[int64][]scoreRow{}
	for _, r := range rows {
		by[r.SectionID] = append(by[r.SectionID], r)
	}
	return assignmentsJSON(secs, by)[0], nil
}

func (g *Gradebook) xteGetAssignment(r *http.Request) (any, error) {
	user, err := g.usersDCID(r)
	if err == nil {
		var id int64
		if id, err = pathID(r, "assignment"); err == nil {
			var secs []asgSection
			if secs, err = g.assignmentFor(r.Context(), g.db, user, id); err == nil {
				var a xteAssignment
				if a, err = g.assignmentWithScores(r.Context(), g.db, secs); err == nil {
					return a, nil
				}
			}
		}
	}
	return nil, err
}

func (g *Gradebook) xteUpdateAssignment(r *http.Request) (any, error) {
	user, err := g.usersDCID(r)
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "assignment")
	if err != nil {
		return nil, err
	}
	var in xteAssignmentIn
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	if in.AssignmentID != 0 && in.AssignmentID != id {
		return nil, &xteError{status: http.StatusBadRequest, Message: fmt.Sprintf("Body assignmentid %d does not match the path's %d", in.AssignmentID, id)}
	}
	ctx := r.Context()
	var out xteAssignment
	err = g.write(ctx, func(tx *sql.Tx) error {
		existing, err := g.assignmentFor(ctx, tx, user, id)
		if err != nil {
			return err
		}
		rows, err := g.checkSections(ctx, tx, user, in.Sections)
		if err != nil {
			return err
		}
		now := g.now().Format(time.RFC3339)
		for _, row := range rows {
			match := int64(0)
			for _, e := range existing {
				if (row.ID != 0 && e.ID == row.ID) || (row.ID == 0 && e.SectionsDCID == row.SectionsDCID) {
					match = e.ID
				}
			}
			if row.ID != 0 && match == 0 {
				return xteValidation([]fieldError{{Resource: "assignmentsection", Field: "assignmentsectionid", Code: "NOT_FOUND",
					Value: strconv.FormatInt(row.ID, 10), message: fmt.Sprintf("assignmentsectionid %d is not part of assignment %d", row.ID, id)}})
			}
			if match == 0 {
				if _, err := insertSection(ctx, tx, id, row, now); err != nil {
					return err
				}
				continue
			}
			row.ID = match
			if err := updateSection(ctx, tx, row, now); err != nil {
				return err
			}
		}
		if in.StandardScoringMethod != "" {
			if _, err := tx.ExecContext(ctx, "UPDATE ASSIGNMENT SET STANDARDSCORINGMETHOD = ? WHERE ASSIGNMENTID = ?", in.StandardScoringMethod, id); err != nil {
				return fmt.Errorf("updating assignment %d: %w", id, err)
			}
		}
		secs, err := g.assignmentFor(ctx, tx, user, id)
		if err != nil {
			return err
		}
		out, err = g.assignmentWithScores(ctx, tx, secs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (g *Gradebook) xteDeleteAssignment(r *http.Request) (any, error) {
	user, err := g.usersDCID(r)
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "assignment")
	if err != nil {
		return nil, err
	}
	force := r.URL.Query().Get("force") == "true"
	ctx := r.Context()
	err = g.write(ctx, func(tx *sql.Tx) error {
		secs, err := g.assignmentFor(ctx, tx, user, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ASSIGNMENTSCORE sc JOIN ASSIGNMENTSECTION s
			ON s.ASSIGNMENTSECTIONID = sc.ASSIGNMENTSECTIONID WHERE s.ASSIGNMENTID = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("counting scores of assignment %d: %w", id, err)
		}
		if n > 0 && !force {
			return &xteError{status: http.StatusPreconditionFailed,
				Message: fmt.Sprintf("Assignment %d has %d scores; delete with force=true to remove them too", id, n)}
		}
		ids := make([]int64, len(secs))
		for i, s := range secs {
			ids[i] = s.ID
		}
		return deleteSections(ctx, tx, ids...)
	})
	if err != nil {
		return nil, err
	}
	return &respond.Reply{Status: http.StatusNoContent}, nil
}

// --- scores ---

type xteScoreIn struct {
	AssignmentScoreID  int64    `json:"assignmentscoreid"`
	StudentsDCID       int64    `json:"studentsdcid"`
	ActualScoreEntered *string  `json:"actualscoreentered"`
	ActualScoreKind    string   `json:"actualscorekind"`
	ScorePoints        *float64 `json:"scorepoints"`
	IsLate             bool     `json:"islate"`
	IsExempt           bool     `json:"isexempt"`
	IsMissing          bool     `json:"ismissing"`
	IsCollected        bool     `json:"iscollected"`
	IsAbsent           bool     `json:"isabsent"`
	IsIncomplete       bool     `json:"isincomplete"`
	CommentValue       string   `json:"commentvalue"`
	AssignmentSection  struct {
		AssignmentSectionID int64 `json:"assignmentsectionid"`
		SectionsDCID        int64 `json:"sectionsdcid"`
	} `json:"_assignmentsection"`
}

func scoreError(field, code, value, format string, args ...any) *xteError {
	msg := fmt.Sprintf(format, args...)
	return &xteError{status: http.StatusConflict, Message: msg,
		Errors: []fieldError{{Resource: "assignment_score", Field: field, Code: code, Value: value}}}
}

func (g *Gradebook) xtePutScores(r *http.Request) (any, error) {
	user, err := g.usersDCID(r)
	if err != nil {
		return nil, err
	}
	var in struct {
		Scores []xteScoreIn `json:"assignment_scores"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	if len(in.Scores) == 0 {
		return nil, &xteError{status: http.StatusBadRequest, Message: `assignment_scores is empty: send {"assignment_scores":[...]}`}
	}
	// term_id is the section's TERMS.ID in the live request; the emulator
	// checks only that it is a number, since PowerSchool's use of it is
	// not documented.
	if v := r.URL.Query().Get("term_id"); v != "" {
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return nil, &xteError{status: http.StatusBadRequest, Message: fmt.Sprintf("term_id %q is not a TERMS.ID (a whole number): pass the section's term", v)}
		}
	}
	if g.takeResubmit() {
		return nil, &xteError{status: http.StatusPreconditionFailed, Message: "Resubmit"}
	}
	ctx := r.Context()
	var out []xteScoreOut
	err = g.write(ctx, func(tx *sql.Tx) error {
		inputs := make([]scoreInput, 0, len(in.Scores))
		sections := map[int64]sectionInfo{}
		var notEnrolled []fieldError
		for i, s := range in.Scores {
			sid := s.AssignmentSection.AssignmentSectionID
			if sid == 0 {
				return scoreError("assignmentsectionid", "REQUIRED", "", "assignment_scores[%d]: _assignmentsection.assignmentsectionid is required", i)
			}
			sec, ok := sections[sid]
			if !ok {
				secs, err := asgSections(ctx, tx, "WHERE s.ASSIGNMENTSECTIONID = ?", sid)
				if err != nil {
					return err
				}
				if len(secs) == 0 {
					// PowerSchool answers a write to a deleted assignment this way.
					return &xteError{status: http.StatusInternalServerError, Message: fmt.Sprintf("Unable to find AssignmentSection with id %d", sid)}
				}
				if sec, err = g.section(ctx, tx, secs[0].SectionsDCID); err != nil {
					return err
				}
				if sec.teacherDCID != user {
					return notTeaching(user, sec.dcid)
				}
				sections[sid] = sec
			}
			if d := s.AssignmentSection.SectionsDCID; d != 0 && d != sec.dcid {
				return scoreError("sectionsdcid", "INVALID_VALUE", strconv.FormatInt(d, 10),
					"assignment_scores[%d]: assignment section %d belongs to section %d, not %d", i, sid, sec.dcid, d)
			}
			if s.StudentsDCID <= 0 {
				return scoreError("studentsdcid", "REQUIRED", "", "assignment_scores[%d]: studentsdcid is required (STUDENTS.DCID)", i)
			}
			ok, err := enrolled(ctx, tx, sec, s.StudentsDCID)
			if err != nil {
				return err
			}
			if !ok {
				// PowerTeacher Pro refuses the whole batch, naming each
				// student in errors[].params.student_dcid.
				notEnrolled = append(notEnrolled, fieldError{Resource: "assignment_score", Field: "studentsdcid", Code: "NOT_ENROLLED",
					Value: strconv.FormatInt(s.StudentsDCID, 10), Params: map[string]any{"student_dcid": s.StudentsDCID},
					message: fmt.Sprintf("Student %d is not enrolled in section %d", s.StudentsDCID, sec.dcid)})
				continue
			}
			if s.AssignmentScoreID != 0 {
				var stored int64
				err := tx.QueryRowContext(ctx, "SELECT ASSIGNMENTSCOREID FROM ASSIGNMENTSCORE WHERE ASSIGNMENTSECTIONID = ? AND STUDENTSDCID = ?",
					sid, s.StudentsDCID).Scan(&stored)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("reading the score of student %d: %w", s.StudentsDCID, err)
				}
				if stored != s.AssignmentScoreID {
					return &xteError{status: http.StatusPreconditionFailed, Message: "Resubmit"}
				}
			}
			sc := scoreInput{SectionID: sid, StudentDCID: s.StudentsDCID, Kind: s.ActualScoreKind, Late: s.IsLate,
				Exempt: s.IsExempt, Missing: s.IsMissing, Collected: s.IsCollected, Absent: s.IsAbsent,
				Incomplete: s.IsIncomplete, Comment: s.CommentValue, EntryDate: g.now().Format(time.RFC3339)}
			if sc.Kind == "" {
				sc.Kind = "REAL_SCORE"
			}
			switch {
			case s.ActualScoreEntered != nil && strings.TrimSpace(*s.ActualScoreEntered) != "":
				v := strings.TrimSpace(*s.ActualScoreEntered)
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return scoreError("actualscoreentered", "INVALID_VALUE", v,
						"assignment_scores[%d]: actualscoreentered %q is not a number of points (the emulator scores POINTS only)", i, v)
				}
				sc.Entered, sc.Points = v, sql.NullFloat64{Float64: f, Valid: true}
			case s.ScorePoints != nil:
				sc.Entered, sc.Points = formatPoints(*s.ScorePoints), sql.NullFloat64{Float64: *s.ScorePoints, Valid: true}
			}
			inputs = append(inputs, sc)
		}
		if len(notEnrolled) > 0 {
			return &xteError{status: http.StatusConflict, Message: joinMessages(notEnrolled) +
				"; nothing in this batch was written: remove the student(s) or enroll them in the section, then send it again",
				Errors: notEnrolled}
		}
		now := g.now().Format(time.RFC3339)
		ids := make([]string, 0, len(inputs))
		for _, sc := range inputs {
			id, _, err := upsertScore(ctx, tx, sc, now)
			if err != nil {
				return err
			}
			ids = append(ids, strconv.FormatInt(id, 10))
		}
		rows, err := scores(ctx, tx, "WHERE sc.ASSIGNMENTSCOREID IN ("+strings.Join(ids, ",")+")")
		if err != nil {
			return err
		}
		byID := map[int64]scoreRow{}
		for _, r := range rows {
			byID[r.ID] = r
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			n, _ := strconv.ParseInt(id, 10, 64)
			row := toXTEScore(byID[n], true)
			// The live answer names each student but carries no
			// assignmentscoreid; clients re-read it with GET assignment.
			row.AssignmentScoreID = 0
			out = append(out, row)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"assignment_scores": out}, nil
}
