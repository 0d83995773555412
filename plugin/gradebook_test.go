package plugin

import (
	"os"
	"testing"
)

func TestGradebookFields(t *testing.T) {
	all := GradebookFields()
	byKey := map[string]string{}
	for _, f := range all {
		k := f.Table + "." + f.Field
		if _, dup := byKey[k]; dup {
			t.Errorf("%s listed twice", k)
		}
		byKey[k] = f.Access
	}
	for k, want := range map[string]string{
		"ASSIGNMENT.CREATEDBYPLUGIN":          FullAccess, // the column the live 403 named
		"ASSIGNMENTSECTION.WHENMODIFIED":      FullAccess,
		"ASSIGNMENTCATEGORYASSOC.ISPRIMARY":   FullAccess,
		"ASSIGNMENTSCORE.ACTUALSCOREENTERED":  FullAccess,
		"ASSIGNMENTSCORECOMMENT.COMMENTVALUE": FullAccess,
		"TEACHERCATEGORY.NAME":                ViewOnly,
		"DISTRICTTEACHERCATEGORY.NAME":        ViewOnly,
	} {
		if byKey[k] != want {
			t.Errorf("%s: access %q, want %q", k, byKey[k], want)
		}
	}
	some := GradebookFields("teachercategory")
	if len(some) == 0 || len(some) >= len(all) {
		t.Fatalf("GradebookFields(teachercategory) gave %d of %d fields", len(some), len(all))
	}
	for _, f := range some {
		if f.Table != "TEACHERCATEGORY" {
			t.Errorf("filtered list holds %s.%s", f.Table, f.Field)
		}
	}
}

func TestInitGradebook(t *testing.T) {
	p, err := Init(InitOptions{Name: "Grades", PublisherName: "Acme", ContactEmail: "dev@acme.example",
		Fields: []string{"STUDENTS.DCID", "TEACHERCATEGORY.NAME:FullAccess"}, Gradebook: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range p.AccessRequest.Fields {
		got[f.Table+"."+f.Field] = f.Access
	}
	for _, f := range GradebookFields() {
		if f.Table == "TEACHERCATEGORY" && f.Field == "NAME" {
			continue
		}
		if got[f.Table+"."+f.Field] != f.Access {
			t.Errorf("%s.%s: %q, want %q", f.Table, f.Field, got[f.Table+"."+f.Field], f.Access)
		}
	}
	if got["STUDENTS.DCID"] != ViewOnly || got["TEACHERCATEGORY.NAME"] != FullAccess {
		t.Errorf("explicit fields lost or lowered: %v", got)
	}
	if _, err := Marshal(p); err != nil {
		t.Fatalf("the gradebook plugin does not marshal: %v", err)
	}
}

// The example plugin asks for what grade passback needs.
func TestExamplePluginHasGradebookFields(t *testing.T) {
	b, err := os.ReadFile("../examples/plugin/plugin.xml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, f := range p.AccessRequest.Fields {
		have[f.Table+"."+f.Field] = f.Access
	}
	for _, f := range GradebookFields() {
		if have[f.Table+"."+f.Field] != f.Access {
			t.Errorf("examples/plugin/plugin.xml: %s.%s has %q, want %q", f.Table, f.Field, have[f.Table+"."+f.Field], f.Access)
		}
	}
}
