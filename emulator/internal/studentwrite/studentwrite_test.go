package studentwrite

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
)

type env struct {
	url    string
	db     *sql.DB
	school int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := emutest.District(t, 5, 30)
	h := New(st, emutest.Callers(map[string]*pluginaccess.Caller{
		"full": {PluginID: 1, AccessLevelV1: "FULL"},
		"read": {PluginID: 2, AccessLevelV1: "READ"},
	}))
	e := &env{url: emutest.Serve(t, h.Mount), db: st.DB}
	if err := st.DB.QueryRow(`SELECT SCHOOL_NUMBER FROM SCHOOLS WHERE SCHOOL_NUMBER <> 999999 ORDER BY DCID LIMIT 1`).Scan(&e.school); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) post(t *testing.T, who, query, body string) (int, map[string]any, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/ws/v1/student"+query, strings.NewReader(body))
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
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("not JSON: %s", data)
	}
	return res.StatusCode, v, string(data)
}

func (e *env) newStudent(uid string) string {
	return fmt.Sprintf(`{"client_uid":"%s","action":"INSERT","name":{"first_name":"Ada","last_name":"Quill"},
		"demographics":{"gender":"F","birth_date":"03/14/2012"},
		"school_enrollment":{"grade_level":"7","entry_date":"2025-08-25","exit_date":"2026-06-05","school_number":%d,"enroll_status":"A"},
		"addresses":{"physical":{"street":"1 Main St","city":"Duluth","state_province":"MN","postal_code":"55802"}}}`, uid, e.school)
}

