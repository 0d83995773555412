package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A failed insert must stop the generator, name the table, and leave the
// store empty (one transaction), however far the writer had got.
func TestGenerateFailureRollsBack(t *testing.T) {
	s, err := Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// A trigger that fails on the 500th student stands in for any write error.
	if _, err := s.DB.Exec(`CREATE TRIGGER fail_students BEFORE INSERT ON STUDENTS WHEN NEW.ID = 500
		BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`); err != nil {
		t.Fatal(err)
	}
	err = s.Generate(context.Background(), Config{Seed: 1, Students: 2000})
	if err == nil || !strings.Contains(err.Error(), "inserting into STUDENTS") || !strings.Contains(err.Error(), "disk full (test)") {
		t.Fatalf("Generate error = %v; want one naming STUDENTS and the cause", err)
	}
	for _, table := range []string{"SCHOOLS", "STUDENTS", "USERS"} {
		if n := count(t, s.DB, "SELECT COUNT(*) FROM "+table); n != 0 {
			t.Errorf("%s holds %d rows after a failed seed; want 0", table, n)
		}
	}
	if seeded, err := s.Seeded(context.Background()); err != nil || seeded {
		t.Fatalf("Seeded() = %v, %v after a failed seed; want false", seeded, err)
	}
}

func TestGenerateCancelled(t *testing.T) {
	s, err := Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Generate(ctx, Config{Seed: 1, Students: 500}); err == nil {
		t.Fatal("Generate with a cancelled context succeeded; want an error")
	}
}

// Cancelling a seed under way stops it with the context's error and leaves
// the store empty.
func TestGenerateCancelledMidway(t *testing.T) {
	s, err := Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// 50,000 students take seconds to seed; cancel well before the end.
	time.AfterFunc(200*time.Millisecond, cancel)
	err = s.Generate(ctx, Config{Seed: 1, Students: 50_000})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate error = %v; want one wrapping context.Canceled", err)
	}
	if seeded, err := s.Seeded(context.Background()); err != nil || seeded {
		t.Fatalf("Seeded() = %v, %v after a cancelled seed; want false", seeded, err)
	}
}

// The largest district does not fit SQLite's default 1 GiB in-memory cap.
func TestMemdbLimitRaised(t *testing.T) {
	if memdbLimitErr != nil {
		t.Fatal(memdbLimitErr)
	}
}
