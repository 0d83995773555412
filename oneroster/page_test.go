package oneroster_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pskit/pskit/oneroster"
	"github.com/pskit/pskit/oneroster/internal/fakeprovider"
)

func users(n int) []fakeprovider.Record {
	out := make([]fakeprovider.Record, n)
	for i := range out {
		role := "student"
		if i%5 == 0 {
			role = "teacher"
		}
		out[i] = fakeprovider.Record{
			"sourcedId": fmt.Sprintf("u%03d", i), "status": "active", "role": role,
			"givenName": "Given", "familyName": fmt.Sprintf("Family%d", i%3), "username": fmt.Sprintf("user%d", i),
		}
	}
	return out
}

func ids(t *testing.T, seq func(func(oneroster.User, error) bool)) []string {
	t.Helper()
	var out []string
	for u, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u.SourcedID)
	}
	return out
}

func listRequests(p *fakeprovider.Provider, suffix string) int {
	n := 0
	for _, r := range p.Requests() {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// Every header combination, exact and inexact page multiples, and a provider
// that caps limit: all records arrive once, in order, with no wasted
// requests beyond the stop rule's.
func TestPagingWithAndWithoutHeaders(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       fakeprovider.Options
		n, limit   int
		wantCalls  int
		wantRecord int
	}{
		{"no headers, short last page", fakeprovider.Options{}, 25, 10, 3, 25},
		{"no headers, exact multiple (one empty page)", fakeprovider.Options{}, 20, 10, 3, 20},
		{"no headers, empty", fakeprovider.Options{}, 0, 10, 1, 0},
		{"total count", fakeprovider.Options{TotalCount: true}, 20, 10, 2, 20},
		{"link only", fakeprovider.Options{Link: true}, 25, 10, 3, 25},
		{"link only, exact multiple", fakeprovider.Options{Link: true}, 20, 10, 2, 20},
		{"both headers", fakeprovider.Options{TotalCount: true, Link: true}, 25, 10, 3, 25},
		{"capped limit with total", fakeprovider.Options{TotalCount: true, MaxLimit: 7}, 25, 100, 4, 25},
		{"capped limit with link", fakeprovider.Options{Link: true, MaxLimit: 7}, 25, 100, 4, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fakeprovider.Start(t, tc.opts)
			p.Add("users", users(tc.n)...)
			c := newClient(t, p)
			got := ids(t, c.ListUsers(context.Background(), &oneroster.ListOptions{Limit: tc.limit}))
			if len(got) != tc.wantRecord {
				t.Fatalf("got %d records, want %d", len(got), tc.wantRecord)
			}
			for i, id := range got {
				if want := fmt.Sprintf("u%03d", i); id != want {
					t.Fatalf("record %d = %s, want %s", i, id, want)
				}
			}
			if n := listRequests(p, "/users"); n != tc.wantCalls {
				t.Errorf("requests = %d, want %d", n, tc.wantCalls)
			}
		})
	}
}

