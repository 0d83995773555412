package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var students = []string{
	`{"id":5851,"local_id":114679,"name":{"first_name":"Ken","last_name":"TAKA"},"phones":{"main":{"number":"+41 79"}},"addresses":""}`,
	`{"id":7324,"local_id":565869,"name":{"first_name":"Best","middle_name":"Q","last_name":"TIRA, BALL"},"alerts":[],"gpa":3.10,"active":true,"note":null}`,
}

func write(t *testing.T, opts Options, recs ...string) (string, string) {
	t.Helper()
	var out, warn bytes.Buffer
	opts.Warn = &warn
	w, err := New(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(json.RawMessage(r)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Count() != len(recs) {
		t.Errorf("Count = %d, want %d", w.Count(), len(recs))
	}
	return out.String(), warn.String()
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		recs []string
		want string
	}{
		{"ndjson keeps numbers and order", Options{Format: NDJSON}, students,
			`{"id":5851,"local_id":114679,"name":{"first_name":"Ken","last_name":"TAKA"},"phones":{"main":{"number":"+41 79"}},"addresses":""}` + "\n" +
				`{"id":7324,"local_id":565869,"name":{"first_name":"Best","middle_name":"Q","last_name":"TIRA, BALL"},"alerts":[],"gpa":3.10,"active":true,"note":null}` + "\n"},
		{"ndjson fields in given order, nested", Options{Format: NDJSON, Fields: []string{"name.last_name", "id", "missing"}}, students[:1],
			`{"name":{"last_name":"TAKA"},"id":5851}` + "\n"},
		{"ndjson field naming an object", Options{Format: NDJSON, Fields: []string{"id", "phones"}}, students[:1],
			`{"id":5851,"phones":{"main":{"number":"+41 79"}}}` + "\n"},
		{"json array", Options{Format: JSON, Fields: []string{"id"}}, students,
			"[\n  {\n    \"id\": 5851\n  },\n  {\n    \"id\": 7324\n  }\n]\n"},
		{"json empty list", Options{Format: JSON}, nil, "[]\n"},
		{"json single object", Options{Format: JSON, Single: true}, []string{`{"a":{"b":1}}`}, "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n"},
		{"csv flattens in first-seen order", Options{Format: CSV}, students,
			"id,local_id,name.first_name,name.last_name,phones.main.number,addresses,name.middle_name,alerts,gpa,active,note\n" +
				"5851,114679,Ken,TAKA,'+41 79,,,,,,\n" +
				"7324,565869,Best,TIRA BALL,,,Q,,3.10,true,\n"},
		{"csv with fields", Options{Format: CSV, Fields: []string{"name.last_name", "id", "name"}}, students[:1],
			"name.last_name,id,name\nTAKA,5851,\"{\"\"first_name\"\":\"\"Ken\"\",\"\"last_name\"\":\"\"TAKA\"\"}\"\n"},
		{"csv with fields and no records still has a header", Options{Format: CSV, Fields: []string{"id", "name"}}, nil, "id,name\n"},
		{"csv no records no fields", Options{Format: CSV}, nil, ""},
		{"csv arrays by index", Options{Format: CSV}, []string{`{"a":[{"x":1},{"x":2}]}`}, "a.0.x,a.1.x\n1,2\n"},
		{"tsv when piped", Options{Format: Table, Fields: []string{"id", "name.last_name"}}, students,
			"id\tname.last_name\n5851\tTAKA\n7324\tTIRA, BALL\n"},
		{"tsv removes tabs and newlines", Options{Format: Table}, []string{`{"a":"x\ty\nz"}`}, "a\nx y z\n"},
		{"aligned table on a terminal", Options{Format: Table, TTY: true, Fields: []string{"id", "name.last_name", "name.first_name"}}, students,
			"ID    NAME.LAST_NAME  NAME.FIRST_NAME\n5851  TAKA            Ken\n7324  TIRA, BALL      Best\n"},
		{"key/value for one object", Options{Format: Table, TTY: true, Single: true}, []string{`{"id":1,"name":{"first":"Al"},"long_key":true}`},
			"id          1\nname.first  Al\nlong_key    true\n"},
		{"key/value piped", Options{Format: Table, Single: true, Fields: []string{"name.first"}}, []string{`{"id":1,"name":{"first":"Al"}}`},
			"name.first\tAl\n"},
		{"top-level scalar", Options{Format: CSV}, []string{`42`}, "value\n42\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := write(t, tt.opts, tt.recs...)
			if tt.name == "csv flattens in first-seen order" {
				// Compare parsed CSV so quoting is checked by a reader.
				rows, err := csv.NewReader(strings.NewReader(got)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if rows[2][3] != "TIRA, BALL" {
					t.Errorf("comma in a value not preserved: %q", rows[2][3])
				}
				got = strings.Replace(got, `"TIRA, BALL"`, "TIRA BALL", 1)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTableTruncatesLongCells(t *testing.T) {
	long := strings.Repeat("é", 60)
	got, _ := write(t, Options{Format: Table, TTY: true}, fmt.Sprintf(`{"a":%q}`, long))
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if n := len([]rune(lines[1])); n != MaxCellWidth || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("cell %q has %d runes, want %d ending in …", lines[1], n, MaxCellWidth)
	}
}

func TestCSVColumnsFromSampleWarnsAboutLaterKeys(t *testing.T) {
	var recs []string
	for i := range HeaderSample + 5 {
		if i == HeaderSample+2 {
			recs = append(recs, `{"id":1,"late":"x"}`)
			continue
		}
		recs = append(recs, fmt.Sprintf(`{"id":%d}`, i))
	}
	recs[HeaderSample-1] = `{"id":99,"early":"y"}` // last of the sample still counts
	got, warn := write(t, Options{Format: CSV}, recs...)
	rows, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"id", "early"}, rows[0]); diff != "" {
		t.Errorf("header: %s", diff)
	}
	if len(rows) != len(recs)+1 {
		t.Errorf("%d rows, want %d", len(rows), len(recs)+1)
	}
	if !strings.Contains(warn, "late") || !strings.Contains(warn, "--fields") {
		t.Errorf("warning = %q, want it to name the dropped column and --fields", warn)
	}
}

// countingWriter reports how much has reached the destination.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func TestStreamingWritesBeforeClose(t *testing.T) {
	for _, f := range []Format{NDJSON, CSV, Table, JSON} {
		t.Run(string(f), func(t *testing.T) {
			cw := &countingWriter{}
			w, err := New(cw, Options{Format: f})
			if err != nil {
				t.Fatal(err)
			}
			rec := json.RawMessage(`{"id":1,"name":{"first_name":"` + strings.Repeat("x", 1000) + `"}}`)
			for range 500 {
				if err := w.Write(rec); err != nil {
					t.Fatal(err)
				}
			}
			if cw.n == 0 {
				t.Error("nothing written before Close: output is not streamed")
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRecordKinds(t *testing.T) {
	type name struct {
		Last string `json:"last_name"`
	}
	type student struct {
		ID   int  `json:"id"`
		Name name `json:"name"`
	}
	var out bytes.Buffer
	w, _ := New(&out, Options{Format: CSV})
	for _, r := range []any{student{1, name{"A"}}, map[string]any{"name": map[string]any{"last_name": "B"}, "id": json.Number("2")}, []byte(`{"id":3}`)} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	want := "id,name.last_name\n1,A\n2,B\n3,\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestInvalidRecord(t *testing.T) {
	for _, f := range []Format{JSON, NDJSON, CSV, Table} {
		w, _ := New(io.Discard, Options{Format: f})
		if err := w.Write(json.RawMessage(`{"a":`)); err == nil {
			t.Errorf("%s: invalid JSON accepted", f)
		}
	}
}

func TestParseFormatAndFields(t *testing.T) {
	if f, err := ParseFormat("CSV"); err != nil || f != CSV {
		t.Errorf("ParseFormat(CSV) = %v, %v", f, err)
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "ndjson") {
		t.Errorf("ParseFormat(xml) error = %v", err)
	}
	got, err := ParseFields(" id, name.last_name ,id")
	if err != nil || !cmp.Equal(got, []string{"id", "name.last_name"}) {
		t.Errorf("ParseFields = %v, %v", got, err)
	}
	for _, bad := range []string{"a,,b", ".a", "a.", "a..b"} {
		if _, err := ParseFields(bad); err == nil {
			t.Errorf("ParseFields(%q) accepted", bad)
		}
	}
	if got, err := ParseFields(""); got != nil || err != nil {
		t.Errorf("ParseFields(\"\") = %v, %v", got, err)
	}
}

// BenchmarkCSVMillion shows CSV memory stays flat: run with -benchmem and
// compare B/op across b.N.
func BenchmarkCSV(b *testing.B) {
	w, _ := New(io.Discard, Options{Format: CSV})
	rec := json.RawMessage(students[1])
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
}

func BenchmarkNDJSON(b *testing.B) {
	w, _ := New(io.Discard, Options{Format: NDJSON})
	rec := json.RawMessage(students[1])
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
}
