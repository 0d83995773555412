package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// Mutation asks for a day's worth of changes: Update, Insert and Delete
// rows in all, spread over Tables (PowerSchool names, any case; empty
// means every table Mutate knows). The same Seed on the same district
// makes the same changes.
type Mutation struct {
	Seed   int64    `json:"seed"`
	Update int      `json:"update"`
	Insert int      `json:"insert"`
	Delete int      `json:"delete"`
	Tables []string `json:"tables,omitempty"`
}

// MutationResult is what Mutate changed, by upper-case table name.
type MutationResult struct {
	Tables map[string]*TableChanges `json:"tables"`
}

// TableChanges counts one table's changes and lists the keys (DCID, or
// STUDENTSDCID for extension tables) of the rows changed.
type TableChanges struct {
	Inserted int       `json:"inserted"`
	Updated  int       `json:"updated"`
	Deleted  int       `json:"deleted"`
	IDs      ChangeIDs `json:"ids"`
}

// ChangeIDs lists changed keys in the order the changes were made.
type ChangeIDs struct {
	Inserted []int64 `json:"inserted"`
	Updated  []int64 `json:"updated"`
	Deleted  []int64 `json:"deleted"`
}

// MaxMutation bounds each of Update, Insert and Delete.
const MaxMutation = 100_000

// mutable is what a school day does to one table; a nil func means the
// table takes no such change. weight sets how often the table is chosen.
type mutable struct {
	table, key string
	weight     int
	insert     func(m *mutator) (int64, error)
	update     func(m *mutator, key int64) error
	delete     func(m *mutator, key int64) error
	pickable   string // the WHERE condition a row must meet to be updated
	deletable  string // ... or deleted; "" means pickable
}

var mutables = []mutable{
	{table: "STUDENTS", key: "DCID", weight: 1, insert: (*mutator).newStudent, update: (*mutator).withdrawStudent,
		delete: (*mutator).deleteStudent, pickable: "ENROLL_STATUS = 0 AND GRADE_LEVEL < 99", deletable: "ENROLL_STATUS = -1"},
	{table: "CC", key: "DCID", weight: 3, insert: (*mutator).enrol, update: (*mutator).dropEnrolment,
		delete: (*mutator).deleteByKey, pickable: "SECTIONID > 0"},
	{table: "ATTENDANCE", key: "DCID", weight: 3, insert: (*mutator).absence, update: (*mutator).recodeAbsence,
		delete: (*mutator).deleteByKey, pickable: "1=1"},
	{table: "PGFINALGRADES", key: "DCID", weight: 2, insert: (*mutator).finalGrade, update: (*mutator).regrade,
		delete: (*mutator).deleteByKey, pickable: "1=1"},
	{table: "STOREDGRADES", key: "DCID", weight: 1, insert: (*mutator).storeGrade, update: (*mutator).regrade,
		delete: (*mutator).deleteByKey, pickable: "1=1"},
	{table: "SECTIONS", key: "DCID", weight: 1, update: (*mutator).moveRoom, pickable: "1=1"},
	{table: "U_STUDENTSUSERFIELDS", key: "STUDENTSDCID", weight: 1, update: (*mutator).newLocker, pickable: "1=1"},
}

// MutableTables lists the tables Mutate can change.
func MutableTables() []string {
	out := make([]string, len(mutables))
	for i, t := range mutables {
		out[i] = t.table
	}
	return out
}

type mutator struct {
	ctx   context.Context
	tx    *sql.Tx
	rng   *rand.Rand
	today string
	t     *mutable
	// touched keeps each row to one change per mutation, so counts are
	// distinct rows.
	touched map[string]map[int64]bool
	// newStudents are the IDs of students inserted by this mutation: new
	// enrolments go to them first, as a registrar schedules a new student.
	newStudents []int64
	res         *MutationResult
	recorded    map[string]map[int64]string // table -> key -> its change so far
}

// record notes one changed row, as its net change over the mutation: an
// update of a row inserted or updated before is no news, and a row deleted
// after an update is only deleted (an insert then a delete would be nothing,
// but no mutation deletes a row it inserted).
func (m *mutator) record(table, kind string, key int64) {
	tc := m.res.Tables[table]
	if tc == nil {
		tc = &TableChanges{IDs: ChangeIDs{Inserted: []int64{}, Updated: []int64{}, Deleted: []int64{}}}
		m.res.Tables[table] = tc
	}
	if m.recorded[table] == nil {
		m.recorded[table] = map[int64]string{}
	}
	was := m.recorded[table][key]
	switch {
	case kind == "update" && was != "":
		return
	case kind == "delete" && was == "update":
		tc.Updated--
		tc.IDs.Updated = slices.DeleteFunc(tc.IDs.Updated, func(k int64) bool { return k == key })
	}
	m.recorded[table][key] = kind
	switch kind {
	case "insert":
		tc.Inserted++
		tc.IDs.Inserted = append(tc.IDs.Inserted, key)
	case "update":
		tc.Updated++
		tc.IDs.Updated = append(tc.IDs.Updated, key)
	default:
		tc.Deleted++
		tc.IDs.Deleted = append(tc.IDs.Deleted, key)
	}
}

