package pluginaccess

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pskit/pskit/emulator/internal/store"
	"github.com/pskit/pskit/plugin"
)

const xmlV1 = `<plugin xmlns="http://plugin.powerschool.pearson.com" name="P" version="1" description="d">
  <publisher name="Acme"><contact email="a@example.com"/></publisher>
  <oauth accessLevelV1Api="READ"/>
  <access_request>
    <field table="STUDENTS" field="DCID" access="ViewOnly"/>
    <field table="u_studentsuserfields" field="email" access="FullAccess"/>
  </access_request>
</plugin>`

func TestCallerAccess(t *testing.T) {
	c := &Caller{Fields: []plugin.Field{
		{Table: "STUDENTS", Field: "DCID", Access: "ViewOnly"},
		{Table: "students", Field: "last_name", Access: "fullaccess"},
	}}
	for _, tc := range []struct {
		table, field, want string
	}{
		{"students", "dcid", plugin.ViewOnly},
		{"STUDENTS", "LAST_NAME", plugin.FullAccess},
		{"STUDENTS", "SSN", ""},
	} {
		if got := c.Access(tc.table, tc.field); got != tc.want {
			t.Errorf("Access(%s.%s) = %q; want %q", tc.table, tc.field, got, tc.want)
		}
	}
	if c.CanWrite("STUDENTS", "DCID") || !c.CanRead("STUDENTS", "DCID") || c.PageSize() != 100 {
		t.Error("ViewOnly reads but does not write; the default page size is 100")
	}
}

func TestLoaderFollowsReinstall(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB.Exec(`INSERT INTO PLUGINDEF (ID, NAME, ACCESS_LEVEL_V1, ARCHIVE, INSTALLED) VALUES (7, 'P', 'READ', ?, 't1')`, []byte(xmlV1)); err != nil {
		t.Fatal(err)
	}
	l := &Loader{DB: st.DB}
	c, err := l.Caller(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if c.PluginID != 7 || c.AccessLevelV1 != "READ" || !c.CanWrite("U_STUDENTSUSERFIELDS", "EMAIL") || c.CanRead("STUDENTS", "LAST_NAME") {
		t.Fatalf("caller %+v", c)
	}
	c.MaxPageSize = 5 // a copy: the cache is unaffected
	v2 := strings.Replace(xmlV1, `</access_request>`, `<field table="STUDENTS" field="LAST_NAME" access="ViewOnly"/></access_request>`, 1)
	if _, err := st.DB.Exec(`UPDATE PLUGINDEF SET ARCHIVE = ?, INSTALLED = 't2', ACCESS_LEVEL_V1 = 'FULL' WHERE ID = 7`, []byte(v2)); err != nil {
		t.Fatal(err)
	}
	c, err = l.Caller(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !c.CanRead("STUDENTS", "LAST_NAME") || c.AccessLevelV1 != "FULL" || c.MaxPageSize != 0 {
		t.Errorf("after reinstall: %+v", c)
	}
	if _, err := l.Caller(ctx, 8); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("unknown plugin: %v", err)
	}
}

func TestForbiddenBodyRoundTrips(t *testing.T) {
	rec := httptest.NewRecorder()
	Forbidden(rec, plugin.FullAccess, []Detail{{Resource: "U_STUDENTSUSERFIELDS", Field: "BUS_ROUTE"}, {Resource: "STUDENTS", Field: "SSN"}})
	if rec.Code != 403 {
		t.Fatalf("status %d", rec.Code)
	}
	var body struct {
		Message string   `json:"message"`
		Errors  []Detail `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 2 || !strings.Contains(body.Message, "U_STUDENTSUSERFIELDS.BUS_ROUTE, STUDENTS.SSN") {
		t.Fatalf("body %s (%v)", rec.Body, err)
	}
	fields, err := plugin.FieldsFromError(rec.Body.Bytes())
	if err != nil || len(fields) != 2 || fields[0].Access != plugin.FullAccess {
		t.Errorf("FieldsFromError = %v, %v", fields, err)
	}
}

func TestQueryKeepsSemicolons(t *testing.T) {
	r := httptest.NewRequest("GET", "/x?order=students.last_name;desc,students.dcid&projection=a.b%3Bc.d&$q=a.b==x%2Cy&empty", nil)
	q := Query(r)
	if q.Get("order") != "students.last_name;desc,students.dcid" || q.Get("projection") != "a.b;c.d" || q.Get("$q") != "a.b==x,y" {
		t.Errorf("Query = %v", q)
	}
	if _, ok := q["empty"]; !ok {
		t.Errorf("a key without a value is kept: %v", q)
	}
}
