package tableapi

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pskit/pskit/emulator/internal/emutest"
	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/plugin"
)

type env struct {
	url string
	db  *sql.DB
}

func field(table, name, access string) plugin.Field {
	return plugin.Field{Table: table, Field: name, Access: access}
}

// newEnv serves the table API for two plugins: "writer" has FullAccess to
// U_STUDENTSUSERFIELDS (but only ViewOnly on BUS_ROUTE) and reads a few
// STUDENTS fields; "reader" may read STUDENTCOREFIELDS.HOMEROOM only.
func newEnv(t *testing.T) *env {
	t.Helper()
	st := emutest.District(t, 3, 60)
	writer := &pluginaccess.Caller{PluginID: 1, MaxPageSize: 25, Fields: []plugin.Field{
		field("U_STUDENTSUSERFIELDS", "STUDENTSDCID", plugin.FullAccess),
		field("u_studentsuserfields", "email", plugin.FullAccess),
		field("U_STUDENTSUSERFIELDS", "TRANSCRIPTADDRCITY", plugin.FullAccess),
		field("U_STUDENTSUSERFIELDS", "LOCKER_NUMBER", plugin.FullAccess),
		field("U_STUDENTSUSERFIELDS", "BUS_ROUTE", plugin.ViewOnly),
		field("STUDENTS", "DCID", plugin.ViewOnly),
		field("STUDENTS", "LAST_NAME", plugin.ViewOnly),
		field("STUDENTS", "GRADE_LEVEL", plugin.ViewOnly),
		field("STOREDGRADES", "STUDENTID", plugin.FullAccess),
		field("STOREDGRADES", "SCHOOLID", plugin.FullAccess),
		field("STOREDGRADES", "STORECODE", plugin.FullAccess),
		field("STOREDGRADES", "COURSE_NUMBER", plugin.FullAccess),
		field("STOREDGRADES", "GRADE", plugin.FullAccess),
		field("STOREDGRADES", "PERCENT", plugin.FullAccess),
		field("STOREDGRADES", "TERMID", plugin.ViewOnly),
	}}
	reader := &pluginaccess.Caller{PluginID: 2, Fields: []plugin.Field{field("STUDENTCOREFIELDS", "HOMEROOM", plugin.ViewOnly)}}
	h := New(st, emutest.Callers(map[string]*pluginaccess.Caller{"writer": writer, "reader": reader}))
	return &env{url: emutest.Serve(t, h.Mount), db: st.DB}
}

func (e *env) do(t *testing.T, who, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+who)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var v map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, data)
		}
	}
	return res.StatusCode, v
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func records(v map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := v["record"].([]any)
	for _, r := range list {
		out = append(out, r.(map[string]any))
	}
	return out
}

func TestListAndPaging(t *testing.T) {
	e := newEnv(t)
	total := e.count(t, "SELECT COUNT(*) FROM U_STUDENTSUSERFIELDS")
	code, v := e.do(t, "writer", "GET", "/ws/schema/table/U_STUDENTSUSERFIELDS?projection=*", "")
	if code != 200 {
		t.Fatalf("status %d: %v", code, v)
	}
	recs := records(v)
	if v["name"] != "U_STUDENTSUSERFIELDS" || len(recs) != min(25, total) {
		t.Fatalf("name %v, %d records (max page size 25, %d rows)", v["name"], len(recs), total)
	}
	r := recs[0]
	fields := r["tables"].(map[string]any)["u_studentsuserfields"].(map[string]any)
	if r["name"] != "U_STUDENTSUSERFIELDS" || fmt.Sprint(r["id"]) != fields["studentsdcid"] {
		t.Errorf("record %v", r)
	}
	if _, ok := r["id"].(float64); !ok {
		t.Errorf("id should be a number: %#v", r["id"])
	}
	// pagesize above the plugin's maximum is capped; page 2 continues.
	_, v2 := e.do(t, "writer", "GET", "/ws/schema/table/u_studentsuserfields?projection=email,studentsdcid&pagesize=1000&page=2", "")
	if n := len(records(v2)); n != min(25, max(0, total-25)) {
		t.Errorf("page 2 has %d records", n)
	}
	for _, r := range records(v2) {
		f := r["tables"].(map[string]any)["u_studentsuserfields"].(map[string]any)
		if _, extra := f["locker_number"]; extra {
			t.Errorf("projection not applied: %v", f)
		}
	}
	code, v = e.do(t, "writer", "GET", "/ws/schema/table/u_studentsuserfields/count", "")
	if code != 200 || fmt.Sprint(v["count"]) != fmt.Sprint(total) {
		t.Errorf("count = %d %v; want %d", code, v, total)
	}
}

