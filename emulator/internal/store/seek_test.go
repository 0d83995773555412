package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func offsetKeys(t *testing.T, s *Store, where string, offset, limit int64) []int64 {
	t.Helper()
	rows, err := s.DB.Query(`SELECT DCID FROM STUDENTS WHERE `+where+` ORDER BY DCID LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var k int64
		rows.Scan(&k)
		out = append(out, k)
	}
	return out
}

// TestPageKeysMatchesOffset checks seek paging against plain OFFSET paging,
// pages asked in any order, before and after the table changes.
func TestPageKeysMatchesOffset(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Generate(ctx, Config{Seed: 4, Students: 2000}); err != nil {
		t.Fatal(err)
	}
	if err := s.TrackChanges(ctx); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(round int) {
		for _, where := range []string{"1=1", "GRADE_LEVEL >= 6"} {
			for _, page := range append([]int64{0, 1, 2, 3, 4, 5, 19, 20, 21}, rng.Int64N(25), rng.Int64N(25), 3, 2, 40) {
				got, err := s.PageKeys(ctx, KeyPage{From: "STUDENTS", Key: "DCID", Where: where, Offset: page * 100, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if want := offsetKeys(t, s, where, page*100, 100); !slices.Equal(got, want) {
					t.Fatalf("round %d, %s, page %d: %d keys from %v, want %d from %v", round, where, page, len(got), first(got), len(want), first(want))
				}
			}
		}
	}
	check(0)
	// Deleting and adding students moves every later page's boundary.
	err = s.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM STUDENTS WHERE DCID IN (SELECT DCID FROM STUDENTS WHERE DCID NOT IN (SELECT STUDENTSDCID FROM U_STUDENTSUSERFIELDS) AND DCID NOT IN (SELECT STUDENTSDCID FROM STUDENTCOREFIELDS) ORDER BY DCID LIMIT 7)`); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO STUDENTS (DCID, ID, GRADE_LEVEL) VALUES (999999, 999999, 9)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	check(1)
}

func first(k []int64) any {
	if len(k) == 0 {
		return "nothing"
	}
	return k[0]
}

// BenchmarkDeepPage serves page 1 and page 500 (of 1000-key pages) of a
// 500,000-student district after a pull has reached them: with seek paging
// both cost the same. offset-page500 is the former plain OFFSET query.
func BenchmarkDeepPage(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Generate(ctx, Config{Seed: 1, Students: 500_000}); err != nil {
		b.Fatal(err)
	}
	for _, page := range []int64{0, 499} {
		b.Run(fmt.Sprintf("page%d", page+1), func(b *testing.B) {
			for p := range page + 1 { // the pull so far
				s.PageKeys(ctx, KeyPage{From: "STUDENTS", Key: "DCID", Offset: p * 1000, Limit: 1000})
			}
			for b.Loop() {
				if _, err := s.PageKeys(ctx, KeyPage{From: "STUDENTS", Key: "DCID", Offset: page * 1000, Limit: 1000}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("offset-page500", func(b *testing.B) {
		for b.Loop() {
			rows, err := s.DB.QueryContext(ctx, `SELECT DCID FROM STUDENTS ORDER BY DCID LIMIT 1000 OFFSET 499000`)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
		}
	})
}

// TestTrackChangesUpgradesOldFiles: a database file from before the cursor
// columns gets them, and its writes are stamped.
func TestTrackChangesUpgradesOldFiles(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/old.db"
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE STUDENTS (DCID INTEGER PRIMARY KEY, ID INTEGER NOT NULL UNIQUE, LAST_NAME TEXT)`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.TrackChanges(ctx); err != nil {
		t.Fatal(err)
	}
	err = s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO STUDENTS (DCID, ID, LAST_NAME) VALUES (1, 1, 'X')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var stamp sql.NullString
	if err := s.DB.QueryRow(`SELECT TRANSACTION_DATE FROM STUDENTS`).Scan(&stamp); err != nil || !stamp.Valid {
		t.Errorf("stamp %v, %v", stamp, err)
	}
}
