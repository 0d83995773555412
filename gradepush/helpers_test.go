package gradepush_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/gradepush"
	"github.com/pskit/pskit/internal/testproxy"
	"github.com/pskit/pskit/oneroster"
	ps "github.com/pskit/pskit/powerschool"
)

// district is an emulator with the default plugin, reached through a
// proxy that counts writes (the emulator counts only /ws/, not OneRoster)
// and can lose an answer after the emulator acted on the request.
type district struct {
	srv   *emulator.Server
	creds emulator.Credentials
	proxy *testproxy.Proxy
}

// section is one section of a small district, ready for a push: three of
// its students, an active category of its teacher, and a student of the
// district who is not in the section.
type section struct {
	*district
	id       int64
	students []string // student numbers, sorted
	dcid     map[string]int64
	outsider string
	category string
}

func startDistrict(t *testing.T) *district {
	t.Helper()
	srv, err := emulator.Start(context.Background(), emulator.Options{Students: 120, Seed: 7, Plugin: emulator.DefaultPlugin})
	if err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &district{srv: srv, creds: srv.Credentials(), proxy: testproxy.New(t, srv.URL(), route)}
}

// route cuts record ids off a path: /ws/xte/section/assignment/12 and
// /ims/oneroster/v1p1/results/r5 become …/assignment and …/results.
func route(p string) string {
	for _, prefix := range []string{"/ws/xte/section/assignment", "/ims/oneroster/v1p1/lineItems", "/ims/oneroster/v1p1/results"} {
		if strings.HasPrefix(p, prefix) {
			return prefix
		}
	}
	return p
}

func (d *district) client(t *testing.T) *ps.Client {
	t.Helper()
	c, err := ps.NewClient(ps.WithBaseURL(d.proxy.URL), ps.WithCredentials(d.creds.ClientID, d.creds.ClientSecret),
		ps.WithRetryPolicy(ps.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (d *district) oneRoster(t *testing.T) *oneroster.Client {
	t.Helper()
	c, err := oneroster.NewClient(d.proxy.URL, oneroster.WithOAuth2(oneroster.OAuth2{ClientID: d.creds.ClientID, ClientSecret: d.creds.ClientSecret}),
		oneroster.WithRetryPolicy(oneroster.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startSection picks the first section with at least three enrolled
// students.
func startSection(t *testing.T) *section {
	t.Helper()
	d := startDistrict(t)
	c := d.client(t)
	ctx := context.Background()
	for school, err := range c.Schools.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		for sec, err := range c.Sections.List(ctx, int64(school.ID), nil) {
			if err != nil {
				t.Fatal(err)
			}
			s := &section{district: d, id: int64(sec.ID), dcid: map[string]int64{}}
			enrolled := map[int64]bool{}
			for e, err := range c.SectionEnrollments.List(ctx, s.id, nil) {
				if err != nil {
					t.Fatal(err)
				}
				if !bool(e.Dropped) {
					enrolled[int64(e.StudentID)] = true
				}
			}
			if len(enrolled) < 3 {
				continue
			}
			for st, err := range c.Students.List(ctx, nil) {
				if err != nil {
					t.Fatal(err)
				}
				num := st.LocalID.String()
				switch {
				case enrolled[int64(st.ID)] && len(s.students) < 3:
					s.students = append(s.students, num)
					s.dcid[num] = int64(st.ID)
				case !enrolled[int64(st.ID)] && s.outsider == "":
					s.outsider = num
				}
			}
			slices.Sort(s.students)
			f := s.load(t, &gradepush.Gradebook{})
			for _, cat := range f.Categories {
				if cat.IsActive {
					s.category = cat.Name
					break
				}
			}
			if s.category == "" || s.outsider == "" {
				t.Fatalf("section %d: no active category (%v) or no student outside it", s.id, f.Categories)
			}
			d.srv.ResetStats()
			d.proxy.Take()
			return s
		}
	}
	t.Fatal("no section with three enrolled students")
	return nil
}

func (s *section) load(t *testing.T, g *gradepush.Gradebook) *gradepush.Facts {
	t.Helper()
	f, err := gradepush.Load(context.Background(), s.client(t), s.id, 0, g)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return f
}

// book is a gradebook with one assignment per title (due in the term, in
// the section's category) and scores given as title → student → score.
func (s *section) book(titles []string, scores map[string]map[string]string) *gradepush.Gradebook {
	g := &gradepush.Gradebook{}
	for i, title := range titles {
		g.Assignments = append(g.Assignments, gradepush.Assignment{Row: i + 2, Title: title, DueDate: "2025-10-0" + strconv.Itoa(i+1), Category: s.category, Points: 10})
		for _, num := range slices.Sorted(maps.Keys(scores[title])) {
			g.Scores = append(g.Scores, gradepush.Score{Row: i + 2, Assignment: title, Student: num, Score: scores[title][num]})
		}
	}
	return g
}

// push loads, plans and applies g through a.
func (s *section) push(t *testing.T, a gradepush.Applier, g *gradepush.Gradebook) gradepush.Summary {
	t.Helper()
	sum, err := gradepush.Apply(context.Background(), a, s.load(t, g).Plan(g))
	if err != nil {
		t.Fatalf("Apply: %v (so far %+v)", err, sum)
	}
	return sum
}

// stored reads the section's scores through /ws/xte: title → student
// number → score.
func (s *section) stored(t *testing.T) map[string]map[string]float64 {
	t.Helper()
	ctx := context.Background()
	c := s.client(t)
	teacher, err := s.srv.SectionTeacher(ctx, s.id)
	if err != nil {
		t.Fatal(err)
	}
	number := map[int64]string{}
	for num, id := range s.dcid {
		number[id] = num
	}
	list, err := c.XTE.ListAssignments(ctx, teacher, s.id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, a := range list {
		full, err := c.XTE.GetAssignment(ctx, teacher, int64(a.ID))
		if err != nil {
			t.Fatal(err)
		}
		sec := full.Section(s.id)
		m := map[string]float64{}
		for _, sc := range sec.Scores {
			m[number[int64(sc.StudentDCID)]] = *sc.ScorePoints
		}
		out[sec.Name] = m
	}
	return out
}
