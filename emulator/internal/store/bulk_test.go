package store

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// bulkSchema is a table shaped to reach the loader's corners: a rowid that
// goes negative, NULLs, negative and large integers, text whose case
// differs, values the column's affinity changes, and indexes of every
// kind (streamed and sorted, unique, NOCASE, several columns).
const bulkSchema = `
CREATE TABLE %[1]s (
  ID INTEGER PRIMARY KEY, CODE INTEGER NOT NULL UNIQUE, NAME TEXT, GRP INTEGER, NUM INTEGER,
  AMT REAL, WHOLE INTEGER, NOTE TEXT
);
CREATE INDEX %[1]s_NAME ON %[1]s (NAME COLLATE NOCASE);
CREATE INDEX %[1]s_GRP ON %[1]s (GRP, NUM, NAME);
CREATE INDEX %[1]s_CODE_NUM ON %[1]s (CODE, NUM);
`

const bulkCols = "ID,CODE,NAME,GRP,NUM,AMT,WHOLE,NOTE"

// bulkRows makes n rows in rowid order.
func bulkTestRows(n int, seed uint64) []params {
	r := rand.New(rand.NewPCG(seed, 1))
	names := []string{"smith", "Smith", "SMITH", "o'brien", "Zed", "zed", "a", "", "Åsa", "mcDonald"}
	var rows []params
	id := int64(-3 - r.IntN(5))
	for range n {
		id += 1 + int64(r.IntN(3))
		var p params
		p.add(vi(int(id)))
		p.add(vi(int(id*7 + 1)))
		if r.IntN(8) == 0 {
			p.add(vnull)
		} else {
			p.add(vs(names[r.IntN(len(names))] + strings.Repeat("x", r.IntN(3))))
		}
		switch r.IntN(6) {
		case 0:
			p.add(vnull)
		default:
			p.add(vi(r.IntN(5) - 2))
		}
		switch r.IntN(5) {
		case 0:
			p.add(vnull)
		case 1:
			p.add(vi(-r.IntN(1 << 40)))
		case 2:
			p.add(vi(math.MaxInt64 - r.IntN(3)))
		default:
			p.add(vi(r.IntN(300)))
		}
		if r.IntN(3) == 0 {
			p.add(vi(r.IntN(100))) // an integer in a REAL column
		} else {
			p.add(vf(float64(r.IntN(100000)) / 100))
		}
		p.add(vf(float64(r.IntN(50)))) // a whole float in an INTEGER column
		p.add(vs(strings.Repeat("n", r.IntN(200))))
		rows = append(rows, p)
	}
	return rows
}

// loadBoth fills table A with the bulk loader and table B with INSERT, from
// the same rows, in a database of the given page size.
func loadBoth(t *testing.T, conn *rawConn, pageSize int, rows []params, cols string) {
	t.Helper()
	if err := conn.exec("BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	ins := "INSERT INTO B (" + cols + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?,", strings.Count(cols, ",")+1), ",") + ")"
	for _, p := range rows {
		if err := conn.run(ins, p); err != nil {
			t.Fatal(err)
		}
	}
	l, err := newBulkLoader(conn, []string{"A"}, map[string]bool{"A_CODE_NUM": true})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.start(); err != nil {
		t.Fatal(err)
	}
	a := l.tables["A"]
	pos, err := a.columns(cols)
	if err != nil {
		t.Fatal(err)
	}
	// Rows go in batches of a few, through the table's goroutine.
	for i := 0; i < len(rows); i += 7 {
		var batch params
		for _, p := range rows[i:min(i+7, len(rows))] {
			batch.vals = append(batch.vals, p.vals...)
			batch.text = append(batch.text, p.text...)
		}
		a.feed(l, bulkRows{pos, batch, func(params) {}})
	}
	if err := l.finish(); err != nil {
		l.stop()
		t.Fatal(err)
	}
	if err := conn.exec("COMMIT"); err != nil {
		t.Fatal(err)
	}
}

