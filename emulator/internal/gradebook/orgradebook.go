package gradebook

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pskit/pskit/emulator/internal/respond"
)

var (
	categoryFields = fieldsOf("title")
	lineItemFields = fieldsOf("title", "description", "assignDate", "dueDate", "class", "category", "gradingPeriod", "resultValueMin", "resultValueMax")
	resultFields   = fieldsOf("lineItem", "student", "scoreStatus", "score", "scoreDate", "comment")
)

// Ids of this form name rows created through /ws/xte, so a client may not
// choose them.
var (
	reservedLineItem = regexp.MustCompile(`^a[0-9]+$`)
	reservedResult   = regexp.MustCompile(`^r[0-9]+$`)
	reservedCategory = regexp.MustCompile(`^[0-9]+$`)
)

func (g *Gradebook) gradebookRoutes(mux *http.ServeMux) {
	categories := collection{"categories", "category", categoryFields, mem(loadCategories)}
	lineItems := collection{"lineItems", "lineItem", lineItemFields, mem(loadLineItems)}
	results := collection{"results", "result", resultFields, mem(loadResults)}
	for path, c := range map[string]collection{"categories": categories, "lineItems": lineItems, "results": results} {
		mux.HandleFunc("GET /"+path, orHandle(g.list(c)))
		mux.HandleFunc("GET /"+path+"/{id}", orHandle(g.one(c, path)))
	}
	mux.HandleFunc("PUT /categories/{id}", orHandle(g.putCategory))
	mux.HandleFunc("PUT /lineItems/{id}", g.withORAccess(needWriteAssign, g.putLineItem))
	mux.HandleFunc("PUT /results/{id}", g.withORAccess(needWriteScores, g.putResult))
	mux.HandleFunc("DELETE /categories/{id}", orHandle(g.deleteCategory))
	mux.HandleFunc("DELETE /lineItems/{id}", g.withORAccess(needDeleteAssign, g.deleteLineItem))
	mux.HandleFunc("DELETE /results/{id}", g.withORAccess(needWriteScores, g.deleteResult))

	classScoped := func(c collection, pred func(r *http.Request, rec record) (bool, error)) respond.Func {
		return func(r *http.Request) (any, error) {
			ctx, src := r.Context(), g.source(r)
			if _, ok, err := classesPart.byID(ctx, src, r.PathValue("class")); err != nil || !ok {
				if err == nil {
					err = unknownObject("no class with sourcedId %q", r.PathValue("class"))
				}
				return nil, err
			}
			all, err := loadAll(ctx, src, c.parts(r.PathValue("id")))
			if err != nil {
				return nil, err
			}
			var out []record
			for _, rec := range all {
				ok, err := pred(r, rec)
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, rec)
				}
			}
			return g.collectionAnswer(r, c.plural, c.fields, out)
		}
	}
	inClass := func(r *http.Request, rec record) (bool, error) {
		return refID(rec["class"]) == r.PathValue("class"), nil
	}
	mux.HandleFunc("GET /classes/{class}/lineItems", orHandle(classScoped(lineItems, inClass)))
	mux.HandleFunc("GET /classes/{class}/results", orHandle(classScoped(results, func(r *http.Request, rec record) (bool, error) {
		return rec["metadata"].(record)["classSourcedId"] == r.PathValue("class"), nil
	})))
	mux.HandleFunc("GET /classes/{class}/lineItems/{li}/results", orHandle(func(r *http.Request) (any, error) {
		items, err := loadLineItems(r.Context(), g.source(r))
		if err != nil {
			return nil, err
		}
		li, ok := find(items, r.PathValue("li"))
		if !ok || refID(li["class"]) != r.PathValue("class") {
			return nil, unknownObject("no lineItem %q in class %q", r.PathValue("li"), r.PathValue("class"))
		}
		return classScoped(results, func(r *http.Request, rec record) (bool, error) {
			return refID(rec["lineItem"]) == r.PathValue("li"), nil
		})(r)
	}))
	mux.HandleFunc("GET /classes/{class}/students/{student}/results", orHandle(func(r *http.Request) (any, error) {
		if _, ok, err := studentsPart.byID(r.Context(), g.source(r), r.PathValue("student")); err != nil || !ok {
			if err == nil {
				err = unknownObject("no student with sourcedId %q", r.PathValue("student"))
			}
			return nil, err
		}
		return classScoped(results, func(r *http.Request, rec record) (bool, error) {
			return refID(rec["student"]) == r.PathValue("student") && rec["metadata"].(record)["classSourcedId"] == r.PathValue("class"), nil
		})(r)
	}))
}