// Mutate makes m's changes in one write transaction.
func (s *Store) Mutate(ctx context.Context, m Mutation) (MutationResult, error) {
	res := MutationResult{Tables: map[string]*TableChanges{}}
	for _, n := range []int{m.Update, m.Insert, m.Delete} {
		if n < 0 || n > MaxMutation {
			return res, fmt.Errorf("update, insert and delete must each be between 0 and %d", MaxMutation)
		}
	}
	var chosen []*mutable
	if len(m.Tables) == 0 {
		for i := range mutables {
			chosen = append(chosen, &mutables[i])
		}
	}
	for _, name := range m.Tables {
		i := slices.IndexFunc(mutables, func(t mutable) bool { return strings.EqualFold(t.table, strings.TrimSpace(name)) })
		if i < 0 {
			return res, fmt.Errorf("table %q cannot be mutated; choose from %s", name, strings.Join(MutableTables(), ", "))
		}
		if !slices.Contains(chosen, &mutables[i]) {
			chosen = append(chosen, &mutables[i])
		}
	}
	kinds := []struct {
		name string
		n    int
		can  func(t *mutable) bool
	}{
		{"insert", m.Insert, func(t *mutable) bool { return t.insert != nil }},
		{"update", m.Update, func(t *mutable) bool { return t.update != nil }},
		{"delete", m.Delete, func(t *mutable) bool { return t.delete != nil }},
	}
	err := s.Write(ctx, func(tx *sql.Tx) error {
		mu := &mutator{ctx: ctx, tx: tx, rng: rand.New(rand.NewPCG(uint64(m.Seed), 0x6d757461)),
			today: s.Now().Format(time.DateOnly), touched: map[string]map[int64]bool{}, res: &res,
			recorded: map[string]map[int64]string{}}
		for _, k := range kinds {
			var able []*mutable
			total := 0
			for _, t := range chosen {
				if k.can(t) {
					able = append(able, t)
					total += t.weight
				}
			}
			if k.n > 0 && len(able) == 0 {
				return fmt.Errorf("none of the tables given takes a %s; tables that do: %s", k.name, strings.Join(tablesThat(k.can), ", "))
			}
			for range k.n {
				r := mu.rng.IntN(total)
				t := able[0]
				for _, a := range able {
					if r < a.weight {
						t = a
						break
					}
					r -= a.weight
				}
				mu.t = t
				if k.name == "insert" {
					key, err := t.insert(mu)
					if err != nil {
						return fmt.Errorf("inserting into %s: %w", t.table, err)
					}
					mu.touch(t.table+"."+t.key, key)
					mu.record(t.table, k.name, key)
					continue
				}
				cond := t.pickable
				if k.name == "delete" && t.deletable != "" {
					cond = t.deletable
				}
				key, ok, err := mu.pick(t.table, t.key, cond, true)
				if err != nil {
					return err
				}
				if !ok {
					continue // the table ran out of rows to change
				}
				if k.name == "update" {
					err = t.update(mu, key)
				} else {
					err = t.delete(mu, key)
				}
				if err != nil {
					return fmt.Errorf("changing %s %d: %w", t.table, key, err)
				}
				mu.record(t.table, k.name, key)
			}
		}
		return nil
	})
	if err != nil {
		return MutationResult{}, err
	}
	return res, nil
}

func tablesThat(can func(t *mutable) bool) []string {
	var out []string
	for i := range mutables {
		if can(&mutables[i]) {
			out = append(out, mutables[i].table)
		}
	}
	sort.Strings(out)
	return out
}

func (m *mutator) touch(table string, key int64) {
	if m.touched[table] == nil {
		m.touched[table] = map[int64]bool{}
	}
	m.touched[table][key] = true
}