func TestInsertOne(t *testing.T) {
	e := newEnv(t)
	code, v, raw := e.post(t, "full", "", `{"students":{"student":`+e.newStudent("555807")+`}}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, raw)
	}
	res := v["results"].(map[string]any)
	if res["insert_count"] != 1.0 || res["update_count"] != 0.0 || res["delete_count"] != 0.0 {
		t.Errorf("counts: %s", raw)
	}
	one, isObj := res["result"].(map[string]any)
	if !isObj {
		t.Fatalf("one record gives a result object: %s", raw)
	}
	if one["client_uid"] != 555807.0 || one["status"] != "SUCCESS" || one["action"] != "INSERT" {
		t.Errorf("result: %s", raw)
	}
	if !strings.Contains(raw, `"client_uid":555807`) {
		t.Errorf("client_uid must be echoed as a number: %s", raw)
	}
	msg := one["success_message"].(map[string]any)
	id := int64(msg["id"].(float64))
	if msg["ref"] != fmt.Sprintf("%s/ws/v1/student/%d", e.url, id) {
		t.Errorf("ref %v", msg["ref"])
	}
	var first, last, lastfirst, dob, street string
	var grade, status, school int64
	if err := e.db.QueryRow(`SELECT FIRST_NAME, LAST_NAME, LASTFIRST, DOB, STREET, GRADE_LEVEL, ENROLL_STATUS, SCHOOLID FROM STUDENTS WHERE DCID = ?`, id).
		Scan(&first, &last, &lastfirst, &dob, &street, &grade, &status, &school); err != nil {
		t.Fatal(err)
	}
	if first != "Ada" || last != "Quill" || lastfirst != "Quill, Ada" || dob != "2012-03-14" || street != "1 Main St" || grade != 7 || status != 0 || school != e.school {
		t.Errorf("stored %q %q %q %q %q %d %d %d", first, last, lastfirst, dob, street, grade, status, school)
	}
}

func TestBulkMixedResults(t *testing.T) {
	e := newEnv(t)
	var existing int64
	if err := e.db.QueryRow(`SELECT DCID FROM STUDENTS ORDER BY DCID LIMIT 1`).Scan(&existing); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"students":{"student":[
		%s,
		{"client_uid":"124","action":"UPDATE","id":"%d","name":{"first_name":"Aaronia","last_name":"Stephaniia"}},
		{"client_uid":1051,"action":"UPDATE","id":%d,"demographics":{"birth_date":"2012-13-45"}},
		{"client_uid":"7","action":"UPDATE","id":%d,"addresses":{"physical":{"city":"Duluth","state_province":"MN","postal_code":"55802"}}},
		{"client_uid":"8","action":"INSERT","name":{"first_name":"No"}},
		{"client_uid":"9","action":"UPDATE","id":99999999,"name":{"first_name":"X","last_name":"Y"}},
		{"client_uid":"10","action":"DELETE","id":1}
	]}}`, e.newStudent("1"), existing, existing, existing)
	code, v, raw := e.post(t, "full", "", body)
	if code != 200 {
		t.Fatalf("validation failures still answer 200: %d %s", code, raw)
	}
	res := v["results"].(map[string]any)
	list, ok := res["result"].([]any)
	if !ok || len(list) != 7 {
		t.Fatalf("several records give a result list: %s", raw)
	}
	if res["insert_count"] != 1.0 || res["update_count"] != 1.0 {
		t.Errorf("counts count successes only: %s", raw)
	}
	get := func(i int) map[string]any { return list[i].(map[string]any) }
	errOf := func(i int) any {
		em, _ := get(i)["error_message"].(map[string]any)
		return em["error"]
	}
	if get(0)["status"] != "SUCCESS" || get(1)["status"] != "SUCCESS" {
		t.Errorf("first two should succeed: %s", raw)
	}
	var lastfirst string
	e.db.QueryRow(`SELECT LASTFIRST FROM STUDENTS WHERE DCID = ?`, existing).Scan(&lastfirst)
	if lastfirst != "Stephaniia, Aaronia" {
		t.Errorf("update not applied: %q", lastfirst)
	}
	want := map[string]any{"field": "students/demographics/birth_date", "error_code": "INVALID_DATE_VALUE", "error_description": "Date value or date format is invalid."}
	if fmt.Sprint(errOf(2)) != fmt.Sprint(want) || get(2)["status"] != "ERROR" || get(2)["client_uid"] != 1051.0 || get(2)["action"] != "UPDATE" {
		t.Errorf("bad date: %v", get(2))
	}
	if e3, _ := errOf(3).(map[string]any); e3["error_code"] != "REQUIRED_PHYSICAL_STREET" || e3["field"] != "student/addresses/physical/street" {
		t.Errorf("partial address: %v", errOf(3))
	}
	codes := fmt.Sprint(errOf(4))
	for _, c := range []string{"REQUIRED_LAST_NAME", "REQUIRED_GRADE_LEVEL", "REQUIRED_ENTRY_DATE", "REQUIRED_EXIT_DATE", "REQUIRED_SCHOOL_NUMBER"} {
		if !strings.Contains(codes, c) {
			t.Errorf("insert without required fields lacks %s: %s", c, codes)
		}
	}
	if strings.Contains(codes, "REQUIRED_FIRST_NAME") {
		t.Errorf("first_name was sent: %s", codes)
	}
	if e5, _ := errOf(5).(map[string]any); e5["error_code"] != "INVALID_ID" {
		t.Errorf("unknown id: %v", errOf(5))
	}
	if e6, _ := errOf(6).(map[string]any); e6["error_code"] != "INVALID_ACTION" {
		t.Errorf("unknown action: %v", errOf(6))
	}
	// The failed update wrote nothing.
	var dob sql.NullString
	e.db.QueryRow(`SELECT DOB FROM STUDENTS WHERE DCID = ?`, existing).Scan(&dob)
	if strings.HasPrefix(dob.String, "2012-13") {
		t.Errorf("invalid date stored: %q", dob.String)
	}
}

