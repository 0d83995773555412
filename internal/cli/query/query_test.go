package query

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	ps "github.com/pskit/pskit/powerschool"
)

func TestBuildArgs(t *testing.T) {
	got, err := BuildArgs([]string{"grade=9", "ids=1", "ids=2", "empty=", "expr=a=b"}, []string{"sections=[708,709]", "flag=true"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"empty":"","expr":"a=b","flag":true,"grade":"9","ids":["1","2"],"sections":[708,709]}`
	if string(b) != want {
		t.Errorf("body = %s\nwant   %s", b, want)
	}
	for _, bad := range []struct {
		args, json []string
		msg        string
	}{
		{[]string{"novalue"}, nil, "use key=value"},
		{[]string{"=1"}, nil, "use key=value"},
		{[]string{"$q=x"}, nil, "use --q"},
		{nil, []string{"projection=\"a\""}, "use --projection"},
		{nil, []string{"ids=[1,"}, "not valid JSON"},
		{nil, []string{"ids"}, "use key=JSON"},
		{[]string{"ids=1"}, []string{"ids=[2]"}, "more than once"},
		{nil, []string{"ids=[1]", "ids=[2]"}, "more than once"},
	} {
		_, err := BuildArgs(bad.args, bad.json)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("BuildArgs(%q, %q) = %v, want a usage error with %q", bad.args, bad.json, err, bad.msg)
		}
	}
}

func TestRecord(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"grouped", `{"id":3328,"name":"Students","tables":{"students":{"dcid":"3328","last_name":"Smith"},"cc":{"dateleft":"2026-06-10"}}}`,
			`{"students":{"dcid":"3328","last_name":"Smith"},"cc":{"dateleft":"2026-06-10"}}`},
		{"grouped, no columns", `{"id":1,"name":"X","tables":""}`, `{}`},
		{"flattened, dotted aliases grouped in first-seen order", `{"_id":1,"_name":"Students","students.dcid":"1","cc.id":"5","students.last_name":"Ng"}`,
			`{"students":{"dcid":"1","last_name":"Ng"},"cc":{"id":"5"}}`},
		{"flattened, one-part names kept", `{"_id":12345,"_name":"Person","person_id":12345,"person_firstname":"John"}`,
			`{"person_id":12345,"person_firstname":"John"}`},
		{"flattened, a plain key shadows a table alias", `{"students":"x","students.dcid":"1"}`, `{"students":"x","students.dcid":"1"}`},
	} {
		got, err := Record(json.RawMessage(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{`[1]`, `{"tables":[1]}`, `{"a":`} {
		if _, err := Record(json.RawMessage(bad)); err == nil {
			t.Errorf("Record(%s) accepted", bad)
		}
	}
}

func TestFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdQuery(&cmdutil.Factory{IOStreams: ios}, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"com.x.y.z.w", "--arg", "a=1", "--arg", "a=2", "--arg-json", "b=[3]", "--q", "students.grade_level=ge=9",
		"--order", "students.last_name;desc", "--projection", "students.dcid;students.last_name", "--page-size", "50", "--limit", "7", "-o", "csv"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	pq, err := got.request()
	if err != nil {
		t.Fatal(err)
	}
	want := &ps.PowerQuery{Args: map[string]any{"a": []string{"1", "2"}, "b": json.RawMessage("[3]")}, Q: "students.grade_level=ge=9",
		Order: "students.last_name;desc", Projection: []string{"students.dcid", "students.last_name"}, PageSize: 50}
	if diff := cmp.Diff(want, pq); diff != "" || got.Name != "com.x.y.z.w" || got.Limit != 7 {
		t.Errorf("request (-want +got):\n%s\nname %q limit %d", diff, got.Name, got.Limit)
	}
	for _, bad := range []Options{{Limit: -1}, {PageSize: -1}, {Count: true, Limit: 2}, {Count: true, Output: cmdutil.OutputFlags{File: "x"}}} {
		if _, err := bad.request(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("%+v: %v, want a usage error", bad, err)
		}
	}
}

func TestExplain(t *testing.T) {
	forbidden := &ps.APIError{StatusCode: 403, Method: "POST", Path: "/ws/schema/query/q",
		Errors: []ps.ErrorDetail{{Resource: "STUDENTS", Field: "ID", Code: "missing_field_access"}, {Field: "cc.dateleft"}}}
	msg := Explain(forbidden, "q").Error()
	if !strings.Contains(msg, "the plugin lacks access to the fields CC.DATELEFT, STUDENTS.ID: ") || !strings.Contains(msg, "psctl plugin access --from-error") {
		t.Errorf("403: %s", msg)
	}
	// Words of writing would make psctl plugin access ask for FullAccess.
	for _, w := range []string{"update", "write", "insert", "delete", "modify", "edit"} {
		if strings.Contains(strings.ToLower(AccessHint(forbidden, false)), w) {
			t.Errorf("read hint says %q: %s", w, AccessHint(forbidden, false))
		}
	}
	if !strings.Contains(AccessHint(forbidden, true), "FullAccess") {
		t.Errorf("write hint: %s", AccessHint(forbidden, true))
	}
	notFound := &ps.APIError{StatusCode: 404, Method: "POST", Path: "/ws/schema/query/com.a.b.c.d"}
	if msg := Explain(notFound, "com.a.b.c.d").Error(); !strings.Contains(msg, "psctl get /ws/schema/query/api") {
		t.Errorf("404: %s", msg)
	}
	other := &ps.APIError{StatusCode: 400, Path: "/ws/schema/query/q"}
	if Explain(other, "q") != error(other) {
		t.Error("a 400 was rewritten")
	}
}
