package grades

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	or "github.com/pskit/pskit/oneroster"
	ps "github.com/pskit/pskit/powerschool"
)

func TestParseWideCSV(t *testing.T) {
	in := "\ufeffTitle,Due Date,Category,Points Possible,1001,1002\n" +
		"Quiz 1,2025-10-01,Homework,10,8,\n" +
		"\n" +
		"Test 1,2025-11-01,Tests,ten,40,45\n" +
		"\"Essay, draft\",2025-11-05,Homework,20,18,19.5\n"
	as, ss, rej, err := ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0] != (ps.GradebookAssignment{Row: 2, Title: "Quiz 1", DueDate: "2025-10-01", Category: "Homework", Points: 10}) || as[1].Title != "Essay, draft" || as[1].Row != 5 {
		t.Fatalf("assignments %+v", as)
	}
	want := []ps.GradebookScore{{Row: 2, Assignment: "Quiz 1", Student: "1001", Score: "8"},
		{Row: 5, Assignment: "Essay, draft", Student: "1001", Score: "18"}, {Row: 5, Assignment: "Essay, draft", Student: "1002", Score: "19.5"}}
	if fmt.Sprint(ss) != fmt.Sprint(want) {
		t.Fatalf("scores %+v", ss)
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
	as, ss, rej, err := ParseCSV(strings.NewReader(in))
	if err != nil || len(rej) != 0 {
		t.Fatal(err, rej)
	}
	if len(as) != 1 || as[0].Title != "Quiz 1" || as[0].Row != 3 || as[0].Points != 10 {
		t.Fatalf("assignments %+v", as)
	}
	if len(ss) != 3 || ss[2] != (ps.GradebookScore{Row: 4, Assignment: "Old quiz", Student: "1001", Score: "7"}) {
		t.Fatalf("scores %+v", ss)
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
		_, _, _, err := ParseCSV(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

func TestPushFlagErrors(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	for _, tc := range []struct {
		o    PushOptions
		want string
	}{
		{PushOptions{File: "x.csv"}, "--section is required"},
		{PushOptions{Section: 1}, "--file is required"},
		{PushOptions{Section: 1, File: "x.csv", Via: "lms"}, "--via must be xte or oneroster"},
		{PushOptions{Section: 1, File: "x.csv", Via: "xte", Base: "/api"}, "only applies with --via oneroster"},
		{PushOptions{Section: 1, File: "/nonexistent/x.csv", Via: "xte"}, "cannot open --file"},
	} {
		o := tc.o
		o.IO, o.Factory = ios, f
		err := runPush(context.Background(), &o)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v (exit %d), want usage error %q", tc.o, err, cmdutil.ExitCode(err), tc.want)
		}
	}
}

// fakeOneRoster keeps line items and results in memory.
type fakeOneRoster struct {
	mu       sync.Mutex
	items    map[string]map[string]any
	results  map[string]map[string]any
	puts     int
	refuseTo string // a title the server refuses with 400
}

func (f *fakeOneRoster) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	p := strings.TrimPrefix(r.URL.Path, "/ims/oneroster/v1p1")
	switch {
	case r.URL.Path == "/oauth/access_token":
		json.NewEncoder(w).Encode(map[string]any{"access_token": "tok", "token_type": "Bearer", "expires_in": "3600"})
	case r.Method == http.MethodGet && p == "/classes/12345/lineItems":
		list := []any{}
		for _, li := range f.items {
			list = append(list, li)
		}
		w.Header().Set("X-Total-Count", fmt.Sprint(len(list)))
		json.NewEncoder(w).Encode(map[string]any{"lineItems": list})
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/classes/12345/lineItems/"):
		li := strings.TrimSuffix(strings.TrimPrefix(p, "/classes/12345/lineItems/"), "/results")
		list := []any{}
		for _, res := range f.results {
			if res["lineItem"].(map[string]any)["sourcedId"] == li {
				list = append(list, res)
			}
		}
		w.Header().Set("X-Total-Count", fmt.Sprint(len(list)))
		json.NewEncoder(w).Encode(map[string]any{"results": list})
	case r.Method == http.MethodPut:
		f.puts++
		var body map[string]map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		store, key := f.items, "lineItem"
		if strings.HasPrefix(p, "/results/") {
			store, key = f.results, "result"
		}
		rec := body[key]
		if rec["title"] == f.refuseTo {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_description":"title refused"}]}`)
			return
		}
		id := p[strings.LastIndex(p, "/")+1:]
		_, existed := store[id]
		store[id] = rec
		if !existed {
			w.WriteHeader(http.StatusCreated)
		}
		json.NewEncoder(w).Encode(body)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_description":"no such path"}]}`)
	}
}

func planFor(actions ...ps.GradebookAction) *ps.GradebookPlan {
	facts := &ps.SectionFacts{SectionDCID: 12345}
	pa := &ps.PlannedAssignment{GradebookAssignment: ps.GradebookAssignment{Row: 2, Title: "Quiz 1", DueDate: "2025-10-01", Points: 10},
		CategoryID: 2511, Action: actions[0]}
	for i, a := range actions[1:] {
		pa.Scores = append(pa.Scores, &ps.PlannedScore{Row: 2, Student: fmt.Sprint(1001 + i), StudentDCID: int64(4001 + i), Score: "8", Action: a})
	}
	return &ps.GradebookPlan{Facts: facts, Assignments: []*ps.PlannedAssignment{pa}}
}

func TestApplyOneRosterIsIdempotent(t *testing.T) {
	fake := &fakeOneRoster{items: map[string]map[string]any{}, results: map[string]map[string]any{}}
	srv := httptest.NewServer(http.HandlerFunc(fake.serve))
	t.Cleanup(srv.Close)
	c, err := or.NewClient(srv.URL, or.WithOAuth2(or.OAuth2{ClientID: "id", ClientSecret: "secret"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sum, err := applyOneRoster(ctx, c, planFor(ps.ActionCreate, ps.ActionCreate, ps.ActionCreate))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Assignments.Created != 1 || sum.Scores.Created != 2 || fake.puts != 3 {
		t.Fatalf("first push: %+v, %d PUTs", sum, fake.puts)
	}
	liID := LineItemID(12345, "Quiz 1")
	li := fake.items[liID]
	if li == nil || li["class"].(map[string]any)["sourcedId"] != "12345" || li["category"].(map[string]any)["sourcedId"] != "2511" || li["resultValueMax"] != 10.0 {
		t.Fatalf("line items %v, want %s for class 12345", fake.items, liID)
	}
	if fake.results[ResultID(liID, 4002)] == nil {
		t.Fatalf("results %v", fake.results)
	}

	// Everything unchanged: nothing written.
	fake.puts = 0
	if sum, err = applyOneRoster(ctx, c, planFor(ps.ActionUnchanged, ps.ActionUnchanged, ps.ActionUnchanged)); err != nil || fake.puts != 0 || sum.Scores.Unchanged != 2 {
		t.Fatalf("unchanged push: %+v, %v, %d PUTs", sum, err, fake.puts)
	}

	// A result created elsewhere keeps its sourcedId: an update replaces it.
	fake.results = map[string]map[string]any{"r777": {"sourcedId": "r777", "lineItem": map[string]any{"sourcedId": liID}, "student": map[string]any{"sourcedId": "4001"}}}
	fake.puts = 0
	if _, err = applyOneRoster(ctx, c, planFor(ps.ActionUnchanged, ps.ActionUpdate)); err != nil {
		t.Fatal(err)
	}
	if len(fake.results) != 1 || fake.results["r777"]["score"] != 8.0 || fake.puts != 1 {
		t.Fatalf("results %v after updating r777, %d PUTs", fake.results, fake.puts)
	}
}

func TestApplyOneRosterRefusedLineItemIsReported(t *testing.T) {
	fake := &fakeOneRoster{items: map[string]map[string]any{}, results: map[string]map[string]any{}, refuseTo: "Quiz 1"}
	srv := httptest.NewServer(http.HandlerFunc(fake.serve))
	t.Cleanup(srv.Close)
	c, _ := or.NewClient(srv.URL, or.WithOAuth2(or.OAuth2{ClientID: "id", ClientSecret: "secret"}), or.WithRetryPolicy(or.RetryPolicy{}))
	sum, err := applyOneRoster(context.Background(), c, planFor(ps.ActionCreate, ps.ActionCreate))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Assignments.Rejected != 1 || sum.Scores.Rejected != 1 || !strings.Contains(sum.Rejected[0].Reason, "title refused") {
		t.Fatalf("summary %+v", sum)
	}

	// Server down: a failure, not a rejection.
	srv.Close()
	if _, err := applyOneRoster(context.Background(), c, planFor(ps.ActionCreate)); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestDeterministicIDs(t *testing.T) {
	a, b := LineItemID(1, "Quiz"), LineItemID(1, "Quiz")
	if a != b || a == LineItemID(2, "Quiz") || a == LineItemID(1, "Quiz 2") || LineItemID(12, "3x") == LineItemID(123, "x") {
		t.Fatal("line item IDs are not a function of section and title")
	}
	if r := ResultID(a, 5); r != ResultID(a, 5) || r == ResultID(a, 6) || r == ResultID(LineItemID(2, "Quiz"), 5) {
		t.Fatal("result IDs are not a function of line item and student")
	}
}
