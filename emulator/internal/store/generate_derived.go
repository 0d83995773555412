package store

import (
	"fmt"
	"strings"
	"time"
)

// deriveTables fills the tables that follow from the schedule (final and
// stored grades, attendance, programmes, buses) with INSERT ... SELECT, so
// SQLite does the work without a round trip per row. Values that look
// random come from a multiplicative hash of the row's id and the seed, so
// the same Config gives the same rows.
func (g *generator) deriveTables(yearID int) error {
	y := g.cfg.Year
	seed := g.cfg.Seed % 1_000_000
	if seed < 0 {
		seed = -seed
	}
	hash := func(col string) string { return fmt.Sprintf("((%s * 2654435761 + %d) %% 1000003)", col, seed) }
	letter := func(p string) string {
		return fmt.Sprintf("CASE WHEN %[1]s >= 90 THEN 'A' WHEN %[1]s >= 80 THEN 'B' WHEN %[1]s >= 70 THEN 'C' WHEN %[1]s >= 60 THEN 'D' ELSE 'F' END", p)
	}
	points := "CASE WHEN p >= 90 THEN 4.0 WHEN p >= 80 THEN 3.0 WHEN p >= 70 THEN 2.0 WHEN p >= 60 THEN 1.0 ELSE 0.0 END"
	stmts := []struct{ what, sql string }{
		{"grading current enrolments", fmt.Sprintf(`INSERT INTO PGFINALGRADES (DCID, ID, STUDENTID, SECTIONID, FINALGRADENAME, GRADE, PERCENT, STARTDATE, ENDDATE, LASTGRADEUPDATE)
			SELECT DCID, ID, STUDENTID, SECTIONID, CASE TERMID %% 100 WHEN 0 THEN 'Y1' WHEN 1 THEN 'S1' ELSE 'S2' END,
				%s, p, DATEENROLLED, DATELEFT, '%d-11-01'
			FROM (SELECT c.*, 55 + %s %% 45 AS p FROM CC c WHERE c.SECTIONID > 0
				AND c.SCHOOLID IN (SELECT SCHOOL_NUMBER FROM SCHOOLS WHERE LOW_GRADE >= 9 AND SCHOOL_NUMBER <> %d)) ORDER BY DCID`,
			letter("p"), y, hash("c.DCID"), GraduatedSchoolNumber)},
		{"storing last year's grades", fmt.Sprintf(`INSERT INTO STOREDGRADES (DCID, STUDENTID, SCHOOLID, SCHOOLNAME, TERMID, STORECODE, COURSE_NUMBER, COURSE_NAME,
				GRADE, PERCENT, GRADE_LEVEL, EARNEDCRHRS, POTENTIALCRHRS, GPA_POINTS, DATESTORED)
			SELECT c.DCID, c.STUDENTID, c.SCHOOLID, sc.NAME, %d, 'Y1', c.COURSE_NUMBER, co.COURSE_NAME,
				%s, p, st.GRADE_LEVEL - 1, CASE WHEN p >= 60 THEN co.CREDIT_HOURS ELSE 0 END, co.CREDIT_HOURS, %s, '%d-06-10'
			FROM (SELECT *, 50 + %s %% 50 AS p FROM CC WHERE DCID %% 3 = 0) c
			JOIN STUDENTS st ON st.DCID = c.STUDENTID + %d AND st.GRADE_LEVEL BETWEEN 7 AND 12
			JOIN SCHOOLS sc ON sc.SCHOOL_NUMBER = c.SCHOOLID
			JOIN COURSES co ON co.COURSE_NUMBER = c.COURSE_NUMBER
			ORDER BY c.DCID`, (yearID-1)*100, letter("p"), points, y, hash("DCID"), studentDCIDOffset)},
		{"recording absences", fmt.Sprintf(`INSERT INTO ATTENDANCE (DCID, ID, STUDENTID, SCHOOLID, ATT_DATE, ATTENDANCE_CODEID, ATT_MODE_CODE, YEARID)
			SELECT ID * 2 + k, ID * 2 + k, ID, SCHOOLID, substr('%s', (h %% 60 + k * 61) * 10 + 1, 10), 1 + h %% 3, 'ATT_ModeDaily', %d
			FROM (SELECT DCID, ID, SCHOOLID, %s AS h FROM STUDENTS WHERE ENROLL_STATUS = 0), (SELECT 0 AS k UNION ALL SELECT 1)
			WHERE h %% 3 > k ORDER BY DCID, k`, schoolDays(y), yearID, hash("ID"))},
		{"enrolling students in programmes", fmt.Sprintf(`INSERT INTO SPENROLLMENTS (DCID, ID, STUDENTID, SCHOOLID, PROGRAMID, ENTER_DATE, EXIT_DATE, GRADELEVEL)
			SELECT ID, ID, ID, SCHOOLID, 1 + %s %% 4, ENTRYDATE, EXITDATE, GRADE_LEVEL FROM STUDENTS WHERE ID %% 10 = 3 AND ENROLL_STATUS = 0 ORDER BY DCID`, hash("ID"))},
		{"assigning buses", fmt.Sprintf(`INSERT INTO TRANSPORTATION (DCID, ID, STUDENTID, SCHOOLID, EFFECTIVEDATE, BUSNUMBER, DIRECTION, STOPDESCRIPTION, STOPTIME)
			SELECT s.ID, s.ID, s.ID, s.SCHOOLID, '%d-08-20', u.BUS_ROUTE, 'To School', s.STREET, printf('07:%%02d', %s %% 50)
			FROM U_STUDENTSUSERFIELDS u JOIN STUDENTS s ON s.DCID = u.STUDENTSDCID
			WHERE u.BUS_ROUTE IS NOT NULL AND s.ENROLL_STATUS = 0 ORDER BY s.DCID`, y, hash("s.ID"))},
	}
	for _, st := range stmts {
		if err := g.w.exec(st.what, st.sql); err != nil {
			return err
		}
	}
	return nil
}

// schoolDays is 122 dates from 1 September of year on, 10 characters
// each, for SQL to cut a date out of with substr: SQLite's date() costs
// more than the rest of an attendance row.
func schoolDays(year int) string {
	var b strings.Builder
	first := time.Date(year, time.September, 1, 0, 0, 0, 0, time.UTC)
	for d := range 122 {
		b.WriteString(first.AddDate(0, 0, d).Format(time.DateOnly))
	}
	return b.String()
}
