package powerschool

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// studentsServer serves /ws/v1/district/student[/count] over n students
// with PowerSchool's quirks: one record as an object, no key when empty.
type studentsServer struct {
	mu       sync.Mutex
	n        int
	counts   atomic.Int32
	pages    atomic.Int32
	queries  []url.Values
	afterCnt func() // called after each count answer
	fail     func(page int) int
}

func (s *studentsServer) install(f *fakePS) {
	f.handle("GET /ws/v1/district/student/count", func(w http.ResponseWriter, r *http.Request) {
		s.counts.Add(1)
		s.mu.Lock()
		n := s.n
		s.queries = append(s.queries, r.URL.Query())
		s.mu.Unlock()
		fmt.Fprintf(w, `{"resource":{"count":%d}}`, n)
		if s.afterCnt != nil {
			s.afterCnt()
		}
	})
	f.handle("GET /ws/v1/district/student", func(w http.ResponseWriter, r *http.Request) {
		s.pages.Add(1)
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("pagesize"))
		if size <= 0 || size > 100 {
			size = 100 // the plugin's maximum, which is also the default
		}
		s.mu.Lock()
		n := s.n
		s.queries = append(s.queries, q)
		s.mu.Unlock()
		if s.fail != nil {
			if code := s.fail(page); code != 0 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(code)
				return
			}
		}
		var recs []any
		for id := (page-1)*size + 1; id <= min(page*size, n); id++ {
			recs = append(recs, map[string]any{"id": id, "local_id": strconv.Itoa(1000 + id), "name": map[string]any{"first_name": "F", "last_name": "L" + strconv.Itoa(id)}})
		}
		env := map[string]any{"@expansions": "demographics, addresses", "@extensions": "studentcorefields"}
		switch len(recs) {
		case 0: // key absent
		case 1:
			env["student"] = recs[0]
		default:
			env["student"] = recs
		}
		writeJSON(w, map[string]any{"students": env})
	})
}

func collect[T any](t *testing.T, seq func(func(T, error) bool)) ([]T, error) {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

func TestListStudentsCostAndOrder(t *testing.T) {
	for _, n := range []int{0, 1, 99, 100, 101, 250, 1001} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			f := newFakePS(t)
			s := &studentsServer{n: n}
			s.install(f)
			c := f.client()
			var last Progress
			got, err := collect(t, c.Students.List(context.Background(), &ListOptions{Progress: func(p Progress) { last = p }}))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("got %d students, want %d", len(got), n)
			}
			for i, st := range got {
				if st.ID.Int() != i+1 || st.LocalID.Int() != 1001+i || st.Name.LastName != "L"+strconv.Itoa(i+1) {
					t.Fatalf("record %d = %+v, out of order or misread", i, st)
				}
				if len(st.Raw) == 0 {
					t.Fatalf("record %d has no Raw JSON", i)
				}
			}
			pages := (n + 99) / 100
			// Pages + 2: no metadata read (the first page, asked for at the
			// server's default size, tells the page size), a count with the
			// first page and one at the end.
			if f.tokens.Load() != 1 || f.metaReads.Load() != 0 || s.counts.Load() != 2 || int(s.pages.Load()) != max(pages, 1) {
				t.Errorf("requests: token %d, metadata %d, counts %d, pages %d; want 1, 0, 2 (start and end), %d",
					f.tokens.Load(), f.metaReads.Load(), s.counts.Load(), s.pages.Load(), pages)
			}
			if n > 0 && (last.Total != n || last.Done != n) {
				t.Errorf("last progress %+v, want %d of %d", last, n, n)
			}
		})
	}
}

func TestListQueryParameters(t *testing.T) {
	f := newFakePS(t)
	s := &studentsServer{n: 5}
	s.install(f)
	c := f.client()
	opts := &ListOptions{Q: "school_enrollment.enroll_status==A", Expansions: []string{"demographics", "addresses"}, Extensions: []string{"studentcorefields"}, PageSize: 2, Concurrency: 1}
	if _, err := collect(t, c.Students.List(context.Background(), opts)); err != nil {
		t.Fatal(err)
	}
	count, page := s.queries[0], s.queries[1]
	if count.Has("page") { // the count and the first page are asked for at once
		count, page = page, count
	}
	if count.Get("q") != opts.Q || count.Has("expansions") || count.Has("pagesize") {
		t.Errorf("count query = %v", count)
	}
	if page.Get("q") != opts.Q || page.Get("expansions") != "demographics,addresses" || page.Get("extensions") != "studentcorefields" || page.Get("pagesize") != "2" || page.Get("page") != "1" {
		t.Errorf("page query = %v", page)
	}
	if s.pages.Load() != 3 {
		t.Errorf("pages = %d, want 3 with pagesize 2", s.pages.Load())
	}
}

