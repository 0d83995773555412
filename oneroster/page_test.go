package oneroster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pskit/pskit/oneroster"
	"github.com/pskit/pskit/oneroster/internal/ortest"
)

// pager is a provider of users that pages by limit and offset and sends
// the paging headers asked for. The emulator always sends both X-Total-Count
// and Link; the client's stop rule must also hold for providers that send
// one or neither, which only a double can show.
type pager struct {
	paging
	url      string
	users    []map[string]any
	mu       sync.Mutex
	requests []string // raw queries of the list requests
}

// paging is which headers a pager sends, and its cap on limit.
type paging struct {
	totalCount, link bool
	maxLimit         int
}

func startPager(t *testing.T, p *pager) *pager {
	srv := provider(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ims/oneroster/v1p1/users" {
			http.NotFound(w, r)
			return
		}
		p.mu.Lock()
		p.requests = append(p.requests, r.URL.RawQuery)
		p.mu.Unlock()
		q := r.URL.Query()
		limit, offset := 100, 0
		if v := q.Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		offset, _ = strconv.Atoi(q.Get("offset"))
		if p.maxLimit > 0 {
			limit = min(limit, p.maxLimit)
		}
		end := min(offset+limit, len(p.users))
		page := []map[string]any{}
		if offset < len(p.users) {
			page = p.users[offset:end]
		}
		if p.totalCount {
			w.Header().Set("X-Total-Count", strconv.Itoa(len(p.users)))
		}
		if p.link {
			link := func(off int, rel string) string {
				return fmt.Sprintf(`<%s%s?offset=%d&limit=%d>; rel="%s"`, p.url, r.URL.Path, off, limit, rel)
			}
			links := []string{link(max(0, len(p.users)-1)/limit*limit, "last")}
			if end < len(p.users) {
				links = append([]string{link(end, "next")}, links...)
			}
			w.Header().Set("Link", strings.Join(links, ", "))
		}
		json.NewEncoder(w).Encode(map[string]any{"users": page})
	})
	p.url = srv.URL
	return p
}

func (p *pager) client(t *testing.T) *oneroster.Client {
	t.Helper()
	c, err := oneroster.NewClient(p.url, creds)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *pager) listRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.requests)
}

