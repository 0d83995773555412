package emulator

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

const schemaPluginXML = `<?xml version="1.0" encoding="UTF-8"?>
<plugin xmlns="http://plugin.powerschool.pearson.com" name="Schema Test" version="1.0" description="schema APIs">
  <publisher name="Acme"><contact email="dev@example.org"/></publisher>
  <oauth accessLevelV1Api="FULL"/>
  <access_request>
    <field table="STUDENTS" field="DCID" access="ViewOnly"/>
    <field table="STUDENTS" field="LAST_NAME" access="ViewOnly"/>
    <field table="STUDENTS" field="GENDER" access="ViewOnly"/>
    <field table="U_STUDENTSUSERFIELDS" field="EMAIL" access="FullAccess"/>
  </access_request>
</plugin>`

const schemaQueries = `<queries>
  <query name="org.example.schema.students.gender" coreTable="students" flattened="true">
    <summary>Gender labels</summary>
    <args><arg name="dcid" column="STUDENTS.DCID" required="true"/></args>
    <columns>
      <column column="students.dcid">dcid</column>
      <column column="students.last_name">last_name</column>
      <column column="students.gender">gender</column>
    </columns>
    <sql><![CDATA[select dcid, nvl(last_name, '-'), decode(gender, 'F', 'Female', 'M', 'Male', 'Other') from students where dcid = :dcid]]></sql>
  </query>
</queries>`

func schemaPluginZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"plugin.xml": schemaPluginXML, "queries_root/schema.named_queries.xml": schemaQueries} {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func send(t *testing.T, method, url, tok, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return do(t, req)
}

func TestSchemaAPIsBehindBearerAuth(t *testing.T) {
	s, c := start(t, Options{Students: 40, Seed: 2, Plugin: schemaPluginZip(t)})
	for _, r := range []struct{ method, path string }{
		{"POST", "/ws/schema/query/org.example.schema.students.gender"},
		{"GET", "/ws/schema/query/api"},
		{"GET", "/ws/schema/table/students?projection=*"},
		{"POST", "/ws/v1/student"},
	} {
		if a := send(t, r.method, c.URL+r.path, "", `{}`); a.status != 401 {
			t.Errorf("%s %s without a token: %d %s", r.method, r.path, a.status, a.body)
		}
		if a := send(t, r.method, c.URL+r.path, "not-a-token", `{}`); a.status != 401 {
			t.Errorf("%s %s with a bad token: %d", r.method, r.path, a.status)
		}
	}
	tok := token(t, c)
	var dcid int64
	var gender string
	if err := s.store.DB.QueryRow(`SELECT DCID, IFNULL(GENDER, '') FROM STUDENTS ORDER BY DCID LIMIT 1`).Scan(&dcid, &gender); err != nil {
		t.Fatal(err)
	}
	a := send(t, "POST", c.URL+"/ws/schema/query/org.example.schema.students.gender", tok, fmt.Sprintf(`{"dcid":"%d"}`, dcid))
	if a.status != 200 {
		t.Fatalf("PowerQuery: %d %s", a.status, a.body)
	}
	want := map[string]string{"F": "Female", "M": "Male"}[gender]
	if want == "" {
		want = "Other"
	}
	if !strings.Contains(string(a.body), fmt.Sprintf(`"_id":%d`, dcid)) || !strings.Contains(string(a.body), `"gender":"`+want+`"`) {
		t.Errorf("PowerQuery answer: %s", a.body)
	}
	// The built-in sectionEnrollments needs fields this plugin lacks.
	a = send(t, "POST", c.URL+"/ws/schema/query/com.pearson.core.teachers.sectionEnrollments", tok, `{"section_dcid":[1]}`)
	if a.status != 403 || !strings.Contains(string(a.body), "STUDENTS.ID") {
		t.Errorf("missing access: %d %s", a.status, a.body)
	}
	a = send(t, "GET", c.URL+"/ws/schema/table/u_studentsuserfields/count", tok, "")
	if a.status != 200 || a.json(t)["count"] == nil {
		t.Errorf("table count: %d %s", a.status, a.body)
	}
	body := fmt.Sprintf(`{"students":{"student":{"client_uid":"77","action":"UPDATE","id":"%d","name":{"first_name":"Robin","last_name":"Okafor"}}}}`, dcid)
	a = send(t, "POST", c.URL+"/ws/v1/student", tok, body)
	if a.status != 200 || !strings.Contains(string(a.body), `"status":"SUCCESS"`) {
		t.Fatalf("student write: %d %s", a.status, a.body)
	}
	if got := get(t, c.URL, fmt.Sprintf("/ws/v1/student/%d", dcid), tok); !strings.Contains(string(got.body), `"last_name":"Okafor"`) {
		t.Errorf("the write is not visible through /ws/v1: %s", got.body)
	}

	// The default plugin reads /ws/v1 (READ) but may not write students.
	ro, err := s.InstallPlugin(DefaultPlugin)
	if err != nil {
		t.Fatal(err)
	}
	if a := send(t, "POST", c.URL+"/ws/v1/student", token(t, ro), body); a.status != 403 {
		t.Errorf("READ plugin writing students: %d %s", a.status, a.body)
	}
}
