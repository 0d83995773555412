package mirror_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/mirror"
)

func TestParsePlan(t *testing.T) {
	p, err := mirror.ParsePlan([]byte(`
preset: roster
look_back: 10m
verify_deletes: true
tables:
  - storedgrades
  - name: u_studentsuserfields
    strategy: full
    key: studentsdcid
  - name: students_copy
    columns: [dcid, first_name]
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.LookBack != 10*time.Minute || !p.VerifyDeletes || len(p.Tables) != 11 {
		t.Fatalf("plan %+v", p)
	}
	if c := p.Tables[len(p.Tables)-1].Columns; len(c) != 2 || c[1] != "first_name" {
		t.Errorf("columns %v", c)
	}
	last := p.Tables[len(p.Tables)-2]
	if last.Name != "u_studentsuserfields" || last.Strategy != "full" || last.Key != "studentsdcid" || p.Tables[0].Name != "schools" {
		t.Errorf("tables %+v", p.Tables)
	}
	for _, bad := range []struct{ yaml, says string }{
		{"tables: [students, students]", "twice"},
		{"tables: [\"stu dents\"]", "not a PowerSchool table name"},
		{"tables: [{name: cc, strategy: sometimes}]", "strategy"},
		{"tables: [cc]\nlook_back: soon", "duration"},
		{"preset: nightly", "no preset"},
		{"tabels: [cc]", "tabels"},
		{"tables: []", "no table"},
		{"tables: [_pskit_runs]", "PowerSchool table name"},
		{"tables: [{name: students, columns: [\"first name\"]}]", "not a column name"},
		{"tables: [{name: info, powerquery: \"com.x; drop\"}]", "not a PowerQuery name"},
		{"tables: [{name: info, powerquery: com.x.y, strategy: incremental}]", "reloaded whole"},
		{"tables: [{resource: pupils}]", "not a /ws/v1 resource"},
		{"tables: [{resource: students, cursor: dcid}]", "a /ws/v1 resource is reloaded whole"},
		{"tables: [{name: students, expansions: [demographics]}]", "expansions apply to a /ws/v1 resource"},
		{"tables: [{resource: students, expansions: [\"demo graphics\"]}]", "not an expansion name"},
		{"preset: roster\ntables: [{resource: students}]", "twice"},
		{"tables: [{name: attendance, strategy: full, window_from: 35}]", "goes with strategy window"},
		{"tables: [{resource: terms, strategy: window}]", "no window filter"},
	} {
		_, err := mirror.ParsePlan([]byte(bad.yaml))
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("%q: %v, want an error saying %q", bad.yaml, err, bad.says)
		}
	}
}

// A /ws/v1 entry needs no name: it lands in the table that stores the
// resource.
func TestParsePlanV1AndWindow(t *testing.T) {
	p, err := mirror.ParsePlan([]byte(`
tables:
  - resource: staff
  - resource: section_enrollments
  - name: students_v1
    resource: Students
    expansions: [demographics, school_enrollment]
  - name: attendance
    strategy: window
    window_from: 35
`))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, tb := range p.Tables {
		got = append(got, tb.Name+"/"+tb.Resource)
	}
	if strings.Join(got, ",") != "users/staff,cc/section_enrollments,students_v1/students,attendance/" || p.Tables[3].WindowFrom != 35 {
		t.Errorf("tables %v, %+v", got, p.Tables[3])
	}
}

func TestPresets(t *testing.T) {
	for _, name := range mirror.Presets() {
		p, err := mirror.Preset(name)
		if err != nil || len(p.Tables) == 0 {
			t.Errorf("preset %s: %v %+v", name, err, p)
		}
	}
	if _, err := mirror.Preset("everything"); err == nil || !strings.Contains(err.Error(), "roster") {
		t.Errorf("unknown preset: %v, want the list of presets", err)
	}
}

func FuzzParsePlan(f *testing.F) {
	for _, s := range []string{"tables: [students]", "preset: gradebook\nlook_back: 1h", "tables:\n  - name: cc\n    cursor: transaction_date", "{", "tables: [[1]]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := mirror.ParsePlan(b)
		if err == nil && p.Validate() != nil {
			t.Fatalf("ParsePlan accepted a plan Validate refuses: %q", b)
		}
	})
}