func TestInsertRules(t *testing.T) {
	e := newEnv(t)
	for name, c := range map[string]struct{ edit, code string }{
		"school":       {`"school_number":` + fmt.Sprint(e.school), `"school_number":424242`},
		"status":       {`"enroll_status":"A"`, `"enroll_status":"G"`},
		"both":         {`"enroll_status":"A"`, `"enroll_status":"A","enroll_status_code":0`},
		"graduated":    {`"enroll_status":"A"`, `"enroll_status_code":3`},
		"exit":         {`"exit_date":"2026-06-05"`, `"exit_date":"2025-08-01"`},
		"grade":        {`"grade_level":"7"`, `"grade_level":"seventh"`},
		"dateformat":   {`"entry_date":"2025-08-25"`, `"entry_date":"25.08.2025"`},
		"usdateformat": {`"entry_date":"2025-08-25"`, `"entry_date":"08/25/2025"`},
	} {
		body := strings.Replace(e.newStudent("1"), c.edit, c.code, 1)
		code, v, raw := e.post(t, "full", "", `{"students":{"student":[`+body+`]}}`)
		if code != 200 {
			t.Fatalf("%s: %d %s", name, code, raw)
		}
		status := v["results"].(map[string]any)["result"].(map[string]any)["status"]
		if wantOK := name == "usdateformat"; (status == "SUCCESS") != wantOK {
			t.Errorf("%s: status %v: %s", name, status, raw)
		}
	}
}

func TestExtensionDataNeedsExtensionsParam(t *testing.T) {
	e := newEnv(t)
	var id int64
	e.db.QueryRow(`SELECT DCID FROM STUDENTS ORDER BY DCID DESC LIMIT 1`).Scan(&id)
	rec := func(email string) string {
		return fmt.Sprintf(`{"students":{"student":{"client_uid":"1","action":"UPDATE","id":%d,
			"_extension_data":{"_table_extension":{"name":"u_studentsuserfields","_field":[{"name":"email","value":"%s"},{"name":"locker_number","value":42}]}}}}}`, id, email)
	}
	email := func() string {
		var s sql.NullString
		e.db.QueryRow(`SELECT EMAIL FROM U_STUDENTSUSERFIELDS WHERE STUDENTSDCID = ?`, id).Scan(&s)
		return s.String
	}
	before := email()
	if code, _, raw := e.post(t, "full", "", rec("ignored@example.org")); code != 200 || !strings.Contains(raw, "SUCCESS") || email() != before {
		t.Errorf("without ?extensions= the data is silently ignored: %d %s, email %q", code, raw, email())
	}
	if code, _, raw := e.post(t, "full", "?extensions=u_studentsuserfields", rec("kid@example.org")); code != 200 || !strings.Contains(raw, "SUCCESS") || email() != "kid@example.org" {
		t.Errorf("with ?extensions= it is applied: %d %s, email %q", code, raw, email())
	}
	var locker string
	e.db.QueryRow(`SELECT LOCKER_NUMBER FROM U_STUDENTSUSERFIELDS WHERE STUDENTSDCID = ?`, id).Scan(&locker)
	if locker != "42" {
		t.Errorf("locker %q", locker)
	}
	bad := strings.Replace(rec("x@example.org"), `"name":"email"`, `"name":"nope"`, 1)
	if _, _, raw := e.post(t, "full", "?extensions=u_studentsuserfields", bad); !strings.Contains(raw, "INVALID_EXTENSION_FIELD") {
		t.Errorf("unknown extension field: %s", raw)
	}
}

func TestEnvelopeAndAccess(t *testing.T) {
	e := newEnv(t)
	body := `{"students":{"student":` + e.newStudent("1") + `}}`
	if code, v, _ := e.post(t, "read", "", body); code != 403 || !strings.Contains(fmt.Sprint(v["message"]), "FULL") {
		t.Errorf("READ plugin: %d %v", code, v)
	}
	if code, _, _ := e.post(t, "", "", body); code != 401 {
		t.Errorf("no token: %d", code)
	}
	for _, b := range []string{`not json`, `{}`, `{"students":{"student":[]}}`, `{"students":{"student":"x"}}`} {
		if code, v, _ := e.post(t, "full", "", b); code != 400 || v["message"] == nil {
			t.Errorf("body %s: %d %v", b, code, v)
		}
	}
}
