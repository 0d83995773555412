package gradebook

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

type orList struct {
	Orgs             []record     `json:"orgs"`
	Users            []record     `json:"users"`
	Classes          []record     `json:"classes"`
	AcademicSessions []record     `json:"academicSessions"`
	Enrollments      []record     `json:"enrollments"`
	Courses          []record     `json:"courses"`
	LineItems        []record     `json:"lineItems"`
	Results          []record     `json:"results"`
	Categories       []record     `json:"categories"`
	StatusInfoSet    []statusInfo `json:"statusInfoSet"`
}

func ids(recs []record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i], _ = r["sourcedId"].(string)
	}
	return out
}

func (e *env) list(path string) (orList, resp) {
	e.t.Helper()
	r := e.want(e.do("GET", path, nil), 200)
	var l orList
	r.json(e.t, &l)
	return l, r
}

// wantStatus checks a OneRoster failure body.
func (e *env) wantStatus(r resp, status int, minor string) {
	e.t.Helper()
	e.want(r, status)
	var body struct {
		Set []statusInfo `json:"statusInfoSet"`
	}
	r.json(e.t, &body)
	if len(body.Set) != 1 || body.Set[0].CodeMajor != "failure" || body.Set[0].Severity != "error" || body.Set[0].Description == "" ||
		len(body.Set[0].CodeMinor.Fields) != 1 || body.Set[0].CodeMinor.Fields[0].Name != "TargetEndSystem" || body.Set[0].CodeMinor.Fields[0].Value != minor {
		e.t.Fatalf("failure body %s, want codeMinor %s", r.body, minor)
	}
}

func TestRosteringBothBasePaths(t *testing.T) {
	e := newEnv(t)
	for _, base := range OneRosterBasePaths {
		l, r := e.list(base + "/orgs")
		if got := ids(l.Orgs); !slices.Equal(got, []string{"district", "1", "2"}) || r.header.Get("X-Total-Count") != "3" {
			t.Errorf("%s/orgs: %v, total %q", base, got, r.header.Get("X-Total-Count"))
		}
		if l.Orgs[0]["name"] != "Lakeshore Unified School District" || l.Orgs[1]["type"] != "school" || l.Orgs[1]["identifier"] != "100" {
			t.Errorf("orgs %v", l.Orgs)
		}
		href := l.Orgs[1]["parent"].(map[string]any)["href"].(string)
		if href != e.url+base+"/orgs/district" {
			t.Errorf("parent href %q", href)
		}
	}
	b := OneRosterBasePaths[0]
	checks := []struct {
		path string
		want []string
	}{
		{"/schools", []string{"1", "2"}},
		{"/students", []string{"4001", "4002", "4003", "4004"}},
		{"/teachers", []string{"t77", "t78"}},
		{"/users", []string{"4001", "4002", "4003", "4004", "t77", "t78", "t79"}},
		{"/classes", []string{"701", "702", "703"}},
		{"/courses", []string{"1", "2"}},
		{"/terms", []string{"term-1", "term-2", "term-3", "term-4"}},
		{"/gradingPeriods", []string{"gp-2", "gp-3"}},
		{"/academicSessions", []string{"term-1", "term-2", "term-3", "term-4", "gp-2", "gp-3"}},
		{"/enrollments", []string{"cc-1", "cc-2", "cc-4", "cc-5", "ts-701", "ts-702"}},
		{"/schools/1/classes", []string{"701", "702", "703"}},
		{"/schools/2/classes", []string{}},
		{"/classes/701/students", []string{"4001", "4002"}},
		{"/classes/701/teachers", []string{"t77"}},
		{"/terms/term-1/gradingPeriods", []string{"gp-2", "gp-3"}},
		{"/terms/term-2/gradingPeriods", []string{"gp-2"}},
		{"/teachers/t77/classes", []string{"701"}},
		{"/students/4001/classes", []string{"701", "702"}},
		{"/courses/1/classes", []string{"701", "703"}},
	}
	for _, c := range checks {
		l, _ := e.list(b + c.path)
		var got []string
		for _, recs := range [][]record{l.Orgs, l.Users, l.Classes, l.AcademicSessions, l.Enrollments, l.Courses} {
			got = append(got, ids(recs)...)
		}
		if !slices.Equal(append([]string{}, got...), c.want) {
			t.Errorf("%s: %v, want %v", c.path, got, c.want)
		}
	}
	var one struct {
		User record `json:"user"`
	}
	e.want(e.do("GET", b+"/students/4001", nil), 200).json(t, &one)
	if one.User["givenName"] != "Ann" || one.User["role"] != "student" || fmt.Sprint(one.User["grades"]) != "[09]" {
		t.Errorf("student %v", one.User)
	}
	e.wantStatus(e.do("GET", b+"/students/t77", nil), 404, "unknownobject")
	e.wantStatus(e.do("GET", b+"/classes/999/students", nil), 404, "unknownobject")
	e.wantStatus(e.do("GET", b+"/nothing", nil), 404, "unknownobject")
}

