package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func sendJSON(t *testing.T, method, url, tok string, body any) answer {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return do(t, req)
}

func TestGradebookOverHTTP(t *testing.T) {
	s, c := start(t, Options{Students: 200, MaxPageSize: 5})
	for _, p := range []string{"/ws/xte/teacher_category?users_dcid=1", "/ims/oneroster/v1p1/orgs", "/api/ims/oneroster/v1p1/orgs"} {
		if a := get(t, c.URL, p, ""); a.status != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", p, a.status)
		}
		if a := get(t, c.URL, p, "not-a-token"); a.status != http.StatusUnauthorized {
			t.Errorf("%s with a bad token: %d, want 401", p, a.status)
		}
	}
	tok := token(t, c)
	or := "/api/ims/oneroster/v1p1"

	// The plugin's maximum page size caps limit.
	a := get(t, c.URL, or+"/students?limit=50", tok)
	if a.status != 200 || len(path(t, a.json(t), "users").([]any)) != 5 || a.header.Get("X-Total-Count") != "200" {
		t.Fatalf("capped students page: %d %s (total %s)", a.status, a.body, a.header.Get("X-Total-Count"))
	}

	// A student enrolment gives a class and a student; the class's term
	// gives a due date.
	a = get(t, c.URL, or+"/enrollments?limit=1&filter="+strings.ReplaceAll("role='student'", "'", "%27"), tok)
	en := path(t, a.json(t), "enrollments").([]any)[0].(map[string]any)
	class := path(t, en, "class", "sourcedId").(string)
	student := path(t, en, "user", "sourcedId").(string)
	a = get(t, c.URL, or+"/classes/"+class, tok)
	term := path(t, a.json(t), "class", "terms").([]any)[0].(map[string]any)["sourcedId"].(string)
	a = get(t, c.URL, or+"/academicSessions/"+term, tok)
	due := path(t, a.json(t), "academicSession", "startDate").(string)

	sectionDCID, _ := strconv.ParseInt(class, 10, 64)
	teacher, err := s.SectionTeacher(t.Context(), sectionDCID)
	if err != nil {
		t.Fatal(err)
	}
	a = get(t, c.URL, fmt.Sprintf("/ws/xte/teacher_category?users_dcid=%d", teacher), tok)
	var cats []map[string]any
	if err := json.Unmarshal(a.body, &cats); err != nil || len(cats) == 0 {
		t.Fatalf("categories: %d %s", a.status, a.body)
	}
	a = sendJSON(t, "POST", fmt.Sprintf("%s/ws/xte/section/assignment/?users_dcid=%d", c.URL, teacher), tok, map[string]any{
		"_assignmentsections": []map[string]any{{"sectionsdcid": sectionDCID, "name": "Unit 1 test", "duedate": due,
			"scoretype": "POINTS", "scoreentrypoints": 20, "totalpointvalue": 20, "weight": 1,
			"_assignmentcategoryassociations": []map[string]any{{"teachercategoryid": cats[0]["teachercategoryid"], "isprimary": true}}}},
	})
	if a.status != http.StatusCreated || !strings.HasPrefix(a.header.Get("Location"), c.URL+"/ws/xte/section/assignment/") {
		t.Fatalf("create: %d %s (Location %q)", a.status, a.body, a.header.Get("Location"))
	}
	var secIDs []int64
	if err := json.Unmarshal([]byte(a.header.Get("AssignmentSectionIds")), &secIDs); err != nil || len(secIDs) != 1 {
		t.Fatalf("AssignmentSectionIds %q", a.header.Get("AssignmentSectionIds"))
	}
	studentDCID, _ := strconv.ParseInt(student, 10, 64)
	scores := map[string]any{"assignment_scores": []map[string]any{{"studentsdcid": studentDCID, "actualscoreentered": "17",
		"actualscorekind": "REAL_SCORE", "_assignmentsection": map[string]any{"assignmentsectionid": secIDs[0]}}}}
	scoreURL := fmt.Sprintf("%s/ws/xte/score?users_dcid=%d&status=A", c.URL, teacher)

	before := s.AdvanceClock(24 * time.Hour) // a later day than any other write
	s.FailNextScoreWrites(1)
	if a = sendJSON(t, "PUT", scoreURL, tok, scores); a.status != http.StatusPreconditionFailed {
		t.Fatalf("score write under the fault: %d %s, want 412", a.status, a.body)
	}
	if a = sendJSON(t, "PUT", scoreURL, tok, scores); a.status != http.StatusOK {
		t.Fatalf("score write: %d %s", a.status, a.body)
	}
	a = get(t, c.URL, fmt.Sprintf("/ims/oneroster/v1p1/classes/%s/lineItems/a%d/results", class, secIDs[0]), tok)
	res := path(t, a.json(t), "results").([]any)
	if a.status != 200 || len(res) != 1 || res[0].(map[string]any)["score"] != 17.0 {
		t.Fatalf("score through OneRoster: %d %s", a.status, a.body)
	}
	// Gradebook writes are logged and stamped like every other write.
	a = get(t, c.URL, "/ws/dataversion/Gradebook/0", tok)
	for _, table := range []string{"assignment", "assignmentsection", "assignmentscore"} {
		if ids, _ := path(t, a.json(t), "tables").(map[string]any)[table].([]any); len(ids) != 1 {
			t.Errorf("dataversion %s: %s", table, a.body)
		}
	}
	var stamp string
	if err := s.store.DB.QueryRow(`SELECT WHENMODIFIED FROM ASSIGNMENTSCORE`).Scan(&stamp); err != nil ||
		stamp < before.Format(time.RFC3339) || stamp > s.Now().Format(time.RFC3339) {
		t.Errorf("ASSIGNMENTSCORE.WHENMODIFIED = %q (%v), want the data clock, from %s", stamp, err, before.Format(time.RFC3339))
	}
}