// sameTables fails unless A and B hold the same rows, and each index of A
// lists them in the order B's does.
func sameTables(t *testing.T, conn *rawConn, what string, orders ...string) {
	t.Helper()
	check, err := conn.queryAll("PRAGMA integrity_check")
	if err != nil || len(check) != 1 || check[0][0] != "ok" {
		t.Fatalf("%s: integrity_check = %v, %v", what, check, err)
	}
	for _, q := range append([]string{"SELECT * FROM %s ORDER BY rowid"}, orders...) {
		a, err := conn.queryAll(fmt.Sprintf(q, "A"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := conn.queryAll(fmt.Sprintf(q, "B"))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: %s differs between the bulk-loaded and the inserted table:\n%v\n%v", what, q, head(a), head(b))
		}
	}
}

func head(rows [][]any) [][]any { return rows[:min(len(rows), 5)] }

func openTestRaw(t *testing.T, pageSize int, schema string) *rawConn {
	t.Helper()
	conn, err := openRaw(fmt.Sprintf("file:/bulk-test-%s-%d?vfs=memdb", strings.ReplaceAll(t.Name(), "/", "-"), rand.Uint64()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.close)
	if err := conn.exec(fmt.Sprintf("PRAGMA page_size = %d;", pageSize) + schema); err != nil {
		t.Fatal(err)
	}
	return conn
}

var bulkOrders = []string{
	"SELECT rowid FROM %[1]s INDEXED BY %[1]s_NAME ORDER BY NAME COLLATE NOCASE, rowid",
	"SELECT rowid FROM %[1]s INDEXED BY %[1]s_GRP ORDER BY GRP, NUM, NAME, rowid",
	"SELECT rowid FROM %[1]s INDEXED BY %[1]s_CODE_NUM ORDER BY CODE, NUM, rowid",
	"SELECT CODE FROM %[1]s INDEXED BY sqlite_autoindex_%[1]s_1 ORDER BY CODE",
}

// Every size from empty to a few pages, and some that make deep trees, on
// small pages: each boundary (a leaf or an interior page filling up, the
// last index entry finding its leaf full) comes up somewhere.
func TestBulkLoadEqualsInserts(t *testing.T) {
	sizes := []int{}
	for n := range 160 {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 1000, 5000)
	if !testing.Short() {
		sizes = append(sizes, 30000)
	}
	for _, n := range sizes {
		conn := openTestRaw(t, 512, fmt.Sprintf(bulkSchema, "A")+fmt.Sprintf(bulkSchema, "B"))
		rows := bulkTestRows(n, uint64(n))
		loadBoth(t, conn, 512, rows, bulkCols)
		sameTables(t, conn, fmt.Sprintf("%d rows", n), bulkOrders...)
		// SQLite can go on writing both trees as its own.
		for _, q := range []string{
			"DELETE FROM %s WHERE ID %% 3 = 0",
			"UPDATE %s SET NAME = upper(NAME), NOTE = NOTE || 'more' WHERE ID %% 5 = 1",
			"INSERT INTO %[1]s (CODE, NAME, GRP, NUM, NOTE) SELECT CODE + 1000000, lower(NAME), GRP, -NUM, NOTE FROM %[1]s WHERE ID %% 2 = 0",
		} {
			if err := conn.exec(fmt.Sprintf(q, "A") + ";" + fmt.Sprintf(q, "B")); err != nil {
				t.Fatal(err)
			}
		}
		sameTables(t, conn, fmt.Sprintf("%d rows, then written with SQL", n), bulkOrders...)
		if t.Failed() {
			return
		}
	}
}

// A record header of 127 bytes or more takes a two-byte length.
func TestBulkLoadWideRows(t *testing.T) {
	var cols, defs []string
	for i := range 140 {
		cols = append(cols, fmt.Sprintf("C%d", i))
		defs = append(defs, fmt.Sprintf("C%d TEXT", i))
	}
	schema := ""
	for _, name := range []string{"A", "B"} {
		schema += fmt.Sprintf("CREATE TABLE %s (ID INTEGER PRIMARY KEY, %s);", name, strings.Join(defs, ", "))
	}
	conn := openTestRaw(t, 4096, schema)
	var rows []params
	for id := range 50 {
		var p params
		p.add(vi(id + 1))
		for i := range cols {
			p.add(vs(strings.Repeat("w", (id+i)%20)))
		}
		rows = append(rows, p)
	}
	loadBoth(t, conn, 4096, rows, "ID,"+strings.Join(cols, ","))
	sameTables(t, conn, "wide rows")
}

func TestBulkLoadRefusesOutOfOrder(t *testing.T) {
	conn := openTestRaw(t, 4096, fmt.Sprintf(bulkSchema, "A"))
	if err := conn.exec("BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.exec("ROLLBACK")
	for _, tc := range []struct {
		inOrder map[string]bool
		rows    []params
		want    string
	}{
		{nil, []params{bulkTestRows(2, 1)[1], bulkTestRows(2, 1)[0]}, "rowid order"},
		// A_CODE_NUM is declared in order; CODE going down breaks it.
		{map[string]bool{"A_CODE_NUM": true}, func() []params {
			rows := bulkTestRows(2, 1)
			rows[1].vals[1].n = rows[0].vals[1].n - 1
			return rows
		}(), "out of the index's order"},
	} {
		l, err := newBulkLoader(conn, []string{"A"}, tc.inOrder)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.start(); err != nil {
			t.Fatal(err)
		}
		pos, _ := l.tables["A"].columns(bulkCols)
		for _, p := range tc.rows {
			l.tables["A"].feed(l, bulkRows{pos, p, func(params) {}})
		}
		err = l.finish()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "inserting into A") {
			t.Errorf("finish = %v; want an error naming A and %q", err, tc.want)
		}
	}
}

func TestBulkColumnsErrors(t *testing.T) {
	conn := openTestRaw(t, 4096, fmt.Sprintf(bulkSchema, "A"))
	l, err := newBulkLoader(conn, []string{"A"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for cols, want := range map[string]string{
		"ID,NAME":        "CODE has a default or is NOT NULL",
		"CODE,NAME":      "give ID, the rowid, a value",
		"ID,CODE,NOPE":   "no column NOPE",
		"ID,CODE,NAME,X": "no column X",
	} {
		if _, err := l.tables["A"].columns(cols); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("columns(%q) = %v; want %q", cols, err, want)
		}
	}
	if err := l.tables["A"].addRows([]int{0, 1, 2}, params{vals: []param{{'i', 1}, {'n', 0}, {'t', 0}}}); err == nil || !strings.Contains(err.Error(), "NULL in a NOT NULL column") {
		t.Errorf("a NULL CODE: %v", err)
	}
}

// A district seeded into a file (WAL, the pager's own journal) is as sound
// as one in memory.
func TestGenerateFileIntegrity(t *testing.T) {
	s := openSeeded(t, filepath.Join(t.TempDir(), "district.db"), 2000, 3)
	var check string
	if err := s.DB.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	mem := openSeeded(t, "", 2000, 3)
	for _, q := range []string{"SELECT COUNT(*) FROM CC", "SELECT SUM(STUDENTID) FROM CC", "SELECT COUNT(*) FROM STUDENTS WHERE LAST_NAME LIKE 'S%'"} {
		if a, b := count(t, s.DB, q), count(t, mem.DB, q); a != b {
			t.Errorf("%s: file %d, memory %d", q, a, b)
		}
	}
	// Writes after the seed find room past the loaded pages.
	if _, err := s.DB.ExecContext(context.Background(), "DELETE FROM CC WHERE DCID % 2 = 0"); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check after a delete = %q, %v", check, err)
	}
}

// Sort keys order as SQLite orders integers, and decode to what they hold.
func FuzzKeyInt(f *testing.F) {
	for _, v := range [][2]int64{{0, 1}, {-1, 0}, {-256, -255}, {-257, -256}, {255, 256}, {math.MinInt64, math.MaxInt64}, {1 << 40, -1 << 40}} {
		f.Add(v[0], v[1])
	}
	f.Fuzz(func(t *testing.T, a, b int64) {
		ka, kb := appendKeyInt(nil, a), appendKeyInt(nil, b)
		for _, c := range []struct {
			v int64
			k []byte
		}{{a, ka}, {b, kb}} {
			got, n, ok := readKeyInt(c.k)
			if !ok || n != len(c.k) || got != c.v {
				t.Fatalf("readKeyInt(appendKeyInt(%d)) = %d, %d, %v", c.v, got, n, ok)
			}
		}
		want := 0
		if a < b {
			want = -1
		} else if a > b {
			want = 1
		}
		if got := bytes.Compare(ka, kb); got != want {
			t.Fatalf("keys of %d and %d compare %d; want %d", a, b, got, want)
		}
	})
}

// memSink keeps pages in memory.
type memSink struct {
	size  int
	next  uint32
	pages map[uint32][]byte
}

func (m *memSink) alloc() uint32 { m.next++; return m.next }
func (m *memSink) pageSize() int { return m.size }
func (m *memSink) put(pgno uint32, page []byte) error {
	m.pages[pgno] = append([]byte(nil), page...)
	return nil
}

// Every interior page holds at least one cell besides its right-most
// child, whatever the number of rows: SQLite rejects one that does not.
func TestBulkTreesHaveNoEmptyInteriorPages(t *testing.T) {
	for n := 1; n < 4000; n += 1 + n/50 {
		sink := &memSink{size: 512, next: 1, pages: map[uint32][]byte{}}
		tt := newTableTree("T", sink, 1)
		it := newIndexTree("I", &memSink{size: 512, next: 1, pages: sink.pages}, 1)
		it.sink.(*memSink).next = 1 << 20
		for i := range n {
			if err := tt.add(int64(i), make([]byte, 100+i%7)); err != nil {
				t.Fatal(err)
			}
			if err := it.add(appendKeyInt([]byte{byte(i % 5)}, int64(i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := tt.finish(); err != nil {
			t.Fatal(err)
		}
		if err := it.finish(); err != nil {
			t.Fatal(err)
		}
		for pg, p := range sink.pages {
			if (p[0] == pageTableInterior || p[0] == pageIndexInterior) && p[3] == 0 && p[4] == 0 {
				t.Fatalf("%d rows: interior page %d has no cells", n, pg)
			}
		}
	}
}
