package plugin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	pskitplugin "github.com/pskit/pskit/plugin"
)

func TestInitFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *InitOptions
	cmd := NewCmdInit(&cmdutil.Factory{IOStreams: ios}, func(o *InitOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--name", "Sync", "--publisher", "Acme", "--email", "a@acme.io", "--field", "STUDENTS.DCID", "--field", "U_X.Y:FullAccess", "--v1-access", "FULL", "--output", "p.xml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := pskitplugin.InitOptions{Name: "Sync", Version: "1.0.0", PublisherName: "Acme", ContactEmail: "a@acme.io", AccessLevelV1: "FULL", Fields: []string{"STUDENTS.DCID", "U_X.Y:FullAccess"}}
	if diff := cmp.Diff(want, got.Plugin); diff != "" || got.OutFile != "p.xml" {
		t.Errorf("(-want +got):\n%s out %q", diff, got.OutFile)
	}
}

func TestInitValidatePackageAccess(t *testing.T) {
	dir := t.TempDir()
	xmlPath := filepath.Join(dir, "plugin.xml")
	ios, _, out, errOut := iostreams.Test()
	o := &InitOptions{IO: ios, OutFile: xmlPath, Plugin: pskitplugin.InitOptions{
		Name: "Sync", PublisherName: "Acme", ContactEmail: "dev@acme-learning.io", Fields: []string{"STUDENTS.DCID"}}}
	if err := runInit(o); err != nil {
		t.Fatal(err)
	}
	if err := runInit(o); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second init over the file: err = %v", err)
	}

	if err := runValidate(&ValidateOptions{IO: ios, Path: xmlPath}); err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	if !strings.Contains(errOut.String(), "plugin.xml: valid") {
		t.Errorf("stderr: %s", errOut)
	}

	body := filepath.Join(dir, "403.json")
	os.WriteFile(body, []byte(`{"message":"No access to the field STUDENTS.SSN"}`), 0o600)
	out.Reset()
	if err := runAccess(&AccessOptions{IO: ios, FromError: body}); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) != `<field table="STUDENTS" field="SSN" access="ViewOnly"/>` {
		t.Errorf("access output: %q", out)
	}
	if err := runAccess(&AccessOptions{IO: ios, FromError: body, Plugin: xmlPath}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(xmlPath)
	p, err := pskitplugin.Parse(data)
	if err != nil || len(p.AccessRequest.Fields) != 2 || p.AccessRequest.Fields[1].Field != "SSN" {
		t.Fatalf("plugin.xml after access: %v\n%s", err, data)
	}

	// Package the folder after adding a file PowerSchool does not read.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600)
	zipPath := filepath.Join(dir, "out.zip")
	errOut.Reset()
	if err := runPackage(&PackageOptions{IO: ios, Dir: dir, OutFile: zipPath}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "skipped notes.txt") || !strings.Contains(errOut.String(), "skipped 403.json") {
		t.Errorf("package stderr: %s", errOut)
	}
	if err := runValidate(&ValidateOptions{IO: ios, Path: zipPath}); err != nil {
		t.Errorf("validate zip: %v", err)
	}
	if err := runPackage(&PackageOptions{IO: ios, Dir: dir, OutFile: filepath.Join(dir, "out.tar")}); err == nil || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("non-zip output: err = %v", err)
	}
}

