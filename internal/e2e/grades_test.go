package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/gradepush"
	"github.com/pskit/pskit/internal/testproxy"
	"github.com/pskit/pskit/oneroster"
	"github.com/pskit/pskit/powerschool"
)

// gradeSection is a section of a small district ready for a gradebook push:
// its facts as the SDK reads them, a few of its students and an active
// category of its teacher.
type gradeSection struct {
	d        *district
	p        *psctl
	c        *powerschool.Client
	facts    *gradepush.Facts
	students []string // student numbers, sorted; at least 3
	category string   // an active category name of the teacher
}

// startGradeSection starts a district and picks the first section (by
// school, then section id) with three enrolled students and a teacher.
func startGradeSection(t *testing.T) *gradeSection {
	t.Helper()
	d := startDistrict(t, emulator.Options{Students: 120, Seed: 7})
	// Concurrent page reads can leave a dialled connection that never sent
	// a request; a graceful shutdown waits 5 s for such a connection, so
	// stop quickly once the test is done (cleanups run last-in first-out).
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		d.srv.Shutdown(ctx)
	})
	c := d.client(t)
	ctx := context.Background()
	g := &gradeSection{d: d, c: c, p: newPsctl(t)}
	g.p.addEnv(d, "dev")
	for school, err := range c.Schools.List(ctx, nil) {
		if err != nil {
			t.Fatalf("listing schools: %v", err)
		}
		for sec, err := range c.Sections.List(ctx, int64(school.ID), nil) {
			if err != nil {
				t.Fatalf("listing school %d's sections: %v", school.ID, err)
			}
			n, err := c.SectionEnrollments.Count(ctx, int64(sec.ID), nil)
			if err != nil {
				t.Fatalf("counting section %d's enrollments: %v", sec.ID, err)
			}
			if n < 3 {
				continue
			}
			var numbers []string
			for e, err := range c.SectionEnrollments.List(ctx, int64(sec.ID), nil) {
				if err != nil {
					t.Fatalf("listing section %d's enrollments: %v", sec.ID, err)
				}
				if st, err := c.Students.Get(ctx, int64(e.StudentID), nil); err == nil && !bool(e.Dropped) && len(numbers) < 3 {
					numbers = append(numbers, st.LocalID.String())
				}
			}
			book := &gradepush.Gradebook{}
			for _, num := range numbers {
				book.Scores = append(book.Scores, gradepush.Score{Student: num})
			}
			f, err := gradepush.Load(ctx, c, int64(sec.ID), 0, book)
			if err != nil {
				t.Fatalf("loading section %d: %v", sec.ID, err)
			}
			for num := range f.Students {
				g.students = append(g.students, num)
			}
			if len(g.students) < 3 {
				g.students = nil
				continue
			}
			slices.Sort(g.students)
			for _, cat := range f.Categories {
				if bool(cat.IsActive) {
					g.category = cat.Name
					break
				}
			}
			if g.category == "" {
				t.Fatalf("teacher %d of section %d has no active category", f.UsersDCID, sec.ID)
			}
			teacher, err := d.srv.SectionTeacher(ctx, int64(sec.ID))
			if err != nil || teacher != f.UsersDCID {
				t.Fatalf("section %d: the SDK found teacher %d, the emulator says %d (%v)", sec.ID, f.UsersDCID, teacher, err)
			}
			g.facts = f
			return g
		}
	}
	t.Fatal("no section with three enrolled students in the district")
	return nil
}

func (g *gradeSection) section() string { return strconv.FormatInt(g.facts.SectionDCID, 10) }