func TestFilterSortAndCoreTables(t *testing.T) {
	e := newEnv(t)
	want := e.count(t, "SELECT COUNT(*) FROM STUDENTS WHERE GRADE_LEVEL >= 10")
	code, v := e.do(t, "writer", "GET", "/ws/schema/table/students/count?q=grade_level=ge=10", "")
	if code != 200 || fmt.Sprint(v["count"]) != fmt.Sprint(want) {
		t.Fatalf("count %d %v; want %d", code, v, want)
	}
	code, v = e.do(t, "writer", "GET", "/ws/schema/table/students?projection=dcid,last_name&q=students.grade_level=ge=10&sort=last_name&sortdescending=true&pagesize=100", "")
	if code != 200 || len(records(v)) != want {
		t.Fatalf("list %d, %d records; want %d", code, len(records(v)), want)
	}
	prev := "\uffff"
	for _, r := range records(v) {
		n := r["tables"].(map[string]any)["students"].(map[string]any)["last_name"].(string)
		if n > prev {
			t.Fatalf("not sorted descending: %q after %q", n, prev)
		}
		prev = n
	}
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/ws/schema/table/students", 400, "projection is required"},
		{"/ws/schema/table/students?projection=nope", 400, "no column"},
		{"/ws/schema/table/students?projection=dcid,first_name", 403, "STUDENTS.FIRST_NAME"},
		{"/ws/schema/table/students?projection=dcid&q=first_name==A*", 403, "STUDENTS.FIRST_NAME"},
		{"/ws/schema/table/students?projection=dcid&q=grade_level=ge=1,grade_level==2", 400, "OR"},
		{"/ws/schema/table/students?projection=dcid&sort=first_name", 403, "FIRST_NAME"},
		{"/ws/schema/table/students?projection=dcid&page=0", 400, "page"},
		{"/ws/schema/table/nosuch?projection=*", 404, "nosuch"},
		{"/ws/schema/table/emu_access_token?projection=*", 404, "not found"},
		{"/ws/schema/table/students/abc?projection=*", 400, "whole number"},
		{"/ws/schema/table/students/99999999?projection=dcid", 404, "no row"},
	} {
		code, v := e.do(t, "writer", "GET", c.path, "")
		if code != c.code || !strings.Contains(fmt.Sprint(v["message"]), c.want) {
			t.Errorf("GET %s = %d %v; want %d mentioning %q", c.path, code, v["message"], c.code, c.want)
		}
	}
	code, v = e.do(t, "writer", "PUT", "/ws/schema/table/students/1", `{"tables":{"students":{"last_name":"X"}}}`)
	if code != 403 || !strings.Contains(fmt.Sprint(v["message"]), "read-only") {
		t.Errorf("core table write: %d %v", code, v)
	}
	if code, _ := e.do(t, "", "GET", "/ws/schema/table/students?projection=*", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
}

