package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pskit/pskit/emulator"
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