// pickQueries are pick's two queries: the key's range over the whole table,
// one index lookup each (as two subqueries: SQLite answers a MIN and a MAX
// side by side in one SELECT by scanning the table), and the seek to the
// first row meeting cond from a point in it.
func pickQueries(table, key, cond string) (keyRange, seek string) {
	return fmt.Sprintf(`SELECT (SELECT MIN(%[1]s) FROM %[2]s), (SELECT MAX(%[1]s) FROM %[2]s)`, key, table),
		fmt.Sprintf(`SELECT %[1]s FROM %[2]s WHERE %[1]s >= ? AND %[3]s ORDER BY %[1]s LIMIT 1`, key, table, cond)
}

// pick chooses a row of table meeting cond: a random point in the key
// range, then the first such key at or after it (a seek on the key,
// whatever the table's size). With once, a row already changed by this
// mutation is not chosen again, and the chosen one is marked.
func (m *mutator) pick(table, key, cond string, once bool) (int64, bool, error) {
	var lo, hi sql.NullInt64
	q, next := pickQueries(table, key, cond)
	if err := m.tx.QueryRowContext(m.ctx, q).Scan(&lo, &hi); err != nil {
		return 0, false, fmt.Errorf("choosing a row of %s: %w", table, err)
	}
	if !lo.Valid {
		return 0, false, nil
	}
	seen := m.touched[table+"."+key]
	for range 20 {
		from := lo.Int64 + m.rng.Int64N(hi.Int64-lo.Int64+1)
		var k int64
		err := m.tx.QueryRowContext(m.ctx, next, from).Scan(&k)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, false, fmt.Errorf("choosing a row of %s: %w", table, err)
		}
		if !once {
			return k, true, nil
		}
		if !seen[k] {
			m.touch(table+"."+key, k)
			return k, true, nil
		}
	}
	return 0, false, nil
}

// pickStudent chooses a student meeting cond and returns its ID. It picks
// by DCID: a pick by ID made SQLite search the (ENROLL_STATUS, DCID) index
// and sort every active student by ID, each time (a mutate of a
// 600,000-student district ran for minutes); by DCID the same index seeks.
func (m *mutator) pickStudent(cond string) (int64, bool, error) {
	dcid, ok, err := m.pick("STUDENTS", "DCID", cond, false)
	if err != nil || !ok {
		return 0, ok, err
	}
	var id int64
	err = m.tx.QueryRowContext(m.ctx, `SELECT ID FROM STUDENTS WHERE DCID = ?`, dcid).Scan(&id)
	return id, err == nil, err
}

// deleteStudent removes a pre-registered student entered in error, with
// its extension rows.
func (m *mutator) deleteStudent(dcid int64) error {
	for _, ext := range []string{"U_STUDENTSUSERFIELDS", "STUDENTCOREFIELDS"} {
		res, err := m.tx.ExecContext(m.ctx, `DELETE FROM `+ext+` WHERE STUDENTSDCID = ?`, dcid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			m.record(ext, "delete", dcid)
		}
	}
	return m.deleteByKey(dcid)
}

func (m *mutator) exec(q string, args ...any) error {
	_, err := m.tx.ExecContext(m.ctx, q, args...)
	return err
}

func (m *mutator) nextKey(table, col string) (int64, error) {
	var k int64
	err := m.tx.QueryRowContext(m.ctx, fmt.Sprintf(`SELECT COALESCE(MAX(%s), 0) + 1 FROM %s`, col, table)).Scan(&k)
	return k, err
}

func (m *mutator) deleteByKey(key int64) error {
	return m.exec(fmt.Sprintf(`DELETE FROM %s WHERE %s = ?`, m.t.table, m.t.key), key)
}

// newStudent enrols a student at a random school that has students, in a
// grade that school teaches.
func (m *mutator) newStudent() (int64, error) {
	var dcid, id, number int64
	if err := m.tx.QueryRowContext(m.ctx, `SELECT COALESCE((SELECT MAX(DCID) FROM STUDENTS), 0) + 1, COALESCE((SELECT MAX(ID) FROM STUDENTS), 0) + 1,
		COALESCE((SELECT MAX(STUDENT_NUMBER) FROM STUDENTS), 0) + 1`).Scan(&dcid, &id, &number); err != nil {
		return 0, err
	}
	var school, low, high int64
	err := m.tx.QueryRowContext(m.ctx, `SELECT SCHOOL_NUMBER, LOW_GRADE, HIGH_GRADE FROM SCHOOLS WHERE SCHOOL_NUMBER <> ? ORDER BY DCID LIMIT 1 OFFSET ?`,
		GraduatedSchoolNumber, m.rng.IntN(3)).Scan(&school, &low, &high)
	if err != nil {
		return 0, err
	}
	first, last := firstNames[m.rng.IntN(len(firstNames))], strings.ToUpper(lastNames[m.rng.IntN(len(lastNames))])
	grade := low + m.rng.Int64N(high-low+1)
	gender := []string{"F", "M"}[m.rng.IntN(2)]
	if err := m.exec(`INSERT INTO STUDENTS (DCID, ID, STUDENT_NUMBER, STUDENT_WEB_ID, FIRST_NAME, LAST_NAME, LASTFIRST, GRADE_LEVEL, SCHOOLID, ENROLL_STATUS, ENTRYDATE, EXITDATE, ENTRYCODE, GENDER)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, (SELECT MAX(LASTDAY) FROM TERMS WHERE SCHOOLID = ?), 'E1', ?)`,
		dcid, id, number, strings.ToLower(last[:min(4, len(last))]+first[:1])+fmt.Sprint(id), first, last, last+", "+first, grade, school, m.today, school, gender); err != nil {
		return 0, err
	}
	m.newStudents = append(m.newStudents, id)
	return dcid, nil
}

