package powerschool

import (
	"encoding/json"
	"testing"
)

func TestStudentSurvivesQuirks(t *testing.T) {
	// From the reference's real LAS record: "" expansions, numbers, one extension table as an object.
	raw := `{"students":{"@expansions":"demographics","student":{"id":"5851","local_id":114679,"student_username":12345,
	 "name":{"first_name":"Ken","last_name":"TAKA"},"addresses":"","demographics":{"gender":"M","birth_date":"1995-09-02","projected_graduation_year":"2020"},
	 "school_enrollment":{"enroll_status":"A","enroll_status_code":0,"grade_level":"10","school_number":33,"full_time_equivalency":{"fteid":1070,"name":"FTE Value: 1"}},
	 "_extension_data":{"_table_extension":{"recordFound":"false","name":"u_studentsuserfields","_field":{"name":"transcriptaddrcity","type":"String","value":"Leysin"}}}}}}`
	got, err := decodePage[Student]([]byte(raw), "students", "student")
	if err != nil || len(got) != 1 {
		t.Fatalf("decode: %v (%d records)", err, len(got))
	}
	s := got[0]
	if s.ID != 5851 || s.StudentUsername != "12345" || s.Demographics.ProjectedGraduationYear != 2020 || s.SchoolEnrollment.GradeLevel != 10 {
		t.Errorf("student = %+v", s)
	}
	if s.Addresses == nil || s.Addresses.Physical != nil {
		t.Errorf(`"addresses":"" should give an empty, non-nil block, got %+v`, s.Addresses)
	}
	if v, ok := s.Extensions.Value("U_StudentsUserFields", "TranscriptAddrCity"); !ok || v != "Leysin" {
		t.Errorf("extension value = %q, %v", v, ok)
	}
	var m map[string]any
	if json.Unmarshal(s.Raw, &m) != nil || m["local_id"] != 114679.0 {
		t.Errorf("Raw does not hold the record: %s", s.Raw)
	}
	// Several extension tables arrive as an array.
	var ed ExtensionData
	if err := json.Unmarshal([]byte(`{"_table_extension":[{"name":"a","_field":[{"name":"x","value":1}]},{"name":"b","_field":{"name":"y","value":"z"}}]}`), &ed); err != nil || len(ed.Tables) != 2 {
		t.Fatalf("tables: %v %+v", err, ed)
	}
	if v, _ := ed.Value("a", "x"); v != "1" {
		t.Errorf("a.x = %q", v)
	}
	// Empty page: key absent, or "".
	for _, body := range []string{`{"students":{"@expansions":"x"}}`, `{"students":""}`, `{}`, `{"students":{"student":""}}`} {
		if got, err := decodePage[Student]([]byte(body), "students", "student"); err != nil || len(got) != 0 {
			t.Errorf("%s: %d records, %v", body, len(got), err)
		}
	}
}

func TestFlexInt(t *testing.T) {
	for in, want := range map[string]int64{`12`: 12, `"12"`: 12, `" 7 "`: 7, `""`: 0, `null`: 0, `12.0`: 12, `"-3"`: -3, `1e3`: 1000} {
		var n FlexInt
		if err := json.Unmarshal([]byte(in), &n); err != nil || int64(n) != want {
			t.Errorf("%s -> %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{`"abc"`, `12.5`, `true`, `{}`, `[]`} {
		var n FlexInt
		if err := json.Unmarshal([]byte(in), &n); err == nil {
			t.Errorf("%s decoded to %d, want an error", in, n)
		}
	}
}

// FuzzFlexInt: never panics, and whatever decodes re-encodes to the same value.
func FuzzFlexInt(f *testing.F) {
	for _, s := range []string{`12`, `"12"`, `""`, `null`, `1e3`, `"x"`, `-0`, `9223372036854775807`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n FlexInt
		if json.Unmarshal(b, &n) != nil {
			return
		}
		out, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		var back FlexInt
		if err := json.Unmarshal(out, &back); err != nil || back != n {
			t.Fatalf("%s -> %d -> %s -> %d, %v", b, n, out, back, err)
		}
	})
}

// FuzzDecodePage: list pages of any shape never panic, and a page that
// decodes as students also decodes record by record into the same count.
func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{
		`{"students":{"student":[{"id":1},{"id":"2"}]}}`,
		`{"students":{"student":{"id":1,"addresses":"","name":{"first_name":"a"}}}}`,
		`{"students":{"@expansions":"x"}}`,
		`{"students":[{"id":3}]}`,
		`{"students":{"student":{"_extension_data":{"_table_extension":[{"name":"t","_field":{"name":"f","value":2}}]}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		students, err := decodePage[Student](b, "students", "student")
		if err != nil {
			return
		}
		raws, err := decodePage[json.RawMessage](b, "students", "student")
		if err != nil || len(raws) != len(students) {
			t.Fatalf("%d students but %d raw records (%v)", len(students), len(raws), err)
		}
		for i, s := range students {
			if string(s.Raw) != string(raws[i]) {
				t.Fatalf("record %d: Raw %s != %s", i, s.Raw, raws[i])
			}
		}
	})
}