func users(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		role := "student"
		if i%5 == 0 {
			role = "teacher"
		}
		out[i] = map[string]any{
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

// Every header combination, exact and inexact page multiples, and a provider
// that caps limit: all records arrive once, in order, with no wasted
// requests beyond the stop rule's.
func TestPagingWithAndWithoutHeaders(t *testing.T) {
	for _, tc := range []struct {
		name       string
		p          paging
		n, limit   int
		wantCalls  int
		wantRecord int
	}{
		{"no headers, short last page", paging{}, 25, 10, 3, 25},
		{"no headers, exact multiple (one empty page)", paging{}, 20, 10, 3, 20},
		{"no headers, empty", paging{}, 0, 10, 1, 0},
		{"total count", paging{totalCount: true}, 20, 10, 2, 20},
		{"link only", paging{link: true}, 25, 10, 3, 25},
		{"link only, exact multiple", paging{link: true}, 20, 10, 2, 20},
		{"both headers", paging{totalCount: true, link: true}, 25, 10, 3, 25},
		{"capped limit with total", paging{totalCount: true, maxLimit: 7}, 25, 100, 4, 25},
		{"capped limit with link", paging{link: true, maxLimit: 7}, 25, 100, 4, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPager(t, &pager{paging: tc.p, users: users(tc.n)})
			c := p.client(t)
			got := ids(t, c.ListUsers(context.Background(), &oneroster.ListOptions{Limit: tc.limit}))
			if len(got) != tc.wantRecord {
				t.Fatalf("got %d records, want %d", len(got), tc.wantRecord)
			}
			for i, id := range got {
				if want := fmt.Sprintf("u%03d", i); id != want {
					t.Fatalf("record %d = %s, want %s", i, id, want)
				}
			}
			if n := p.listRequests(); n != tc.wantCalls {
				t.Errorf("requests = %d, want %d", n, tc.wantCalls)
			}
		})
	}
}

// Breaking out of the loop stops fetching.
func TestPagingEarlyBreak(t *testing.T) {
	p := startPager(t, &pager{users: users(50), paging: paging{totalCount: true}})
	c := p.client(t)
	n := 0
	for _, err := range c.ListUsers(context.Background(), &oneroster.ListOptions{Limit: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 12 {
			break
		}
	}
	if calls := p.listRequests(); calls != 2 {
		t.Errorf("requests = %d, want 2", calls)
	}
}

// The query carries limit, offset, filter, sort, orderBy and fields, with
// the filter quoted per the spec and RFC 3986 encoded.
func TestListQuery(t *testing.T) {
	p := startPager(t, &pager{users: users(12)})
	c := p.client(t)
	opts := &oneroster.ListOptions{
		Limit: 50, Offset: 2,
		Filter:  oneroster.And(oneroster.Eq("familyName", "Family1"), oneroster.Eq("role", "student")),
		Sort:    "familyName",
		OrderBy: "DESC",
		Fields:  []string{"sourcedId", "familyName"},
	}
	// The double does not filter: what matters is the query sent.
	if got := ids(t, c.ListUsers(context.Background(), opts)); len(got) != 10 || got[0] != "u002" {
		t.Errorf("records %v, want u002 to u011", got)
	}
	raw := p.requests[0]
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
	p := startPager(t, &pager{})
	c := p.client(t)
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
	if calls := p.listRequests(); calls != 0 {
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

// The nested collections used for passback hit the right paths (on the
// /api base path here) and agree with each other.
func TestNestedRostering(t *testing.T) {
	c := ortest.Client(t, ortest.Start(t), oneroster.WithBasePath("/api/ims/oneroster/v1p1"))
	ctx := context.Background()
	f := ortest.FindClass(t, c) // class students, class teachers, a term
	class := f.SourcedID

	students := ids(t, c.ListStudents(ctx, nil))
	for _, s := range f.Students {
		if !slices.Contains(students, s) {
			t.Errorf("class student %s is not among the students", s)
		}
	}
	for name, seq := range map[string]func(func(oneroster.Class, error) bool){
		"school classes":  c.ListSchoolClasses(ctx, f.School.SourcedID, nil),
		"teacher classes": c.ListTeacherClasses(ctx, f.Teacher, nil),
		"student classes": c.ListStudentClasses(ctx, f.Students[0], nil),
		"classes":         c.ListClasses(ctx, &oneroster.ListOptions{Filter: oneroster.Eq("sourcedId", class)}),
	} {
		found := 0
		for cl, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			if cl.SourcedID == class {
				found++
				if cl.School.SourcedID != f.School.SourcedID || len(cl.Terms) == 0 {
					t.Errorf("%s: class %+v", name, cl)
				}
			}
		}
		if found != 1 {
			t.Errorf("%s: class %s found %d times, want once", name, class, found)
		}
	}
	term := f.Terms[0].SourcedID
	periods := 0
	for gp, err := range c.ListTermGradingPeriods(ctx, term, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if periods++; gp.Type != "gradingPeriod" || gp.StartDate.IsZero() {
			t.Errorf("grading period %s of term %s: type %q, start %v", gp.SourcedID, term, gp.Type, gp.StartDate)
		}
	}
	if periods == 0 {
		t.Errorf("term %s has no grading periods", term)
	}
	school, err := c.GetSchool(ctx, f.School.SourcedID, "sourcedId", "name")
	if err != nil || school.Name == "" {
		t.Errorf("GetSchool = %+v, %v", school, err)
	}
	for e, err := range c.ListEnrollments(ctx, &oneroster.ListOptions{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.GetEnrollment(ctx, e.SourcedID)
		if err != nil || got.User.SourcedID != e.User.SourcedID || got.Class.SourcedID != e.Class.SourcedID {
			t.Errorf("GetEnrollment(%s) = %+v, %v; the list says %+v", e.SourcedID, got, err, e)
		}
		break
	}
}