// --- records ---

func modified(s string) string {
	if s == "" {
		return rosterModified
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func categoryID(c category) string {
	if c.ExternalID != "" {
		return c.ExternalID
	}
	return str(c.ID)
}

func categoryRecord(c category) record {
	rec := base(categoryID(c))
	rec["dateLastModified"] = modified(c.Modified)
	rec["title"] = c.Name
	meta := record{"teacherCategoryId": c.ID, "userDcid": c.UsersDCID, "isActive": c.Active}
	if c.YearID.Valid {
		meta["yearId"] = c.YearID.Int64
	}
	rec["metadata"] = meta
	return rec
}

func loadCategories(ctx context.Context, src source) ([]record, error) {
	cs, err := categories(ctx, src.db, "ORDER BY TEACHERCATEGORYID")
	if err != nil {
		return nil, err
	}
	out := make([]record, len(cs))
	for i, c := range cs {
		out[i] = categoryRecord(c)
	}
	return out, nil
}

func loadLineItems(ctx context.Context, src source) ([]record, error) {
	return lineItemRecords(ctx, src.root, src.db, "ORDER BY s.ASSIGNMENTSECTIONID")
}

// lineItemRecords reads line items through q (the database or a
// transaction), with links under the OneRoster root.
func lineItemRecords(ctx context.Context, root string, q querier, where string, args ...any) ([]record, error) {
	secs, err := asgSections(ctx, q, where, args...)
	if err != nil {
		return nil, err
	}
	cs, err := categories(ctx, q, "")
	if err != nil {
		return nil, err
	}
	catID := map[int64]string{}
	for _, c := range cs {
		catID[c.ID] = categoryID(c)
	}
	// The grading period holding the due date, within the section's school year.
	periods := map[int64]int64{}
	rows, err := q.QueryContext(ctx, `SELECT s.ASSIGNMENTSECTIONID, (SELECT t.DCID FROM SECTIONS x JOIN TERMS t
			ON t.SCHOOLID = x.SCHOOLID AND t.PORTION > 1 AND t.YEARID = x.TERMID / 100
			WHERE x.DCID = s.SECTIONSDCID AND s.DUEDATE BETWEEN t.FIRSTDAY AND t.LASTDAY ORDER BY t.PORTION DESC, t.FIRSTDAY LIMIT 1)
		FROM ASSIGNMENTSECTION s`)
	if err != nil {
		return nil, fmt.Errorf("reading grading periods: %w", err)
	}
	for rows.Next() {
		var id int64
		var gp sql.NullInt64
		if err := rows.Scan(&id, &gp); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading grading periods: %w", err)
		}
		if gp.Valid {
			periods[id] = gp.Int64
		}
	}
	rows.Close()
	out := make([]record, len(secs))
	for i, s := range secs {
		rec := base(s.lineItemID())
		rec["dateLastModified"] = modified(s.Modified)
		rec["title"], rec["description"] = s.Name, s.Description
		rec["assignDate"] = s.DueDate + "T00:00:00.000Z" // PowerTeacher Pro keeps no assign date
		rec["dueDate"] = s.DueDate + "T00:00:00.000Z"
		rec["class"] = refTo(root, "class", "classes", str(s.SectionsDCID))
		if c := s.primaryCategory(); c != 0 {
			rec["category"] = refTo(root, "category", "categories", catID[c])
		}
		if gp, ok := periods[s.ID]; ok {
			rec["gradingPeriod"] = refTo(root, "academicSession", "academicSessions", "gp-"+str(gp))
		}
		rec["resultValueMin"], rec["resultValueMax"] = 0.0, s.TotalPointValue
		rec["metadata"] = record{"assignmentId": s.AssignmentID, "assignmentSectionId": s.ID, "scoreType": s.ScoreType}
		out[i] = rec
	}
	return out, nil
}

func resultRecord(root string, s scoreRow) record {
	rec := base(s.resultID())
	rec["dateLastModified"] = modified(s.Modified)
	rec["lineItem"] = refTo(root, "lineItem", "lineItems", s.LineItemID)
	rec["student"] = refTo(root, "user", "users", str(s.StudentDCID))
	switch {
	case s.Exempt:
		rec["scoreStatus"] = "exempt"
	case s.Missing:
		rec["scoreStatus"] = "not submitted"
	default:
		rec["scoreStatus"] = "fully graded"
	}
	rec["score"] = 0.0
	if s.Points.Valid {
		rec["score"] = s.Points.Float64
	}
	if len(s.EntryDate) >= 10 {
		rec["scoreDate"] = s.EntryDate[:10]
	}
	rec["comment"] = s.Comment
	rec["metadata"] = record{"assignmentScoreId": s.ID, "classSourcedId": str(s.SectionsDCID)}
	return rec
}

func loadResults(ctx context.Context, src source) ([]record, error) {
	rows, err := scores(ctx, src.db, "ORDER BY sc.ASSIGNMENTSCOREID")
	if err != nil {
		return nil, err
	}
	out := make([]record, len(rows))
	for i, s := range rows {
		out[i] = resultRecord(src.root, s)
	}
	return out, nil
}

// --- writes ---

// number decodes a JSON number or a numeric string.
type number struct {
	set bool
	v   float64
}

func (n *number) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := strings.Trim(string(b), `"`)
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%s is not a number", b)
	}
	n.set, n.v = true, f
	return nil
}

