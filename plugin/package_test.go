package plugin

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPackageExample(t *testing.T) {
	var buf bytes.Buffer
	report, err := Package("../examples/plugin", &buf)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{
		"plugin.xml",
		"MessageKeys/roster_sync.US_en.properties",
		"permissions_root/roster_sync.permission_mappings.xml",
		"queries_root/com.example.roster_sync.students.by_school.named_queries.xml",
		"web_root/admin/roster_sync/home.html",
	}
	if diff := cmp.Diff(wantFiles, report.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(report.Skipped) != 1 || !strings.HasPrefix(report.Skipped[0], "README.md: ") {
		t.Errorf("skipped = %v", report.Skipped)
	}
	// The example uses example.com on purpose; those are warnings only.
	if len(report.Problems) == 0 || HasErrors(report.Problems) {
		t.Errorf("problems = %v, want example-domain warnings only", report.Problems)
	}

	b, err := Load(buf.Bytes())
	if err != nil {
		t.Fatalf("the packaged zip does not load: %v", err)
	}
	if b.Plugin.Name != "Roster Sync" || len(b.Queries) != 1 || len(b.Skipped) != 0 {
		t.Errorf("loaded bundle: plugin %q, %d queries, skipped %v", b.Plugin.Name, len(b.Queries), b.Skipped)
	}

	var again bytes.Buffer
	if _, err := Package("../examples/plugin", &again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("packaging the same directory twice gave different bytes")
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPackageSkipsWhatPowerSchoolDoesNotRead(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"plugin.xml":               validDoc,
		"web_root/a.html":          "a",
		"web_root/.DS_Store":       "junk",
		".git/config":              "x",
		"src/main.go":              "package main",
		"notes.txt":                "n",
		"queries_root/.hidden/x":   "x",
		"pagecataloging/p.json":    "{}",
		"MessageKeys/k.properties": "k=v",
	})
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "web_root", "passwd")); err != nil {
		t.Skipf("cannot create a symlink here: %v", err)
	}
	var buf bytes.Buffer
	report, err := Package(dir, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"plugin.xml", "MessageKeys/k.properties", "pagecataloging/p.json", "web_root/a.html"}, report.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	skipped := strings.Join(report.Skipped, "\n")
	for _, want := range []string{".git: hidden", "notes.txt: not plugin.xml", "src: not plugin.xml", "web_root/.DS_Store: hidden", "web_root/passwd: symbolic link", "queries_root/.hidden: hidden"} {
		if !strings.Contains(skipped, want) {
			t.Errorf("skipped lacks %q:\n%s", want, skipped)
		}
	}
}

func TestPackageRefusesInvalidPlugin(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"plugin.xml": strings.Replace(validDoc, `name="Sync"`, `name=""`, 1),
	})
	var buf bytes.Buffer
	_, err := Package(dir, &buf)
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "plugin.xml:1:1: error: plugin name is required") {
		t.Fatalf("err = %v, want a ValidationError naming the missing name", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes despite the errors", buf.Len())
	}

	bad := writeTree(t, map[string]string{
		"plugin.xml":                       validDoc,
		"queries_root/q.named_queries.xml": `<queries><query name="bad"/></queries>`,
	})
	if _, err := Package(bad, &buf); !errors.As(err, &ve) || !strings.Contains(err.Error(), "queries_root/q.named_queries.xml:1:10: error") {
		t.Errorf("bad query: err = %v", err)
	}

	if _, err := Package(t.TempDir(), &buf); err == nil || !strings.Contains(err.Error(), "no plugin.xml") {
		t.Errorf("empty dir: err = %v", err)
	}
	malformed := writeTree(t, map[string]string{"plugin.xml": "<plugin>\n<x>"})
	if _, err := Package(malformed, &buf); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("malformed: err = %v", err)
	}
}

func TestInit(t *testing.T) {
	p, err := Init(InitOptions{
		Name: "Roster Sync", PublisherName: "Acme", ContactEmail: "dev@acme-learning.io",
		Fields: []string{"STUDENTS.DCID", "students.last_name:FullAccess", "STUDENTS.dcid:fullaccess", "u_def.x:view"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{
		{Table: "STUDENTS", Field: "DCID", Access: FullAccess},
		{Table: "students", Field: "last_name", Access: FullAccess},
		{Table: "u_def", Field: "x", Access: ViewOnly},
	}
	if diff := cmp.Diff(want, p.AccessRequest.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if p.Version != "1.0.0" || p.OAuth.AccessLevelV1API != "READ" {
		t.Errorf("defaults: version %q level %q", p.Version, p.OAuth.AccessLevelV1API)
	}
	out, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if probs := p2.Validate(); len(probs) != 0 {
		t.Errorf("generated plugin.xml has problems: %v\n%s", probs, out)
	}
	if !strings.Contains(string(out), `<oauth accessLevelV1Api="READ"></oauth>`) && !strings.Contains(string(out), `<oauth accessLevelV1Api="READ"/>`) {
		t.Errorf("no oauth element in:\n%s", out)
	}

	for _, tt := range []struct {
		opts InitOptions
		want string
	}{
		{InitOptions{PublisherName: "A", ContactEmail: "a@b.co"}, "plugin name is required"},
		{InitOptions{Name: "N", PublisherName: "A", ContactEmail: "a@b.co", AccessLevelV1: "write"}, "accessLevelV1Api"},
		{InitOptions{Name: "N", PublisherName: "A", ContactEmail: "a@b.co", Fields: []string{"STUDENTS"}}, "write TABLE.FIELD"},
		{InitOptions{Name: "N", PublisherName: "A", ContactEmail: "a@b.co", Fields: []string{"S.F:admin"}}, "not ViewOnly or FullAccess"},
		{InitOptions{Name: "N", PublisherName: "A", ContactEmail: "a@b.co", RegistrationURL: "http://x.io"}, "https://"},
	} {
		if _, err := Init(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Init(%+v): err = %v, want %q", tt.opts, err, tt.want)
		}
	}
}
