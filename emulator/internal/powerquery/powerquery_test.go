package powerquery

import (
	"archive/zip"
	"bufio"
	"bytes"
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

const testStudents = 300

const pluginXML = `<?xml version="1.0" encoding="UTF-8"?>
<plugin xmlns="http://plugin.powerschool.pearson.com" name="Roster Test" version="1.0" description="test">
  <publisher name="Acme"><contact email="a@example.com"/></publisher>
  <oauth/>
  <access_request>
    <field table="STUDENTS" field="DCID" access="ViewOnly"/>
    <field table="STUDENTS" field="ID" access="ViewOnly"/>
    <field table="STUDENTS" field="STUDENT_NUMBER" access="ViewOnly"/>
    <field table="students" field="first_name" access="ViewOnly"/>
    <field table="STUDENTS" field="LAST_NAME" access="ViewOnly"/>
    <field table="STUDENTS" field="GRADE_LEVEL" access="ViewOnly"/>
    <field table="STUDENTS" field="GENDER" access="ViewOnly"/>
    <field table="STUDENTS" field="DOB" access="ViewOnly"/>
    <field table="STUDENTS" field="SCHOOLID" access="ViewOnly"/>
    <field table="STUDENTS" field="MIDDLE_NAME" access="ViewOnly"/>
    <field table="STUDENTS" field="ENROLL_STATUS" access="ViewOnly"/>
    <field table="SECTIONS" field="DCID" access="ViewOnly"/>
    <field table="CC" field="DATEENROLLED" access="ViewOnly"/>
    <field table="CC" field="DATELEFT" access="ViewOnly"/>
    <field table="U_STUDENTSUSERFIELDS" field="EMAIL" access="ViewOnly"/>
    <field table="U_STUDENTSUSERFIELDS" field="TRANSCRIPTADDRCITY" access="ViewOnly"/>
    <field table="U_STUDENTSUSERFIELDS" field="LOCKER_NUMBER" access="ViewOnly"/>
    <field table="U_STUDENTSUSERFIELDS" field="BUS_ROUTE" access="ViewOnly"/>
  </access_request>
</plugin>`

const namedQueries = `<queries>
  <query name="io.acme.roster.students.profile" coreTable="students" flattened="false">
    <summary>Student profiles</summary>
    <args>
      <arg name="schoolid" column="STUDENTS.SCHOOLID" required="false" default="~(curschoolid)"/>
      <arg name="grades" column="STUDENTS.GRADE_LEVEL" type="array"/>
      <arg name="all_grades" default="1"/>
    </args>
    <columns>
      <column column="students.dcid">students.dcid</column>
      <column column="students.last_name">students.last_name</column>
      <column column="students.gender">students.gender_label</column>
      <column column="students.dob">students.birthday</column>
      <column column="students.grade_level">students.grade_level</column>
      <column column="students.first_name">nick</column>
    </columns>
    <sql><![CDATA[
      select s.dcid, s.last_name,
             decode(s.gender, 'F', 'Female', 'M', 'Male', 'Unknown'),
             nvl(to_char(s.dob, 'MM/DD/YYYY'), 'n/a'),
             s.grade_level, s.first_name
      from students s
      where (:schoolid = 0 or s.schoolid = :schoolid)
        and (:all_grades = 1 or s.grade_level in (:grades))
        and <@restricted_table table="students" selector="selectedstudents"/>
      order by s.dcid
    ]]></sql>
  </query>
  <query name="io.acme.roster.students.flat" coreTable="students" flattened="true">
    <summary>Flat students</summary>
    <args><arg name="min_grade" column="STUDENTS.GRADE_LEVEL" required="true"/></args>
    <columns>
      <column column="students.dcid">dcid</column>
      <column column="students.last_name">last_name</column>
      <column column="students.grade_level">grade_level</column>
    </columns>
    <sql><![CDATA[select s.dcid, s.last_name, s.grade_level from students s where s.grade_level >= :min_grade order by s.dcid]]></sql>
  </query>
  <query name="io.acme.roster.students.secret" coreTable="students">
    <summary>Needs SSN-like access</summary>
    <columns>
      <column column="students.dcid">students.dcid</column>
      <column column="students.home_phone">students.home_phone</column>
      <column column="students.mother">students.mother</column>
    </columns>
    <sql><![CDATA[select dcid, home_phone, mother from students order by dcid]]></sql>
  </query>
  <query name="io.acme.roster.students.baddate" coreTable="students">
    <summary>Fails on the row given</summary>
    <args><arg name="from" column="STUDENTS.DCID" required="true"/></args>
    <columns>
      <column column="students.dcid">students.dcid</column>
      <column column="students.dob">students.day</column>
    </columns>
    <sql><![CDATA[select dcid, to_date(case when dcid >= :from then 'not a date' else '01/02/2020' end, 'MM/DD/YYYY') from students order by dcid]]></sql>
  </query>
  <query name="io.acme.roster.students.rownum" coreTable="students">
    <summary>Uses ROWNUM</summary>
    <columns><column column="students.dcid">students.dcid</column></columns>
    <sql><![CDATA[select dcid from students where rownum <= 5]]></sql>
  </query>
</queries>`

// testZip builds a plugin zip with plugin.xml at the root and the named
// queries under queries_root.
func testZip(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"plugin.xml": pluginXML, "queries_root/roster.named_queries.xml": namedQueries} {
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

type env struct {
	url string
	db  *sql.DB
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st := emutest.District(t, 7, testStudents)
	b, err := plugin.Load(testZip(t))
	if err != nil {
		t.Fatal(err)
	}
	caller := pluginaccess.FromBundle(1, b)
	h := New(st.DB, emutest.Callers(map[string]*pluginaccess.Caller{"good": caller}))
	return &env{url: emutest.Serve(t, h.Mount), db: st.DB}
}

func (e *env) post(t testing.TB, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer good")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

type grouped struct {
	Name    string `json:"name"`
	Count   *int   `json:"count"`
	Records []struct {
		ID     int                          `json:"id"`
		Name   string                       `json:"name"`
		Tables map[string]map[string]string `json:"tables"`
	} `json:"record"`
	Extensions *string `json:"@extensions"`
}

func decode[T any](t testing.TB, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return v
}

func (e *env) scalar(t testing.TB, q string, args ...any) string {
	t.Helper()
	var s string
	if err := e.db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNamedQueryFromPluginZip(t *testing.T) {
	e := newEnv(t)
	code, body := e.post(t, "/ws/schema/query/io.acme.roster.students.profile?pagesize=5&count=true", `{}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	g := decode[grouped](t, body)
	if g.Name != "Students" || g.Count == nil || *g.Count != testStudents || len(g.Records) != 5 || g.Extensions == nil {
		t.Fatalf("unexpected answer: %s", body)
	}
	if *g.Extensions != "studentcorefields,u_studentsuserfields" {
		t.Errorf("@extensions = %q", *g.Extensions)
	}
	r := g.Records[0]
	st := r.Tables["students"]
	dcid := st["dcid"]
	if fmt.Sprint(r.ID) != dcid || r.Name != "Students" {
		t.Errorf("record id %d name %q, dcid %q", r.ID, r.Name, dcid)
	}
	gender := e.scalar(t, "SELECT GENDER FROM STUDENTS WHERE DCID = ?", dcid)
	want := map[string]string{"F": "Female", "M": "Male"}[gender]
	if want == "" {
		want = "Unknown"
	}
	if st["gender_label"] != want {
		t.Errorf("DECODE: gender %q gave %q, want %q", gender, st["gender_label"], want)
	}
	dob := e.scalar(t, "SELECT IFNULL(DOB, '') FROM STUDENTS WHERE DCID = ?", dcid)
	if dob != "" && st["birthday"] != dob[5:7]+"/"+dob[8:10]+"/"+dob[0:4] {
		t.Errorf("TO_CHAR: dob %q gave %q", dob, st["birthday"])
	}
	if st["nick"] == "" {
		t.Errorf("a one-part alias belongs to the core table's group under its own name: %v", st)
	}
	if st["grade_level"] == "" || st["last_name"] == "" {
		t.Errorf("values must be strings: %s", body)
	}
	if !bytes.Contains(body, []byte(`"dcid":"`+dcid+`"`)) {
		t.Errorf("dcid should be a JSON string: %s", body)
	}
}

func TestArrayArgsAndSchoolDefault(t *testing.T) {
	e := newEnv(t)
	want := e.scalar(t, "SELECT COUNT(*) FROM STUDENTS WHERE GRADE_LEVEL IN (9, 10)")
	code, body := e.post(t, "/ws/schema/query/io.acme.roster.students.profile/count", `{"grades":[9,"10"],"grades_given":1}`)
	if code != 400 || !strings.Contains(string(body), "grades_given") {
		t.Fatalf("an undeclared argument must be refused naming it: %d %s", code, body)
	}
	code, body = e.post(t, "/ws/schema/query/io.acme.roster.students.profile/count", `{"grades":[9,"10"],"all_grades":0}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if got := decode[map[string]int](t, body)["count"]; fmt.Sprint(got) != want {
		t.Errorf("count = %d; want %s", got, want)
	}
	school := e.scalar(t, "SELECT SCHOOLID FROM STUDENTS ORDER BY DCID LIMIT 1")
	code, body = e.post(t, "/ws/schema/query/io.acme.roster.students.profile/count", `{"schoolid":"`+school+`","grades":[],"all_grades":"0"}`)
	if code != 200 || decode[map[string]int](t, body)["count"] != 0 {
		t.Errorf("an empty array matches nothing: %d %s", code, body)
	}
	code, body = e.post(t, "/ws/schema/query/io.acme.roster.students.profile/count", `{"schoolid":"abc"}`)
	if code != 400 || !strings.Contains(string(body), "not a number") {
		t.Errorf("a text value for a numeric column: %d %s", code, body)
	}
}

func TestFlattened(t *testing.T) {
	e := newEnv(t)
	code, body := e.post(t, "/ws/schema/query/io.acme.roster.students.flat?pagesize=3&page=2", `{"min_grade":"9"}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	v := decode[struct {
		Name    string           `json:"name"`
		Records []map[string]any `json:"record"`
		Ext     string           `json:"@extensions"`
	}](t, body)
	if v.Name != "Students" || len(v.Records) != 3 {
		t.Fatalf("unexpected: %s", body)
	}
	wantFirst := e.scalar(t, "SELECT DCID FROM STUDENTS WHERE GRADE_LEVEL >= 9 ORDER BY DCID LIMIT 1 OFFSET 3")
	r := v.Records[0]
	if fmt.Sprint(r["_id"]) != wantFirst || r["_name"] != "Students" || r["dcid"] != wantFirst {
		t.Errorf("page 2 first record = %v; want dcid %s", r, wantFirst)
	}
	if _, ok := r["tables"]; ok {
		t.Errorf("flattened records have no tables: %v", r)
	}
	if g, ok := r["grade_level"].(string); !ok || g < "9" && len(g) == 1 {
		t.Errorf("grade_level = %#v", r["grade_level"])
	}
	// With a $q filter and no order=, the query's own ORDER BY still holds.
	code, body = e.post(t, "/ws/schema/query/io.acme.roster.students.flat?pagesize=4&page=3", `{"min_grade":"0","$q":"last_name=ge=M"}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var ids []string
	for _, r := range decode[struct {
		Records []map[string]any `json:"record"`
	}](t, body).Records {
		ids = append(ids, r["dcid"].(string))
	}
	wantIDs := e.scalar(t, "SELECT group_concat(DCID) FROM (SELECT DCID FROM STUDENTS WHERE LAST_NAME >= 'M' ORDER BY DCID LIMIT 4 OFFSET 8)")
	if strings.Join(ids, ",") != wantIDs {
		t.Errorf("filtered page 3 = %v; want %s", ids, wantIDs)
	}
	code, body = e.post(t, "/ws/schema/query/io.acme.roster.students.flat", `{}`)
	if code != 400 || !strings.Contains(string(body), "min_grade") {
		t.Errorf("missing required argument: %d %s", code, body)
	}
}

func TestFilterOrderProjection(t *testing.T) {
	e := newEnv(t)
	body := `{"$q":"students.grade_level=ge=11;students.last_name==B*","projection":"students.dcid;students.last_name"}`
	code, data := e.post(t, "/ws/schema/query/io.acme.roster.students.profile?order=students.last_name;desc,students.dcid&pagesize=0", body)
	if code != 200 {
		t.Fatalf("status %d: %s", code, data)
	}
	g := decode[grouped](t, data)
	want := e.scalar(t, "SELECT COUNT(*) FROM STUDENTS WHERE GRADE_LEVEL >= 11 AND LAST_NAME GLOB 'B*'")
	if fmt.Sprint(len(g.Records)) != want || len(g.Records) == 0 {
		t.Fatalf("$q matched %d records; want %s", len(g.Records), want)
	}
	prev := "\uffff"
	for _, r := range g.Records {
		st := r.Tables["students"]
		if len(st) != 2 || st["dcid"] == "" || !strings.HasPrefix(st["last_name"], "B") {
			t.Fatalf("projection/filter not applied: %v", st)
		}
		if st["last_name"] > prev {
			t.Fatalf("order=last_name;desc not applied: %q after %q", st["last_name"], prev)
		}
		prev = st["last_name"]
	}
	// $q in the query string, and the null marker.
	code, data = e.post(t, "/ws/schema/query/io.acme.roster.students.profile/count?$q=students.last_name==%5Cu0000", `{}`)
	if code != 200 || decode[map[string]int](t, data)["count"] != 0 {
		t.Errorf("null filter: %d %s", code, data)
	}
	for _, c := range []struct{ path, body, want string }{
		{"/ws/schema/query/io.acme.roster.students.profile", `{"$q":"students.nope==1"}`, "not a column"},
		{"/ws/schema/query/io.acme.roster.students.profile", `{"$q":"students.dcid==1,students.dcid==2"}`, "OR"},
		{"/ws/schema/query/io.acme.roster.students.profile?order=students.zzz", `{}`, "order"},
		{"/ws/schema/query/io.acme.roster.students.profile", `{"projection":"students.zzz"}`, "projection"},
		{"/ws/schema/query/io.acme.roster.students.profile?pagesize=-1", `{}`, "pagesize"},
		{"/ws/schema/query/io.acme.roster.students.profile?page=0", `{}`, "page"},
		{"/ws/schema/query/io.acme.roster.students.profile", `[1]`, "JSON object"},
		{"/ws/schema/query/io.acme.roster.students.profile", `{"schoolid":{"a":1}}`, "string or a number"},
		{"/ws/schema/query/io.acme.roster.students.profile", `{"schoolid":[1,2]}`, "not a list"},
		{"/ws/schema/query/io.acme.roster.students.rownum", `{}`, "ROWNUM"},
	} {
		code, data := e.post(t, c.path, c.body)
		msg := decode[map[string]any](t, data)["message"]
		if code != 400 || !strings.Contains(fmt.Sprint(msg), c.want) {
			t.Errorf("POST %s %s = %d %s; want 400 mentioning %q", c.path, c.body, code, data, c.want)
		}
	}
}

func TestStreamingEveryRow(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodPost, e.url+"/ws/schema/query/com.pearson.core.student.student_dcid_id_map?pagesize=0", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer good")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.ContentLength != -1 || len(res.TransferEncoding) == 0 || res.TransferEncoding[0] != "chunked" {
		t.Fatalf("pagesize=0 must stream chunked: status %d, length %d, encoding %v", res.StatusCode, res.ContentLength, res.TransferEncoding)
	}
	// Decode record by record, as a streaming client would.
	dec := json.NewDecoder(bufio.NewReader(res.Body))
	n := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if tok == "record" {
			break
		}
	}
	dec.Token() // [
	for dec.More() {
		var rec struct {
			ID     int `json:"id"`
			Tables struct {
				Students struct{ DCID, ID string } `json:"students"`
			} `json:"tables"`
		}
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(rec.ID) != rec.Tables.Students.DCID || rec.Tables.Students.ID == "" {
			t.Fatalf("record %d: %+v", n, rec)
		}
		n++
	}
	if n != testStudents {
		t.Errorf("streamed %d records; want %d", n, testStudents)
	}
}

// An evaluation error on the first row is a 400; one after records were
// sent cuts the connection, so the client cannot take the answer as whole.
func TestErrorsWhileEvaluating(t *testing.T) {
	e := newEnv(t)
	first := e.scalar(t, "SELECT MIN(DCID) FROM STUDENTS")
	code, data := e.post(t, "/ws/schema/query/io.acme.roster.students.baddate", `{"from":`+first+`}`)
	if code != 400 || !strings.Contains(string(data), "not a date") {
		t.Errorf("first-row failure: %d %s", code, data)
	}
	// Within the first buffered kilobytes, a failure is still a clean 400.
	mid := e.scalar(t, "SELECT DCID FROM STUDENTS ORDER BY DCID LIMIT 1 OFFSET 100")
	if code, data := e.post(t, "/ws/schema/query/io.acme.roster.students.baddate?pagesize=0", `{"from":`+mid+`}`); code != 400 || !json.Valid(data) {
		t.Errorf("failure before anything was sent: %d %s", code, data)
	}
	// A stream is flushed every 256 records; a failure after that cuts it.
	late := e.scalar(t, "SELECT DCID FROM STUDENTS ORDER BY DCID LIMIT 1 OFFSET 280")
	req, _ := http.NewRequest(http.MethodPost, e.url+"/ws/schema/query/io.acme.roster.students.baddate?pagesize=0", strings.NewReader(`{"from":`+late+`}`))
	req.Header.Set("Authorization", "Bearer good")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err = io.ReadAll(res.Body)
	if res.StatusCode != 200 || err == nil {
		t.Errorf("late failure: status %d, read error %v, %d bytes; want 200 then a cut connection", res.StatusCode, err, len(data))
	}
	if json.Valid(data) {
		t.Errorf("a cut answer must not be valid JSON")
	}
}

func TestBuiltinSectionEnrollments(t *testing.T) {
	e := newEnv(t)
	var sec1, sec2 int
	if err := e.db.QueryRow(`SELECT s.DCID FROM SECTIONS s WHERE EXISTS (SELECT 1 FROM CC WHERE ABS(CC.SECTIONID) = s.ID) ORDER BY s.DCID LIMIT 1`).Scan(&sec1); err != nil {
		t.Fatal(err)
	}
	if err := e.db.QueryRow(`SELECT s.DCID FROM SECTIONS s WHERE EXISTS (SELECT 1 FROM CC WHERE ABS(CC.SECTIONID) = s.ID) ORDER BY s.DCID LIMIT 1 OFFSET 1`).Scan(&sec2); err != nil {
		t.Fatal(err)
	}
	want := e.scalar(t, `SELECT COUNT(*) FROM CC JOIN SECTIONS s ON ABS(CC.SECTIONID) = s.ID WHERE s.DCID IN (?, ?)`, sec1, sec2)
	code, data := e.post(t, "/ws/schema/query/com.pearson.core.teachers.sectionEnrollments?pagesize=0", fmt.Sprintf(`{"section_dcid":[%d,"%d"]}`, sec1, sec2))
	if code != 200 {
		t.Fatalf("status %d: %s", code, data)
	}
	g := decode[grouped](t, data)
	if fmt.Sprint(len(g.Records)) != want {
		t.Errorf("%d enrollments; want %s", len(g.Records), want)
	}
	for _, r := range g.Records {
		if s := r.Tables["sections"]["dcid"]; s != fmt.Sprint(sec1) && s != fmt.Sprint(sec2) {
			t.Errorf("enrollment in section %q", s)
		}
		if r.Tables["students"]["grade_level"] == "" || r.Tables["students"]["student_number"] == "" {
			t.Errorf("students fields missing: %v", r.Tables)
		}
	}
	code, data = e.post(t, "/ws/schema/query/com.pearson.core.teachers.sectionEnrollments", `{}`)
	if code != 400 || !strings.Contains(string(data), "section_dcid") {
		t.Errorf("missing section_dcid: %d %s", code, data)
	}
}

func TestExtensions(t *testing.T) {
	e := newEnv(t)
	code, data := e.post(t, "/ws/schema/query/io.acme.roster.students.profile?extensions=u_studentsuserfields&pagesize=50", `{}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, data)
	}
	g := decode[grouped](t, data)
	found := 0
	for _, r := range g.Records {
		if u, ok := r.Tables["u_studentsuserfields"]; ok {
			found++
			want := e.scalar(t, "SELECT IFNULL(EMAIL, '') FROM U_STUDENTSUSERFIELDS WHERE STUDENTSDCID = ?", r.ID)
			if u["email"] != want {
				t.Errorf("student %d email %q; want %q", r.ID, u["email"], want)
			}
		}
	}
	if found == 0 {
		t.Errorf("no record carries u_studentsuserfields: %s", data)
	}
	code, data = e.post(t, "/ws/schema/query/io.acme.roster.students.profile?extensions=studentcorefields", `{}`)
	if code != 403 || !strings.Contains(string(data), "STUDENTCOREFIELDS.PSCORE_LEGAL_FIRST_NAME") {
		t.Errorf("extension without access: %d %s", code, data)
	}
	code, data = e.post(t, "/ws/schema/query/io.acme.roster.students.profile?extensions=u_nope", `{}`)
	if code != 400 {
		t.Errorf("unknown extension: %d %s", code, data)
	}
}

func TestStatusCodes(t *testing.T) {
	e := newEnv(t)
	code, data := e.post(t, "/ws/schema/query/io.acme.roster.students.secret", `{}`)
	if code != 403 {
		t.Fatalf("status %d: %s", code, data)
	}
	fields, err := plugin.FieldsFromError(data)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fields {
		names = append(names, f.Table+"."+f.Field+":"+f.Access)
	}
	if got := strings.Join(names, ","); got != "STUDENTS.HOME_PHONE:ViewOnly,STUDENTS.MOTHER:ViewOnly" {
		t.Errorf("403 names %s; want STUDENTS.HOME_PHONE and STUDENTS.MOTHER", got)
	}
	if code, data := e.post(t, "/ws/schema/query/io.acme.nope.x.y", `{}`); code != 404 || !strings.Contains(string(data), "io.acme.nope.x.y") {
		t.Errorf("unknown query: %d %s", code, data)
	}
	req, _ := http.NewRequest(http.MethodPost, e.url+"/ws/schema/query/com.pearson.core.student.student_dcid_id_map", strings.NewReader(`{}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("no token: %d", res.StatusCode)
	}
}

func TestListing(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.url+"/ws/schema/query/api", nil)
	req.Header.Set("Authorization", "Bearer good")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v struct {
		Paths       map[string]any            `json:"paths"`
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"com.pearson.core.teachers.sectionEnrollments", "io.acme.roster.students.flat"} {
		if v.Definitions["powerquery.resp."+name] == nil || v.Paths["/ws/schema/query/"+name] == nil {
			t.Errorf("listing lacks %s", name)
		}
	}
	if req := v.Definitions["powerquery.param.io.acme.roster.students.flat"]["required"]; fmt.Sprint(req) != "[min_grade]" {
		t.Errorf("required args = %v", req)
	}
}

func BenchmarkQueryPage100(b *testing.B) {
	e := newEnv(b)
	body := `{}`
	path := "/ws/schema/query/com.pearson.core.student.search.get_student_basic_info?pagesize=100&page=2"
	b.ReportAllocs()
	for b.Loop() {
		code, data := e.post(b, path, body)
		if code != 200 || len(data) < 1000 {
			b.Fatalf("status %d: %s", code, data)
		}
	}
}

// q= is the filter of /ws/v1 and the table API; a PowerQuery that ignored
// it would answer every row to a client that believes it filtered.
func TestQIsNotAPowerQueryFilter(t *testing.T) {
	e := newEnv(t)
	code, data := e.post(t, "/ws/schema/query/com.pearson.core.student.student_dcid_id_map?q=students.dcid%3D%3D1", `{}`)
	if code != 400 || !strings.Contains(string(data), "$q") {
		t.Fatalf("q= on a PowerQuery: %d %s", code, data)
	}
}
