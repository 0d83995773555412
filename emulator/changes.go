package emulator

import (
	"context"
	"fmt"
)

// AddStudent enrols a new student, as a registrar would in PowerSchool's
// UI, and returns its DCID. Like PowerSchool, it takes the next DCID, so the
// new record sorts after every existing one. Tests use it (with
// DeleteStudent) to change the district while a client is paging.
func (s *Server) AddStudent(ctx context.Context, firstName, lastName string) (int64, error) {
	tx, err := s.store.DB.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("emulator: adding a student: %w", err)
	}
	defer tx.Rollback()
	var dcid, id, number, school int64
	err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(DCID), 0) + 1, COALESCE(MAX(ID), 0) + 1, COALESCE(MAX(STUDENT_NUMBER), 0) + 1,
		COALESCE((SELECT SCHOOL_NUMBER FROM SCHOOLS ORDER BY DCID LIMIT 1), 0) FROM STUDENTS`).Scan(&dcid, &id, &number, &school)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO STUDENTS (DCID, ID, STUDENT_NUMBER, FIRST_NAME, LAST_NAME, LASTFIRST, GRADE_LEVEL, SCHOOLID, ENROLL_STATUS, ENTRYDATE)
			VALUES (?, ?, ?, ?, ?, ?, 9, ?, 0, date('now'))`, dcid, id, number, firstName, lastName, lastName+", "+firstName, school)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return 0, fmt.Errorf("emulator: adding a student: %w", err)
	}
	return dcid, nil
}

// DeleteStudent removes the student with this DCID and its extension rows.
func (s *Server) DeleteStudent(ctx context.Context, dcid int64) error {
	tx, err := s.store.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("emulator: deleting student %d: %w", dcid, err)
	}
	defer tx.Rollback()
	var n int64
	for _, q := range []string{`DELETE FROM U_STUDENTSUSERFIELDS WHERE STUDENTSDCID = ?`, `DELETE FROM STUDENTCOREFIELDS WHERE STUDENTSDCID = ?`, `DELETE FROM STUDENTS WHERE DCID = ?`} {
		res, err := tx.ExecContext(ctx, q, dcid)
		if err != nil {
			return fmt.Errorf("emulator: deleting student %d: %w", dcid, err)
		}
		n, _ = res.RowsAffected()
	}
	if n == 0 {
		return fmt.Errorf("emulator: no student with DCID %d", dcid)
	}
	return tx.Commit()
}
