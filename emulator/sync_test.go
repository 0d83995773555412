package emulator

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

const syncPluginXML = `<?xml version="1.0" encoding="UTF-8"?>
<plugin xmlns="http://plugin.powerschool.pearson.com" name="Sync Test" version="1.0" description="sync">
  <publisher name="Acme"><contact email="dev@example.org"/></publisher>
  <oauth accessLevelV1Api="FULL"/>
  <access_request>
    <field table="STUDENTS" field="DCID" access="ViewOnly"/>
    <field table="STUDENTS" field="LAST_NAME" access="ViewOnly"/>
    <field table="STUDENTS" field="TRANSACTION_DATE" access="ViewOnly"/>
    <field table="CC" field="DCID" access="ViewOnly"/>
    <field table="CC" field="SECTIONID" access="ViewOnly"/>
    <field table="CC" field="TRANSACTION_DATE" access="ViewOnly"/>
    <field table="ATTENDANCE" field="DCID" access="ViewOnly"/>
    <field table="ATTENDANCE" field="TRANSACTION_DATE" access="ViewOnly"/>
    <field table="STOREDGRADES" field="DCID" access="ViewOnly"/>
    <field table="PGFINALGRADES" field="DCID" access="ViewOnly"/>
    <field table="SPENROLLMENTS" field="DCID" access="ViewOnly"/>
    <field table="TRANSPORTATION" field="DCID" access="ViewOnly"/>
    <field table="U_STUDENTSUSERFIELDS" field="EMAIL" access="FullAccess"/>
    <field table="U_STUDENTSUSERFIELDS" field="WHENMODIFIED" access="ViewOnly"/>
  </access_request>
</plugin>`

const syncQueries = `<queries>
  <query name="org.example.sync.roster.students" coreTable="students" flattened="true">
    <summary>Students</summary>
    <args></args>
    <columns>
      <column column="students.dcid">dcid</column>
      <column column="students.last_name">last_name</column>
    </columns>
    <sql><![CDATA[select dcid, last_name from students order by dcid]]></sql>
  </query>
</queries>`

