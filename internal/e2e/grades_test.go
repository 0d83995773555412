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
	facts    *powerschool.SectionFacts
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
			f, err := c.XTE().LoadSection(ctx, int64(sec.ID), 0, nil)
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

// push runs psctl grades push --json and decodes its summary.
func (g *gradeSection) push(t *testing.T, file string, extra ...string) (sum pushSummary, stderr string, code int) {
	t.Helper()
	args := append([]string{"grades", "push", "--section", g.section(), "--file", file, "--json"}, extra...)
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
	if w["POST /ws/xte/section/assignment/{$}"] != 2 || w["PUT /ws/xte/score"] == 0 {
		t.Errorf("first push sent %v, want 2 creates and score writes", w)
	}

	g.d.srv.ResetStats()
	sum, stderr, code = g.push(t, file)
	if code != 0 {
		t.Fatalf("second push: exit %d\n%s", code, stderr)
	}
	if sum.Assignments != (pushCounts{Unchanged: 2}) || sum.Scores != (pushCounts{Unchanged: 5}) {
		t.Errorf("second push: %+v, want everything unchanged", sum)
	}
	if w := g.writes(); len(w) != 0 {
		t.Errorf("second push sent writes: %v", w)
	}
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
	x := g.c.XTE()
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
	if w := g.writes(); len(w) != 0 {
		t.Errorf("second push sent writes: %v", w)
	}

	want := gradebookView{
		"Quiz 1": {Points: 10, Due: "2025-09-15", Scores: map[string]float64{s[0]: 8, s[1]: 9.5, s[2]: 10}},
		"Essay":  {Points: 50, Due: "2025-10-01", Scores: map[string]float64{s[0]: 45, s[2]: 60}},
	}
	if diff := cmp.Diff(want, g.xteView(t)); diff != "" {
		t.Errorf("/ws/xte after the push (-want +got):\n%s", diff)
	}
	for _, base := range []string{"/ims/oneroster/v1p1", "/api/ims/oneroster/v1p1"} {
		if diff := cmp.Diff(want, g.oneRosterView(t, base)); diff != "" {
			t.Errorf("OneRoster at %s disagrees with what was pushed (-want +got):\n%s", base, diff)
		}
	}
}