// file writes a CSV into the test's directory and returns its path.
func (g *gradeSection) file(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(g.p.dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// push runs psctl grades push -o json and decodes its summary.
func (g *gradeSection) push(t *testing.T, file string, extra ...string) (sum pushSummary, stderr string, code int) {
	t.Helper()
	args := append([]string{"grades", "push", "--section", g.section(), "--file", file, "-o", "json"}, extra...)
	out, errOut, code := g.p.run(context.Background(), "", args...)
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("psctl %s: exit %d, summary not JSON (%v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, err, out, errOut)
	}
	return sum, errOut, code
}

type pushCounts struct {
	Created, Updated, Unchanged, Rejected int
}

type pushSummary struct {
	Via         string     `json:"via"`
	DryRun      bool       `json:"dry_run"`
	Assignments pushCounts `json:"assignments"`
	Scores      pushCounts `json:"scores"`
	Rejected    []struct {
		Row        int    `json:"row"`
		Assignment string `json:"assignment"`
		Student    string `json:"student"`
		Reason     string `json:"reason"`
	} `json:"rejected"`
}

// writes counts the requests that change the gradebook since the last
// ResetStats.
func (g *gradeSection) writes() map[string]int64 {
	out := map[string]int64{}
	for route, n := range g.d.srv.Stats().APIRequests {
		if !strings.HasPrefix(route, "GET ") {
			out[route] = n
		}
	}
	return out
}

// wideCSV is a wide-format gradebook: quizzes with scores for the first
// three students (the third left empty on the second quiz).
func (g *gradeSection) wideCSV(rows ...[]string) string {
	var b strings.Builder
	b.WriteString("title,due_date,category,points_possible," + strings.Join(g.students[:3], ",") + "\n")
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	return b.String()
}

func TestGradesPushTwiceWritesOnce(t *testing.T) {
	g := startGradeSection(t)
	csv := g.wideCSV(
		[]string{"Quiz 1", "2025-09-15", g.category, "10", "8", "9.5", "10"},
		[]string{"Quiz 2", "2025-10-01", g.category, "20", "18", "20", ""},
	)
	file := g.file(t, "scores.csv", csv)

	g.d.srv.ResetStats()
	sum, stderr, code := g.push(t, file)
	if code != 0 {
		t.Fatalf("first push: exit %d\n%s", code, stderr)
	}
	if sum.Assignments != (pushCounts{Created: 2}) || sum.Scores != (pushCounts{Created: 5}) || len(sum.Rejected) != 0 {
		t.Fatalf("first push: %+v", sum)
	}
	w := g.writes()
	if w["POST /ws/xte/section/assignment"] != 2 || w["PUT /ws/xte/score"] == 0 {
		t.Errorf("first push sent %v, want 2 creates and score writes", w)
	}

	// The second push writes its summary to a file: JSON, from the name.
	g.d.srv.ResetStats()
	summary := filepath.Join(g.p.dir, "summary.json")
	out, stderr, code := g.p.run(context.Background(), "", "grades", "push", "--section", g.section(), "--file", file, "--output", summary)
	if code != 0 || out != "" {
		t.Fatalf("second push --output: exit %d, stdout %q\n%s", code, out, stderr)
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	sum = pushSummary{}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("--output %s is not the JSON summary: %v\n%s", summary, err, b)
	}
	if sum.Assignments != (pushCounts{Unchanged: 2}) || sum.Scores != (pushCounts{Unchanged: 5}) {
		t.Errorf("second push: %+v, want everything unchanged", sum)
	}
	noWrites(t, "second push", g.writes())
}

// oneRoster is a OneRoster client for the district with the plugin's
// credentials, on base path base.
func (g *gradeSection) oneRoster(t *testing.T, base string) *oneroster.Client {
	t.Helper()
	c, err := oneroster.NewClient(g.d.srv.URL(), oneroster.WithBasePath(base),
		oneroster.WithOAuth2(oneroster.OAuth2{ClientID: g.d.creds.ClientID, ClientSecret: g.d.creds.ClientSecret}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// gradebookView is a section's gradebook as one API shows it: by title,
// the points possible, the due date and each student's score (by student
// number).
type gradebookView map[string]viewAssignment

type viewAssignment struct {
	Points float64
	Due    string
	Scores map[string]float64
}

// xteView reads the section's gradebook through /ws/xte.
func (g *gradeSection) xteView(t *testing.T) gradebookView {
	t.Helper()
	ctx := context.Background()
	x := g.c.XTE
	number := map[int64]string{}
	for num, dcid := range g.facts.Students {
		number[dcid] = num
	}
	list, err := x.ListAssignments(ctx, g.facts.UsersDCID, g.facts.SectionDCID)
	if err != nil {
		t.Fatalf("listing assignments through /ws/xte: %v", err)
	}
	v := gradebookView{}
	for _, a := range list {
		full, err := x.GetAssignment(ctx, g.facts.UsersDCID, int64(a.ID))
		if err != nil {
			t.Fatalf("reading assignment %d through /ws/xte: %v", a.ID, err)
		}
		s := full.Section(g.facts.SectionDCID)
		if s == nil {
			t.Fatalf("assignment %d has no section %d", a.ID, g.facts.SectionDCID)
		}
		va := viewAssignment{Points: s.TotalPointValue, Due: s.DueDate, Scores: map[string]float64{}}
		for _, sc := range s.Scores {
			if sc.ScorePoints == nil {
				t.Fatalf("assignment %d: stored score of student %d has no scorepoints", a.ID, sc.StudentDCID)
			}
			va.Scores[number[int64(sc.StudentDCID)]] = *sc.ScorePoints
		}
		v[s.Name] = va
	}
	return v
}

// oneRosterView reads the same through OneRoster: the class's line items
// and each one's results.
func (g *gradeSection) oneRosterView(t *testing.T, base string) gradebookView {
	t.Helper()
	ctx := context.Background()
	c := g.oneRoster(t, base)
	number := map[string]string{}
	for num, dcid := range g.facts.Students {
		number[strconv.FormatInt(dcid, 10)] = num
	}
	class := g.section()
	v := gradebookView{}
	for li, err := range c.ListClassLineItems(ctx, class, nil) {
		if err != nil {
			t.Fatalf("listing class %s's line items through OneRoster: %v", class, err)
		}
		va := viewAssignment{Points: float64(li.ResultValueMax), Due: li.DueDate.Format(time.DateOnly), Scores: map[string]float64{}}
		for r, err := range c.ListLineItemResults(ctx, class, li.SourcedID, nil) {
			if err != nil {
				t.Fatalf("listing line item %s's results: %v", li.SourcedID, err)
			}
			va.Scores[number[r.Student.SourcedID]] = float64(r.Score)
		}
		v[li.Title] = va
	}
	return v
}

// noWrites fails the test when a push sent writes it should not have.
func noWrites[V int | int64](t *testing.T, what string, writes map[string]V) {
	t.Helper()
	if len(writes) != 0 {
		t.Errorf("%s sent writes: %v", what, writes)
	}
}

// readsBack checks that the section reads back as want through /ws/xte
// and through OneRoster at each base path.
func (g *gradeSection) readsBack(t *testing.T, want gradebookView, oneRosterBases ...string) {
	t.Helper()
	if diff := cmp.Diff(want, g.xteView(t)); diff != "" {
		t.Errorf("/ws/xte disagrees with what was pushed (-want +got):\n%s", diff)
	}
	for _, base := range oneRosterBases {
		if diff := cmp.Diff(want, g.oneRosterView(t, base)); diff != "" {
			t.Errorf("OneRoster at %s disagrees with what was pushed (-want +got):\n%s", base, diff)
		}
	}
}

// A rejected row is named with its reason and holds nothing else back;
// what was written reads back the same through /ws/xte and OneRoster.
func TestGradesPushRejectsOneRowAndKeepsTheRest(t *testing.T) {
	g := startGradeSection(t)
	long := strings.Repeat("x", 51)
	s := g.students
	csv := "title,due_date,category,points_possible," + strings.Join(s[:3], ",") + ",999999\n" +
		"Quiz 1,2025-09-15," + g.category + ",10,8,9.5,10,\n" +
		long + ",2025-09-20," + g.category + ",10,5,5,5,\n" +
		"Essay,2025-10-01," + g.category + ",50,45,,60,40\n" +
		"Project,2025-10-02,Projects,20,1,2,3,\n" +
		"Late quiz,2026-07-01," + g.category + ",10,1,2,3,\n"
	file := g.file(t, "bad.csv", csv)

	sum, stderr, code := g.push(t, file)
	if code != 1 {
		t.Fatalf("push with bad rows: exit %d, want 1\n%s", code, stderr)
	}
	if sum.Assignments.Created != 2 || sum.Scores.Created != 5 {
		t.Errorf("push with bad rows: %+v, want the 2 good assignments and their 5 scores created", sum)
	}
	why := map[string]string{} // "row/student" → reason
	for _, r := range sum.Rejected {
		why[fmt.Sprintf("%d/%s", r.Row, r.Student)] = r.Reason
	}
	for key, want := range map[string]string{
		"3/":       "PowerTeacher Pro allows 50",
		"4/999999": "not enrolled",
		"5/":       "Projects",
		"6/":       "term",
	} {
		if !strings.Contains(why[key], want) {
			t.Errorf("rejection of row/student %s: %q, want it to mention %q (all: %v)", key, why[key], want, why)
		}
	}

	// The table form names each rejected row on stderr; pushing the same
	// file again writes nothing and still fails on the same rows.
	g.d.srv.ResetStats()
	var out string
	out, stderr, code = g.p.run(context.Background(), "", "grades", "push", "--section", g.section(), "--file", file)
	if code != 1 {
		t.Fatalf("second push with bad rows: exit %d, want 1\n%s", code, stderr)
	}
	for _, line := range []string{
		"rejected: row 3, \"" + long + "\": title is 51 characters",
		"rejected: row 4, \"Essay\", student 999999: student 999999 is not enrolled",
		"rejected: row 5, \"Project\": category \"Projects\" is inactive",
		"rejected: row 6, \"Late quiz\": due date 2026-07-01 is outside the section's term",
		"rejected; fix them and push again",
	} {
		if !strings.Contains(stderr, line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr)
		}
	}
	if !regexp.MustCompile(`(?m)^assignments +0 +0 +2 +3\n *scores +0 +0 +5 +10$`).MatchString(out) {
		t.Errorf("second push summary does not show the 2 good assignments unchanged:\n%s", out)
	}
	noWrites(t, "second push", g.writes())

	want := gradebookView{
		"Quiz 1": {Points: 10, Due: "2025-09-15", Scores: map[string]float64{s[0]: 8, s[1]: 9.5, s[2]: 10}},
		"Essay":  {Points: 50, Due: "2025-10-01", Scores: map[string]float64{s[0]: 45, s[2]: 60}},
	}
	g.readsBack(t, want, "/ims/oneroster/v1p1", "/api/ims/oneroster/v1p1")
}

// countWrites puts a proxy in front of the emulator that counts the
// requests that are not GETs by method and path: the emulator's own
// counters cover /ws/ only, not OneRoster.
func (g *gradeSection) countWrites(t *testing.T) *testproxy.Proxy {
	t.Helper()
	return testproxy.New(t, g.d.srv.URL(), nil)
}

// --via oneroster writes line items and results; a second push of the same
// file writes nothing, and both APIs read back what was pushed.
func TestGradesPushViaOneRosterTwice(t *testing.T) {
	g := startGradeSection(t)
	wc := g.countWrites(t)
	g.p.ok(g.d.creds.ClientSecret+"\n", "env", "add", "proxied", "--url", wc.URL, "--client-id", g.d.creds.ClientID, "--client-secret-stdin")
	s := g.students
	file := g.file(t, "or.csv", g.wideCSV(
		[]string{"Lab 1", "2025-09-15", g.category, "10", "8", "9.5", "10"},
		[]string{"Lab 2", "2025-10-01", g.category, "20", "18", "", "25"},
	))
	for _, base := range []string{"", "/api/ims/oneroster/v1p1"} {
		name := map[string]string{"": "default base", "/api/ims/oneroster/v1p1": "api base"}[base]
		t.Run(name, func(t *testing.T) {
			args := []string{"--via", "oneroster", "--env", "proxied"}
			if base != "" {
				args = append(args, "--oneroster-base", base)
				// The line items exist from the first subtest; change a score
				// so this push has one update.
				file = g.file(t, "or2.csv", g.wideCSV(
					[]string{"Lab 1", "2025-09-15", g.category, "10", "8", "9.5", "7"},
					[]string{"Lab 2", "2025-10-01", g.category, "20", "18", "", "25"},
				))
			}
			sum, stderr, code := g.push(t, file, args...)
			if code != 0 {
				t.Fatalf("push --via oneroster: exit %d\n%s", code, stderr)
			}
			orBase := "/ims/oneroster/v1p1"
			wantLI, wantR := 2, 5
			if base != "" {
				orBase = base
				wantLI, wantR = 0, 1
				if sum.Assignments != (pushCounts{Unchanged: 2}) || sum.Scores != (pushCounts{Updated: 1, Unchanged: 4}) {
					t.Errorf("push with one changed score: %+v", sum)
				}
			} else if sum.Via != "oneroster" || sum.Assignments != (pushCounts{Created: 2}) || sum.Scores != (pushCounts{Created: 5}) {
				t.Errorf("first push: %+v", sum)
			}
			w := wc.Take()
			li, res, other := 0, 0, 0
			for k, n := range w {
				switch {
				case strings.HasPrefix(k, "PUT "+orBase+"/lineItems/"):
					li += n
				case strings.HasPrefix(k, "PUT "+orBase+"/results/"):
					res += n
				default:
					other += n
				}
			}
			if li != wantLI || res != wantR || other != 0 {
				t.Errorf("push sent %v; want %d line item PUTs and %d result PUTs under %s, nothing else", w, wantLI, wantR, orBase)
			}

			sum, stderr, code = g.push(t, file, args...)
			if code != 0 {
				t.Fatalf("second push --via oneroster: exit %d\n%s", code, stderr)
			}
			if sum.Assignments != (pushCounts{Unchanged: 2}) || sum.Scores != (pushCounts{Unchanged: 5}) {
				t.Errorf("second push: %+v, want everything unchanged", sum)
			}
			noWrites(t, "second push", wc.Take())
		})
	}
	want := gradebookView{
		"Lab 1": {Points: 10, Due: "2025-09-15", Scores: map[string]float64{s[0]: 8, s[1]: 9.5, s[2]: 7}},
		"Lab 2": {Points: 20, Due: "2025-10-01", Scores: map[string]float64{s[0]: 18, s[2]: 25}},
	}
	g.readsBack(t, want, "/ims/oneroster/v1p1")

	// psctl oneroster get reads the same line items.
	out, _ := g.p.ok("", "oneroster", "get", "lineItems", "--filter", "title='Lab 2'", "-o", "json")
	var items []struct {
		SourcedID      string  `json:"sourcedId"`
		Title          string  `json:"title"`
		ResultValueMax float64 `json:"resultValueMax"`
		Class          struct {
			SourcedID string `json:"sourcedId"`
		} `json:"class"`
	}
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("psctl oneroster get lineItems: %v\n%s", err, out)
	}
	if len(items) != 1 || items[0].Title != "Lab 2" || items[0].ResultValueMax != 20 || items[0].Class.SourcedID != g.section() ||
		!strings.HasPrefix(items[0].SourcedID, "pskit-li-") {
		t.Errorf("psctl oneroster get lineItems --filter title='Lab 2': %+v", items)
	}
}

// --dry-run reads and checks but sends no write, whichever API it targets.
func TestGradesDryRunSendsNothing(t *testing.T) {
	g := startGradeSection(t)
	wc := g.countWrites(t)
	g.p.ok(g.d.creds.ClientSecret+"\n", "env", "add", "proxied", "--url", wc.URL, "--client-id", g.d.creds.ClientID, "--client-secret-stdin")
	file := g.file(t, "dry.csv", g.wideCSV([]string{"Quiz 1", "2025-09-15", g.category, "10", "8", "9", "10"}))
	for _, via := range []string{"xte", "oneroster"} {
		sum, stderr, code := g.push(t, file, "--dry-run", "--via", via, "--env", "proxied")
		if code != 0 {
			t.Fatalf("--dry-run --via %s: exit %d\n%s", via, code, stderr)
		}
		if !sum.DryRun || sum.Assignments != (pushCounts{Created: 1}) || sum.Scores != (pushCounts{Created: 3}) {
			t.Errorf("--dry-run --via %s: %+v, want 1 assignment and 3 scores to create", via, sum)
		}
		if w := wc.Take(); len(w) != 0 {
			t.Errorf("--dry-run --via %s sent writes: %v", via, w)
		}
	}
	if v := g.xteView(t); len(v) != 0 {
		t.Errorf("after --dry-run the section has assignments: %v", v)
	}
	if v := g.oneRosterView(t, "/ims/oneroster/v1p1"); len(v) != 0 {
		t.Errorf("after --dry-run the class has line items: %v", v)
	}
}

// A 412 Resubmit on the score write is answered by re-reading the stored
// rows and sending once more: the push succeeds. Two in a row fail it.
func TestGradesPushRetriesOnce412(t *testing.T) {
	g := startGradeSection(t)
	s := g.students
	file := g.file(t, "412.csv", g.wideCSV([]string{"Quiz 1", "2025-09-15", g.category, "10", "8", "9", "10"}))
	g.d.srv.ResetStats()
	g.d.srv.FailNextScoreWrites(1)
	sum, stderr, code := g.push(t, file)
	if code != 0 {
		t.Fatalf("push under one 412: exit %d\n%s", code, stderr)
	}
	if sum.Scores != (pushCounts{Created: 3}) {
		t.Errorf("push under one 412: %+v", sum)
	}
	st := g.d.srv.Stats()
	if st.APIRequests["PUT /ws/xte/score"] != 2 || st.Statuses[412] != 1 {
		t.Errorf("push under one 412: %d score writes, %d answers 412; want 2 and 1", st.APIRequests["PUT /ws/xte/score"], st.Statuses[412])
	}
	want := gradebookView{"Quiz 1": {Points: 10, Due: "2025-09-15", Scores: map[string]float64{s[0]: 8, s[1]: 9, s[2]: 10}}}
	g.readsBack(t, want)

	// Two 412s in a row: the push stops, says so, and writes no score.
	file = g.file(t, "412b.csv", g.wideCSV([]string{"Quiz 1", "2025-09-15", g.category, "10", "1", "2", "3"}))
	g.d.srv.ResetStats()
	g.d.srv.FailNextScoreWrites(2)
	_, stderr, code = g.push(t, file)
	if code == 0 || !strings.Contains(stderr, "push stopped") || !strings.Contains(stderr, "412") {
		t.Errorf("push under two 412s: exit %d, stderr:\n%s", code, stderr)
	}
	if n := g.d.srv.Stats().APIRequests["PUT /ws/xte/score"]; n != 2 {
		t.Errorf("push under two 412s sent %d score writes, want 2 (no blind retries)", n)
	}
	g.readsBack(t, want)
	g.d.srv.FailNextScoreWrites(0)
}

// A row the plan accepts but the server refuses (a title of 45 characters
// but 90 bytes: psctl counts characters, the emulator bytes, as Oracle's
// VARCHAR2(50) does by default) is reported with the server's reason, and
// the rows around it are still written.
func TestGradesPushServerRefusalKeepsTheRest(t *testing.T) {
	g := startGradeSection(t)
	s := g.students
	wide := strings.Repeat("é", 45)
	file := g.file(t, "refused.csv", g.wideCSV(
		[]string{"Quiz 1", "2025-09-15", g.category, "10", "8", "9", "10"},
		[]string{wide, "2025-09-16", g.category, "10", "1", "2", "3"},
		[]string{"Quiz 2", "2025-09-17", g.category, "10", "4", "5", "6"},
	))
	sum, stderr, code := g.push(t, file)
	if code != 1 {
		t.Fatalf("push with a refused row: exit %d, want 1\n%s", code, stderr)
	}
	if sum.Assignments != (pushCounts{Created: 2, Rejected: 1}) || sum.Scores != (pushCounts{Created: 6, Rejected: 3}) {
		t.Errorf("push with a refused row: %+v", sum)
	}
	var refusal string
	for _, r := range sum.Rejected {
		if r.Row == 3 && r.Student == "" {
			refusal = r.Reason
		}
	}
	if !strings.Contains(refusal, "the server refused it") || !strings.Contains(refusal, "name") {
		t.Errorf("row 3's rejection %q does not give the server's reason (all: %+v)", refusal, sum.Rejected)
	}
	want := gradebookView{
		"Quiz 1": {Points: 10, Due: "2025-09-15", Scores: map[string]float64{s[0]: 8, s[1]: 9, s[2]: 10}},
		"Quiz 2": {Points: 10, Due: "2025-09-17", Scores: map[string]float64{s[0]: 4, s[1]: 5, s[2]: 6}},
	}
	g.readsBack(t, want)
}

// A long-format file that changes one score and one due date updates
// exactly those (one assignment PUT, one score write carrying the stored
// assignmentscoreid) and leaves the rest alone.
func TestGradesPushLongFormatUpdates(t *testing.T) {
	g := startGradeSection(t)
	s := g.students
	g.push(t, g.file(t, "wide.csv", g.wideCSV(
		[]string{"Quiz 1", "2025-09-15", g.category, "10", "8", "9", "10"},
		[]string{"Quiz 2", "2025-09-17", g.category, "10", "4", "5", "6"},
	)))
	long := "assignment,student,score,due_date,category,points_possible\n" +
		"Quiz 1," + s[0] + ",8.0,,,\n" + // same value, written differently
		"Quiz 1," + s[1] + ",7,,,\n" +
		"Quiz 2," + s[2] + ",6,2025-09-24," + g.category + ",10\n"
	g.d.srv.ResetStats()
	sum, stderr, code := g.push(t, g.file(t, "long.csv", long))
	if code != 0 {
		t.Fatalf("long-format push: exit %d\n%s", code, stderr)
	}
	if sum.Assignments != (pushCounts{Updated: 1, Unchanged: 1}) || sum.Scores != (pushCounts{Updated: 1, Unchanged: 2}) {
		t.Errorf("long-format push: %+v, want Quiz 2 updated, Quiz 1 unchanged, one score updated and two unchanged", sum)
	}
	w := g.writes()
	if len(w) != 2 || w["PUT /ws/xte/section/assignment/{id}"] != 1 || w["PUT /ws/xte/score"] != 1 {
		t.Errorf("long-format push sent %v, want one assignment PUT and one score PUT", w)
	}
	want := gradebookView{
		"Quiz 1": {Points: 10, Due: "2025-09-15", Scores: map[string]float64{s[0]: 8, s[1]: 7, s[2]: 10}},
		"Quiz 2": {Points: 10, Due: "2025-09-24", Scores: map[string]float64{s[0]: 4, s[1]: 5, s[2]: 6}},
	}
	g.readsBack(t, want, "/ims/oneroster/v1p1")
	if g.d.srv.Stats().Statuses[412] != 0 {
		t.Error("the score update was answered 412: it did not carry the stored assignmentscoreid")
	}
}

// Pushes through the two APIs address the same records: a gradebook pushed
// through /ws/xte is unchanged when pushed through OneRoster and the other
// way round, and a change made through one updates the record the other
// created instead of adding a second one.
func TestGradesPushAcrossAPIs(t *testing.T) {
	g := startGradeSection(t)
	s := g.students
	wc := g.countWrites(t)
	g.p.ok(g.d.creds.ClientSecret+"\n", "env", "add", "proxied", "--url", wc.URL, "--client-id", g.d.creds.ClientID, "--client-secret-stdin")
	first := g.file(t, "first.csv", g.wideCSV([]string{"Quiz 1", "2025-09-15", g.category, "10", "8", "9", "10"}))
	second := g.file(t, "second.csv", g.wideCSV([]string{"Quiz 1", "2025-09-15", g.category, "10", "8", "9", "4"}))
	// writes are counted by path prefix: results made through /ws/xte have
	// the sourcedId "r" + ASSIGNMENTSCOREID.
	steps := []struct {
		file, via string
		scores    pushCounts
		writes    map[string]int
	}{
		{first, "xte", pushCounts{Created: 3}, map[string]int{"POST /ws/xte/section/assignment/": 1, "PUT /ws/xte/score": 1}},
		{first, "oneroster", pushCounts{Unchanged: 3}, map[string]int{}},
		{second, "oneroster", pushCounts{Updated: 1, Unchanged: 2}, map[string]int{"PUT /ims/oneroster/v1p1/results/r": 1}},
		{second, "xte", pushCounts{Unchanged: 3}, map[string]int{}},
	}
	wc.Take()
	for i, st := range steps {
		sum, stderr, code := g.push(t, st.file, "--via", st.via, "--env", "proxied")
		if code != 0 {
			t.Fatalf("step %d (--via %s): exit %d\n%s", i+1, st.via, code, stderr)
		}
		if sum.Scores != st.scores {
			t.Errorf("step %d (--via %s): scores %+v, want %+v", i+1, st.via, sum.Scores, st.scores)
		}
		got := map[string]int{}
		for k, n := range wc.Take() {
			for prefix := range st.writes {
				if strings.HasPrefix(k, prefix) {
					k = prefix
				}
			}
			got[k] += n
		}
		if diff := cmp.Diff(st.writes, got); diff != "" {
			t.Errorf("step %d (--via %s) writes by path (-want +got):\n%s", i+1, st.via, diff)
		}
	}
	want := gradebookView{"Quiz 1": {Points: 10, Due: "2025-09-15", Scores: map[string]float64{s[0]: 8, s[1]: 9, s[2]: 4}}}
	g.readsBack(t, want, "/ims/oneroster/v1p1")
}