// withdrawStudent transfers a student out: status 2, exit today, and every
// current enrolment dropped (CC changes are part of the same event).
func (m *mutator) withdrawStudent(dcid int64) error {
	if err := m.exec(`UPDATE STUDENTS SET ENROLL_STATUS = 2, EXITDATE = ?, EXITCODE = 'TR' WHERE DCID = ?`, m.today, dcid); err != nil {
		return err
	}
	rows, err := m.tx.QueryContext(m.ctx, `SELECT DCID FROM CC WHERE STUDENTID = (SELECT ID FROM STUDENTS WHERE DCID = ?) AND SECTIONID > 0 ORDER BY DCID`, dcid)
	if err != nil {
		return err
	}
	var ccs []int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return err
		}
		ccs = append(ccs, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range ccs {
		if err := m.exec(`UPDATE CC SET SECTIONID = -SECTIONID, DATELEFT = ? WHERE DCID = ?`, m.today, k); err != nil {
			return err
		}
		m.touch("CC.DCID", k)
		m.record("CC", "update", k)
	}
	return nil
}

// enrol adds a section enrolment: for a student new today if there is one,
// else for a random active student, in a section of their school.
func (m *mutator) enrol() (int64, error) {
	var student int64
	if len(m.newStudents) > 0 {
		student = m.newStudents[m.rng.IntN(len(m.newStudents))]
	} else {
		key, ok, err := m.pickStudent("ENROLL_STATUS = 0 AND GRADE_LEVEL < 99")
		if err != nil || !ok {
			return 0, errors.Join(err, errors.New("no active student to enrol"))
		}
		student = key
	}
	var school int64
	if err := m.tx.QueryRowContext(m.ctx, `SELECT SCHOOLID FROM STUDENTS WHERE ID = ?`, student).Scan(&school); err != nil {
		return 0, err
	}
	var secID, termID, teacher sql.NullInt64
	var course, number, expr string
	var n int
	if err := m.tx.QueryRowContext(m.ctx, `SELECT COUNT(*) FROM SECTIONS WHERE SCHOOLID = ?`, school).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("school %d has no sections", school)
	}
	if err := m.tx.QueryRowContext(m.ctx, `SELECT ID, TERMID, TEACHER, COURSE_NUMBER, SECTION_NUMBER, EXPRESSION FROM SECTIONS WHERE SCHOOLID = ? ORDER BY DCID LIMIT 1 OFFSET ?`,
		school, m.rng.IntN(n)).Scan(&secID, &termID, &teacher, &course, &number, &expr); err != nil {
		return 0, err
	}
	dcid, err := m.nextKey("CC", "DCID")
	if err != nil {
		return 0, err
	}
	id, err := m.nextKey("CC", "ID")
	if err != nil {
		return 0, err
	}
	err = m.exec(`INSERT INTO CC (DCID, ID, STUDENTID, SECTIONID, SCHOOLID, TERMID, COURSE_NUMBER, SECTION_NUMBER, EXPRESSION, TEACHERID, DATEENROLLED, DATELEFT)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT LASTDAY FROM TERMS WHERE ID = ? AND SCHOOLID = ?))`,
		dcid, id, student, secID, school, termID, course, number, expr, teacher, m.today, termID, school)
	return dcid, err
}

// dropEnrolment is a schedule change: the student leaves the section today.
func (m *mutator) dropEnrolment(dcid int64) error {
	return m.exec(`UPDATE CC SET SECTIONID = -SECTIONID, DATELEFT = ? WHERE DCID = ?`, m.today, dcid)
}

