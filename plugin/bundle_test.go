package plugin

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
)

// zipOf builds a zip from name/content pairs, in order.
func zipOf(t testing.TB, entries ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(entries); i += 2 {
		w, err := zw.Create(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(entries[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const minimalXML = `<plugin xmlns="http://plugin.powerschool.pearson.com" name="Min" version="1"><publisher name="P"><contact email="a@b.co"/></publisher><oauth/></plugin>`

func TestLoadBareXML(t *testing.T) {
	b, err := Load([]byte(minimalXML))
	if err != nil {
		t.Fatal(err)
	}
	if b.Plugin.Name != "Min" || len(b.Queries) != 0 || len(b.Files) != 0 {
		t.Errorf("bundle = %+v", b)
	}
}

func TestLoadZip(t *testing.T) {
	queries := string(readTestdata(t, "students.named_queries.xml"))
	data := zipOf(t,
		"plugin.xml", minimalXML,
		"queries_root/", "",
		"queries_root/students.named_queries.xml", queries,
		"permissions_root/x.permission_mappings.xml", "<permission_mappings/>",
		"web_root/admin/home.partner.content.footer.txt", "hello",
		"MessageKeys/x.US_en.properties", "k=v",
		"README.md", "not installed",
		"__MACOSX/._plugin.xml", "junk",
	)
	b, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.Plugin.Name != "Min" {
		t.Errorf("plugin name = %q", b.Plugin.Name)
	}
	if len(b.Queries) != 1 || b.Queries[0].Name != "io.acme.roster.students.basic" || b.Queries[0].File != "queries_root/students.named_queries.xml" {
		t.Errorf("queries = %+v", b.Queries)
	}
	if got := string(b.Files["web_root/admin/home.partner.content.footer.txt"]); got != "hello" {
		t.Errorf("web file = %q", got)
	}
	if _, ok := b.Files["plugin.xml"]; ok {
		t.Error("Files should not hold plugin.xml")
	}
	if len(b.Files) != 4 {
		t.Errorf("files = %d, want 4: %v", len(b.Files), keys(b.Files))
	}
	if strings.Join(b.Skipped, ",") != "README.md,__MACOSX/._plugin.xml" {
		t.Errorf("skipped = %v", b.Skipped)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"top-level folder", zipOf(t, "myplugin/plugin.xml", minimalXML, "myplugin/queries_root/a.named_queries.xml", "<queries/>"),
			"plugin.xml is at myplugin/plugin.xml, inside a folder"},
		{"no plugin.xml", zipOf(t, "web_root/a.html", "x"), "no plugin.xml at the root"},
		{"empty zip", zipOf(t), "no plugin.xml at the root"},
		{"malformed plugin.xml", zipOf(t, "plugin.xml", "<plugin>\n<oops></plugin>"), "plugin.xml: line 2"},
		{"malformed queries", zipOf(t, "plugin.xml", minimalXML, "queries_root/a.named_queries.xml", "<queries>\n  <query"),
			"queries_root/a.named_queries.xml: line 2"},
		{"escaping path", zipOf(t, "plugin.xml", minimalXML, "web_root/../../etc/passwd", "x"), "escapes the zip root"},
		{"absolute path", zipOf(t, "plugin.xml", minimalXML, "/etc/passwd", "x"), "absolute path"},
		{"backslash path", zipOf(t, "plugin.xml", minimalXML, `web_root\..\x`, "x"), "backslashes"},
		{"duplicate entry", zipOf(t, "plugin.xml", minimalXML, "plugin.xml", minimalXML), "appears twice"},
		{"duplicate query", zipOf(t, "plugin.xml", minimalXML,
			"queries_root/a.named_queries.xml", `<queries><query name="a.b.c.d.e"/></queries>`,
			"queries_root/b.named_queries.xml", `<queries><query name="a.b.c.d.e"/></queries>`), `"a.b.c.d.e" is already defined in queries_root/a.named_queries.xml:1:10`},
		{"corrupt zip", []byte("PK\x03\x04garbage"), "cannot read it"},
		{"malformed bare XML", []byte("<plugin name='x'>\n  <publisher>"), "plugin.xml: line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Load(tt.data)
			if err == nil {
				t.Fatalf("Load succeeded (%+v), want error containing %q", b, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadRefusesZipBomb(t *testing.T) {
	// 80 MiB of zeros compresses to well under 1 MiB.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("plugin.xml")
	w.Write([]byte(minimalXML))
	w, _ = zw.Create("web_root/zeros.bin")
	zeros := make([]byte, 1<<20)
	for i := 0; i < 80; i++ {
		w.Write(zeros)
	}
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("test zip is %d bytes; expected strong compression", buf.Len())
	}
	_, err := Load(buf.Bytes())
	if err == nil || !strings.Contains(err.Error(), "web_root/zeros.bin") {
		t.Fatalf("err = %v, want refusal naming the oversized entry", err)
	}
}

func TestLoadRefusesLyingHeader(t *testing.T) {
	// An entry whose header claims a small size but inflates to more than
	// the budget must still be stopped by counting real bytes.
	data := zipOf(t, "plugin.xml", minimalXML, "web_root/big.bin", strings.Repeat("a", 1000))
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f := zr.File[1]
	if _, err := readEntry(f, 10); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("readEntry with a 10-byte budget: err = %v", err)
	}
	body, err := readEntry(f, 1000)
	if err != nil || len(body) != 1000 {
		t.Errorf("readEntry with exact budget: %d bytes, err %v", len(body), err)
	}
}

func TestLoadErrorIsSyntaxError(t *testing.T) {
	_, err := Load([]byte("<plugin>\n  <x>\n</plugin>"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 3 {
		t.Errorf("err = %v, want *SyntaxError at line 3", err)
	}
}