func TestPagingHeaders(t *testing.T) {
	e := newEnv(t)
	b := OneRosterBasePaths[1]
	l, r := e.list(b + "/users?limit=2&offset=2")
	if got := ids(l.Users); !slices.Equal(got, []string{"4003", "4004"}) || r.header.Get("X-Total-Count") != "7" {
		t.Fatalf("page %v, total %q", got, r.header.Get("X-Total-Count"))
	}
	links := parseLinks(t, r.header.Get("Link"))
	want := map[string]string{"next": "4", "prev": "0", "first": "0", "last": "6"}
	for rel, off := range want {
		u, ok := links[rel]
		if !ok {
			t.Errorf("no %s link in %q", rel, r.header.Get("Link"))
			continue
		}
		if !strings.HasPrefix(u.String(), e.url+b+"/users?") || u.Query().Get("offset") != off || u.Query().Get("limit") != "2" {
			t.Errorf("%s link %s, want offset %s and limit 2", rel, u, off)
		}
	}
	// Following next links visits every user once.
	var seen []string
	next := e.url + b + "/users?limit=3&filter=" + url.QueryEscape("status='active'")
	for next != "" {
		l, r := e.list(strings.TrimPrefix(next, e.url))
		seen = append(seen, ids(l.Users)...)
		next = ""
		if u, ok := parseLinks(t, r.header.Get("Link"))["next"]; ok {
			next = u.String()
		}
	}
	if len(seen) != 7 {
		t.Errorf("following next saw %v", seen)
	}
	_, r = e.list(b + "/users?offset=6&limit=3")
	if l := parseLinks(t, r.header.Get("Link")); l["next"] != nil || l["prev"].Query().Get("offset") != "3" {
		t.Errorf("last page links %q", r.header.Get("Link"))
	}

	e.cap = 2
	l, r = e.list(b + "/users?limit=5")
	if len(l.Users) != 2 || r.header.Get("X-Total-Count") != "7" {
		t.Errorf("capped page has %d users", len(l.Users))
	}
	l, _ = e.list(b + "/users")
	if len(l.Users) != 2 {
		t.Errorf("default limit under a cap of 2 gave %d users", len(l.Users))
	}
	e.cap = 0
	l, _ = e.list(b + "/users")
	if len(l.Users) != 7 {
		t.Errorf("default page has %d users, want all 7", len(l.Users))
	}
	e.wantStatus(e.do("GET", b+"/users?limit=0", nil), 400, "invaliddata")
	e.wantStatus(e.do("GET", b+"/users?offset=-1", nil), 400, "invaliddata")
}

