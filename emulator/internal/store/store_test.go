package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func openSeeded(t testing.TB, path string, students int, seed int64) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Generate(context.Background(), Config{Seed: seed, Students: students}); err != nil {
		t.Fatal(err)
	}
	return s
}

func count(t testing.TB, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// eachRow runs q and calls fn with each row's values; it returns the number
// of rows.
func eachRow(t testing.TB, db *sql.DB, q string, fn func(vals []any)) int {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fn(vals)
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGenerateShape(t *testing.T) {
	s := openSeeded(t, "", 1200, 7)
	db := s.DB
	if n := count(t, db, "SELECT COUNT(*) FROM STUDENTS"); n != 1200 {
		t.Fatalf("students = %d, want 1200", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM SCHOOLS WHERE SCHOOL_NUMBER = 999999 AND NAME = 'Graduated Students'"); n != 1 {
		t.Fatalf("graduated school rows = %d, want 1", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM STUDENTS WHERE SCHOOLID = 999999 AND (GRADE_LEVEL <> 99 OR ENROLL_STATUS <> 3)"); n != 0 {
		t.Fatalf("%d graduates without grade 99 / status 3", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM STUDENTS WHERE SCHOOLID = 999999"); n == 0 {
		t.Fatal("no graduated students")
	}
	// Every enrolment points at a real section and student.
	if n := count(t, db, "SELECT COUNT(*) FROM CC LEFT JOIN SECTIONS s ON s.ID = ABS(CC.SECTIONID) WHERE s.ID IS NULL"); n != 0 {
		t.Fatalf("%d CC rows without a section", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM CC LEFT JOIN STUDENTS s ON s.ID = CC.STUDENTID WHERE s.ID IS NULL"); n != 0 {
		t.Fatalf("%d CC rows without a student", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM CC WHERE SECTIONID < 0"); n == 0 {
		t.Fatal("no dropped enrolments")
	}
	if n := count(t, db, "SELECT COUNT(*) FROM SECTIONS s LEFT JOIN TEACHERS t ON t.ID = s.TEACHER WHERE t.ID IS NULL"); n != 0 {
		t.Fatalf("%d sections without a teacher", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM SECTIONS s LEFT JOIN TERMS t ON t.ID = s.TERMID AND t.SCHOOLID = s.SCHOOLID WHERE t.DCID IS NULL"); n != 0 {
		t.Fatalf("%d sections without a term", n)
	}
	for _, table := range []string{"U_STUDENTSUSERFIELDS", "STUDENTCOREFIELDS", "FEE", "USERS", "COURSES", "TERMS", "PREFS"} {
		if n := count(t, db, "SELECT COUNT(*) FROM "+table); n == 0 {
			t.Errorf("%s is empty", table)
		}
	}
	for _, col := range []string{"ALERT_MEDICAL", "DOCTOR_NAME", "MIDDLE_NAME"} {
		if n := count(t, db, "SELECT COUNT(*) FROM STUDENTS WHERE "+col+" IS NOT NULL"); n == 0 || n == 1200 {
			t.Errorf("%s is set on %d of 1200 students; want some but not all", col, n)
		}
	}
}

// The same seed gives the same district, every row of every table; another
// seed gives another.
func TestGenerateDeterministic(t *testing.T) {
	digest := func(seed int64) string {
		s := openSeeded(t, "", 300, seed)
		tables, err := s.DB.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for tables.Next() {
			var n string
			if err := tables.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		tables.Close()
		h := sha256.New()
		for _, n := range names {
			rowCount := eachRow(t, s.DB, "SELECT * FROM "+n+" ORDER BY rowid", func(vals []any) {
				fmt.Fprintf(h, "%s %v\n", n, vals)
			})
			if rowCount == 0 && !strings.HasPrefix(n, "EMU_") && n != "PLUGINDEF" {
				t.Errorf("seed %d: %s is empty", seed, n)
			}
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	a, b, c := digest(1), digest(1), digest(2)
	if a != b {
		t.Fatal("the same seed produced different districts")
	}
	if a == c {
		t.Fatal("different seeds produced the same district")
	}
}

func TestFilePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "district.db")
	s := openSeeded(t, path, 50, 1)
	s.Close()
	again, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	seeded, err := again.Seeded(context.Background())
	if err != nil || !seeded {
		t.Fatalf("Seeded() = %v, %v; want true", seeded, err)
	}
	if n := count(t, again.DB, "SELECT COUNT(*) FROM STUDENTS"); n != 50 {
		t.Fatalf("reopened students = %d, want 50", n)
	}
}

var benchStudents = flag.Int("students", 100_000, "district size for BenchmarkGenerate")

// BenchmarkGenerate seeds a district in memory, 100,000 students unless
// -students says otherwise.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		s, err := Open(context.Background(), "")
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Generate(context.Background(), Config{Seed: 1, Students: *benchStudents}); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
