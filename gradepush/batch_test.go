package gradepush_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pskit/pskit/gradepush"
	ps "github.com/pskit/pskit/powerschool"
)

// More changed scores than one PUT /ws/xte/score carries, with a student
// the server refuses in the second batch: the first batch is written, the
// second rejected row by row (naming the student), and the third still
// sent. No emulator section holds 400 students, so a small double answers
// the score writes as PowerTeacher Pro does (409 for the whole batch,
// errors[].params.student_dcid).
func TestRefusedBatchDoesNotStopTheRest(t *testing.T) {
	const refused = 250 // in the second batch
	var batches []int
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok-batch","token_type":"Bearer","expires_in":"3600"}`)
	})
	mux.HandleFunc("PUT /ws/xte/score", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Rows []struct {
				Student int64 `json:"studentsdcid"`
			} `json:"assignment_scores"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		batches = append(batches, len(body.Rows))
		w.Header().Set("Content-Type", "application/json")
		for _, row := range body.Rows {
			if row.Student == refused {
				w.WriteHeader(http.StatusConflict)
				fmt.Fprintf(w, `{"message":"Student %d is not enrolled","errors":[{"params":{"student_dcid":%d}}]}`, refused, refused)
				return
			}
		}
		fmt.Fprint(w, `{"assignment_scores":[]}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := ps.NewClient(ps.WithBaseURL(srv.URL), ps.WithCredentials("id", "secret"))
	if err != nil {
		t.Fatal(err)
	}

	pa := &gradepush.PlannedAssignment{Assignment: gradepush.Assignment{Row: 2, Title: "Quiz 1"}, Action: gradepush.Unchanged,
		AssignmentID: 7, AssignmentSectionID: 70}
	facts := &gradepush.Facts{SectionDCID: 12345, UsersDCID: 770, Students: map[string]int64{}}
	for i := 1; i <= 2*ps.ScoreBatchSize+50; i++ {
		pa.Scores = append(pa.Scores, &gradepush.PlannedScore{Row: 2, Student: fmt.Sprint(i), StudentDCID: int64(i), Score: "1", Action: gradepush.Create})
	}
	sum, err := gradepush.Apply(context.Background(), gradepush.NewXTE(c), &gradepush.Plan{Facts: facts, Assignments: []*gradepush.PlannedAssignment{pa}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(batches) != "[200 200 50]" {
		t.Errorf("batches sent %v, want [200 200 50]", batches)
	}
	if sum.Scores != (gradepush.Counts{Created: 250, Rejected: 200}) {
		t.Errorf("scores %+v, want 250 created and the refused batch's 200 rejected", sum.Scores)
	}
	for _, r := range sum.Rejected {
		want := "because of student(s) with STUDENTS.DCID 250"
		if r.Student == "250" {
			want = "the server refused this student"
		}
		if !strings.Contains(r.Reason, want) {
			t.Fatalf("rejection %v, want %q", r, want)
		}
	}
}