func TestWriteCycle(t *testing.T) {
	e := newEnv(t)
	var dcid int64
	if err := e.db.QueryRow(`SELECT DCID FROM STUDENTS WHERE DCID NOT IN (SELECT STUDENTSDCID FROM U_STUDENTSUSERFIELDS) ORDER BY DCID LIMIT 1`).Scan(&dcid); err != nil {
		if err := e.db.QueryRow(`SELECT STUDENTSDCID FROM U_STUDENTSUSERFIELDS ORDER BY 1 LIMIT 1`).Scan(&dcid); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Exec(`DELETE FROM U_STUDENTSUSERFIELDS WHERE STUDENTSDCID = ?`, dcid); err != nil {
			t.Fatal(err)
		}
	}
	body := fmt.Sprintf(`{"tables":{"u_studentsuserfields":{"studentsdcid":%d,"email":"kid@example.org","locker_number":"A12"}}}`, dcid)
	code, v := e.do(t, "writer", "POST", "/ws/schema/table/u_studentsuserfields", body)
	if code != 200 {
		t.Fatalf("insert: %d %v", code, v)
	}
	res := v["result"].([]any)[0].(map[string]any)
	msg := res["success_message"].(map[string]any)
	if res["status"] != "SUCCESS" || fmt.Sprint(msg["id"]) != fmt.Sprint(dcid) || !strings.HasSuffix(fmt.Sprint(msg["ref"]), fmt.Sprintf("/ws/schema/table/u_studentsuserfields/%d", dcid)) {
		t.Errorf("insert answer %v", v)
	}
	if code, v := e.do(t, "writer", "POST", "/ws/schema/table/u_studentsuserfields", body); code != 409 {
		t.Errorf("duplicate insert: %d %v", code, v)
	}
	code, v = e.do(t, "writer", "PUT", fmt.Sprintf("/ws/schema/table/u_studentsuserfields/%d", dcid),
		fmt.Sprintf(`{"id":%d,"name":"u_studentsuserfields","tables":{"u_studentsuserfields":{"email":"new@example.org"}}}`, dcid))
	if code != 200 {
		t.Fatalf("update: %d %v", code, v)
	}
	code, v = e.do(t, "writer", "GET", fmt.Sprintf("/ws/schema/table/u_studentsuserfields/%d?projection=email,locker_number", dcid), "")
	got := v["tables"].(map[string]any)["u_studentsuserfields"].(map[string]any)
	if code != 200 || got["email"] != "new@example.org" || got["locker_number"] != "A12" {
		t.Errorf("read back %d %v", code, v)
	}
	// BUS_ROUTE is ViewOnly: writing it, or deleting the row, is refused.
	code, v = e.do(t, "writer", "PUT", fmt.Sprintf("/ws/schema/table/u_studentsuserfields/%d", dcid), `{"tables":{"u_studentsuserfields":{"bus_route":"7"}}}`)
	if code != 403 {
		t.Fatalf("ViewOnly write: %d %v", code, v)
	}
	code, v = e.do(t, "writer", "DELETE", fmt.Sprintf("/ws/schema/table/u_studentsuserfields/%d", dcid), "")
	if code != 403 || !strings.Contains(fmt.Sprint(v["message"]), "U_STUDENTSUSERFIELDS.BUS_ROUTE") {
		t.Fatalf("delete without FullAccess everywhere: %d %v", code, v)
	}
	// The 403 body turns into the access_request entries the plugin needs.
	req, _ := http.NewRequest("DELETE", e.url+fmt.Sprintf("/ws/schema/table/u_studentsuserfields/%d", dcid), nil)
	req.Header.Set("Authorization", "Bearer writer")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fields, err := plugin.FieldsFromError(raw)
	if err != nil || len(fields) != 1 || fields[0] != (plugin.Field{Table: "U_STUDENTSUSERFIELDS", Field: "BUS_ROUTE", Access: plugin.FullAccess}) {
		t.Errorf("FieldsFromError(%s) = %v, %v", raw, fields, err)
	}
	for _, c := range []struct {
		method, path, body string
		code               int
	}{
		{"POST", "/ws/schema/table/u_studentsuserfields", `{"tables":{"u_studentsuserfields":{"studentsdcid":99999999,"email":"x"}}}`, 400},
		{"POST", "/ws/schema/table/u_studentsuserfields", `{"tables":{"students":{"email":"x"}}}`, 400},
		{"POST", "/ws/schema/table/u_studentsuserfields", `{"tables":{"u_studentsuserfields":{"nope":"x"}}}`, 400},
		{"POST", "/ws/schema/table/u_studentsuserfields", `{"tables":{"u_studentsuserfields":{}}}`, 400},
		{"POST", "/ws/schema/table/u_studentsuserfields", `not json`, 400},
		{"PUT", "/ws/schema/table/u_studentsuserfields/99999999", `{"tables":{"u_studentsuserfields":{"email":"x"}}}`, 404},
		{"POST", "/ws/schema/table/studentcorefields", `{"tables":{"studentcorefields":{"homeroom":"x"}}}`, 403},
	} {
		who := "writer"
		if strings.Contains(c.path, "corefields") {
			who = "reader"
		}
		if code, v := e.do(t, who, c.method, c.path, c.body); code != c.code {
			t.Errorf("%s %s %s = %d %v; want %d", c.method, c.path, c.body, code, v, c.code)
		}
	}
}