func syncPlugin(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"plugin.xml": syncPluginXML, "queries_root/sync.named_queries.xml": syncQueries} {
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

func TestClockControl(t *testing.T) {
	_, c := start(t, Options{Students: 20})
	a := send(t, "POST", c.URL+"/emulator/clock", "", `{"set":"2030-01-02T03:04:05Z"}`)
	if a.status != 200 || a.json(t)["now"] != "2030-01-02T03:04:05Z" {
		t.Fatalf("set: %d %s", a.status, a.body)
	}
	a = send(t, "POST", c.URL+"/emulator/clock", "", `{"advance":"90m"}`)
	if got := a.json(t)["now"].(string); got < "2030-01-02T04:34:05Z" || got > "2030-01-02T04:35:05Z" {
		t.Errorf("advance: %d %s", a.status, a.body)
	}
	for _, body := range []string{`{}`, `{"advance":"1h","set":"2030-01-02T03:04:05Z"}`, `{"advance":"soon"}`, `{"set":"tomorrow"}`, `{"forward":"1h"}`} {
		if a := send(t, "POST", c.URL+"/emulator/clock", "", body); a.status != 400 || !strings.Contains(string(a.body), "advance") && !strings.Contains(string(a.body), "set") {
			t.Errorf("%s: %d %s", body, a.status, a.body)
		}
	}
}

// TestStampsFollowEveryWritePath writes through the bulk student API and
// the table API and reads the cursor columns back with a FIQL =ge= filter.
func TestStampsFollowEveryWritePath(t *testing.T) {
	s, c := start(t, Options{Students: 60, Plugin: syncPlugin(t)})
	tok := token(t, c)
	if a := get(t, c.URL, "/ws/schema/table/students/count?q=transaction_date=ge=2030-01-01", tok); a.json(t)["count"] != float64(0) {
		t.Fatalf("seeded rows are stamped in the future: %s", a.body)
	}
	s.SetClock(mustTime(t, "2030-01-02T03:04:05Z"))
	var dcid, ext int64
	s.store.DB.QueryRow(`SELECT MIN(DCID) FROM STUDENTS`).Scan(&dcid)
	s.store.DB.QueryRow(`SELECT MIN(STUDENTSDCID) FROM U_STUDENTSUSERFIELDS`).Scan(&ext)

	body := fmt.Sprintf(`{"students":{"student":{"action":"UPDATE","id":"%d","name":{"first_name":"Robin","last_name":"Okafor"}}}}`, dcid)
	if a := send(t, "POST", c.URL+"/ws/v1/student", tok, body); !strings.Contains(string(a.body), `"SUCCESS"`) {
		t.Fatalf("bulk write: %d %s", a.status, a.body)
	}
	a := get(t, c.URL, "/ws/schema/table/students?projection=dcid,transaction_date&q=transaction_date=ge=2030-01-01", tok)
	recs := path(t, a.json(t), "record").([]any)
	if len(recs) != 1 || path(t, recs[0], "tables", "students", "transaction_date") != "2030-01-02T03:04:05Z" ||
		path(t, recs[0], "tables", "students", "dcid") != fmt.Sprint(dcid) {
		t.Errorf("after a bulk write: %s", a.body)
	}

	s.AdvanceClock(3600e9)
	if a := send(t, "PUT", fmt.Sprintf("%s/ws/schema/table/u_studentsuserfields/%d", c.URL, ext), tok,
		`{"tables":{"u_studentsuserfields":{"email":"new@example.org"}}}`); a.status != 200 {
		t.Fatalf("table write: %d %s", a.status, a.body)
	}
	a = get(t, c.URL, fmt.Sprintf("/ws/schema/table/u_studentsuserfields/%d?projection=email,whenmodified", ext), tok)
	if got := path(t, a.json(t), "tables", "u_studentsuserfields", "whenmodified"); got != "2030-01-02T04:04:05Z" {
		t.Errorf("whenmodified after a table write = %v; %s", got, a.body)
	}
}

func mutate(t *testing.T, url, body string) (answer, map[string]map[string]any) {
	t.Helper()
	a := send(t, "POST", url+"/emulator/mutate", "", body)
	var out struct {
		Tables map[string]map[string]any `json:"tables"`
	}
	if a.status == 200 {
		if err := json.Unmarshal(a.body, &out); err != nil {
			t.Fatal(err)
		}
	}
	return a, out.Tables
}

func TestMutateIsDeterministic(t *testing.T) {
	_, c1 := start(t, Options{Students: 300, Seed: 3, Plugin: syncPlugin(t)})
	_, c2 := start(t, Options{Students: 300, Seed: 3})
	const body = `{"seed": 7, "update": 200, "insert": 20, "delete": 20}`
	a1, tables := mutate(t, c1.URL, body)
	a2, _ := mutate(t, c2.URL, body)
	if a1.status != 200 || string(a1.body) != string(a2.body) {
		t.Fatalf("same seed, same district, different changes:\n%s\n%s", a1.body, a2.body)
	}
	if a3, _ := mutate(t, c2.URL, `{"seed": 8, "update": 200, "insert": 20, "delete": 20}`); string(a3.body) == string(a1.body) {
		t.Error("another seed made the same changes")
	}
	var ins, del, upd float64
	for name, tc := range tables {
		ins += tc["inserted"].(float64)
		del += tc["deleted"].(float64)
		upd += tc["updated"].(float64)
		ids := tc["ids"].(map[string]any)
		for _, k := range []string{"inserted", "updated", "deleted"} {
			if float64(len(ids[k].([]any))) != tc[k].(float64) {
				t.Errorf("%s: %v %s but %d ids", name, tc[k], k, len(ids[k].([]any)))
			}
		}
	}
	if ins != 20 || upd < 200 || del < 15 || del > 22 {
		t.Errorf("inserted %v, updated %v, deleted %v; want 20, at least 200, about 20: %s", ins, upd, del, a1.body)
	}
	// What it reports is what the table API shows.
	tok := token(t, c1)
	for _, id := range path(t, tables["CC"]["ids"], "deleted").([]any) {
		if a := get(t, c1.URL, fmt.Sprintf("/ws/schema/table/cc/%v?projection=dcid", id), tok); a.status != 404 {
			t.Errorf("deleted CC %v: %d", id, a.status)
		}
	}
	for _, id := range path(t, tables["CC"]["ids"], "updated").([]any) {
		a := get(t, c1.URL, fmt.Sprintf("/ws/schema/table/cc/%v?projection=sectionid,transaction_date", id), tok)
		if sec := path(t, a.json(t), "tables", "cc", "sectionid").(string); !strings.HasPrefix(sec, "-") {
			t.Errorf("updated CC %v is not dropped: %s", id, a.body)
		}
	}

	a, _ := mutate(t, c1.URL, `{"seed": 1, "insert": 5, "tables": ["sections"]}`)
	if a.status != 400 || !strings.Contains(string(a.body), "STUDENTS") {
		t.Errorf("insert into sections: %d %s", a.status, a.body)
	}
	a, _ = mutate(t, c1.URL, `{"seed": 1, "update": 5, "tables": ["teachers"]}`)
	if a.status != 400 || !strings.Contains(string(a.body), "choose from") {
		t.Errorf("unknown table: %d %s", a.status, a.body)
	}
	a, tables = mutate(t, c1.URL, `{"seed": 1, "update": 5, "tables": ["Attendance"]}`)
	if a.status != 200 || len(tables) != 1 || tables["ATTENDANCE"]["updated"] != float64(5) {
		t.Errorf("attendance only: %d %s", a.status, a.body)
	}
}

func TestDataVersion(t *testing.T) {
	s, c := start(t, Options{Students: 50, Plugin: syncPlugin(t)})
	tok := token(t, c)
	a := get(t, c.URL, "/ws/dataversion/StudentChanges/0", tok)
	if a.status != 200 || string(a.body) != `{"$dataversion":"0","tables":{}}` {
		t.Fatalf("a fresh district: %d %s", a.status, a.body)
	}
	dcid, err := s.AddStudent(context.Background(), "Ada", "Lovelace")
	if err != nil {
		t.Fatal(err)
	}
	a = get(t, c.URL, "/ws/dataversion/StudentChanges/0", tok)
	v := a.json(t)["$dataversion"].(string)
	if ids := path(t, a.json(t), "tables", "students").([]any); len(ids) != 1 || ids[0] != float64(dcid) || v == "0" {
		t.Errorf("after adding %d: %s", dcid, a.body)
	}
	if a := get(t, c.URL, "/ws/dataversion/StudentChanges/"+v, tok); string(a.body) != `{"$dataversion":"`+v+`","tables":{}}` {
		t.Errorf("nothing changed since %s: %s", v, a.body)
	}
	for _, bad := range []string{"-1", "abc"} {
		if a := get(t, c.URL, "/ws/dataversion/StudentChanges/"+bad, tok); a.status != 400 {
			t.Errorf("version %s: %d %s", bad, a.status, a.body)
		}
	}
	if a := get(t, c.URL, "/ws/dataversion/StudentChanges/0", ""); a.status != 401 {
		t.Errorf("without a token: %d", a.status)
	}

	// The same through a PowerQuery body.
	q := c.URL + "/ws/schema/query/org.example.sync.roster.students"
	a = send(t, "POST", q, tok, `{"$dataversion":"0","$dataversion_applicationname":"StudentChanges"}`)
	recs := path(t, a.json(t), "record").([]any)
	if a.status != 200 || len(recs) != 1 || a.json(t)["$dataversion"] != v || path(t, recs[0], "last_name") != "Lovelace" {
		t.Errorf("delta query: %d %s", a.status, a.body)
	}
	a = send(t, "POST", q, tok, fmt.Sprintf(`{"$dataversion":%q,"$dataversion_applicationname":"StudentChanges"}`, v))
	if recs := path(t, a.json(t), "record").([]any); len(recs) != 0 {
		t.Errorf("nothing changed since %s: %s", v, a.body)
	}
	if a := send(t, "POST", q, tok, `{}`); len(path(t, a.json(t), "record").([]any)) != 51 {
		t.Errorf("without $dataversion every row comes back: %s", a.body)
	}
	if a := send(t, "POST", q, tok, `{"$dataversion":"0"}`); a.status != 400 || !strings.Contains(string(a.body), "together") {
		t.Errorf("version without application: %d %s", a.status, a.body)
	}
	// Deletes are listed too.
	if err := s.DeleteStudent(context.Background(), dcid); err != nil {
		t.Fatal(err)
	}
	a = get(t, c.URL, "/ws/dataversion/StudentChanges/"+v, tok)
	if ids := path(t, a.json(t), "tables", "students").([]any); len(ids) != 1 || ids[0] != float64(dcid) {
		t.Errorf("after deleting %d: %s", dcid, a.body)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWarehouseTables: the generated tables a warehouse pulls are served
// by the table API with counts and metadata, cursor columns where
// PowerSchool has them.
func TestWarehouseTables(t *testing.T) {
	_, c := start(t, Options{Students: 300, Plugin: syncPlugin(t)})
	tok := token(t, c)
	for _, tc := range []struct {
		table  string
		cursor bool
	}{{"cc", true}, {"attendance", true}, {"storedgrades", true}, {"pgfinalgrades", true}, {"spenrollments", false}, {"transportation", false}} {
		a := get(t, c.URL, "/ws/schema/table/"+tc.table+"/count", tok)
		if n, _ := a.json(t)["count"].(float64); a.status != 200 || n < 1 {
			t.Errorf("%s count: %d %s", tc.table, a.status, a.body)
		}
		a = get(t, c.URL, "/ws/schema/table/"+tc.table+"/metadata", tok)
		if got := strings.Contains(string(a.body), `"name":"transaction_date"`); a.status != 200 || got != tc.cursor {
			t.Errorf("%s metadata (transaction_date: %v): %d %s", tc.table, tc.cursor, a.status, a.body)
		}
		a = get(t, c.URL, "/ws/schema/table/"+tc.table+"?projection=dcid&pagesize=5&page=2", tok)
		if recs := path(t, a.json(t), "record").([]any); len(recs) != 5 {
			t.Errorf("%s page 2: %s", tc.table, a.body)
		}
	}
}

// A row changed twice in one mutation is reported once, as its net change:
// an enrolment made today and dropped by a withdrawal today is inserted; an
// extension row updated and then deleted with its student is deleted.
func TestMutateReportsEachRowOnce(t *testing.T) {
	_, c := start(t, Options{Students: 40, Seed: 5, Plugin: syncPlugin(t)})
	for seed := range 12 {
		a, tables := mutate(t, c.URL, fmt.Sprintf(`{"seed": %d, "insert": 30, "update": 60, "delete": 10, "tables": ["cc", "students", "u_studentsuserfields"]}`, seed))
		if a.status != 200 {
			t.Fatalf("mutate: %d %s", a.status, a.body)
		}
		for name, tc := range tables {
			seen := map[float64]string{}
			for _, kind := range []string{"inserted", "updated", "deleted"} {
				ids := path(t, tc["ids"], kind).([]any)
				if float64(len(ids)) != tc[kind].(float64) {
					t.Errorf("seed %d, %s: %v %s but %d ids", seed, name, tc[kind], kind, len(ids))
				}
				for _, id := range ids {
					if was, ok := seen[id.(float64)]; ok {
						t.Errorf("seed %d, %s %v is both %s and %s", seed, name, id, was, kind)
					}
					seen[id.(float64)] = kind
				}
			}
		}
	}
}
