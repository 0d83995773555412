package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Whatever reaches the destination is whole records, at every moment and
// after Abort: a failed pull never leaves a line cut at a buffer boundary.
func TestWholeRecordsOnly(t *testing.T) {
	for _, f := range []Format{NDJSON, CSV, Table} {
		t.Run(string(f), func(t *testing.T) {
			var out bytes.Buffer
			w, err := New(&out, Options{Format: f, Fields: []string{"id", "note"}})
			if err != nil {
				t.Fatal(err)
			}
			note := strings.Repeat("x", 97)
			for i := range 3000 {
				if err := w.Write(json.RawMessage(fmt.Sprintf(`{"id":%d,"note":"%s"}`, i, note))); err != nil {
					t.Fatal(err)
				}
				if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
					t.Fatalf("after record %d the output ends in the middle of a line: %q", i, out.Bytes()[out.Len()-20:])
				}
			}
			if out.Len() == 0 {
				t.Fatal("nothing passed on after 300 KB of records")
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			want := 3000
			if f != NDJSON {
				want++ // header
			}
			if len(lines) != want {
				t.Fatalf("after Abort: %d lines, want %d", len(lines), want)
			}
		})
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	rec := `{"id":-3,"a":"=HYPERLINK(\"http://x\",\"y\")","b":"+1 555","c":"-2+3","d":"@SUM(A1)","e":"\tx","f":"\rx","g":"plain","h":"a=b"}`
	out, _ := write(t, Options{Format: CSV}, rec)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-3", `'=HYPERLINK("http://x","y")`, "'+1 555", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "plain", "a=b"}
	if fmt.Sprint(rows[1]) != fmt.Sprint(want) {
		t.Errorf("cells = %q, want %q", rows[1], want)
	}
	raw, _ := write(t, Options{Format: CSV, CSVRaw: true}, rec)
	rows, _ = csv.NewReader(strings.NewReader(raw)).ReadAll()
	if rows[1][1] != `=HYPERLINK("http://x","y")` {
		t.Errorf("CSVRaw cell = %q, want it unchanged", rows[1][1])
	}
}

func TestTableEscapesControlCharacters(t *testing.T) {
	rec := `{"name":"\u001b]0;pwned\u0007\u001b[31mred\u009b\u007f"}`
	for _, tty := range []bool{true, false} {
		out, _ := write(t, Options{Format: Table, TTY: tty}, rec)
		if strings.ContainsAny(out, "\x1b\x07\x7f\u009b") {
			t.Errorf("tty=%v: control characters reached the terminal: %q", tty, out)
		}
		if !strings.Contains(out, `\x1b]0;pwned\x07\x1b[31mred\u009b\x7f`) {
			t.Errorf("tty=%v: escaped text not shown: %q", tty, out)
		}
		single, _ := write(t, Options{Format: Table, TTY: tty, Single: true}, rec)
		if strings.Contains(single, "\x1b") {
			t.Errorf("tty=%v single: ESC reached the terminal: %q", tty, single)
		}
	}
}