func parseLinks(t *testing.T, h string) map[string]*url.URL {
	t.Helper()
	out := map[string]*url.URL{}
	for _, part := range strings.Split(h, ", ") {
		var target, rel string
		if _, err := fmt.Sscanf(part, "<%s rel=%q", &target, &rel); err != nil {
			t.Fatalf("link %q: %v", part, err)
		}
		u, err := url.Parse(strings.TrimSuffix(target, ">;"))
		if err != nil {
			t.Fatal(err)
		}
		out[rel] = u
	}
	return out
}

func TestFilterSortFields(t *testing.T) {
	e := newEnv(t)
	b := OneRosterBasePaths[0]
	q := func(params string) string { return b + "/students?" + params }
	cases := []struct {
		params string
		want   []string
	}{
		{"filter=" + url.QueryEscape("familyName='love'"), []string{"4001"}},
		{"filter=" + url.QueryEscape("familyName!='LOVE'"), []string{"4002", "4003", "4004"}},
		{"filter=" + url.QueryEscape("givenName~'N'"), []string{"4001", "4002"}},
		{"filter=" + url.QueryEscape("identifier>='100003'"), []string{"4003", "4004"}},
		{"filter=" + url.QueryEscape("identifier<'100002' OR familyName='REED'"), []string{"4001", "4004"}},
		{"filter=" + url.QueryEscape("enabledUser='true' AND grades='09'"), []string{"4001", "4003"}},
		{"filter=" + url.QueryEscape("orgs.sourcedId='1'"), []string{"4001", "4002", "4003", "4004"}},
		{"sort=givenName&orderBy=desc", []string{"4004", "4003", "4002", "4001"}}, // Di, Cy, Ben, Ann
	}
	for _, c := range cases {
		l, _ := e.list(q(c.params))
		if got := ids(l.Users); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.params, got, c.want)
		}
	}
	e.wantStatus(e.do("GET", q("filter="+url.QueryEscape("shoeSize='9'")), nil), 400, "invalid_filter_field")
	e.wantStatus(e.do("GET", q("filter="+url.QueryEscape("familyName=LOVE")), nil), 400, "invaliddata")
	e.wantStatus(e.do("GET", q("filter="+url.QueryEscape("a='1' AND b='2' OR c='3'")), nil), 400, "invaliddata")
	e.wantStatus(e.do("GET", q("sort=givenName&orderBy=up"), nil), 400, "invaliddata")
	e.wantStatus(e.do("GET", q("fields="), nil), 400, "invalid_blank_selection_field")

	l, _ := e.list(q("sort=shoeSize"))
	if !slices.Equal(ids(l.Users), []string{"4001", "4002", "4003", "4004"}) || len(l.StatusInfoSet) != 1 ||
		l.StatusInfoSet[0].CodeMinor.Fields[0].Value != "invalid_sort_field" || l.StatusInfoSet[0].Severity != "warning" {
		t.Errorf("unknown sort field: %v %+v", ids(l.Users), l.StatusInfoSet)
	}
	l, _ = e.list(q("fields=sourcedId,givenName"))
	for _, u := range l.Users {
		if len(u) != 2 || u["givenName"] == nil {
			t.Errorf("fields=sourcedId,givenName gave %v", u)
		}
	}
	l, _ = e.list(q("fields=givenName,shoeSize"))
	if len(l.Users[0]) < 5 || len(l.StatusInfoSet) != 1 || l.StatusInfoSet[0].CodeMinor.Fields[0].Value != "invalid_selection_field" {
		t.Errorf("unknown selection field: %v %+v", l.Users[0], l.StatusInfoSet)
	}
	var one struct {
		User record `json:"user"`
	}
	e.want(e.do("GET", b+"/users/t77?fields=email", nil), 200).json(t, &one)
	if len(one.User) != 1 || one.User["email"] != "ada@staff.example.org" {
		t.Errorf("single read with fields: %v", one.User)
	}
}

type putOut struct {
	LineItem record `json:"lineItem"`
	Result   record `json:"result"`
	Category record `json:"category"`
}

