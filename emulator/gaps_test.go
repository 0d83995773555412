package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestTrailingSlashIsTheSameResource(t *testing.T) {
	s, c := start(t, Options{Students: 50})
	tok := token(t, c)
	for _, p := range []string{
		"/ws/v1/district/school",
		"/ws/v1/district/student/count",
		"/ws/v1/metadata",
		"/ws/schema/table/students/count",
		"/ws/schema/area",
		"/ims/oneroster/v1p1/orgs",
	} {
		plain := get(t, s.URL(), p, tok)
		if plain.status != 200 {
			t.Fatalf("GET %s = %d %s", p, plain.status, plain.body)
		}
		slash := get(t, s.URL(), p+"/", tok)
		wantSame := p[:4] == "/ws/"
		if wantSame && (slash.status != 200 || string(slash.body) != string(plain.body)) {
			t.Errorf("GET %s/ = %d %s, want the same answer as without the slash", p, slash.status, slash.body)
		}
	}
	// A POST with the slash reaches the same handler too.
	req, _ := http.NewRequest("POST", s.URL()+"/ws/schema/query/com.pearson.core.student.student_dcid_id_map/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	if a := do(t, req); a.status == 404 || a.status == 405 {
		t.Errorf("POST a PowerQuery with a trailing slash = %d %s", a.status, a.body)
	}
	// Unknown paths stay 404 with or without it.
	if a := get(t, s.URL(), "/ws/v1/nothing/", tok); a.status != 404 {
		t.Errorf("GET /ws/v1/nothing/ = %d, want 404", a.status)
	}
}

func TestSchemaAreas(t *testing.T) {
	s, c := start(t, Options{Students: 50})
	tok := token(t, c)
	a := get(t, s.URL(), "/ws/schema/area", tok)
	if a.status != 200 {
		t.Fatalf("GET /ws/schema/area = %d %s", a.status, a.body)
	}
	var areas struct {
		Areas []struct {
			Name   string `json:"name"`
			Tables int    `json:"tables"`
		} `json:"areas"`
	}
	if err := json.Unmarshal(a.body, &areas); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ar := range areas.Areas {
		names = append(names, ar.Name)
		if ar.Tables <= 0 {
			t.Errorf("area %s lists %d tables", ar.Name, ar.Tables)
		}
	}
	for _, want := range []string{"District", "Students", "Staff", "Scheduling", "Gradebook", "Extensions"} {
		if !slices.Contains(names, want) {
			t.Errorf("areas %v lack %s", names, want)
		}
	}

	a = get(t, s.URL(), "/ws/schema/area/students/table", tok)
	if a.status != 200 {
		t.Fatalf("GET /ws/schema/area/students/table = %d %s", a.status, a.body)
	}
	var tables struct {
		Name   string `json:"name"`
		Tables []struct {
			Name      string `json:"name"`
			Extension bool   `json:"extension"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(a.body, &tables); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tb := range tables.Tables {
		got = append(got, tb.Name)
		if tb.Name == "STUDENTCOREFIELDS" && !tb.Extension {
			t.Errorf("STUDENTCOREFIELDS is an extension table")
		}
	}
	if tables.Name != "Students" || !slices.Contains(got, "STUDENTS") || !slices.Contains(got, "STUDENTCOREFIELDS") || slices.Contains(got, "USERS") {
		t.Errorf("students area = %s %v", tables.Name, got)
	}
	a = get(t, s.URL(), "/ws/schema/area/Extensions/table", tok)
	if a.status != 200 || !json.Valid(a.body) || !strings.Contains(string(a.body), `"U_STUDENTSUSERFIELDS"`) {
		t.Errorf("extensions area = %d %s", a.status, a.body)
	}
	if a := get(t, s.URL(), "/ws/schema/area/nowhere/table", tok); a.status != 404 || a.json(t)["message"] == "" {
		t.Errorf("unknown area = %d %s, want 404 with a message", a.status, a.body)
	}
	if a := get(t, s.URL(), "/ws/schema/area", ""); a.status != 401 {
		t.Errorf("no token = %d, want 401", a.status)
	}
}