func (m *mutator) absence() (int64, error) {
	student, ok, err := m.pickStudent("ENROLL_STATUS = 0")
	if err != nil || !ok {
		return 0, errors.Join(err, errors.New("no active student to mark absent"))
	}
	dcid, err := m.nextKey("ATTENDANCE", "DCID")
	if err != nil {
		return 0, err
	}
	id, err := m.nextKey("ATTENDANCE", "ID")
	if err != nil {
		return 0, err
	}
	err = m.exec(`INSERT INTO ATTENDANCE (DCID, ID, STUDENTID, SCHOOLID, ATT_DATE, ATTENDANCE_CODEID, ATT_MODE_CODE, YEARID)
		SELECT ?, ?, ID, SCHOOLID, ?, ?, 'ATT_ModeDaily', (SELECT MAX(YEARID) FROM TERMS) FROM STUDENTS WHERE ID = ?`,
		dcid, id, m.today, 1+m.rng.IntN(3), student)
	return dcid, err
}

func (m *mutator) recodeAbsence(dcid int64) error {
	return m.exec(`UPDATE ATTENDANCE SET ATTENDANCE_CODEID = 1 + (ATTENDANCE_CODEID % 3), ATT_COMMENT = 'Note from home' WHERE DCID = ?`, dcid)
}

// finalGrade posts a grade for a current enrolment.
func (m *mutator) finalGrade() (int64, error) {
	cc, ok, err := m.pick("CC", "DCID", "SECTIONID > 0", false)
	if err != nil || !ok {
		return 0, errors.Join(err, errors.New("no current enrolment to grade"))
	}
	dcid, err := m.nextKey("PGFINALGRADES", "DCID")
	if err != nil {
		return 0, err
	}
	id, err := m.nextKey("PGFINALGRADES", "ID")
	if err != nil {
		return 0, err
	}
	p := 55 + m.rng.IntN(45)
	err = m.exec(`INSERT INTO PGFINALGRADES (DCID, ID, STUDENTID, SECTIONID, FINALGRADENAME, GRADE, PERCENT, STARTDATE, ENDDATE, LASTGRADEUPDATE)
		SELECT ?, ?, STUDENTID, SECTIONID, 'Q2', ?, ?, DATEENROLLED, DATELEFT, ? FROM CC WHERE DCID = ?`, dcid, id, letter(p), p, m.today, cc)
	return dcid, err
}

// storeGrade stores a historical grade for a student from an existing one.
func (m *mutator) storeGrade() (int64, error) {
	src, ok, err := m.pick("STOREDGRADES", "DCID", "1=1", false)
	if err != nil || !ok {
		return 0, errors.Join(err, errors.New("no stored grade to follow"))
	}
	dcid, err := m.nextKey("STOREDGRADES", "DCID")
	if err != nil {
		return 0, err
	}
	p := 50 + m.rng.IntN(50)
	err = m.exec(`INSERT INTO STOREDGRADES (DCID, STUDENTID, SCHOOLID, SCHOOLNAME, TERMID, STORECODE, COURSE_NUMBER, COURSE_NAME, GRADE, PERCENT,
			GRADE_LEVEL, EARNEDCRHRS, POTENTIALCRHRS, GPA_POINTS, DATESTORED)
		SELECT ?, STUDENTID, SCHOOLID, SCHOOLNAME, TERMID, 'S1', COURSE_NUMBER, COURSE_NAME, ?, ?, GRADE_LEVEL, POTENTIALCRHRS, POTENTIALCRHRS, ?, ?
		FROM STOREDGRADES WHERE DCID = ?`, dcid, letter(p), p, gpaPoints(p), m.today, src)
	return dcid, err
}

// regrade changes a grade's percent and letter (PGFINALGRADES or STOREDGRADES).
func (m *mutator) regrade(dcid int64) error {
	p := 50 + m.rng.IntN(50)
	extra := ""
	if m.t.table == "PGFINALGRADES" {
		extra = ", LASTGRADEUPDATE = '" + m.today + "'"
	}
	return m.exec(fmt.Sprintf(`UPDATE %s SET PERCENT = ?, GRADE = ?%s WHERE DCID = ?`, m.t.table, extra), p, letter(p), dcid)
}

func (m *mutator) moveRoom(dcid int64) error {
	return m.exec(`UPDATE SECTIONS SET ROOM = ? WHERE DCID = ?`, fmt.Sprint(100+m.rng.IntN(300)), dcid)
}

func (m *mutator) newLocker(dcid int64) error {
	return m.exec(`UPDATE U_STUDENTSUSERFIELDS SET LOCKER_NUMBER = ? WHERE STUDENTSDCID = ?`, fmt.Sprint(100+m.rng.IntN(900)), dcid)
}
