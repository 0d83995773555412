package gradebook

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pskit/pskit/plugin"
)

// without returns the gradebook fields minus those whose column is in cols.
func without(cols ...string) []plugin.Field {
	var out []plugin.Field
	for _, f := range plugin.GradebookFields() {
		drop := false
		for _, c := range cols {
			drop = drop || f.Field == c
		}
		if !drop {
			out = append(out, f)
		}
	}
	return out
}

// fieldsOf runs the body through what `psctl plugin access --from-error` uses.
func accessFieldsOf(t *testing.T, body []byte) map[string]string {
	t.Helper()
	fs, err := plugin.FieldsFromError(body)
	if err != nil {
		t.Fatalf("FieldsFromError(%s): %v", body, err)
	}
	out := map[string]string{}
	for _, f := range fs {
		out[f.Table+"."+f.Field] = f.Access
	}
	return out
}

func TestXTEAccessRequest(t *testing.T) {
	e := newEnv(t)
	cat := e.categoryID(77, "Homework")
	create := func() resp {
		return e.do("POST", "/ws/xte/section/assignment/?users_dcid=77", assignmentBody(701, "Unit 3 test", "2025-10-01", cat))
	}

	// Everything but the audit columns: the live 403, naming
	// assignment.createdbyplugin in lower case.
	e.fields = without("CREATEDBYPLUGIN", "WHOCREATED", "WHENCREATED", "WHOMODIFIED", "WHENMODIFIED")
	r := e.want(create(), http.StatusForbidden)
	var xe xteError
	r.json(t, &xe)
	if !strings.HasPrefix(xe.Message, "No access to field assignment.createdbyplugin") {
		t.Errorf("403 message %q, want it to start %q", xe.Message, "No access to field assignment.createdbyplugin")
	}
	if n := e.count("SELECT COUNT(*) FROM ASSIGNMENT"); n != 0 {
		t.Errorf("%d assignments written by a plugin without access", n)
	}
	// The round trip: the body gives FullAccess entries for every missing
	// column of the tables a create writes, and nothing else.
	got := accessFieldsOf(t, r.body)
	want := 0
	for _, f := range plugin.GradebookFields("ASSIGNMENT", "ASSIGNMENTSECTION", "ASSIGNMENTCATEGORYASSOC") {
		if f.Field == "CREATEDBYPLUGIN" || strings.HasPrefix(f.Field, "WHO") || strings.HasPrefix(f.Field, "WHEN") {
			want++
			if got[f.Table+"."+f.Field] != plugin.FullAccess {
				t.Errorf("from-error gave %s.%s %q, want FullAccess", f.Table, f.Field, got[f.Table+"."+f.Field])
			}
		}
	}
	if len(got) != want {
		t.Errorf("from-error gave %d fields %v, want the %d missing audit columns", len(got), got, want)
	}

	// Write access but no category read: a read-only 403 for TEACHERCATEGORY.
	e.fields = plugin.GradebookFields("ASSIGNMENT", "ASSIGNMENTSECTION", "ASSIGNMENTCATEGORYASSOC", "ASSIGNMENTSCORE", "ASSIGNMENTSCORECOMMENT")
	r = e.want(create(), http.StatusForbidden)
	r.json(t, &xe)
	if !strings.HasPrefix(xe.Message, "No access to field teachercategory.") {
		t.Errorf("403 message %q, want the first TEACHERCATEGORY column", xe.Message)
	}
	for k, access := range accessFieldsOf(t, r.body) {
		if access != plugin.ViewOnly || !strings.Contains(k, "TEACHERCATEGORY.") {
			t.Errorf("from-error on a read 403 gave %s %s, want ViewOnly category fields only", k, access)
		}
	}
	e.want(e.do("GET", "/ws/xte/teacher_category?users_dcid=77", nil), http.StatusForbidden)

	// ViewOnly where FullAccess is needed is not enough to write scores.
	e.fields = plugin.GradebookFields()
	_, secID := e.create("Quiz 1")
	for i, f := range e.fields {
		if f.Table == "ASSIGNMENTSCORE" && f.Field == "SCOREPOINTS" {
			e.fields[i].Access = plugin.ViewOnly
		}
	}
	r = e.want(e.do("PUT", "/ws/xte/score?users_dcid=77&status=A", scoreBody(secID, map[string]any{"studentsdcid": 4001, "actualscoreentered": "8"})), http.StatusForbidden)
	if got := accessFieldsOf(t, r.body); len(got) != 1 || got["ASSIGNMENTSCORE.SCOREPOINTS"] != plugin.FullAccess {
		t.Errorf("from-error on the score 403 gave %v, want ASSIGNMENTSCORE.SCOREPOINTS FullAccess", got)
	}
	if n := e.count("SELECT COUNT(*) FROM ASSIGNMENTSCORE"); n != 0 {
		t.Errorf("%d scores written by a plugin without access", n)
	}

	// No plugin behind the request: 401.
	e.anonymous = true
	e.want(e.do("GET", "/ws/xte/teacher_category?users_dcid=77", nil), http.StatusUnauthorized)
}

func TestOneRosterWritesNeedGradebookAccess(t *testing.T) {
	e := newEnv(t)
	b := OneRosterBasePaths[0]
	e.fields = without("CREATEDBYPLUGIN")
	r := e.want(e.do("PUT", b+"/lineItems/li-1", lineItem("li-1", "Passback", "2025-10-09")), http.StatusForbidden)
	if !strings.Contains(string(r.body), "imsx_codeMajor") || !strings.Contains(string(r.body), "No access to field assignment.createdbyplugin") {
		t.Errorf("OneRoster 403 body %s, want the imsx form naming assignment.createdbyplugin", r.body)
	}
	if got := accessFieldsOf(t, r.body); len(got) != 1 || got["ASSIGNMENT.CREATEDBYPLUGIN"] != plugin.FullAccess {
		t.Errorf("from-error on the OneRoster 403 gave %v", got)
	}
	// Reads stay open: they use the rostering and gradebook read paths.
	e.want(e.do("GET", b+"/lineItems", nil), http.StatusOK)
	e.fields = plugin.GradebookFields()
	e.want(e.do("PUT", b+"/lineItems/li-1", lineItem("li-1", "Passback", "2025-10-09")), http.StatusCreated)
}