func TestListDetectsChangedCount(t *testing.T) {
	f := newFakePS(t)
	s := &studentsServer{n: 150}
	s.afterCnt = func() { s.mu.Lock(); s.n = 152; s.mu.Unlock() } // two inserted during the pull
	s.install(f)
	_, err := collect(t, f.client().Students.List(context.Background(), nil))
	var ie *InconsistentPullError
	if !errors.As(err, &ie) || ie.CountAtStart != 150 || ie.CountAtEnd != 152 {
		t.Fatalf("err = %v, want InconsistentPullError 150 -> 152", err)
	}
}

func TestListPoolSurvives429(t *testing.T) {
	f := newFakePS(t)
	var hits sync.Map
	s := &studentsServer{n: 1000, fail: func(page int) int {
		if _, seen := hits.LoadOrStore(page, true); !seen && page%3 == 0 {
			return http.StatusTooManyRequests
		}
		return 0
	}}
	s.install(f)
	got, err := collect(t, f.client().Students.List(context.Background(), &ListOptions{Concurrency: 8}))
	if err != nil || len(got) != 1000 {
		t.Fatalf("got %d, err %v", len(got), err)
	}
}

func TestListErrorStopsPull(t *testing.T) {
	f := newFakePS(t)
	s := &studentsServer{n: 1000, fail: func(page int) int {
		if page == 4 {
			return http.StatusInternalServerError
		}
		return 0
	}}
	s.install(f)
	got, err := collect(t, f.client().Students.List(context.Background(), &ListOptions{Concurrency: 4}))
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 500 || len(got) != 300 {
		t.Fatalf("got %d records then %v; want 300 then a 500 APIError", len(got), err)
	}
}

func TestListEarlyBreak(t *testing.T) {
	f := newFakePS(t)
	s := &studentsServer{n: 5000}
	s.install(f)
	n := 0
	for _, err := range f.client().Students.List(context.Background(), &ListOptions{Concurrency: 4}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 150 {
			break
		}
	}
	// Only the window of pages in flight may have been fetched, not all 50.
	if p := s.pages.Load(); p > 2+8+4 {
		t.Errorf("breaking after 2 pages fetched %d pages", p)
	}
}

func TestFetchOrderedBoundsMemory(t *testing.T) {
	var inFlight, peak atomic.Int32
	fetch := func(ctx context.Context, p int) ([]int, error) {
		n := inFlight.Add(1)
		for q := peak.Load(); n > q && !peak.CompareAndSwap(q, n); q = peak.Load() {
		}
		return []int{p}, nil
	}
	var got []int
	err := fetchOrdered(context.Background(), 1, 200, 3, fetch, func(_ int, items []int) bool {
		inFlight.Add(-1)
		got = append(got, items...)
		return true
	})
	if err != nil || len(got) != 200 {
		t.Fatalf("got %d pages, err %v", len(got), err)
	}
	for i, p := range got {
		if p != i+1 {
			t.Fatalf("page %d out of order: %d", i+1, p)
		}
	}
	if peak.Load() > 6 {
		t.Errorf("%d pages held at once, want at most 2*workers = 6", peak.Load())
	}
}