type ref struct {
	SourcedID string `json:"sourcedId"`
}

// decodeOR reads a OneRoster PUT body {"<key>": {...}}.
func decodeOR(r *http.Request, key string, v any) error {
	var wrapper map[string]json.RawMessage
	if err := decodeBody(r, &wrapper); err != nil {
		var xe *xteError
		if errors.As(err, &xe) {
			return &orError{status: xe.status, minor: "invaliddata", msg: xe.Message}
		}
		return err
	}
	raw, ok := wrapper[key]
	if !ok {
		return invalidData("the body must be {%q: {...}}", key)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return invalidData("%s: %v", key, err)
	}
	return nil
}

// parseDay reads a date or date-time (clients send either) as a UTC day.
func parseDay(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 date-time", s)
}

func putStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (g *Gradebook) findCategory(ctx context.Context, q querier, id string) (category, bool, error) {
	cs, err := categories(ctx, q, "WHERE EXTERNALID = ? OR (EXTERNALID IS NULL AND CAST(TEACHERCATEGORYID AS TEXT) = ?)", id, id)
	if err != nil || len(cs) == 0 {
		return category{}, false, err
	}
	return cs[0], true, nil
}

func findLineItem(ctx context.Context, q querier, id string) (asgSection, bool, error) {
	secs, err := asgSections(ctx, q, "WHERE a.EXTERNALID = ? OR (a.EXTERNALID IS NULL AND 'a' || s.ASSIGNMENTSECTIONID = ?)", id, id)
	if err != nil || len(secs) == 0 {
		return asgSection{}, false, err
	}
	return secs[0], true, nil
}

func findResult(ctx context.Context, q querier, id string) (scoreRow, bool, error) {
	rows, err := scores(ctx, q, "WHERE sc.EXTERNALID = ? OR (sc.EXTERNALID IS NULL AND 'r' || sc.ASSIGNMENTSCOREID = ?)", id, id)
	if err != nil || len(rows) == 0 {
		return scoreRow{}, false, err
	}
	return rows[0], true, nil
}

