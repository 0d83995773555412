package gradepush_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pskit/pskit/gradepush"
)

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
	w := s.takeWrites()
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
	if w := s.takeWrites(); len(w) != 0 {
		t.Errorf("second push sent writes: %v", w)
	}

	// A score made through /ws/xte, changed through OneRoster.
	x := s.book([]string{"Quiz 1"}, map[string]map[string]string{"Quiz 1": {st[2]: "4"}})
	s.push(t, gradepush.NewXTE(s.client(t)), x)
	s.takeWrites()
	x.Scores[0].Score = "6"
	if sum := s.push(t, gradepush.NewOneRoster(s.oneRoster(t)), x); sum.Assignments != (gradepush.Counts{Unchanged: 1}) || sum.Scores != (gradepush.Counts{Updated: 1}) {
		t.Errorf("OneRoster update of an /ws/xte score: %+v", sum)
	}
	for path, n := range s.takeWrites() {
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
