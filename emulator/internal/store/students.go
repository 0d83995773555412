package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AddStudent enrols a new active grade-9 student at the first school, as
// a registrar would, taking the next DCID, ID and student number, and
// returns its DCID.
func (s *Store) AddStudent(ctx context.Context, firstName, lastName string) (int64, error) {
	var dcid int64
	err := s.Write(ctx, func(tx *sql.Tx) error {
		var id, number, school int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(DCID), 0) + 1, COALESCE(MAX(ID), 0) + 1, COALESCE(MAX(STUDENT_NUMBER), 0) + 1,
		COALESCE((SELECT SCHOOL_NUMBER FROM SCHOOLS ORDER BY DCID LIMIT 1), 0) FROM STUDENTS`).Scan(&dcid, &id, &number, &school)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO STUDENTS (DCID, ID, STUDENT_NUMBER, FIRST_NAME, LAST_NAME, LASTFIRST, GRADE_LEVEL, SCHOOLID, ENROLL_STATUS, ENTRYDATE)
			VALUES (?, ?, ?, ?, ?, ?, 9, ?, 0, ?)`, dcid, id, number, firstName, lastName, lastName+", "+firstName, school, s.Now().Format(time.DateOnly))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("adding a student: %w", err)
	}
	return dcid, nil
}

// DeleteStudent removes the student with this DCID and its extension
// rows; ErrNotFound when there is none.
func (s *Store) DeleteStudent(ctx context.Context, dcid int64) error {
	err := s.Write(ctx, func(tx *sql.Tx) error {
		var n int64
		for _, q := range []string{`DELETE FROM U_STUDENTSUSERFIELDS WHERE STUDENTSDCID = ?`, `DELETE FROM STUDENTCOREFIELDS WHERE STUDENTSDCID = ?`, `DELETE FROM STUDENTS WHERE DCID = ?`} {
			res, err := tx.ExecContext(ctx, q, dcid)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
		}
		if n == 0 {
			return ErrNotFound // rolls back (nothing was deleted anyway)
		}
		return nil
	})
	if err != nil && err != ErrNotFound {
		return fmt.Errorf("deleting student %d: %w", dcid, err)
	}
	return err
}
