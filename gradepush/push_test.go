package gradepush_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pskit/pskit/gradepush"
)

// A second push of the same data sends no write; a changed score and a
// changed due date send one update each.
func TestPushTwiceSecondWritesNothing(t *testing.T) {
	s := startSection(t)
	st := s.students
	x := gradepush.NewXTE(s.client(t))
	g := s.book([]string{"Quiz 1", "Test 1"}, map[string]map[string]string{
		"Quiz 1": {st[0]: "8", st[1]: "10"},
		"Test 1": {st[0]: "41"},
	})
	first := s.push(t, x, g)
	if first.Assignments != (gradepush.Counts{Created: 2}) || first.Scores != (gradepush.Counts{Created: 3}) || len(first.Rejected) != 0 {
		t.Fatalf("first push: %+v", first)
	}
	s.proxy.Take()
	second := s.push(t, x, g)
	if second.Assignments != (gradepush.Counts{Unchanged: 2}) || second.Scores != (gradepush.Counts{Unchanged: 3}) {
		t.Fatalf("second push: %+v", second)
	}
	if w := s.proxy.Take(); len(w) != 0 {
		t.Errorf("second push sent writes: %v", w)
	}

	g.Scores[0].Score = "9.0"
	g.Scores[1].Score = "10.0" // the same number written differently: unchanged
	g.Assignments[1].DueDate = "2025-11-02"
	third := s.push(t, x, g)
	if third.Assignments != (gradepush.Counts{Updated: 1, Unchanged: 1}) || third.Scores != (gradepush.Counts{Updated: 1, Unchanged: 2}) {
		t.Fatalf("third push: %+v", third)
	}
	want := map[string]int{"PUT /ws/xte/section/assignment": 1, "PUT /ws/xte/score": 1}
	if diff := cmp.Diff(want, s.proxy.Take()); diff != "" {
		t.Errorf("third push writes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]map[string]float64{"Quiz 1": {st[0]: 9, st[1]: 10}, "Test 1": {st[0]: 41}}, s.stored(t)); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

// Enrolment is read per section: the section's enrollments and one
// student query for the numbers named, never one request per student.
func TestEnrolmentReadPerSection(t *testing.T) {
	s := startSection(t)
	g := s.book([]string{"Quiz 1"}, map[string]map[string]string{"Quiz 1": {s.students[0]: "1", s.students[1]: "2", s.students[2]: "3", s.outsider: "4"}})
	f := s.load(t, g)
	if diff := cmp.Diff(map[string]int64{s.students[0]: s.dcid[s.students[0]], s.students[1]: s.dcid[s.students[1]], s.students[2]: s.dcid[s.students[2]]}, f.Students); diff != "" {
		t.Errorf("Students (-want +got):\n%s", diff)
	}
	reads := s.srv.Stats().APIRequests
	if n := reads["GET /ws/v1/student/{id}"]; n != 0 {
		t.Errorf("Load read %d students one by one, want none", n)
	}
	if n := reads["GET /ws/v1/district/student"]; n != 1 {
		t.Errorf("Load sent %d student list requests, want 1 (all %v)", n, reads)
	}
	if n := reads["GET /ws/v1/section/{id}/section_enrollment"]; n != 1 {
		t.Errorf("Load read the enrollments in %d requests, want 1 (all %v)", n, reads)
	}
}

// A rejected row is named with its reason and holds nothing else back.
func TestRejectedRowsDoNotBlockOthers(t *testing.T) {
	s := startSection(t)
	st := s.students
	long := "Long " + strings.Repeat("a", 50)
	g := s.book([]string{"Quiz 1", long}, map[string]map[string]string{
		"Quiz 1": {st[0]: "8", s.outsider: "8", "999999": "8", st[1]: "-1", st[2]: "ten"},
		long:     {st[0]: "5"},
	})
	sum := s.push(t, gradepush.NewXTE(s.client(t)), g)
	if sum.Assignments != (gradepush.Counts{Created: 1, Rejected: 1}) || sum.Scores != (gradepush.Counts{Created: 1, Rejected: 5}) {
		t.Fatalf("summary %+v", sum)
	}
	text := fmt.Sprint(sum.Rejected)
	for _, want := range []string{
		"student " + s.outsider + " is not enrolled in section", "student 999999 is not enrolled", "55 characters",
		"its assignment was rejected (row 3)", "score -1 is negative", `score "ten" is not a number`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rejections %s do not mention %q", text, want)
		}
	}
	if diff := cmp.Diff(map[string]map[string]float64{"Quiz 1": {st[0]: 8}}, s.stored(t)); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

// A student who leaves between the plan and the push is refused by the
// server: reported per row, through either API, and the push goes on.
func TestServerRefusalIsReportedPerRow(t *testing.T) {
	for _, via := range []string{"xte", "oneroster"} {
		t.Run(via, func(t *testing.T) {
			s := startSection(t)
			st := s.students
			a := gradepush.NewXTE(s.client(t))
			if via == "oneroster" {
				a = gradepush.NewOneRoster(s.oneRoster(t))
			}
			g := s.book([]string{"Quiz 1", "Quiz 2"}, map[string]map[string]string{"Quiz 1": {st[0]: "3", st[1]: "4"}, "Quiz 2": {st[0]: "5"}})
			p := s.load(t, g).Plan(g)
			if err := s.srv.DeleteStudent(context.Background(), s.dcid[st[1]]); err != nil {
				t.Fatal(err)
			}
			sum, err := gradepush.Apply(context.Background(), a, p)
			if err != nil {
				t.Fatal(err)
			}
			why := map[string]string{}
			for _, r := range sum.Rejected {
				why[r.Assignment+"/"+r.Student] = r.Reason
			}
			if r := why["Quiz 1/"+st[1]]; !strings.Contains(r, "not enrolled") {
				t.Errorf("the student who left: %q, want the server's reason (all: %v)", r, why)
			}
			// /ws/xte refuses a score batch as a whole, OneRoster one result.
			wantScores := gradepush.Counts{Created: 2, Rejected: 1}
			if via == "xte" {
				wantScores = gradepush.Counts{Created: 1, Rejected: 2}
				if r := why["Quiz 1/"+st[0]]; !strings.Contains(r, fmt.Sprint(s.dcid[st[1]])) {
					t.Errorf("the batch's other row: %q, want it to name the student blamed", r)
				}
			}
			if sum.Assignments != (gradepush.Counts{Created: 2}) || sum.Scores != wantScores {
				t.Errorf("summary %+v, want scores %+v", sum, wantScores)
			}
			if got := s.stored(t)["Quiz 2"][st[0]]; got != 5 {
				t.Errorf("Quiz 2 after the refusal: %v, want 5 stored", s.stored(t))
			}
		})
	}
}

// A create whose answer is lost is looked up before it is sent again:
// the push adopts the assignment instead of making a second one.
func TestLostCreateIsAdopted(t *testing.T) {
	s := startSection(t)
	lost := false
	s.proxy.LoseAnswers(func(r *http.Request) int {
		if r.Method == http.MethodPost && !lost {
			lost = true
			return http.StatusBadGateway
		}
		return 0
	})
	sum := s.push(t, gradepush.NewXTE(s.client(t)), s.book([]string{"Quiz 1"}, map[string]map[string]string{"Quiz 1": {s.students[0]: "9"}}))
	if sum.Assignments != (gradepush.Counts{Created: 1}) || sum.Scores != (gradepush.Counts{Created: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	if n := s.proxy.Take()["POST /ws/xte/section/assignment"]; n != 1 {
		t.Errorf("%d creates sent, want 1", n)
	}
	if diff := cmp.Diff(map[string]map[string]float64{"Quiz 1": {s.students[0]: 9}}, s.stored(t)); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

// PowerTeacher Pro's 412 "Resubmit" is answered by one resubmission; a
// second stops the push with nothing written.
func TestResubmitOnce(t *testing.T) {
	s := startSection(t)
	x := gradepush.NewXTE(s.client(t))
	g := s.book([]string{"Quiz 1"}, map[string]map[string]string{"Quiz 1": {s.students[0]: "7"}})
	s.srv.FailNextScoreWrites(1)
	if sum := s.push(t, x, g); sum.Scores != (gradepush.Counts{Created: 1}) {
		t.Fatalf("after one 412: %+v", sum)
	}
	if n := s.proxy.Take()["PUT /ws/xte/score"]; n != 2 {
		t.Errorf("%d score writes under one 412, want 2", n)
	}
	g.Scores[0].Score = "8"
	s.srv.FailNextScoreWrites(2)
	sum, err := gradepush.Apply(context.Background(), x, s.load(t, g).Plan(g))
	if err == nil || !strings.Contains(err.Error(), "412") {
		t.Fatalf("after two 412s: err = %v", err)
	}
	if sum.Scores != (gradepush.Counts{}) {
		t.Errorf("after two 412s the summary counts %+v, want nothing written", sum.Scores)
	}
	if n := s.proxy.Take()["PUT /ws/xte/score"]; n != 2 {
		t.Errorf("%d score writes under two 412s, want 2", n)
	}
	if got := s.stored(t)["Quiz 1"][s.students[0]]; got != 7 {
		t.Errorf("stored %v after a failed push, want 7 kept", got)
	}
}

// A dry run (Plan.Summary) reads and counts, and writes nothing.
func TestPlanSummaryWritesNothing(t *testing.T) {
	s := startSection(t)
	g := s.book([]string{"Quiz 1"}, map[string]map[string]string{"Quiz 1": {s.students[0]: "7", "999999": "1"}})
	sum := s.load(t, g).Plan(g).Summary()
	if sum.Assignments != (gradepush.Counts{Created: 1}) || sum.Scores != (gradepush.Counts{Created: 1, Rejected: 1}) {
		t.Errorf("summary %+v", sum)
	}
	if w := s.proxy.Take(); len(w) != 0 {
		t.Errorf("a plan sent writes: %v", w)
	}
}

func TestLoadSectionNotFound(t *testing.T) {
	d := startDistrict(t)
	_, err := gradepush.Load(context.Background(), d.client(t), 1, 0, &gradepush.Gradebook{})
	if err == nil || !strings.Contains(err.Error(), "section 1 not found") {
		t.Fatalf("err = %v", err)
	}
}

// The section's teacher is found (the emulator keys /ws/v1/staff by
// USERS.DCID, so it goes through SCHOOLSTAFF), and so is the term's
// TERMS.ID for the score writes.
func TestLoadFindsTeacherAndTerm(t *testing.T) {
	s := startSection(t)
	f := s.load(t, &gradepush.Gradebook{})
	teacher, err := s.srv.SectionTeacher(context.Background(), s.id)
	if err != nil || f.UsersDCID != teacher {
		t.Errorf("UsersDCID = %d, the emulator says %d (%v)", f.UsersDCID, teacher, err)
	}
	if f.TermsID == 0 || f.YearID != 35 || f.TermStart == "" || f.TermEnd <= f.TermStart {
		t.Errorf("term facts %+v", f)
	}
}

// Through OneRoster: created, then unchanged with no PUT; a score first
// written through /ws/xte keeps its sourcedId ("r…") when changed through
// OneRoster, and new records get the derived sourcedIds.
func TestOneRosterPushIsIdempotentAndReusesRecords(t *testing.T) {
	s := startSection(t)
	st := s.students
	or := gradepush.NewOneRoster(s.oneRoster(t))
	g := s.book([]string{"Lab 1"}, map[string]map[string]string{"Lab 1": {st[0]: "8", st[1]: "9.5"}})
	if sum := s.push(t, or, g); sum.Assignments != (gradepush.Counts{Created: 1}) || sum.Scores != (gradepush.Counts{Created: 2}) {
		t.Fatalf("first push: %+v", sum)
	}
	w := s.proxy.Take()
	if diff := cmp.Diff(map[string]int{"PUT /ims/oneroster/v1p1/lineItems": 1, "PUT /ims/oneroster/v1p1/results": 2}, w); diff != "" {
		t.Errorf("first push writes (-want +got):\n%s", diff)
	}
	li, err := s.oneRoster(t).GetLineItem(context.Background(), gradepush.LineItemID(s.id, "Lab 1"))
	if err != nil || li.Title != "Lab 1" || li.ResultValueMax != 10 {
		t.Fatalf("line item under the derived sourcedId: %+v, %v", li, err)
	}
	if _, err := s.oneRoster(t).GetResult(context.Background(), gradepush.ResultID(li.SourcedID, s.dcid[st[1]])); err != nil {
		t.Errorf("result under the derived sourcedId: %v", err)
	}
	if sum := s.push(t, or, g); sum.Scores != (gradepush.Counts{Unchanged: 2}) {
		t.Errorf("second push: %+v", sum)
	}
	if w := s.proxy.Take(); len(w) != 0 {
		t.Errorf("second push sent writes: %v", w)
	}

	// A score made through /ws/xte, changed through OneRoster.
	x := s.book([]string{"Quiz 1"}, map[string]map[string]string{"Quiz 1": {st[2]: "4"}})
	s.push(t, gradepush.NewXTE(s.client(t)), x)
	s.proxy.Take()
	x.Scores[0].Score = "6"
	if sum := s.push(t, gradepush.NewOneRoster(s.oneRoster(t)), x); sum.Assignments != (gradepush.Counts{Unchanged: 1}) || sum.Scores != (gradepush.Counts{Updated: 1}) {
		t.Errorf("OneRoster update of an /ws/xte score: %+v", sum)
	}
	for path, n := range s.proxy.Take() {
		if path != "PUT /ims/oneroster/v1p1/results" || n != 1 {
			t.Errorf("update sent %s ×%d, want one result PUT", path, n)
		}
	}
	if diff := cmp.Diff(map[string]float64{st[2]: 6}, s.stored(t)["Quiz 1"]); diff != "" {
		t.Errorf("Quiz 1 through /ws/xte (-want +got):\n%s", diff)
	}
}

// A line item PowerTeacher Pro could not hold (a title of 45 characters
// but 90 bytes) is reported with its scores; the others are written. A
// provider that stops answering stops the push with an error.
func TestOneRosterRefusedLineItemAndFailure(t *testing.T) {
	s := startSection(t)
	st := s.students
	wide := strings.Repeat("é", 45)
	or := gradepush.NewOneRoster(s.oneRoster(t))
	g := s.book([]string{wide, "Lab 2"}, map[string]map[string]string{wide: {st[0]: "1"}, "Lab 2": {st[0]: "2"}})
	sum := s.push(t, or, g)
	if sum.Assignments != (gradepush.Counts{Created: 1, Rejected: 1}) || sum.Scores != (gradepush.Counts{Created: 1, Rejected: 1}) {
		t.Fatalf("summary %+v", sum)
	}
	if r := sum.Rejected[0]; r.Row != 2 || !strings.Contains(r.Reason, "50") {
		t.Errorf("rejection %v, want row 2 and the 50-byte limit", r)
	}
	if r := sum.Rejected[1]; r.Student != st[0] || !strings.Contains(r.Reason, "assignment was refused") {
		t.Errorf("rejection %v, want its score", r)
	}

	g = s.book([]string{"Lab 3"}, map[string]map[string]string{"Lab 3": {st[0]: "3"}})
	p := s.load(t, g).Plan(g)
	s.proxy.Close()
	if _, err := gradepush.Apply(context.Background(), gradepush.NewOneRoster(s.oneRoster(t)), p); err == nil {
		t.Fatal("a push to a provider that is gone succeeded")
	}
}

func TestDeterministicIDs(t *testing.T) {
	a, b := gradepush.LineItemID(1, "Quiz"), gradepush.LineItemID(1, "Quiz")
	if a != b || a == gradepush.LineItemID(2, "Quiz") || a == gradepush.LineItemID(1, "Quiz 2") || gradepush.LineItemID(12, "3x") == gradepush.LineItemID(123, "x") {
		t.Fatal("line item IDs are not a function of section and title")
	}
	if r := gradepush.ResultID(a, 5); r != gradepush.ResultID(a, 5) || r == gradepush.ResultID(a, 6) || r == gradepush.ResultID(gradepush.LineItemID(2, "Quiz"), 5) {
		t.Fatal("result IDs are not a function of line item and student")
	}
}
