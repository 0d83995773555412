package emulator

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pskit/pskit/emulator/internal/store"
)

// exec runs one statement on the store's single write path.
func (s *Server) exec(query string, args ...any) (sql.Result, error) {
	ctx := context.Background()
	var res sql.Result
	err := s.store.Write(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// AddStudent enrols a new student, as a registrar would in PowerSchool's
// UI, and returns its DCID. Like PowerSchool, it takes the next DCID, so the
// new record sorts after every existing one. Tests use it (with
// DeleteStudent) to change the district while a client is paging.
func (s *Server) AddStudent(ctx context.Context, firstName, lastName string) (int64, error) {
	var dcid int64
	err := s.store.Write(ctx, func(tx *sql.Tx) error {
		var id, number, school int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(DCID), 0) + 1, COALESCE(MAX(ID), 0) + 1, COALESCE(MAX(STUDENT_NUMBER), 0) + 1,
		COALESCE((SELECT SCHOOL_NUMBER FROM SCHOOLS ORDER BY DCID LIMIT 1), 0) FROM STUDENTS`).Scan(&dcid, &id, &number, &school)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO STUDENTS (DCID, ID, STUDENT_NUMBER, FIRST_NAME, LAST_NAME, LASTFIRST, GRADE_LEVEL, SCHOOLID, ENROLL_STATUS, ENTRYDATE)
			VALUES (?, ?, ?, ?, ?, ?, 9, ?, 0, ?)`, dcid, id, number, firstName, lastName, lastName+", "+firstName, school, s.store.Now().Format(time.DateOnly))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("emulator: adding a student: %w", err)
	}
	return dcid, nil
}

// DeleteStudent removes the student with this DCID and its extension rows.
func (s *Server) DeleteStudent(ctx context.Context, dcid int64) error {
	var n int64
	err := s.store.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM U_STUDENTSUSERFIELDS WHERE STUDENTSDCID = ?`, `DELETE FROM STUDENTCOREFIELDS WHERE STUDENTSDCID = ?`, `DELETE FROM STUDENTS WHERE DCID = ?`} {
			res, err := tx.ExecContext(ctx, q, dcid)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
		}
		if n == 0 {
			return errNoRows // roll back (nothing was deleted anyway)
		}
		return nil
	})
	if n == 0 && err == errNoRows {
		return fmt.Errorf("emulator: no student with DCID %d", dcid)
	}
	if err != nil {
		return fmt.Errorf("emulator: deleting student %d: %w", dcid, err)
	}
	return nil
}

var errNoRows = sql.ErrNoRows

// Now is the emulator's data clock: the time TRANSACTION_DATE and
// WHENMODIFIED take on the next write. It follows Options.Clock (or the
// wall clock), shifted by AdvanceClock and SetClock.
func (s *Server) Now() time.Time { return s.store.Now() }

// AdvanceClock moves the data clock forward by d and returns the new time.
// Only data stamps follow it; tokens and the throttle keep Options.Clock.
func (s *Server) AdvanceClock(d time.Duration) time.Time { return s.store.AdvanceClock(d) }

// SetClock sets the data clock to t; it runs on from there.
func (s *Server) SetClock(t time.Time) time.Time { return s.store.SetClock(t) }

// Mutation asks Mutate for a day's worth of changes.
type Mutation = store.Mutation

// MutationResult says what Mutate changed, per table.
type MutationResult = store.MutationResult

// Mutate changes the district as a school day would: new students with
// their schedules, withdrawn students with their enrolments ended,
// schedule changes, attendance and grades. The same Mutation on the same
// district makes the same changes.
func (s *Server) Mutate(ctx context.Context, m Mutation) (MutationResult, error) {
	r, err := s.store.Mutate(ctx, m)
	if err != nil {
		return r, fmt.Errorf("emulator: mutate: %w", err)
	}
	return r, nil
}