func lineItem(id, title, due string) map[string]any {
	return map[string]any{"lineItem": map[string]any{
		"sourcedId": id, "title": title, "description": "Test Line Item", "resultValueMin": 0, "resultValueMax": 100,
		"assignDate": "2025-10-01T12:00:00.000Z", "dueDate": due, "class": map[string]any{"sourcedId": "701"},
	}}
}

func result(id, li, student string, score float64, status string) map[string]any {
	return map[string]any{"result": map[string]any{
		"sourcedId": id, "score": score, "comment": "", "scoreStatus": status, "scoreDate": "2025-10-05T12:00:00.000Z",
		"lineItem": map[string]any{"sourcedId": li}, "student": map[string]any{"sourcedId": student},
	}}
}

// TestConformanceFlow follows Google's OneRoster 1.1 gradebook notebook.
func TestConformanceFlow(t *testing.T) {
	for _, b := range OneRosterBasePaths {
		t.Run(b, func(t *testing.T) {
			e := newEnv(t)
			const li, res = "3f1c9a4e-li", "3f1c9a4e-res"
			var out putOut
			e.want(e.do("PUT", b+"/lineItems/"+li, lineItem(li, "New test item", "2025-10-09T12:01:00.000Z")), 201).json(t, &out)
			if out.LineItem["sourcedId"] != li || out.LineItem["title"] != "New test item" || out.LineItem["dueDate"] != "2025-10-09T00:00:00.000Z" {
				t.Errorf("created %v", out.LineItem)
			}
			if cat := refID(out.LineItem["category"]); cat != fmt.Sprint(e.categoryID(77, "Homework")) {
				t.Errorf("default category %q, want the teacher's first active one", cat)
			}
			if refID(out.LineItem["gradingPeriod"]) != "gp-2" {
				t.Errorf("grading period %v, want gp-2 (S1 holds the due date)", out.LineItem["gradingPeriod"])
			}
			l, _ := e.list(b + "/classes/701/lineItems")
			if !slices.Equal(ids(l.LineItems), []string{li}) {
				t.Fatalf("class lineItems %v", ids(l.LineItems))
			}
			e.want(e.do("PUT", b+"/lineItems/"+li, lineItem(li, "New test item (edited)", "2025-10-09")), 200)
			e.want(e.do("GET", b+"/lineItems/"+li, nil), 200).json(t, &out)
			if out.LineItem["title"] != "New test item (edited)" {
				t.Errorf("edited title %v", out.LineItem["title"])
			}

			e.want(e.do("PUT", b+"/results/"+res, result(res, li, "4001", 80, "fully graded")), 201).json(t, &out)
			if out.Result["score"] != 80.0 || out.Result["scoreDate"] != "2025-10-05" {
				t.Errorf("created result %v", out.Result)
			}
			l, _ = e.list(b + "/classes/701/lineItems/" + li + "/results")
			if !slices.Equal(ids(l.Results), []string{res}) || l.Results[0]["score"] != 80.0 || refID(l.Results[0]["student"]) != "4001" {
				t.Fatalf("line item results %v", l.Results)
			}
			e.want(e.do("PUT", b+"/results/"+res, result(res, li, "4001", 300, "fully graded")), 200)
			e.want(e.do("GET", b+"/results/"+res, nil), 200).json(t, &out)
			if out.Result["score"] != 300.0 {
				t.Errorf("extra credit reads back %v, want 300", out.Result["score"])
			}
			e.want(e.do("PUT", b+"/results/"+res, result(res, li, "4001", 0, "exempt")), 200)
			e.want(e.do("GET", b+"/results/"+res, nil), 200).json(t, &out)
			if out.Result["scoreStatus"] != "exempt" {
				t.Errorf("scoreStatus reads back %v", out.Result["scoreStatus"])
			}
			e.want(e.do("DELETE", b+"/results/"+res, nil), 204)
			e.wantStatus(e.do("GET", b+"/results/"+res, nil), 404, "unknownobject")
			e.wantStatus(e.do("DELETE", b+"/results/"+res, nil), 404, "unknownobject")
			e.want(e.do("DELETE", b+"/lineItems/"+li, nil), 204)
			e.wantStatus(e.do("GET", b+"/lineItems/"+li, nil), 404, "unknownobject")
			l, _ = e.list(b + "/classes/701/lineItems")
			if len(l.LineItems) != 0 {
				t.Errorf("deleted line item still listed: %v", ids(l.LineItems))
			}
			e.wantStatus(e.do("DELETE", b+"/lineItems/"+li, nil), 404, "unknownobject")
		})
	}
}