// A plugin with FullAccess to every field deletes: 204, then 404.
func TestDeleteWithFullAccess(t *testing.T) {
	st := emutest.District(t, 3, 20)
	var fields []plugin.Field
	for _, c := range []string{"STUDENTSDCID", "EMAIL", "TRANSCRIPTADDRCITY", "LOCKER_NUMBER", "BUS_ROUTE"} {
		fields = append(fields, field("U_STUDENTSUSERFIELDS", c, plugin.FullAccess))
	}
	caller := &pluginaccess.Caller{Fields: fields}
	srvURL := emutest.Serve(t, New(st, emutest.Anyone(caller)).Mount)
	var id int64
	if err := st.DB.QueryRow(`SELECT STUDENTSDCID FROM U_STUDENTSUSERFIELDS LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{204, 404} {
		req, _ := http.NewRequest("DELETE", fmt.Sprintf("%s/ws/schema/table/U_STUDENTSUSERFIELDS/%d", srvURL, id), nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("DELETE = %d; want %d", res.StatusCode, want)
		}
	}
}

func TestMetadata(t *testing.T) {
	e := newEnv(t)
	code, v := e.do(t, "writer", "GET", "/ws/schema/table/u_studentsuserfields/metadata", "")
	if code != 200 || v["name"] != "U_STUDENTSUSERFIELDS" {
		t.Fatalf("%d %v", code, v)
	}
	access := map[string]string{}
	for _, c := range v["columns"].([]any) {
		m := c.(map[string]any)
		access[m["name"].(string)] = m["access"].(string)
	}
	if access["email"] != "FullAccess" || access["bus_route"] != "ViewOnly" {
		t.Errorf("column access %v", access)
	}
	_, v = e.do(t, "reader", "GET", "/ws/schema/table/students/metadata", "")
	if fmt.Sprint(v["actions"]) != "[GET]" {
		t.Errorf("core table actions %v", v["actions"])
	}
	code, v = e.do(t, "reader", "GET", "/ws/schema/table", "")
	if code != 200 || !strings.Contains(fmt.Sprint(v["tables"]), "U_STUDENTSUSERFIELDS") || strings.Contains(fmt.Sprint(v["tables"]), "EMU_") {
		t.Errorf("table list %d %v", code, v)
	}
}

// TestStoredGradesInsertRules: STOREDGRADES takes inserts (201) that meet
// its documented rules, and nothing else; other core tables stay read-only.
func TestStoredGradesInsertRules(t *testing.T) {
	e := newEnv(t)
	ok := `{"tables":{"storedgrades":{"studentid":5,"schoolid":100,"schoolyear":"2024-2025","storecode":"Q1","course_number":"ENG100","grade":"A","percent":93}}}`
	status, body := e.do(t, "writer", "POST", "/ws/schema/table/storedgrades", ok)
	if status != 201 {
		t.Fatalf("insert: %d %v", status, body)
	}
	var termID, n int64
	if err := e.db.QueryRow(`SELECT TERMID, COUNT(*) FROM STOREDGRADES WHERE STUDENTID = 5 AND STORECODE = 'Q1'`).Scan(&termID, &n); err != nil || n != 1 || termID != 3400 {
		t.Errorf("stored row: termid %d, %d rows, %v", termID, n, err)
	}
	for _, c := range []struct{ body, want string }{
		{`{"tables":{"storedgrades":{"studentid":5,"schoolid":100,"schoolyear":2024,"storecode":"Q1","course_number":"ENG100"}}}`, "grade or percent"},
		{`{"tables":{"storedgrades":{"studentid":5,"schoolid":100,"storecode":"Q1","course_number":"ENG100","grade":"B"}}}`, "schoolyear"},
		{`{"tables":{"storedgrades":{"studentid":5,"schoolid":100,"schoolyear":2024,"storecode":"Q1","grade":"B"}}}`, "course_name or course_number"},
		{`{"tables":{"storedgrades":{"studentid":5,"schoolid":100,"schoolyear":"last year","storecode":"Q1","course_number":"X","grade":"B"}}}`, "first calendar year"},
	} {
		status, body := e.do(t, "writer", "POST", "/ws/schema/table/storedgrades", c.body)
		if status != 400 || !strings.Contains(fmt.Sprint(body["message"]), c.want) {
			t.Errorf("%s: %d %v; want 400 naming %s", c.body, status, body, c.want)
		}
	}
	if status, body := e.do(t, "writer", "PUT", "/ws/schema/table/storedgrades/1", `{"tables":{"storedgrades":{"grade":"B"}}}`); status != 403 {
		t.Errorf("update of a stored grade: %d %v", status, body)
	}
	if status, body := e.do(t, "writer", "POST", "/ws/schema/table/students", `{"tables":{"students":{"last_name":"X"}}}`); status != 403 {
		t.Errorf("insert into students: %d %v", status, body)
	}
}
