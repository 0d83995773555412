package fiql

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"
)

func TestParse(t *testing.T) {
	got, err := Schema.Parse("students.grade_level=ge=8;students.enroll_status==0;cc.course_number==M%26Ms;x.y==\\u0000;a.b!=Sm*")
	if err != nil {
		t.Fatal(err)
	}
	want := []Condition{
		{Selector: "students.grade_level", Op: "=ge=", Values: []string{"8"}},
		{Selector: "students.enroll_status", Op: "==", Values: []string{"0"}},
		{Selector: "cc.course_number", Op: "==", Values: []string{"M&Ms"}},
		{Selector: "x.y", Op: "==", Null: true},
		{Selector: "a.b", Op: "!=", Values: []string{"Sm*"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
	if c, _ := Schema.Parse("a==\x00"); len(c) != 1 || !c[0].Null {
		t.Errorf("a NUL character should be the null marker, got %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"a==1,b==2":    "OR",
		"(a==1)":       "parentheses",
		"a=1":          "no operator",
		"==1":          "no field",
		"a==1;;b==2":   "empty condition",
		"a==%zz":       "URL encoding",
		"a=gt=\\u0000": "null",
		"a b==1":       "may hold only",
		"a==":          "no value",
	} {
		_, err := Schema.Parse(in)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v; want a SyntaxError mentioning %q", in, err, want)
		}
	}
}

func TestWhereOnSQLite(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE s (id INTEGER, grade INTEGER, web TEXT, name TEXT, dob TEXT);
		INSERT INTO s VALUES (1, 9, '123', 'Smith', '2010-01-02'), (2, 10, 'abc', 'smithers', NULL),
		(3, 11, 'x[1]', 'Jones', '2009-05-06'), (4, NULL, 'a?b', 'Sm*th', '2011-01-01')`); err != nil {
		t.Fatal(err)
	}
	resolve := func(sel string) (string, error) {
		switch strings.ToLower(sel) {
		case "s.grade", "s.web", "s.name", "s.dob":
			return strings.TrimPrefix(strings.ToLower(sel), "s."), nil
		}
		return "", fmt.Errorf("%w %q", ErrUnknownField, sel)
	}
	for q, want := range map[string]string{
		"s.grade=ge=10":                  "2,3",
		"s.grade==9":                     "1",
		"s.web==123":                     "1",
		"s.name==Sm*":                    "1,4",
		"s.name!=Sm*":                    "2,3",
		"s.name==Sm%2Ath":                "1,4",
		"s.web==x[1]":                    "3",
		"s.web==a?b":                     "4",
		"s.dob==\\u0000":                 "2",
		"s.grade!=\\u0000;s.grade=lt=11": "1,2",
		"s.dob=gt=2010-01-01":            "1,4",
		"s.name=le=Jones":                "3",
	} {
		conds, err := Schema.Parse(q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		where, args, err := Schema.Where(conds, Columns(resolve))
		if err != nil {
			t.Fatalf("Where(%q): %v", q, err)
		}
		rows, err := db.Query("SELECT id FROM s WHERE "+where+" ORDER BY id", args...)
		if err != nil {
			t.Fatalf("%q -> %s: %v", q, where, err)
		}
		var ids []string
		for rows.Next() {
			var id string
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if got := strings.Join(ids, ","); got != want {
			t.Errorf("%q matched %q; want %q", q, got, want)
		}
	}
	conds, _ := Schema.Parse("s.nope==1")
	if _, _, err := Schema.Where(conds, Columns(resolve)); !errors.Is(err, ErrUnknownField) {
		t.Errorf("unknown field: err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a.b==1", "a=ge=2;b.c!=x*", "a==\\u0000", "a==1,b==2", "(a==1)", "a==%41", ";", "=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		conds, err := Schema.Parse(q)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %v is not a SyntaxError", q, err)
			}
			return
		}
		where, args, err := Schema.Where(conds, Columns(func(sel string) (string, error) { return "col", nil }))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(where, "?") != len(args) {
			t.Fatalf("Where(%q) has %d placeholders for %d args: %s", q, strings.Count(where, "?"), len(args), where)
		}
		for _, c := range conds {
			if strings.ContainsAny(c.Selector, "'\";() ") {
				t.Fatalf("selector %q would reach SQL unchecked", c.Selector)
			}
		}
	})
}