func TestLineItemAndResultRules(t *testing.T) {
	e := newEnv(t)
	b := OneRosterBasePaths[0]
	put := func(body map[string]any, edit func(m map[string]any)) resp {
		edit(body["lineItem"].(map[string]any))
		return e.do("PUT", b+"/lineItems/li-1", body)
	}
	base := func() map[string]any { return lineItem("li-1", "Quiz", "2025-10-09") }
	for name, edit := range map[string]func(m map[string]any){
		"title of 51 bytes":     func(m map[string]any) { m["title"] = strings.Repeat("t", 51) },
		"due date outside term": func(m map[string]any) { m["dueDate"] = "2026-02-01" },
		"no due date":           func(m map[string]any) { delete(m, "dueDate") },
		"unknown class":         func(m map[string]any) { m["class"] = map[string]any{"sourcedId": "999"} },
		"class with no teacher": func(m map[string]any) { m["class"] = map[string]any{"sourcedId": "703"} },
		"inactive category": func(m map[string]any) {
			m["category"] = map[string]any{"sourcedId": fmt.Sprint(e.categoryID(77, "Projects"))}
		},
		"another teacher's category": func(m map[string]any) {
			m["category"] = map[string]any{"sourcedId": fmt.Sprint(e.categoryID(78, "Homework"))}
		},
		"unknown category":   func(m map[string]any) { m["category"] = map[string]any{"sourcedId": "nope"} },
		"grade scale":        func(m map[string]any) { m["metadata"] = map[string]any{"scoreType": "GRADESCALE"} },
		"fractional maximum": func(m map[string]any) { m["resultValueMax"] = 9.5 },
		"minimum above 0":    func(m map[string]any) { m["resultValueMin"] = 1 },
		"mismatched id":      func(m map[string]any) { m["sourcedId"] = "li-2" },
	} {
		t.Run(name, func(t *testing.T) { e.wantStatus(put(base(), edit), 400, "invaliddata") })
	}
	e.wantStatus(e.do("PUT", b+"/lineItems/a123", lineItem("a123", "Quiz", "2025-10-09")), 400, "invaliddata")
	e.wantStatus(e.do("PUT", b+"/lineItems/li-1", `{"title":"no wrapper"}`), 400, "invaliddata")
	if n := e.count("SELECT COUNT(*) FROM ASSIGNMENTSECTION"); n != 0 {
		t.Fatalf("%d assignment sections written by rejected requests", n)
	}
	// Strings for numbers (as the Microsoft reference provider sends) are accepted.
	body := base()
	body["lineItem"].(map[string]any)["resultValueMax"] = "10"
	e.want(e.do("PUT", b+"/lineItems/li-1", body), 201)

	e.wantStatus(e.do("PUT", b+"/results/res-1", result("res-1", "li-1", "4003", 5, "fully graded")), 400, "invaliddata")
	e.wantStatus(e.do("PUT", b+"/results/res-1", result("res-1", "li-1", "4001", 5, "graded")), 400, "invaliddata")
	e.wantStatus(e.do("PUT", b+"/results/res-1", result("res-1", "nope", "4001", 5, "fully graded")), 400, "invaliddata")
	e.want(e.do("PUT", b+"/results/res-1", result("res-1", "li-1", "4001", 5, "not submitted")), 201)
	e.wantStatus(e.do("PUT", b+"/results/res-2", result("res-2", "li-1", "4001", 6, "fully graded")), 400, "invaliddata")
	var out putOut
	e.want(e.do("GET", b+"/results/res-1", nil), 200).json(t, &out)
	if out.Result["scoreStatus"] != "not submitted" || out.Result["score"] != 5.0 {
		t.Errorf("result %v", out.Result)
	}
	l, _ := e.list(b + "/classes/701/students/4001/results")
	if !slices.Equal(ids(l.Results), []string{"res-1"}) {
		t.Errorf("student results %v", ids(l.Results))
	}
	l, _ = e.list(b + "/classes/702/results")
	if len(l.Results) != 0 {
		t.Errorf("class 702 results %v", ids(l.Results))
	}
	e.wantStatus(e.do("GET", b+"/classes/702/lineItems/li-1/results", nil), 404, "unknownobject")
}

