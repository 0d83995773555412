package oraclesql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

func TestTranslate(t *testing.T) {
	cases := []struct{ in, want string }{
		{"select nvl(a, 0) from t where x = :Arg", "select IFNULL(a, 0) from t where x = :arg"},
		{"select 'nvl(' || x from t", "select 'nvl(' || x from t"},
		{"select sysdate from dual", "select datetime('now','localtime') from (SELECT 'X' AS DUMMY)"},
		{"select a from t minus select a from u", "select a from t EXCEPT select a from u"},
		{"select * from students where <@restricted_table table=\"students\" selector=\"selectedstudents\"/> and x=1", "select * from students where 1=1 and x=1"},
		{"select * from t where d > DATE '2024-01-01'", "select * from t where d >  '2024-01-01'"},
		{"select ':notbind' , \"Col\" from t -- trailing :x\n", "select ':notbind' , \"Col\" from t  \n"},
		{"select nvl from t", "select nvl from t"},
	}
	for _, c := range cases {
		st, err := Translate(c.in)
		if err != nil {
			t.Errorf("Translate(%q): %v", c.in, err)
			continue
		}
		if got := st.SQL(); got != c.want {
			t.Errorf("Translate(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestTranslateRefuses(t *testing.T) {
	for _, in := range []string{
		"select * from t where rownum <= 10",
		"select * from a, b where a.id = b.id(+)",
		"select * from t connect by prior id = parent",
		"select * from t where schoolid = ~(curschoolid)",
		"select 'unterminated from t",
		"select /* open comment from t",
	} {
		_, err := Translate(in)
		if err == nil {
			t.Errorf("Translate(%q) succeeded; want an error", in)
			continue
		}
		if strings.Contains(in, "rownum") {
			var u *UnsupportedError
			if !errors.As(err, &u) || !strings.Contains(err.Error(), "ROWNUM") {
				t.Errorf("Translate(%q) = %v; want an UnsupportedError naming ROWNUM", in, err)
			}
		}
	}
}

func TestExpandArrays(t *testing.T) {
	st, err := Translate("select * from t where a in (:ids) and b = :one and c in (:none)")
	if err != nil {
		t.Fatal(err)
	}
	got := st.Expand(map[string]int{"ids": 3, "none": 0})
	want := "select * from t where a in (:ids_0, :ids_1, :ids_2) and b = :one and c in (NULL)"
	if got != want {
		t.Errorf("Expand:\n got %q\nwant %q", got, want)
	}
	if strings.Join(st.Binds, ",") != "ids,one,none" {
		t.Errorf("Binds = %v", st.Binds)
	}
}

func openDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestFunctionsInSQLite(t *testing.T) {
	db := openDB(t)
	cases := []struct{ expr, want string }{
		{"DECODE(1, 1, 'one', 2, 'two', 'other')", "one"},
		{"DECODE('2', 1, 'one', 2, 'two', 'other')", "two"},
		{"DECODE(3, 1, 'one', 'other')", "other"},
		{"IFNULL(DECODE(NULL, NULL, 'null'), 'x')", "null"},
		{"IFNULL(DECODE(5, 1, 'one'), 'none')", "none"},
		{"NVL2(NULL, 'a', 'b')", "b"},
		{"TO_CHAR('2024-03-05', 'YYYY-MM-DD')", "2024-03-05"},
		{"TO_CHAR('2024-03-05', 'MM/DD/YYYY')", "03/05/2024"},
		{"TO_CHAR('2024-03-05 14:07:09', 'fmMonth DD, YYYY HH12:MI PM')", "March 5, 2024 2:7 PM"}, // FM drops leading zeros of every later number, as in Oracle,
		{"TO_CHAR('2024-03-05', 'DY Mon')", "TUE Mar"},
		{"TO_CHAR(42)", "42"},
		{"TO_DATE('03/05/2024', 'MM/DD/YYYY')", "2024-03-05"},
		{"TO_DATE('5-MAR-2024', 'DD-MON-YYYY')", "2024-03-05"},
		{"TO_NUMBER('12.50')", "12.5"},
		{"TRUNC('2024-03-05 10:00:00')", "2024-03-05"},
		{"TRUNC('2024-03-05', 'MM')", "2024-03-01"},
		{"TRUNC(12.789, 1)", "12.7"},
		{"LPAD('7', 3, '0')", "007"},
		{"RPAD('ab', 4, '.')", "ab.."},
		{"INITCAP('mary-jo smith')", "Mary-Jo Smith"},
		{"ADD_MONTHS('2024-01-31', 1)", "2024-02-29"},
	}
	for _, c := range cases {
		var got sql.NullString
		if err := db.QueryRow("SELECT " + c.expr).Scan(&got); err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got.String != c.want {
			t.Errorf("%s = %q; want %q", c.expr, got.String, c.want)
		}
	}
	for _, bad := range []string{"TO_CHAR('2024-01-01', 'YYYY-XX')", "TO_DATE('31/31/2024', 'MM/DD/YYYY')", "TO_NUMBER('abc')", "DECODE(1, 2)"} {
		var s sql.NullString
		if err := db.QueryRow("SELECT " + bad).Scan(&s); err == nil {
			t.Errorf("%s succeeded with %q; want an error", bad, s.String)
		}
	}
}

func TestTranslatedQueryRuns(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE STUDENTS (DCID INTEGER PRIMARY KEY, LAST_NAME TEXT, GENDER TEXT, DOB TEXT);
		INSERT INTO STUDENTS VALUES (1, 'Ames', 'F', '2010-04-02'), (2, NULL, 'M', NULL)`); err != nil {
		t.Fatal(err)
	}
	st, err := Translate(`select s.dcid, nvl(s.last_name, '(none)'), decode(s.gender, 'F', 'Female', 'M', 'Male', 'Unknown'),
		to_char(s.dob, 'MM/DD/YYYY') from students s where s.dcid in (:ids) order by s.dcid`)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, st.Expand(map[string]int{"ids": 2}), sql.Named("ids_0", 1), sql.Named("ids_1", 2))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id int
		var name, g string
		var dob sql.NullString
		if err := rows.Scan(&id, &name, &g, &dob); err != nil {
			t.Fatal(err)
		}
		got = append(got, name+"|"+g+"|"+dob.String)
	}
	want := "Ames|Female|04/02/2010,(none)|Male|"
	if strings.Join(got, ",") != want {
		t.Errorf("rows = %q; want %q", strings.Join(got, ","), want)
	}
}

func FuzzTranslate(f *testing.F) {
	for _, s := range []string{"select nvl(a,1) from t where b = :x", "select 'it''s' from dual", "select \"a\"\"b\" from t /* c */ -- d", ":", "(+", "<@restricted_table table=\"students\"/>", "DATE '2020-01-01'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := Translate(s)
		if err != nil {
			return
		}
		// The output is well-formed (no literal left open), and re-translating
		// it finds the same binds: translation never invents or loses one.
		again, err := Translate(st.SQL())
		if err != nil {
			t.Fatalf("translated SQL %q does not translate again: %v", st.SQL(), err)
		}
		if strings.Join(again.Binds, ",") != strings.Join(st.Binds, ",") {
			t.Fatalf("binds changed: %v -> %v", st.Binds, again.Binds)
		}
		for _, b := range st.Binds {
			if !strings.Contains(strings.ToLower(s), ":"+b) {
				t.Fatalf("bind %q not in input %q", b, s)
			}
		}
		_ = st.Expand(map[string]int{"x": 2, "y": 0})
	})
}
