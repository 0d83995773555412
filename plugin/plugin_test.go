package plugin

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFull(t *testing.T) {
	p, err := Parse(readTestdata(t, "full.plugin.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Roster Sync" || p.Version != "1.2.0" || p.Description != "Nightly roster sync" || p.Namespace != Namespace {
		t.Errorf("root attributes: %+v", p)
	}
	if !p.IsDeletable() {
		t.Error("deletable=true parsed as not deletable")
	}
	if p.Publisher == nil || p.Publisher.Name != "Acme Learning" || p.Publisher.Contact == nil ||
		p.Publisher.Contact.Email != "support@acme-learning.io" || p.Publisher.Contact.Phone != "555-0100" {
		t.Errorf("publisher: %+v", p.Publisher)
	}
	if p.OAuth == nil || p.OAuth.AccessLevelV1API != "READ" {
		t.Errorf("oauth: %+v", p.OAuth)
	}
	wantFields := []Field{
		{Table: "STUDENTS", Field: "DCID", Access: ViewOnly, Pos: Pos{11, 5}},
		{Table: "person", Field: "firstname", Access: FullAccess, Pos: Pos{12, 5}},
	}
	if diff := cmp.Diff(wantFields, p.AccessRequest.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if p.CDNRequest == nil || len(p.CDNRequest.CDNs) != 1 || p.CDNRequest.CDNs[0].Name != "https://code.jquery.com" {
		t.Errorf("cdn_request: %+v", p.CDNRequest)
	}
	r := p.Registration
	if r == nil || r.URL != "https://register.acme-learning.io/ps" || r.CallbackData != "licence=42" ||
		len(r.Parameters) != 1 || r.Parameters[0].Name != "region" || r.Parameters[0].Value != "eu" {
		t.Errorf("registration: %+v", r)
	}
	if p.Links == nil || len(p.Links.Links) != 1 || len(p.Links.Links[0].UIContexts) != 2 ||
		p.Links.Links[0].UIContexts[1].ID != "teacher.header" || p.Links.Links[0].Title != "Open Acme" {
		t.Errorf("links: %+v", p.Links)
	}
	if p.OpenID == nil || p.OpenID.Host != "sso.acme-learning.io" || p.OpenID.Links == nil || p.OpenID.Links.Links[0].Path != "/sso" {
		t.Errorf("openid: %+v", p.OpenID)
	}
	if p.SAML == nil || p.SAML.EntityID != "acme" || len(p.SAML.Users) != 1 || p.SAML.Users[0].Attributes[0].AttributeName != "mail" ||
		len(p.SAML.Permissions) != 1 || p.SAML.Permissions[0].Value != "yes" {
		t.Errorf("saml: %+v", p.SAML)
	}
	if p.AutoInstall == nil || p.AutoInstall.AutoRegister == nil || p.AutoInstall.AutoRegister.Required != "true" || p.AutoInstall.AutoRedeploy != nil {
		t.Errorf("autoinstall: %+v", p.AutoInstall)
	}
	if len(p.Unknown) != 1 || p.Unknown[0].Name != "vendor_extension" || p.Unknown[0].Pos != (Pos{50, 3}) {
		t.Errorf("unknown: %d elements, first %+v", len(p.Unknown), p.Unknown[0])
	}
	if p.Pos != (Pos{2, 1}) || p.Publisher.Pos != (Pos{6, 3}) {
		t.Errorf("positions: plugin %v publisher %v", p.Pos, p.Publisher.Pos)
	}
}

func TestParseAbsentElementsAreNil(t *testing.T) {
	p, err := Parse([]byte(`<plugin xmlns="http://plugin.powerschool.pearson.com" name="x"><publisher name="p"><contact email="a@b.co"/></publisher></plugin>`))
	if err != nil {
		t.Fatal(err)
	}
	if p.OAuth != nil || p.AccessRequest != nil || p.Registration != nil || p.Links != nil || p.SAML != nil {
		t.Errorf("absent elements should be nil: %+v", p)
	}
}

func TestParseErrorsCarryLineAndColumn(t *testing.T) {
	tests := []struct {
		name, doc  string
		line, col  int
		msgContain string
	}{
		{"unclosed", "<plugin name=\"x\">\n  <publisher name=\"p\">\n</plugin>", 3, 10, "malformed XML"},
		{"bad attribute", "<plugin\n  name=x>", 2, 9, "malformed XML"},
		{"wrong root", "<?xml version=\"1.0\"?>\n<queries/>", 2, 1, "root element is <queries>"},
		{"empty", "", 1, 1, "empty"},
		{"two roots", "<plugin/>\n<plugin/>", 2, 1, "second root"},
		{"doctype", "<!DOCTYPE plugin [<!ENTITY a \"b\">]>\n<plugin/>", 1, 1, "DOCTYPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if se.Line != tt.line || se.Column != tt.col || !strings.Contains(se.Msg, tt.msgContain) {
				t.Errorf("got %d:%d %q, want %d:%d containing %q", se.Line, se.Column, se.Msg, tt.line, tt.col, tt.msgContain)
			}
			if !strings.HasPrefix(err.Error(), "plugin.xml: line ") {
				t.Errorf("error %q should name the file and line", err)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	p1, err := Parse(readTestdata(t, "full.plugin.xml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(p1)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`xmlns="http://plugin.powerschool.pearson.com"`, `xsi:schemaLocation="http://plugin.powerschool.pearson.com plugin.xsd"`, `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	p2, err := Parse(out)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, out)
	}
	ignorePos := cmpopts.IgnoreTypes(Pos{})
	if diff := cmp.Diff(p1, p2, ignorePos); diff != "" {
		t.Errorf("round trip changed the plugin (-parsed +reparsed):\n%s", diff)
	}
	// A second pass is byte-stable.
	out2, err := Marshal(p2)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(out2) {
		t.Errorf("Marshal is not stable:\n%s\n---\n%s", out, out2)
	}
}

func TestMarshalEscapes(t *testing.T) {
	p := &Plugin{Name: `A & "B" <C>`, Registration: &Registration{URL: "https://x.io/?a=1&b=2", CallbackData: "<k>&"}}
	out, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Parse(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if p2.Name != p.Name || p2.Registration.URL != p.Registration.URL || p2.Registration.CallbackData != "<k>&" {
		t.Errorf("escaping lost data: %+v %+v", p2, p2.Registration)
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) should fail")
	}
}

func TestParseNamedQueries(t *testing.T) {
	qs, err := ParseNamedQueries("queries_root/students.named_queries.xml", readTestdata(t, "students.named_queries.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []NamedQuery{{
		Name: "io.acme.roster.students.basic", CoreTable: "students", Flattened: true, Tags: []string{"roster", "students"},
		Summary: "Basic students", Description: "Students of one school",
		Args: []QueryArg{
			{Name: "schoolid", Column: "STUDENTS.SCHOOLID", Type: "primitive", Description: "school", Required: true},
			{Name: "grades", Column: "STUDENTS.GRADE_LEVEL", Type: "array"},
		},
		Columns: []QueryColumn{
			{Column: "students.dcid", Alias: "students.dcid"},
			{Column: "students.last_name", Alias: "last_name"},
		},
		SQL:  "select s.dcid, s.last_name from students s where s.schoolid = :schoolid order by s.dcid",
		File: "queries_root/students.named_queries.xml",
	}}
	if diff := cmp.Diff(want, qs, cmpopts.IgnoreTypes(Pos{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if qs[0].Pos != (Pos{2, 3}) {
		t.Errorf("query pos = %v", qs[0].Pos)
	}
	if _, err := ParseNamedQueries("q.xml", []byte("<plugin/>")); err == nil || !strings.Contains(err.Error(), "q.xml") {
		t.Errorf("wrong root: err = %v", err)
	}
}