func TestCategories(t *testing.T) {
	e := newEnv(t)
	b := OneRosterBasePaths[0]
	cat := func(title string, meta map[string]any) map[string]any {
		return map[string]any{"category": map[string]any{"title": title, "metadata": meta}}
	}
	e.wantStatus(e.do("PUT", b+"/categories/labs", cat("Labs", nil)), 400, "invaliddata")
	e.wantStatus(e.do("PUT", b+"/categories/labs", cat(strings.Repeat("c", 31), map[string]any{"userDcid": 77})), 400, "invaliddata")
	e.wantStatus(e.do("PUT", b+"/categories/labs", cat("homework", map[string]any{"userDcid": 77})), 400, "invaliddata")
	e.wantStatus(e.do("PUT", b+"/categories/12345", cat("Labs", map[string]any{"userDcid": 77})), 400, "invaliddata")
	var out putOut
	e.want(e.do("PUT", b+"/categories/labs", cat("Labs", map[string]any{"userDcid": "77"})), 201).json(t, &out)
	if out.Category["sourcedId"] != "labs" || out.Category["title"] != "Labs" {
		t.Errorf("category %v", out.Category)
	}
	e.want(e.do("PUT", b+"/categories/labs", cat("Lab work", nil)), 200)
	var cs []xteCategory
	e.want(e.do("GET", "/ws/xte/teacher_category?users_dcid=77", nil), 200).json(t, &cs)
	if cs[len(cs)-1].Name != "Lab work" || !cs[len(cs)-1].IsActive {
		t.Errorf("/ws/xte does not list the new category: %+v", cs)
	}
	l, _ := e.list(b + "/categories?filter=" + url.QueryEscape("title='Lab work'"))
	if !slices.Equal(ids(l.Categories), []string{"labs"}) {
		t.Errorf("categories %v", ids(l.Categories))
	}
	body := lineItem("li-1", "Lab 1", "2025-10-09")
	body["lineItem"].(map[string]any)["category"] = map[string]any{"sourcedId": "labs"}
	e.want(e.do("PUT", b+"/lineItems/li-1", body), 201)
	e.wantStatus(e.do("DELETE", b+"/categories/labs", nil), 400, "invaliddata")
	e.want(e.do("DELETE", b+"/lineItems/li-1", nil), 204)
	e.want(e.do("DELETE", b+"/categories/labs", nil), 204)
	e.wantStatus(e.do("DELETE", b+"/categories/labs", nil), 404, "unknownobject")
}