// Breaking out of the loop stops fetching.
func TestPagingEarlyBreak(t *testing.T) {
	p := fakeprovider.Start(t, fakeprovider.Options{TotalCount: true})
	p.Add("users", users(50)...)
	c := newClient(t, p)
	n := 0
	for _, err := range c.ListUsers(context.Background(), &oneroster.ListOptions{Limit: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 12 {
			break
		}
	}
	if calls := listRequests(p, "/users"); calls != 2 {
		t.Errorf("requests = %d, want 2", calls)
	}
}

// The query carries limit, offset, filter, sort, orderBy and fields, with
// the filter quoted per the spec and RFC 3986 encoded.
func TestListQuery(t *testing.T) {
	p := fakeprovider.Start(t, fakeprovider.Options{})
	p.Add("users", users(12)...)
	c := newClient(t, p)
	opts := &oneroster.ListOptions{
		Limit: 50, Offset: 2,
		Filter:  oneroster.And(oneroster.Eq("familyName", "Family1"), oneroster.Eq("role", "student")),
		Sort:    "familyName",
		OrderBy: "DESC",
		Fields:  []string{"sourcedId", "familyName"},
	}
	got := ids(t, c.ListUsers(context.Background(), opts))
	// u001,u004,u007,u010 have Family1; u010 is a teacher; offset 2 skips two.
	if diff := cmp.Diff([]string{"u007"}, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	reqs := p.Requests()
	raw := reqs[len(reqs)-1].RawQuery
	if strings.Contains(raw, "+") {
		t.Errorf("query %q uses '+' for spaces", raw)
	}
	q, _ := url.ParseQuery(raw)
	want := url.Values{
		"limit": {"50"}, "offset": {"2"}, "filter": {"familyName='Family1' AND role='student'"},
		"sort": {"familyName"}, "orderBy": {"desc"}, "fields": {"sourcedId,familyName"},
	}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

func TestFilterBuilders(t *testing.T) {
	for _, tc := range []struct {
		f    oneroster.Filter
		want string
	}{
		{oneroster.Eq("familyName", "Smith"), "familyName='Smith'"},
		{oneroster.Ne("status", "tobedeleted"), "status!='tobedeleted'"},
		{oneroster.Gt("dateLastModified", "2024-01-01"), "dateLastModified>'2024-01-01'"},
		{oneroster.Ge("score", "10"), "score>='10'"},
		{oneroster.Lt("score", "10"), "score<'10'"},
		{oneroster.Le("score", "10"), "score<='10'"},
		{oneroster.Contains("email", "@school"), "email~'@school'"},
		{oneroster.Or(oneroster.Eq("role", "student"), oneroster.Eq("role", "teacher")), "role='student' OR role='teacher'"},
		{oneroster.Eq("class.sourcedId", "c 1"), "class.sourcedId='c 1'"},
		{oneroster.RawFilter("type='term'"), "type='term'"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("filter = %s, want %s", got, tc.want)
		}
	}
}

func TestListOptionErrors(t *testing.T) {
	p := fakeprovider.Start(t, fakeprovider.Options{})
	c := newClient(t, p)
	for _, opts := range []*oneroster.ListOptions{
		{Filter: oneroster.And(oneroster.Eq("bad field", "x"), oneroster.Eq("role", "student"))},
		{OrderBy: "sideways"},
		{Limit: -1},
	} {
		n := 0
		for _, err := range c.ListUsers(context.Background(), opts) {
			n++
			if err == nil {
				t.Errorf("%+v: want an error", opts)
			}
		}
		if n != 1 {
			t.Errorf("%+v: yielded %d times, want one error", opts, n)
		}
	}
	if calls := listRequests(p, "/users"); calls != 0 {
		t.Errorf("invalid options still sent %d requests", calls)
	}
}

// Lenient page shapes: Link without angle brackets and with a newline
// separator, a single object instead of an array, a differently named
// wrapper, a missing key on an empty page.
func TestLenientPages(t *testing.T) {
	pages := map[string]struct {
		body, link string
	}{
		"0": {`{"users":[{"sourcedId":"a"},{"sourcedId":"b"}]}`, `https://x/users?offset=2&limit=2; rel=next,` + "\n" + `https://x/users?offset=4; rel=last`},
		"2": {`{"users":{"sourcedId":"c"}}`, `<https://x/users?fields=a,b&offset=3>; rel="prev next"`},
		"3": {`{"students":[{"sourcedId":"d"}]}`, `<https://x/users?offset=4>; rel="next"`},
		"4": {`{}`, ``},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"t0k3n","token_type":"Bearer","expires_in":"3600"}`)
	})
	mux.HandleFunc("GET /ims/oneroster/v1p1/users", func(w http.ResponseWriter, r *http.Request) {
		pg, ok := pages[r.URL.Query().Get("offset")]
		if !ok {
			t.Errorf("unexpected offset %s", r.URL.Query().Get("offset"))
		}
		if pg.link != "" {
			w.Header().Set("Link", pg.link)
		}
		fmt.Fprint(w, pg.body)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := oneroster.NewClient(srv.URL, creds)
	if err != nil {
		t.Fatal(err)
	}
	got := ids(t, c.ListUsers(context.Background(), &oneroster.ListOptions{Limit: 2}))
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// A provider that ignores offset and always sends rel="next" must not loop
// forever.
func TestPagingDetectsIgnoredOffset(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"t0k3n","token_type":"Bearer","expires_in":"3600"}`)
	})
	mux.HandleFunc("GET /ims/oneroster/v1p1/users", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<https://x/users?offset=99>; rel="next"`)
		fmt.Fprint(w, `{"users":[{"sourcedId":"a"},{"sourcedId":"b"}]}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, _ := oneroster.NewClient(srv.URL, creds)
	var lastErr error
	n := 0
	for _, err := range c.ListUsers(context.Background(), &oneroster.ListOptions{Limit: 2}) {
		n++
		lastErr = err
		if n > 10 {
			t.Fatal("iteration did not stop")
		}
	}
	if lastErr == nil || !strings.Contains(lastErr.Error(), "ignore offset") {
		t.Errorf("last error = %v, want the ignored-offset error", lastErr)
	}
}

// The nested collections used for passback hit the right paths and decode.
func TestNestedRostering(t *testing.T) {
	p := fakeprovider.Start(t, fakeprovider.Options{BasePath: "/api/ims/oneroster/v1p1"})
	p.Add("users", users(3)...) // u000 teacher, u001 and u002 students
	p.Add("orgs", fakeprovider.Record{"sourcedId": "s1", "status": "active", "name": "High", "type": "school"})
	p.Add("academicSessions",
		fakeprovider.Record{"sourcedId": "t1", "status": "active", "title": "2024-2025", "type": "term", "startDate": "2024-08-01", "endDate": "2025-06-30", "schoolYear": 2025},
		fakeprovider.Record{"sourcedId": "g1", "status": "active", "title": "Q1", "type": "gradingPeriod", "parent": map[string]any{"sourcedId": "t1"}, "startDate": "2024-08-01", "endDate": "2024-10-31", "schoolYear": "2025"},
	)
	p.Add("classes", fakeprovider.Record{"sourcedId": "c1", "status": "active", "title": "Algebra", "school": map[string]any{"sourcedId": "s1", "type": "org", "href": "~/ims/oneroster/v1p1/orgs/s1"}, "terms": []any{map[string]any{"sourcedId": "t1"}}, "periods": "1,2"})
	p.Add("enrollments",
		fakeprovider.Record{"sourcedId": "e0", "status": "active", "role": "teacher", "user": map[string]any{"sourcedId": "u000"}, "class": map[string]any{"sourcedId": "c1"}, "primary": "true"},
		fakeprovider.Record{"sourcedId": "e1", "status": "active", "role": "student", "user": map[string]any{"sourcedId": "u001"}, "class": map[string]any{"sourcedId": "c1"}},
		fakeprovider.Record{"sourcedId": "e2", "status": "active", "role": "student", "user": map[string]any{"sourcedId": "u002"}, "class": map[string]any{"sourcedId": "c1"}},
	)
	c := newClient(t, p, oneroster.WithBasePath("/api/ims/oneroster/v1p1"))
	ctx := context.Background()

	if diff := cmp.Diff([]string{"u001", "u002"}, ids(t, c.ListClassStudents(ctx, "c1", nil))); diff != "" {
		t.Errorf("class students (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u000"}, ids(t, c.ListClassTeachers(ctx, "c1", nil))); diff != "" {
		t.Errorf("class teachers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u001", "u002"}, ids(t, c.ListStudents(ctx, nil))); diff != "" {
		t.Errorf("students (-want +got):\n%s", diff)
	}
	for name, seq := range map[string]func(func(oneroster.Class, error) bool){
		"school classes":  c.ListSchoolClasses(ctx, "s1", nil),
		"teacher classes": c.ListTeacherClasses(ctx, "u000", nil),
		"student classes": c.ListStudentClasses(ctx, "u001", nil),
		"classes":         c.ListClasses(ctx, &oneroster.ListOptions{Filter: oneroster.Eq("sourcedId", "c1")}),
	} {
		var got []oneroster.Class
		for cl, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, cl)
		}
		if len(got) != 1 || got[0].SourcedID != "c1" || got[0].School.SourcedID != "s1" || got[0].School.Type != "org" ||
			len(got[0].Terms) != 1 || !cmp.Equal([]string(got[0].Periods), []string{"1", "2"}) {
			t.Errorf("%s = %+v", name, got)
		}
	}
	var gps []oneroster.AcademicSession
	for gp, err := range c.ListTermGradingPeriods(ctx, "t1", nil) {
		if err != nil {
			t.Fatal(err)
		}
		gps = append(gps, gp)
	}
	if len(gps) != 1 || gps[0].Type != "gradingPeriod" || gps[0].Parent.SourcedID != "t1" || gps[0].SchoolYear != "2025" {
		t.Errorf("grading periods = %+v", gps)
	}
	term, err := c.GetTerm(ctx, "t1")
	if err != nil || term.SchoolYear != "2025" || term.StartDate.Format("2006-01-02") != "2024-08-01" {
		t.Errorf("GetTerm = %+v, %v", term, err)
	}
	school, err := c.GetSchool(ctx, "s1", "sourcedId", "name")
	if err != nil || school.Name != "High" {
		t.Errorf("GetSchool = %+v, %v", school, err)
	}
	if reqs := p.Requests(); reqs[len(reqs)-1].RawQuery != "fields=sourcedId%2Cname" {
		t.Errorf("GetSchool query = %q, want fields=sourcedId%%2Cname", reqs[len(reqs)-1].RawQuery)
	}
	e, err := c.GetEnrollment(ctx, "e0")
	if err != nil || !bool(e.Primary) || e.User.SourcedID != "u000" {
		t.Errorf("GetEnrollment = %+v, %v", e, err)
	}
	for _, r := range p.Requests() {
		if strings.HasPrefix(r.Path, "/ims/") {
			t.Errorf("request %s ignored the base path", r.Path)
		}
	}
}
