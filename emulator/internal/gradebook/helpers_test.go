package gradebook

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator/internal/emutest"
	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/plugin"
	_ "modernc.org/sqlite"
)

// coreSchema is the part of the emulator store's schema the gradebook reads,
// with the store's table and column names.
const coreSchema = `
CREATE TABLE PREFS (DCID INTEGER PRIMARY KEY, NAME TEXT NOT NULL, VALUE TEXT, SCHOOLID INTEGER NOT NULL DEFAULT 0);
CREATE TABLE SCHOOLS (DCID INTEGER PRIMARY KEY, ID INTEGER NOT NULL UNIQUE, SCHOOL_NUMBER INTEGER NOT NULL UNIQUE,
  NAME TEXT NOT NULL, ABBREVIATION TEXT, LOW_GRADE INTEGER, HIGH_GRADE INTEGER);
CREATE TABLE STUDENTS (DCID INTEGER PRIMARY KEY, ID INTEGER NOT NULL UNIQUE, STUDENT_NUMBER INTEGER, STUDENT_WEB_ID TEXT,
  FIRST_NAME TEXT, MIDDLE_NAME TEXT, LAST_NAME TEXT, GRADE_LEVEL INTEGER, SCHOOLID INTEGER, ENROLL_STATUS INTEGER,
  DOB TEXT, GENDER TEXT, FEDETHNICITY INTEGER);
CREATE TABLE USERS (DCID INTEGER PRIMARY KEY, HOMESCHOOLID INTEGER, TEACHERNUMBER TEXT, FIRST_NAME TEXT, MIDDLE_NAME TEXT,
  LAST_NAME TEXT, TITLE TEXT, EMAIL_ADDR TEXT, LOGINID TEXT, PTACCESS INTEGER);
CREATE TABLE SCHOOLSTAFF (DCID INTEGER PRIMARY KEY, ID INTEGER NOT NULL UNIQUE, USERS_DCID INTEGER NOT NULL,
  SCHOOLID INTEGER NOT NULL, STATUS INTEGER NOT NULL);
CREATE TABLE TERMS (DCID INTEGER PRIMARY KEY, ID INTEGER NOT NULL, SCHOOLID INTEGER NOT NULL, YEARID INTEGER NOT NULL,
  PORTION INTEGER NOT NULL, FIRSTDAY TEXT, LASTDAY TEXT, ABBREVIATION TEXT, NAME TEXT, ISYEARREC INTEGER);
CREATE TABLE COURSES (DCID INTEGER PRIMARY KEY, ID INTEGER NOT NULL UNIQUE, COURSE_NUMBER TEXT NOT NULL UNIQUE,
  COURSE_NAME TEXT, SCHOOLID INTEGER);
CREATE TABLE SECTIONS (DCID INTEGER PRIMARY KEY, ID INTEGER NOT NULL UNIQUE, SCHOOLID INTEGER NOT NULL,
  COURSE_NUMBER TEXT NOT NULL, SECTION_NUMBER TEXT, TERMID INTEGER NOT NULL, TEACHER INTEGER, EXPRESSION TEXT, ROOM TEXT);
CREATE TABLE CC (DCID INTEGER PRIMARY KEY, ID INTEGER NOT NULL UNIQUE, STUDENTID INTEGER NOT NULL, SECTIONID INTEGER NOT NULL,
  SCHOOLID INTEGER, TERMID INTEGER, DATEENROLLED TEXT, DATELEFT TEXT);
`