// TestBothSurfacesShareRows writes through one API and reads through the other.
func TestBothSurfacesShareRows(t *testing.T) {
	e := newEnv(t)
	b := OneRosterBasePaths[1]

	// /ws/xte -> OneRoster.
	id, secID := e.create("Quiz 1")
	e.want(e.do("PUT", "/ws/xte/score?users_dcid=77", scoreBody(secID, map[string]any{"studentsdcid": 4002, "actualscoreentered": "7.5", "isexempt": false})), 200)
	var stored xteAssignment
	e.want(e.do("GET", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", id), nil), 200).json(t, &stored)
	liID := fmt.Sprintf("a%d", secID)
	resID := fmt.Sprintf("r%d", (*stored.Sections[0].Scores)[0].AssignmentScoreID)
	var out putOut
	e.want(e.do("GET", b+"/lineItems/"+liID, nil), 200).json(t, &out)
	if out.LineItem["title"] != "Quiz 1" || out.LineItem["resultValueMax"] != 10.0 || refID(out.LineItem["class"]) != "701" {
		t.Errorf("line item from /ws/xte: %v", out.LineItem)
	}
	e.want(e.do("GET", b+"/results/"+resID, nil), 200).json(t, &out)
	if out.Result["score"] != 7.5 || refID(out.Result["student"]) != "4002" || refID(out.Result["lineItem"]) != liID || out.Result["scoreDate"] != "2025-10-02" {
		t.Errorf("result from /ws/xte: %v", out.Result)
	}
	// A OneRoster edit of that score keeps its id and shows in /ws/xte.
	e.want(e.do("PUT", b+"/results/"+resID, result(resID, liID, "4002", 9, "fully graded")), 200)

	// OneRoster -> /ws/xte.
	e.want(e.do("PUT", b+"/lineItems/li-x", lineItem("li-x", "Passback item", "2025-10-09")), 201).json(t, &out)
	orAssignment := int64(out.LineItem["metadata"].(map[string]any)["assignmentId"].(float64))
	orSection := int64(out.LineItem["metadata"].(map[string]any)["assignmentSectionId"].(float64))
	e.want(e.do("PUT", b+"/results/res-x", result("res-x", "li-x", "4001", 88, "fully graded")), 201)
	var list []xteAssignment
	e.want(e.do("GET", "/ws/xte/section/assignment/?users_dcid=77&section_ids=701", nil), 200).json(t, &list)
	if len(list) != 2 || list[1].AssignmentID != orAssignment || list[1].Sections[0].Name != "Passback item" || list[1].Sections[0].TotalPointValue != 100 {
		t.Fatalf("/ws/xte list %+v", list)
	}
	var a xteAssignment
	e.want(e.do("GET", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", orAssignment), nil), 200).json(t, &a)
	scores := *a.Sections[0].Scores
	if len(scores) != 1 || scores[0].StudentsDCID != 4001 || *scores[0].ScorePoints != 88 || scores[0].ActualScoreEntered != "88" {
		t.Errorf("/ws/xte scores of the OneRoster item %+v", scores)
	}
	e.want(e.do("GET", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77", id), nil), 200).json(t, &a)
	if s := *a.Sections[0].Scores; len(s) != 1 || *s[0].ScorePoints != 9 {
		t.Errorf("/ws/xte score after the OneRoster edit %+v", s)
	}
	// A /ws/xte re-send updates the OneRoster result in place.
	e.want(e.do("PUT", "/ws/xte/score?users_dcid=77", scoreBody(orSection, map[string]any{"studentsdcid": 4001, "actualscoreentered": "91"})), 200)
	e.want(e.do("GET", b+"/results/res-x", nil), 200).json(t, &out)
	if out.Result["score"] != 91.0 {
		t.Errorf("OneRoster result after a /ws/xte write: %v", out.Result)
	}
	// Deleting through /ws/xte removes the line item from OneRoster.
	e.want(e.do("DELETE", fmt.Sprintf("/ws/xte/section/assignment/%d?users_dcid=77&force=true", orAssignment), nil), 204)
	e.wantStatus(e.do("GET", b+"/lineItems/li-x", nil), 404, "unknownobject")
	e.wantStatus(e.do("GET", b+"/results/res-x", nil), 404, "unknownobject")
}
