package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestJQPrintsEachResult(t *testing.T) {
	out, _ := write(t, Options{JQ: `.id, .name.last_name, {n: .local_id}`}, students...)
	want := "5851\nTAKA\n{\"n\":114679}\n7324\nTIRA, BALL\n{\"n\":565869}\n"
	if out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

// Numbers pass through jq exactly, not as float64.
func TestJQKeepsNumbersExact(t *testing.T) {
	out, _ := write(t, Options{JQ: `.big, .gpa`}, `{"big":12345678901234567890,"gpa":3.10}`)
	if out != "12345678901234567890\n3.10\n" {
		t.Errorf("got %q", out)
	}
}

func TestJQErrorsNameTheRecord(t *testing.T) {
	var out bytes.Buffer
	w, err := New(&out, Options{JQ: `.name | keys`})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(json.RawMessage(`{"name":{"a":1}}`)); err != nil {
		t.Fatal(err)
	}
	err = w.Write(json.RawMessage(`{"name":"x"}`))
	if err == nil || !strings.Contains(err.Error(), "--jq: record 2") {
		t.Errorf("err = %v", err)
	}
	if _, err := New(&out, Options{JQ: `.[`}); err == nil || !strings.Contains(err.Error(), "invalid --jq expression") {
		t.Errorf("bad expression: %v", err)
	}
}

func TestTemplatePerRecord(t *testing.T) {
	out, _ := write(t, Options{Template: `{{.id}} {{.name.last_name | upper}}`}, students...)
	if out != "5851 TAKA\n7324 TIRA, BALL\n" {
		t.Errorf("got %q", out)
	}
	out, _ = write(t, Options{Template: "{{json .name}}\n"}, students[0])
	if out != `{"first_name":"Ken","last_name":"TAKA"}`+"\n" {
		t.Errorf("json func: %q", out)
	}
	if _, err := New(&bytes.Buffer{}, Options{Template: `{{.id`}); err == nil || !strings.Contains(err.Error(), "invalid --template") {
		t.Errorf("bad template: %v", err)
	}
}

// A failed run passes on only whole records' output.
func TestJQAbortKeepsWholeRecords(t *testing.T) {
	var out bytes.Buffer
	w, _ := New(&out, Options{JQ: `.id`})
	w.Write(json.RawMessage(students[0]))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "5851\n" {
		t.Errorf("got %q", out.String())
	}
}

func TestFormatForFile(t *testing.T) {
	for name, want := range map[string]Format{"s.csv": CSV, "dir.x/S.JSON": JSON, "a.ndjson": NDJSON, "a.jsonl": NDJSON, "t.tsv": Table, "t.txt": Table} {
		if got, ok := FormatForFile(name); !ok || got != want {
			t.Errorf("FormatForFile(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "csv", "dir.csv/out", "s.xlsx"} {
		if got, ok := FormatForFile(name); ok {
			t.Errorf("FormatForFile(%q) = %q, want none", name, got)
		}
	}
}

// FormatForFile never panics, and a format it names is one ParseFormat accepts.
func FuzzFormatForFile(f *testing.F) {
	for _, s := range []string{"s.csv", "a/b.JSONL", ".", "x.", "dir.csv/", `c:\out.tsv`, "csv", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, ok := FormatForFile(name); ok {
			if _, err := ParseFormat(string(got)); err != nil {
				t.Errorf("FormatForFile(%q) = %q, not a format", name, got)
			}
		}
	})
}
