package gradepush_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pskit/pskit/gradepush"
)

func TestParseWideCSV(t *testing.T) {
	in := "\ufeffTitle,Due Date,Category,Points Possible,1001,1002\n" +
		"Quiz 1,2025-10-01,Homework,10,8,\n" +
		"\n" +
		"Test 1,2025-11-01,Tests,ten,40,45\n" +
		"\"Essay, draft\",2025-11-05,Homework,20,18,19.5\n"
	g, err := gradepush.ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	as, rej := g.Assignments, g.Rejected
	if len(as) != 2 || as[0] != (gradepush.Assignment{Row: 2, Title: "Quiz 1", DueDate: "2025-10-01", Category: "Homework", Points: 10}) || as[1].Title != "Essay, draft" || as[1].Row != 5 {
		t.Fatalf("assignments %+v", as)
	}
	want := []gradepush.Score{{Row: 2, Assignment: "Quiz 1", Student: "1001", Score: "8"},
		{Row: 5, Assignment: "Essay, draft", Student: "1001", Score: "18"}, {Row: 5, Assignment: "Essay, draft", Student: "1002", Score: "19.5"}}
	if fmt.Sprint(g.Scores) != fmt.Sprint(want) {
		t.Fatalf("scores %+v", g.Scores)
	}
	if len(rej) != 3 || rej[0].Row != 4 || !strings.Contains(rej[0].Reason, `points possible "ten"`) || rej[1].Student != "1001" || rej[2].Student != "1002" {
		t.Fatalf("rejections %v", rej)
	}
}

func TestParseLongCSV(t *testing.T) {
	in := "assignment,student,score,due_date,category,points_possible\n" +
		"Quiz 1,1001,8,,,\n" +
		"Quiz 1,1002,9,2025-10-01,Homework,10\n" +
		"Old quiz,1001,7,,,\n"
	g, err := gradepush.ParseCSV(strings.NewReader(in))
	if err != nil || len(g.Rejected) != 0 {
		t.Fatal(err, g)
	}
	if len(g.Assignments) != 1 || g.Assignments[0].Title != "Quiz 1" || g.Assignments[0].Row != 3 || g.Assignments[0].Points != 10 {
		t.Fatalf("assignments %+v", g.Assignments)
	}
	if len(g.Scores) != 3 || g.Scores[2] != (gradepush.Score{Row: 4, Assignment: "Old quiz", Student: "1001", Score: "7"}) {
		t.Fatalf("scores %+v", g.Scores)
	}
}

func TestParseCSVErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                                     "empty",
		"title,due_date,category\n":            "points_possible",
		"title,due_date,category,points\n":     "no student-number columns",
		"assignment,student\n":                 "both student and score",
		"assignment,student,score,extra\n":     `unknown column "extra"`,
		"due_date,student,score\n":             "no title",
		"title,title,due,category,points,1\n":  "twice",
		"title,due,category,points,1\n\"x,y\n": "line 2",
		"title,due,category,points,,1001\nx\n": "column 5 is empty",
	} {
		_, err := gradepush.ParseCSV(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

// Whatever the file, ParseCSV returns a gradebook or an error, never
// panics, and every row it keeps or rejects names a line of the file.
func FuzzParseCSV(f *testing.F) {
	for _, seed := range []string{
		"title,due_date,category,points_possible,1001,1002\nQuiz 1,2025-10-01,Homework,10,8,\n",
		"assignment,student,score,due_date,category,points_possible\nQuiz 1,1001,8,,,\nQuiz 1,1002,9,2025-10-01,Homework,10\n",
		"\ufeffTitle,Due,Category,Points,1\n\"a,b\",x,y,ten,\n",
		"title,due,category,points,,1001\nx\n",
		"assignment,student,score\n\"unterminated\n",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		g, err := gradepush.ParseCSV(strings.NewReader(in))
		if err != nil {
			if g != nil {
				t.Fatalf("an error (%v) and a gradebook", err)
			}
			return
		}
		lines := strings.Count(in, "\n") + 1
		check := func(row int) {
			if row < 2 || row > lines {
				t.Fatalf("row %d outside the file's %d lines", row, lines)
			}
		}
		for _, a := range g.Assignments {
			check(a.Row)
		}
		for _, s := range g.Scores {
			check(s.Row)
		}
		for _, r := range g.Rejected {
			check(r.Row)
		}
	})
}
