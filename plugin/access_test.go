package plugin

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFieldsFromError(t *testing.T) {
	view := func(t, f string) Field { return Field{Table: t, Field: f, Access: ViewOnly} }
	full := func(t, f string) Field { return Field{Table: t, Field: f, Access: FullAccess} }
	tests := []struct {
		name string
		body string
		want []Field
	}{
		{"plain text", "No access to the field STUDENTS.SSN", []Field{view("STUDENTS", "SSN")}},
		{"plain text lower case, trailing dot", "No access to the field students.lunch_status.", []Field{view("STUDENTS", "LUNCH_STATUS")}},
		{"list", "Insufficient access to fields: students.ssn, Students.DOB and u_def.x", []Field{view("STUDENTS", "SSN"), view("STUDENTS", "DOB"), view("U_DEF", "X")}},
		{"quoted", `No access to the column "STUDENTS.SSN"`, []Field{view("STUDENTS", "SSN")}},
		{"json errors", `{"message":"Forbidden","errors":[{"resource":"STUDENTS","field":"SSN","code":"missing_field"},{"resource":"students","field":"dob","code":"missing_field"}]}`,
			[]Field{view("STUDENTS", "SSN"), view("STUDENTS", "DOB")}},
		{"json message only", `{"message":"No access to the field STUDENTS.SSN"}`, []Field{view("STUDENTS", "SSN")}},
		{"json field with dot", `{"errors":[{"field":"CC.SECTIONID"}]}`, []Field{view("CC", "SECTIONID")}},
		{"json and message agree", `{"message":"No access to the field STUDENTS.SSN","errors":[{"resource":"STUDENTS","field":"SSN"}]}`, []Field{view("STUDENTS", "SSN")}},
		{"write access", "Delete requires FullAccess to the field U_SPED.NOTES", []Field{full("U_SPED", "NOTES")}},
		{"json write", `{"message":"Update not permitted","errors":[{"resource":"U_SPED","field":"NOTES"}]}`, []Field{full("U_SPED", "NOTES")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FieldsFromError([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldsFromErrorNothingFound(t *testing.T) {
	for _, body := range []string{"", "   ", "Forbidden", `{"message":"Forbidden"}`, "see /ws/schema/query/com.acme.x.y.z", `{"errors":[{"resource":"STUDENTS"}]}`} {
		_, err := FieldsFromError([]byte(body))
		if err == nil {
			t.Errorf("FieldsFromError(%q) found fields", body)
		} else if !strings.Contains(err.Error(), "error body") {
			t.Errorf("FieldsFromError(%q): err %q should say what was expected", body, err)
		}
	}
}

func TestAddFields(t *testing.T) {
	p := &Plugin{}
	got := p.AddFields(Field{Table: "STUDENTS", Field: "SSN", Access: ViewOnly})
	if len(got) != 1 || len(p.AccessRequest.Fields) != 1 {
		t.Fatalf("first add: changed %v, fields %v", got, p.AccessRequest.Fields)
	}
	if got := p.AddFields(Field{Table: "students", Field: "ssn", Access: ViewOnly}); len(got) != 0 {
		t.Errorf("re-adding the same field reported a change: %v", got)
	}
	if got := p.AddFields(Field{Table: "students", Field: "ssn", Access: FullAccess}); len(got) != 1 || p.AccessRequest.Fields[0].Access != FullAccess {
		t.Errorf("raise to FullAccess: changed %v, fields %v", got, p.AccessRequest.Fields)
	}
	if got := p.AddFields(Field{Table: "STUDENTS", Field: "SSN", Access: ViewOnly}); len(got) != 0 || p.AccessRequest.Fields[0].Access != FullAccess {
		t.Errorf("ViewOnly must not lower FullAccess: changed %v, fields %v", got, p.AccessRequest.Fields)
	}
}