// fixture is a small district: one high school (number 100) with a year
// term and two semesters, a middle school (200), teachers 77 and 78 and a
// principal 79, and students 4001-4004 (4003 dropped section 701, 4004 is
// in no section).
const fixture = `
INSERT INTO PREFS (NAME, VALUE) VALUES ('districtname', 'Lakeshore Unified School District'), ('districtnumber', '4820');
INSERT INTO SCHOOLS VALUES (1, 11, 100, 'Lakeview High School', 'LHS', 9, 12), (2, 12, 200, 'Birch Middle School', 'BMS', 6, 8);
INSERT INTO TERMS VALUES
  (1, 3500, 100, 35, 1, '2025-08-20', '2026-06-10', '25-26', '2025-2026', 1),
  (2, 3501, 100, 35, 2, '2025-08-20', '2026-01-15', 'S1', 'Semester 1', 0),
  (3, 3502, 100, 35, 2, '2026-01-16', '2026-06-10', 'S2', 'Semester 2', 0),
  (4, 3500, 200, 35, 1, '2025-08-20', '2026-06-10', '25-26', '2025-2026', 1);
INSERT INTO USERS VALUES
  (77, 100, '7077', 'Ada', NULL, 'Lovelace', 'Teacher', 'ada@staff.example.org', 'alovelace77', 1),
  (78, 100, '7078', 'Alan', 'M', 'Turing', 'Teacher', 'alan@staff.example.org', 'aturing78', 1),
  (79, 100, '7079', 'Grace', NULL, 'Hopper', 'Principal', 'grace@staff.example.org', 'ghopper79', 0);
INSERT INTO SCHOOLSTAFF VALUES (277, 377, 77, 100, 1), (278, 378, 78, 100, 1), (279, 379, 79, 100, 1);
INSERT INTO COURSES VALUES (1, 51, 'MAT100', 'Algebra I', 100), (2, 52, 'ENG100', 'English 9', 100);
INSERT INTO SECTIONS VALUES
  (701, 1, 100, 'MAT100', '1', 3501, 377, '1(A)', '101'),
  (702, 2, 100, 'ENG100', '1', 3500, 378, '2(A)', '102'),
  (703, 3, 100, 'MAT100', '2', 3502, NULL, '3(A)', '103');
INSERT INTO STUDENTS VALUES
  (4001, 1, 100001, 'lovea1', 'Ann', NULL, 'LOVE', 9, 100, 0, '2010-03-04', 'F', 1),
  (4002, 2, 100002, 'kingb2', 'Ben', 'J', 'KING', 10, 100, 0, '2009-11-30', 'M', 0),
  (4003, 3, 100003, 'parkc3', 'Cy', NULL, 'PARK', 9, 100, 0, NULL, NULL, NULL),
  (4004, 4, 100004, 'reedd4', 'Di', NULL, 'REED', 11, 100, 2, NULL, NULL, NULL);
INSERT INTO CC VALUES
  (1, 901, 1, 1, 100, 3501, '2025-08-20', '2026-01-15'),
  (2, 902, 2, 1, 100, 3501, '2025-08-20', '2026-01-15'),
  (3, 903, 3, -1, 100, 3501, '2025-08-20', '2025-09-10'),
  (4, 904, 1, 2, 100, 3500, '2025-08-20', '2026-06-10'),
  (5, 905, 2, 2, 100, 3500, '2025-08-20', '2026-06-10');
`

var fixedNow = time.Date(2025, 10, 2, 10, 0, 0, 0, time.UTC)

// openDB opens a private in-memory database holding coreSchema and fixture.
func openDB(t testing.TB) *sql.DB {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	db, err := sql.Open("sqlite", "file:/gradebook-test-"+hex.EncodeToString(b[:])+"?vfs=memdb&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	keep, err := db.Conn(context.Background()) // memdb lives while a connection does
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keep.Close(); db.Close() })
	if _, err := db.Exec(coreSchema + fixture); err != nil {
		t.Fatal(err)
	}
	return db
}

type env struct {
	t   *testing.T
	g   *Gradebook
	db  *sql.DB
	url string // the loopback server's base URL
	cap int    // plugin max page size
	// fields is the calling plugin's access_request; newEnv starts it at
	// plugin.GradebookFields. anonymous makes the caller lookup fail.
	fields    []plugin.Field
	anonymous bool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := openDB(t)
	e := &env{t: t, db: db, fields: plugin.GradebookFields()}
	g, err := New(context.Background(), db, Options{
		Now:         func() time.Time { return fixedNow },
		PageSizeCap: func(*http.Request) int { return e.cap },
		Caller: func(*http.Request) (*pluginaccess.Caller, error) {
			if e.anonymous {
				return nil, errors.New("no token")
			}
			return &pluginaccess.Caller{PluginID: 1, Fields: e.fields}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.g = g
	e.url = emutest.Serve(t, g.Mount)
	return e
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// do sends a request; body is marshalled unless it is a string.
func (e *env) do(method, path string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) want(r resp, status int) resp {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