func TestValidateReportsProblems(t *testing.T) {
	dir := t.TempDir()
	xmlPath := filepath.Join(dir, "plugin.xml")
	os.WriteFile(xmlPath, []byte(`<plugin xmlns="http://plugin.powerschool.pearson.com" name="[PLUGIN_NAME]" version="1.0">
  <publisher name="Acme"><contact email="dev@example.com"/></publisher>
  <access_request><field table="STUDENTS" field="DCID" access="Read"/></access_request>
</plugin>`), 0o600)
	ios, _, out, _ := iostreams.Test()
	err := runValidate(&ValidateOptions{IO: ios, Path: xmlPath})
	if err == nil || !strings.Contains(err.Error(), "1 error(s)") {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		xmlPath + ":3:19: error: field access is \"Read\"",
		xmlPath + ":1:1: warning: plugin name \"[PLUGIN_NAME]\" contains the placeholder",
		xmlPath + ":2:26: warning: contact email \"dev@example.com\" uses an example domain",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Warnings only: success, unless --strict.
	os.WriteFile(xmlPath, []byte(`<plugin xmlns="http://plugin.powerschool.pearson.com" name="Sync"><publisher name="Acme"><contact email="dev@example.com"/></publisher></plugin>`), 0o600)
	if err := runValidate(&ValidateOptions{IO: ios, Path: xmlPath}); err != nil {
		t.Errorf("warnings only: %v", err)
	}
	if err := runValidate(&ValidateOptions{IO: ios, Path: xmlPath, Strict: true}); err == nil {
		t.Error("--strict accepted warnings")
	}
	if err := runValidate(&ValidateOptions{IO: ios, Path: filepath.Join(dir, "missing.xml")}); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("missing file: err = %v", err)
	}
}

// init --gradebook requests every gradebook field, and a /ws/xte 403 in the
// emulator's (and PowerSchool's) form turns into FullAccess entries.
func TestInitGradebookAndFromErrorRoundTrip(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *InitOptions
	cmd := NewCmdInit(&cmdutil.Factory{IOStreams: ios}, func(o *InitOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--name", "Grades", "--publisher", "Acme", "--email", "a@acme.io", "--gradebook"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.Plugin.Gradebook {
		t.Fatal("--gradebook did not set InitOptions.Gradebook")
	}

	dir := t.TempDir()
	full := filepath.Join(dir, "full.xml")
	if err := runInit(&InitOptions{IO: ios, OutFile: full, Plugin: pskitplugin.InitOptions{
		Name: "Grades", PublisherName: "Acme", ContactEmail: "dev@acme-learning.io", Gradebook: true}}); err != nil {
		t.Fatal(err)
	}
	have := accessOf(t, full)
	for _, f := range pskitplugin.GradebookFields() {
		if have[f.Table+"."+f.Field] != f.Access {
			t.Errorf("plugin.xml: %s.%s has %q, want %q", f.Table, f.Field, have[f.Table+"."+f.Field], f.Access)
		}
	}

	bare := filepath.Join(dir, "bare.xml")
	if err := runInit(&InitOptions{IO: ios, OutFile: bare, Plugin: pskitplugin.InitOptions{
		Name: "Grades", PublisherName: "Acme", ContactEmail: "dev@acme-learning.io", Fields: []string{"STUDENTS.DCID"}}}); err != nil {
		t.Fatal(err)
	}
	body := filepath.Join(dir, "403.json")
	os.WriteFile(body, []byte(`{"message":"No access to field assignment.createdbyplugin: PowerTeacher Pro writes need FullAccess to every column of the tables they write, audit columns included; add the 2 fields listed in errors[] to plugin.xml's access_request (psctl plugin access --from-error, or psctl plugin init --gradebook) and reinstall the plugin","errors":[{"resource":"ASSIGNMENT","field":"CREATEDBYPLUGIN","code":"missing_field_access","value":"FullAccess"},{"resource":"ASSIGNMENT","field":"WHOCREATED","code":"missing_field_access","value":"FullAccess"}]}`), 0o600)
	if err := runAccess(&AccessOptions{IO: ios, FromError: body, Plugin: bare}); err != nil {
		t.Fatal(err)
	}
	have = accessOf(t, bare)
	if len(have) != 3 || have["ASSIGNMENT.CREATEDBYPLUGIN"] != pskitplugin.FullAccess || have["ASSIGNMENT.WHOCREATED"] != pskitplugin.FullAccess {
		t.Errorf("after --from-error, access_request is %v", have)
	}
}

func accessOf(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pskitplugin.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range p.AccessRequest.Fields {
		out[f.Table+"."+f.Field] = f.Access
	}
	return out
}