func checkBodyID(pathID, bodyID string) error {
	if bodyID != "" && bodyID != pathID {
		return invalidData("sourcedId %q in the body does not match %q in the path", bodyID, pathID)
	}
	return nil
}

func (g *Gradebook) putCategory(r *http.Request) (any, error) {
	id := r.PathValue("id")
	var in struct {
		SourcedID string         `json:"sourcedId"`
		Title     string         `json:"title"`
		Metadata  map[string]any `json:"metadata"`
	}
	if err := decodeOR(r, "category", &in); err != nil {
		return nil, err
	}
	ctx := r.Context()
	var created bool
	var out category
	err := g.write(ctx, func(tx *sql.Tx) error {
		if err := checkBodyID(id, in.SourcedID); err != nil {
			return err
		}
		title := strings.TrimSpace(in.Title)
		if title == "" {
			return invalidData("title is required")
		}
		if n := len(title); n > CategoryNameMax {
			return invalidData("title is %d bytes; PowerTeacher Pro category names hold at most %d", n, CategoryNameMax)
		}
		existing, found, err := g.findCategory(ctx, tx, id)
		if err != nil {
			return err
		}
		user := existing.UsersDCID
		if !found {
			if reservedCategory.MatchString(id) {
				return invalidData("sourcedId %q is reserved for categories made in PowerTeacher Pro: choose another id", id)
			}
			v := in.Metadata["userDcid"]
			switch x := v.(type) {
			case float64:
				user = int64(x)
			case string:
				user, _ = strconv.ParseInt(x, 10, 64)
			}
			if user <= 0 {
				return invalidData("metadata.userDcid (the teacher's USERS.DCID) is required to create a category")
			}
			ok, err := userExists(ctx, tx, user)
			if err != nil {
				return err
			}
			if !ok {
				return invalidData("metadata.userDcid %d is not a user", user)
			}
		}
		var dup int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM TEACHERCATEGORY WHERE USERSDCID = ? AND LOWER(NAME) = LOWER(?) AND TEACHERCATEGORYID != ?",
			user, title, existing.ID).Scan(&dup); err != nil {
			return fmt.Errorf("checking category names: %w", err)
		}
		if dup > 0 {
			return invalidData("teacher %d already has a category named %q; names are unique per teacher", user, title)
		}
		now := g.now().Format(time.RFC3339)
		if found {
			_, err = tx.ExecContext(ctx, "UPDATE TEACHERCATEGORY SET NAME = ?, WHENMODIFIED = ? WHERE TEACHERCATEGORYID = ?", title, now, existing.ID)
		} else {
			created = true
			_, err = tx.ExecContext(ctx, `INSERT INTO TEACHERCATEGORY (USERSDCID, NAME, ISACTIVE, ISINFINALGRADES, YEARID, EXTERNALID, WHENMODIFIED, DISPLAYPOSITION)
				VALUES (?, ?, 1, 1, (SELECT MAX(YEARID) FROM TERMS), ?, ?,
				(SELECT COALESCE(MAX(DISPLAYPOSITION), 0) + 1 FROM TEACHERCATEGORY WHERE USERSDCID = ?))`, user, title, id, now, user)
		}
		if err != nil {
			return fmt.Errorf("writing category %q: %w", id, err)
		}
		out, _, err = g.findCategory(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &respond.Reply{Status: putStatus(created), Body: map[string]any{"category": categoryRecord(out)}}, nil
}

func (g *Gradebook) deleteCategory(r *http.Request) (any, error) {
	id := r.PathValue("id")
	ctx := r.Context()
	err := g.write(ctx, func(tx *sql.Tx) error {
		c, found, err := g.findCategory(ctx, tx, id)
		if err != nil {
			return err
		}
		if !found {
			return unknownObject("no category with sourcedId %q", id)
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM ASSIGNMENTCATEGORYASSOC WHERE TEACHERCATEGORYID = ?", c.ID).Scan(&n); err != nil {
			return fmt.Errorf("checking category use: %w", err)
		}
		if n > 0 {
			return invalidData("category %q is used by %d line items: move or delete them first", id, n)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM TEACHERCATEGORY WHERE TEACHERCATEGORYID = ?", c.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &respond.Reply{Status: http.StatusNoContent}, nil
}

type lineItemIn struct {
	SourcedID      string         `json:"sourcedId"`
	Title          string         `json:"title"`
	Description    string         `json:"description"`
	AssignDate     string         `json:"assignDate"`
	DueDate        string         `json:"dueDate"`
	Class          ref            `json:"class"`
	Category       ref            `json:"category"`
	ResultValueMin number         `json:"resultValueMin"`
	ResultValueMax number         `json:"resultValueMax"`
	Metadata       map[string]any `json:"metadata"`
}

// orNames maps PowerTeacher Pro's field names to the lineItem's.
var orNames = map[string]string{
	"sectionsdcid": "class", "name": "title", "duedate": "dueDate", "scoretype": "metadata.scoreType",
	"teachercategoryid": "category", "totalpointvalue": "resultValueMax",
}

func (g *Gradebook) putLineItem(r *http.Request) (any, error) {
	id := r.PathValue("id")
	var in lineItemIn
	if err := decodeOR(r, "lineItem", &in); err != nil {
		return nil, err
	}
	ctx := r.Context()
	var created bool
	var out record
	err := g.write(ctx, func(tx *sql.Tx) error {
		if err := checkBodyID(id, in.SourcedID); err != nil {
			return err
		}
		existing, found, err := findLineItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if !found && reservedLineItem.MatchString(id) {
			return invalidData("sourcedId %q is reserved for assignments made through /ws/xte: choose another id", id)
		}
		if in.Class.SourcedID == "" {
			return invalidData("class is required: {\"sourcedId\": <SECTIONS.DCID>}")
		}
		sectionDCID, err := strconv.ParseInt(in.Class.SourcedID, 10, 64)
		if err != nil {
			return invalidData("class %q does not exist", in.Class.SourcedID)
		}
		sec, err := g.section(ctx, tx, sectionDCID)
		if errors.Is(err, ErrUnknownSection) {
			return invalidData("class %q does not exist", in.Class.SourcedID)
		}
		if err != nil {
			return err
		}
		if sec.teacherDCID == 0 {
			return invalidData("class %q has no teacher, and PowerTeacher Pro keeps assignments per teacher", in.Class.SourcedID)
		}
		var due string
		if in.DueDate != "" {
			t, err := parseDay(in.DueDate)
			if err != nil {
				return invalidData("dueDate: %v", err)
			}
			due = t.Format(time.DateOnly)
		}
		if in.ResultValueMin.set && in.ResultValueMin.v != 0 {
			return invalidData("resultValueMin is %v; PowerTeacher Pro scores points from 0", in.ResultValueMin.v)
		}
		if !in.ResultValueMax.set || in.ResultValueMax.v <= 0 || in.ResultValueMax.v != math.Trunc(in.ResultValueMax.v) {
			return invalidData("resultValueMax must be a whole number of points above 0")
		}
		scoreType := "POINTS"
		if v, ok := in.Metadata["scoreType"].(string); ok && v != "" {
			scoreType = v
		}
		var catID int64
		if in.Category.SourcedID != "" {
			c, ok, err := g.findCategory(ctx, tx, in.Category.SourcedID)
			if err != nil {
				return err
			}
			if !ok {
				return invalidData("category %q does not exist", in.Category.SourcedID)
			}
			catID = c.ID
		} else {
			// No category: the teacher's first active one (assumed).
			cs, err := categories(ctx, tx, "WHERE USERSDCID = ? AND ISACTIVE = 1 ORDER BY DISPLAYPOSITION, TEACHERCATEGORYID LIMIT 1", sec.teacherDCID)
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				return invalidData("category is required: teacher %d has no active category to default to", sec.teacherDCID)
			}
			catID = cs[0].ID
		}
		_, ferrs, err := g.validateSection(ctx, tx, sec.teacherDCID, sectionInput{SectionsDCID: sectionDCID, Name: in.Title,
			DueDate: due, ScoreType: scoreType, TotalPoints: in.ResultValueMax.v, CategoryIDs: []int64{catID}, field: orNames})
		if err != nil {
			return err
		}
		if len(ferrs) > 0 {
			return invalidData("%s", joinMessages(ferrs))
		}
		row := asgSection{ID: existing.ID, SectionsDCID: sectionDCID, Name: in.Title, Description: in.Description, DueDate: due,
			ScoreType: "POINTS", ScoreEntryPoints: in.ResultValueMax.v, TotalPointValue: in.ResultValueMax.v, Weight: 1,
			Counted: true, Publish: true, YearID: sec.yearID(), Cats: []catAssoc{{CategoryID: catID, Primary: true}}}
		now := g.now().Format(time.RFC3339)
		if found {
			row.ExtraCreditPoints, row.Weight, row.Counted, row.Publish = existing.ExtraCreditPoints, existing.Weight, existing.Counted, existing.Publish
			row.ScoreEntryPoints = row.TotalPointValue / max(row.Weight, 1e-9)
			if err := updateSection(ctx, tx, row, now); err != nil {
				return err
			}
		} else {
			created = true
			res, err := tx.ExecContext(ctx, "INSERT INTO ASSIGNMENT (STANDARDSCORINGMETHOD, EXTERNALID) VALUES ('GradeScale', ?)", id)
			if err != nil {
				return fmt.Errorf("writing line item %q: %w", id, err)
			}
			aid, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if row.ID, err = insertSection(ctx, tx, aid, row, now); err != nil {
				return err
			}
		}
		recs, err := lineItemRecords(r.Context(), baseURL(r), tx, "WHERE s.ASSIGNMENTSECTIONID = ?", row.ID)
		if err != nil {
			return err
		}
		out = recs[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &respond.Reply{Status: putStatus(created), Body: map[string]any{"lineItem": out}}, nil
}

func (g *Gradebook) deleteLineItem(r *http.Request) (any, error) {
	id := r.PathValue("id")
	ctx := r.Context()
	err := g.write(ctx, func(tx *sql.Tx) error {
		s, found, err := findLineItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if !found {
			return unknownObject("no lineItem with sourcedId %q", id)
		}
		return deleteSections(ctx, tx, s.ID)
	})
	if err != nil {
		return nil, err
	}
	return &respond.Reply{Status: http.StatusNoContent}, nil
}

var scoreStatuses = map[string]bool{"exempt": true, "fully graded": true, "not submitted": true, "partially graded": true, "submitted": true}

func (g *Gradebook) putResult(r *http.Request) (any, error) {
	id := r.PathValue("id")
	var in struct {
		SourcedID   string `json:"sourcedId"`
		LineItem    ref    `json:"lineItem"`
		Student     ref    `json:"student"`
		ScoreStatus string `json:"scoreStatus"`
		Score       number `json:"score"`
		ScoreDate   string `json:"scoreDate"`
		Comment     string `json:"comment"`
	}
	if err := decodeOR(r, "result", &in); err != nil {
		return nil, err
	}
	ctx := r.Context()
	var created bool
	var out record
	err := g.write(ctx, func(tx *sql.Tx) error {
		if err := checkBodyID(id, in.SourcedID); err != nil {
			return err
		}
		existing, found, err := findResult(ctx, tx, id)
		if err != nil {
			return err
		}
		if !found && reservedResult.MatchString(id) {
			return invalidData("sourcedId %q is reserved for scores written through /ws/xte: choose another id", id)
		}
		if !scoreStatuses[in.ScoreStatus] {
			return invalidData("scoreStatus %q is not a OneRoster 1.1 value: exempt, fully graded, not submitted, partially graded or submitted", in.ScoreStatus)
		}
		if !in.Score.set && in.ScoreStatus != "exempt" && in.ScoreStatus != "not submitted" {
			return invalidData("score is required for scoreStatus %q", in.ScoreStatus)
		}
		li, ok, err := findLineItem(ctx, tx, in.LineItem.SourcedID)
		if err != nil {
			return err
		}
		if !ok {
			return invalidData("lineItem %q does not exist", in.LineItem.SourcedID)
		}
		student, err := strconv.ParseInt(in.Student.SourcedID, 10, 64)
		if err != nil {
			return invalidData("student %q does not exist", in.Student.SourcedID)
		}
		sec, err := g.section(ctx, tx, li.SectionsDCID)
		if err != nil {
			return err
		}
		if ok, err := enrolled(ctx, tx, sec, student); err != nil {
			return err
		} else if !ok {
			return invalidData("student %q is not enrolled in class %q", in.Student.SourcedID, str(sec.dcid))
		}
		var other int64
		err = tx.QueryRowContext(ctx, "SELECT ASSIGNMENTSCOREID FROM ASSIGNMENTSCORE WHERE ASSIGNMENTSECTIONID = ? AND STUDENTSDCID = ?", li.ID, student).Scan(&other)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading scores: %w", err)
		}
		if other != 0 && (!found || other != existing.ID) {
			rows, err := scores(ctx, tx, "WHERE sc.ASSIGNMENTSCOREID = ?", other)
			if err != nil {
				return err
			}
			return invalidData("student %q already has result %q on lineItem %q; PowerTeacher Pro keeps one score per student", in.Student.SourcedID, rows[0].resultID(), in.LineItem.SourcedID)
		}
		if found && (existing.SectionID != li.ID || existing.StudentDCID != student) {
			if _, err := tx.ExecContext(ctx, "UPDATE ASSIGNMENTSCORE SET ASSIGNMENTSECTIONID = ?, STUDENTSDCID = ? WHERE ASSIGNMENTSCOREID = ?", li.ID, student, existing.ID); err != nil {
				return fmt.Errorf("moving result %q: %w", id, err)
			}
		}
		entry := g.now()
		if in.ScoreDate != "" {
			if entry, err = parseDay(in.ScoreDate); err != nil {
				return invalidData("scoreDate: %v", err)
			}
		}
		sc := scoreInput{SectionID: li.ID, StudentDCID: student, Kind: "REAL_SCORE", Exempt: in.ScoreStatus == "exempt",
			Missing: in.ScoreStatus == "not submitted", Comment: in.Comment, EntryDate: entry.Format(time.RFC3339), ExternalID: id}
		if found && existing.ExternalID == "" {
			sc.ExternalID = "" // keep the /ws/xte row's "r" id
		}
		if in.Score.set {
			sc.Entered, sc.Points = formatPoints(in.Score.v), sql.NullFloat64{Float64: in.Score.v, Valid: true}
		}
		rowID, isNew, err := upsertScore(ctx, tx, sc, g.now().Format(time.RFC3339))
		if err != nil {
			return err
		}
		created = isNew
		rows, err := scores(ctx, tx, "WHERE sc.ASSIGNMENTSCOREID = ?", rowID)
		if err != nil {
			return err
		}
		out = resultRecord(baseURL(r), rows[0])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &respond.Reply{Status: putStatus(created), Body: map[string]any{"result": out}}, nil
}

func (g *Gradebook) deleteResult(r *http.Request) (any, error) {
	id := r.PathValue("id")
	ctx := r.Context()
	err := g.write(ctx, func(tx *sql.Tx) error {
		s, found, err := findResult(ctx, tx, id)
		if err != nil {
			return err
		}
		if !found {
			return unknownObject("no result with sourcedId %q", id)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM ASSIGNMENTSCORE WHERE ASSIGNMENTSCOREID = ?", s.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &respond.Reply{Status: http.StatusNoContent}, nil
}