func TestCountsAndGets(t *testing.T) {
	f := newFakePS(t)
	routes := map[string]string{
		"/ws/v1/district/school/count":              `{"resource":{"count":"7"}}`,
		"/ws/v1/school/3/staff/count":               `{"resource":{"count":12}}`,
		"/ws/v1/school/3/section/count":             `{"resource":{"count":4}}`,
		"/ws/v1/school/3/course/count":              `{"resource":{"count":5}}`,
		"/ws/v1/school/3/term/count":                `{"resource":{"count":1}}`,
		"/ws/v1/school/3/student/count":             `{"resource":{"count":8}}`,
		"/ws/v1/section/9/section_enrollment/count": `{"resource":{"count":9}}`,
		"/ws/v1/school/3":                           `{"school":{"id":3,"name":"North High","school_number":"100","low_grade":9,"high_grade":12}}`,
		"/ws/v1/staff/4":                            `{"staff":{"id":4,"name":{"first_name":"A","last_name":"B"},"school_affiliations":{"school_affiliation":{"school_id":3,"type":"1","status":1}}}}`,
		"/ws/v1/section/9":                          `{"section":{"id":9,"course_id":"2","section_number":1,"term_id":3000,"school_id":3,"staff_id":4,"expression":"1(A)"}}`,
		"/ws/v1/section_enrollment/77":              `{"section_enrollment":{"id":77,"section_id":9,"student_id":5,"entry_date":"2025-08-20","exit_date":"2026-06-01","dropped":"false"}}`,
		"/ws/v1/course/2":                           `{"course":{"id":2,"course_number":1001,"course_name":"Algebra"}}`,
		"/ws/v1/term/3000":                          `{"term":{"id":"3000","school_id":3,"start_year":2025,"portion":1,"name":"2025-2026","abbreviation":"25-26"}}`,
		"/ws/v1/section/9/section_enrollment":       `{"section_enrollments":[{"id":1,"section_id":9,"student_id":5},{"id":2,"section_id":9,"student_id":6}]}`,
		"/ws/v1/school/3/term":                      `{"terms":{"term":{"id":3000,"name":"Year"}}}`,
		"/ws/v1/school/3/course":                    `{"courses":{"course":[{"id":1},{"id":2},{"id":3},{"id":4},{"id":5}]}}`,
		"/ws/v1/school/3/staff":                     `{"staffs":{"staff":[]}}`,
	}
	for p, body := range routes {
		f.handle("GET "+p, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
	}
	c := f.client()
	ctx := context.Background()
	for name, fn := range map[string]func() (int, error){
		"schools":     func() (int, error) { return c.Schools.Count(ctx, nil) },
		"staff":       func() (int, error) { return c.Staff.Count(ctx, 3, nil) },
		"sections":    func() (int, error) { return c.Sections.Count(ctx, 3, nil) },
		"courses":     func() (int, error) { return c.Courses.Count(ctx, 3, nil) },
		"terms":       func() (int, error) { return c.Terms.Count(ctx, 3, nil) },
		"students":    func() (int, error) { return c.Students.CountBySchool(ctx, 3, nil) },
		"enrollments": func() (int, error) { return c.SectionEnrollments.Count(ctx, 9, nil) },
	} {
		n, err := fn()
		want := map[string]int{"schools": 7, "staff": 12, "sections": 4, "courses": 5, "terms": 1, "students": 8, "enrollments": 9}[name]
		if err != nil || n != want {
			t.Errorf("%s count = %d, %v; want %d", name, n, err, want)
		}
	}
	sch, err := c.Schools.Get(ctx, 3, nil)
	if err != nil || sch.Name != "North High" || sch.SchoolNumber != 100 || sch.HighGrade != 12 {
		t.Errorf("school = %+v, %v", sch, err)
	}
	st, err := c.Staff.Get(ctx, 4, nil)
	if err != nil || len(st.SchoolAffiliations.SchoolAffiliation) != 1 || st.SchoolAffiliations.SchoolAffiliation[0].Type != 1 {
		t.Errorf("staff = %+v, %v", st, err)
	}
	sec, err := c.Sections.Get(ctx, 9, nil)
	if err != nil || sec.CourseID != 2 || sec.SectionNumber != "1" || sec.Expression != "1(A)" {
		t.Errorf("section = %+v, %v", sec, err)
	}
	en, err := c.SectionEnrollments.Get(ctx, 77)
	if err != nil || en.StudentID != 5 || bool(en.Dropped) {
		t.Errorf("enrollment = %+v, %v", en, err)
	}
	co, err := c.Courses.Get(ctx, 2)
	if err != nil || co.CourseNumber != "1001" || co.CourseName != "Algebra" {
		t.Errorf("course = %+v, %v", co, err)
	}
	te, err := c.Terms.Get(ctx, 3000)
	if err != nil || te.ID != 3000 || te.StartYear != 2025 {
		t.Errorf("term = %+v, %v", te, err)
	}
	// Lists: bare array form, single object form, a full array; counts above drive paging.
	ens, err := collect(t, c.SectionEnrollments.List(ctx, 9, &ListOptions{Concurrency: 1}))
	var ie *InconsistentPullError
	if !errors.As(err, &ie) {
		// The count says 9 but every page holds the same 2: that is an inconsistency.
		t.Errorf("enrollments = %d, %v; want an InconsistentPullError", len(ens), err)
	}
	terms, err := collect(t, c.Terms.List(ctx, 3, nil))
	if len(terms) != 1 || terms[0].Name != "Year" || err != nil {
		t.Errorf("terms = %+v, %v", terms, err)
	}
	courses, err := collect(t, c.Courses.List(ctx, 3, nil))
	if err != nil || len(courses) != 5 {
		t.Errorf("courses = %d, %v", len(courses), err)
	}
	if _, err := c.Schools.Get(ctx, 404, nil); !IsNotFound(err) {
		t.Errorf("missing school: %v", err)
	}
}

// A limited list sizes its pages to the limit and asks for no page beyond
// it: Limit 5 is one page request of 5, Limit 250 (above the server's 100)
// is three pages, whatever the concurrency.
func TestListLimitRequests(t *testing.T) {
	for _, tc := range []struct{ limit, pages int }{{5, 1}, {100, 1}, {250, 3}} {
		t.Run(strconv.Itoa(tc.limit), func(t *testing.T) {
			f := newFakePS(t)
			s := &studentsServer{n: 5000}
			s.install(f)
			got, err := collect(t, f.client().Students.List(context.Background(), &ListOptions{Limit: tc.limit, Concurrency: 10}))
			if err != nil || len(got) != tc.limit {
				t.Fatalf("got %d records, %v; want %d", len(got), err, tc.limit)
			}
			if int(s.pages.Load()) != tc.pages {
				t.Errorf("%d page requests, want %d", s.pages.Load(), tc.pages)
			}
			if tc.limit < 100 {
				for _, q := range s.queries {
					if q.Has("page") && q.Get("pagesize") != strconv.Itoa(tc.limit) {
						t.Errorf("page query %v, want pagesize=%d", q, tc.limit)
					}
				}
			}
		})
	}
}
