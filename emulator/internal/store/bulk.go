package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// bulkLoader seeds empty tables by writing their b-tree pages (btree.go)
// through SQLite's sqlite_dbpage table, inside the seeding transaction:
// the pager journals and commits them like any other write, so a failed or
// cancelled seed rolls back as before. Inserting the rows of a big district
// one statement at a time spent most of the seed in SQLite's b-tree code,
// on one core; building sorted pages in Go does the same work once.
//
// Pages are numbered after the database's last page, so no SQL write may
// run on the connection once the first page is out: SQLite would allocate
// the same numbers. The generator writes its small tables with SQL first.
type bulkLoader struct {
	conn     *rawConn
	size     int
	next     uint32 // the next page number to hand out
	lockPage uint32 // the page holding SQLite's lock bytes, never used
	started  bool   // pages have been numbered: SQL would now collide

	tables map[string]*bulkTable

	pending params // pages waiting for the next INSERT: numbers and blobs
	stmts   map[int]string
}

// pageBatch is how many pages one INSERT INTO sqlite_dbpage writes.
const pageBatch = 64

// newBulkLoader prepares tables (names in upper case, as in the schema) for
// bulk loading. It returns nil and the reason when one of them cannot be:
// it holds rows, has a trigger (which must see every row), or has a shape
// the page writer does not handle. The caller then inserts with SQL.
func newBulkLoader(conn *rawConn, tables []string) (*bulkLoader, error) {
	size, err := conn.queryInt("PRAGMA page_size")
	if err != nil {
		return nil, err
	}
	l := &bulkLoader{conn: conn, size: int(size), tables: map[string]*bulkTable{}, stmts: map[int]string{}}
	l.lockPage = uint32(0x40000000/l.size + 1)
	if rows, err := conn.queryAll("PRAGMA auto_vacuum"); err != nil || len(rows) != 1 || rows[0][0] != int64(0) {
		return nil, fmt.Errorf("bulk loading needs auto_vacuum off (%v)", err)
	}
	if rows, err := conn.queryAll("SELECT data FROM sqlite_dbpage WHERE pgno = 1"); err != nil || len(rows) != 1 {
		return nil, fmt.Errorf("reading the database header: %v", err)
	} else if page, _ := rows[0][0].([]byte); len(page) != l.size || page[20] != 0 {
		return nil, fmt.Errorf("bulk loading needs pages with no reserved bytes")
	}
	for _, name := range tables {
		t, err := l.prepare(name)
		if err != nil {
			return nil, err
		}
		l.tables[name] = t
	}
	return l, nil
}

// alloc hands out the next page number, past the lock-byte page.
func (l *bulkLoader) alloc() uint32 {
	if !l.started {
		panic("bulk loader: alloc before start")
	}
	if l.next == l.lockPage {
		l.next++
	}
	l.next++
	return l.next - 1
}

func (l *bulkLoader) pageSize() int { return l.size }

// start numbers pages from the end of the database. No SQL write may run
// on the connection afterwards.
func (l *bulkLoader) start() error {
	if l.started {
		return nil
	}
	n, err := l.conn.queryInt("PRAGMA page_count")
	if err != nil {
		return err
	}
	l.next, l.started = uint32(n)+1, true
	return nil
}

func (l *bulkLoader) put(pgno uint32, page []byte) error {
	l.pending.vals = append(l.pending.vals, param{'i', int64(pgno)}, param{'b', int64(len(page))})
	l.pending.text = append(l.pending.text, page...)
	if len(l.pending.vals) >= 2*pageBatch {
		return l.flush()
	}
	return nil
}

// flush writes the pending pages.
func (l *bulkLoader) flush() error {
	n := len(l.pending.vals) / 2
	if n == 0 {
		return nil
	}
	q, ok := l.stmts[n]
	if !ok {
		q = "INSERT INTO sqlite_dbpage (pgno, data) VALUES " + strings.TrimSuffix(strings.Repeat("(?,?),", n), ",")
		l.stmts[n] = q
	}
	err := l.conn.run(q, l.pending)
	l.pending.vals, l.pending.text = l.pending.vals[:0], l.pending.text[:0]
	if err != nil {
		return fmt.Errorf("writing pages: %w", err)
	}
	return nil
}

// finish completes every table and index, then records the database's new
// size in its header.
func (l *bulkLoader) finish() error {
	if err := l.start(); err != nil {
		return err
	}
	names := make([]string, 0, len(l.tables))
	for name := range l.tables {
		names = append(names, name)
	}
	slices.Sort(names)
	// Sort the collected index entries on every core at once, then write.
	var sorts []*bulkIndex
	for _, name := range names {
		for _, ix := range l.tables[name].indexes {
			if ix.tree == nil {
				sorts = append(sorts, ix)
			}
		}
	}
	sortAll(sorts)
	for _, name := range names {
		if err := l.tables[name].finish(l); err != nil {
			return err
		}
	}
	if err := l.flush(); err != nil {
		return err
	}
	rows, err := l.conn.queryAll("SELECT data FROM sqlite_dbpage WHERE pgno = 1")
	if err != nil || len(rows) != 1 {
		return fmt.Errorf("reading the database header: %v", err)
	}
	page1, _ := rows[0][0].([]byte)
	if len(page1) != l.size {
		return fmt.Errorf("reading the database header: got %d bytes", len(page1))
	}
	last := l.next - 1
	if cur := binary.BigEndian.Uint32(page1[28:]); cur > last {
		last = cur
	}
	binary.BigEndian.PutUint32(page1[28:], last)
	if err := l.put(1, page1); err != nil {
		return err
	}
	return l.flush()
}

// sortAll sorts the indexes' entries, a few at a time.
func sortAll(ixs []*bulkIndex) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, ix := range ixs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ix.sort()
		}()
	}
	wg.Wait()
}

// Column affinities (https://www.sqlite.org/datatype3.html#affinity).
const (
	affText    = 't'
	affNumeric = 'n'
	affInteger = 'i'
	affReal    = 'r'
	affBlob    = 'b'
)

func affinity(declared string) byte {
	t := strings.ToUpper(declared)
	switch {
	case strings.Contains(t, "INT"):
		return affInteger
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return affText
	case t == "", strings.Contains(t, "BLOB"):
		return affBlob
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return affReal
	}
	return affNumeric
}

// bulkTable is one table being bulk loaded.
type bulkTable struct {
	name     string
	cols     []bulkCol
	rowidCol int // the INTEGER PRIMARY KEY column
	tree     *tableTree
	indexes  []*bulkIndex

	// Per-row scratch space.
	vals   []recordValue
	offs   []int // where each column's text starts in the batch's text
	record []byte
}

type bulkCol struct {
	name    string
	aff     byte
	notNull bool
	dflt    bool // has a default: the generator must give a value
}

// inOrder names the indexes whose entries the generator makes in key order
// (see inOrderIndexes); unique indexes on ID are too.
var inOrder = func() map[string]bool {
	m := map[string]bool{}
	for _, ix := range strings.Split(inOrderIndexes, ";") {
		if f := strings.Fields(ix); len(f) > 5 && f[0] == "CREATE" { // CREATE INDEX IF NOT EXISTS name ...
			m[f[5]] = true
		}
	}
	return m
}()

func (l *bulkLoader) prepare(name string) (*bulkTable, error) {
	c := l.conn
	if n, err := c.queryInt("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = '" + name + "' COLLATE NOCASE"); err != nil || n > 0 {
		return nil, fmt.Errorf("%s has triggers, which must see every row (%v)", name, err)
	}
	if n, err := c.queryInt("SELECT EXISTS (SELECT 1 FROM " + name + ")"); err != nil || n > 0 {
		return nil, fmt.Errorf("%s already holds rows (%v)", name, err)
	}
	root, err := c.queryInt("SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = '" + name + "' COLLATE NOCASE")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if sql, err := c.queryAll("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '" + name + "' COLLATE NOCASE"); err != nil || len(sql) != 1 {
		return nil, fmt.Errorf("%s: reading its definition: %v", name, err)
	} else if s, _ := sql[0][0].(string); strings.Contains(strings.ToUpper(s), "WITHOUT ROWID") {
		return nil, fmt.Errorf("%s is a WITHOUT ROWID table", name)
	}
	t := &bulkTable{name: name, rowidCol: -1}
	info, err := c.queryAll("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('" + name + "')")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pks := 0
	for i, r := range info {
		col := bulkCol{name: strings.ToUpper(r[0].(string)), aff: affinity(fmt.Sprint(r[1])), notNull: r[2] == int64(1), dflt: r[3] != nil}
		if r[4] != int64(0) {
			pks++
			if strings.EqualFold(fmt.Sprint(r[1]), "INTEGER") {
				t.rowidCol = i
			}
		}
		t.cols = append(t.cols, col)
	}
	if pks != 1 || t.rowidCol < 0 {
		return nil, fmt.Errorf("%s has no INTEGER PRIMARY KEY to load rows by", name)
	}
	t.tree = newTableTree(name, l, uint32(root))
	list, err := c.queryAll("SELECT name, \"unique\", partial FROM pragma_index_list('" + name + "')")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, r := range list {
		ixName := r[0].(string)
		if r[2] != int64(0) {
			return nil, fmt.Errorf("%s: partial index %s", name, ixName)
		}
		ix := &bulkIndex{name: ixName, table: t}
		root, err := c.queryInt("SELECT rootpage FROM sqlite_schema WHERE type = 'index' AND name = '" + ixName + "'")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ixName, err)
		}
		ix.root = uint32(root)
		xinfo, err := c.queryAll("SELECT cid, \"desc\", coll FROM pragma_index_xinfo('" + ixName + "') WHERE key = 1 ORDER BY seqno")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ixName, err)
		}
		for _, x := range xinfo {
			cid, _ := x[0].(int64)
			if cid < 0 {
				return nil, fmt.Errorf("%s: an index on an expression", ixName)
			}
			if x[1] != int64(0) {
				return nil, fmt.Errorf("%s: a descending index", ixName)
			}
			coll := strings.ToUpper(fmt.Sprint(x[2]))
			if coll != "BINARY" && coll != "NOCASE" {
				return nil, fmt.Errorf("%s: collation %s", ixName, coll)
			}
			ix.cols = append(ix.cols, int(cid))
			ix.nocase = append(ix.nocase, coll == "NOCASE")
		}
		if inOrder[ixName] || strings.HasPrefix(ixName, "sqlite_autoindex_") {
			// Filled in key order as the rows come: no need to hold them.
			ix.tree = newIndexTree(ixName, l, ix.root)
		}
		t.indexes = append(t.indexes, ix)
	}
	return t, nil
}

// columns maps a batch's column list to the table's columns.
func (t *bulkTable) columns(cols string) ([]int, error) {
	var pos []int
	given := make([]bool, len(t.cols))
	for _, name := range strings.Split(cols, ",") {
		i := slices.IndexFunc(t.cols, func(c bulkCol) bool { return c.name == strings.ToUpper(strings.TrimSpace(name)) })
		if i < 0 {
			return nil, fmt.Errorf("%s has no column %s", t.name, name)
		}
		pos = append(pos, i)
		given[i] = true
	}
	for i, c := range t.cols {
		if !given[i] && (c.dflt || c.notNull) && i != t.rowidCol {
			return nil, fmt.Errorf("%s.%s has a default or is NOT NULL: give it a value", t.name, c.name)
		}
	}
	if !given[t.rowidCol] {
		return nil, fmt.Errorf("%s: give %s, the rowid, a value", t.name, t.cols[t.rowidCol].name)
	}
	return pos, nil
}

// addRows encodes a batch of rows: pos maps the batch's columns to the
// table's.
func (t *bulkTable) addRows(pos []int, args params) error {
	n := len(pos)
	if n == 0 || len(args.vals)%n != 0 {
		return fmt.Errorf("%s: %d values for rows of %d columns", t.name, len(args.vals), n)
	}
	if t.vals == nil {
		t.vals = make([]recordValue, len(t.cols))
		t.offs = make([]int, len(t.cols))
	}
	off := 0
	for r := 0; r < len(args.vals); r += n {
		for i := range t.vals {
			t.vals[i] = recordValue{kind: 'n'}
		}
		for k, p := range args.vals[r : r+n] {
			c := pos[k]
			v, err := t.cols[c].apply(recordValue(p))
			if err != nil {
				return fmt.Errorf("%s.%s: %w", t.name, t.cols[c].name, err)
			}
			t.vals[c], t.offs[c] = v, off
			if p.kind == 't' {
				off += int(p.n)
			}
		}
		rowid := t.vals[t.rowidCol]
		if rowid.kind != 'i' {
			return fmt.Errorf("%s: the rowid %s must be an integer", t.name, t.cols[t.rowidCol].name)
		}
		t.vals[t.rowidCol] = recordValue{kind: 'n'} // an alias of the rowid is stored as NULL
		t.record = t.appendRecord(t.record[:0], t.vals, t.offs, args.text)
		if err := t.tree.add(rowid.n, t.record); err != nil {
			return err
		}
		t.vals[t.rowidCol] = rowid
		for _, ix := range t.indexes {
			if err := ix.add(t.vals, t.offs, args.text, rowid.n); err != nil {
				return err
			}
		}
	}
	return nil
}

// apply gives a value the column's affinity, as SQLite would on insert.
func (c bulkCol) apply(v recordValue) (recordValue, error) {
	switch {
	case v.kind == 'n' && c.notNull:
		return v, fmt.Errorf("NULL in a NOT NULL column")
	case v.kind == 'b':
		return v, fmt.Errorf("a blob value")
	case v.kind == 't' && (c.aff == affInteger || c.aff == affReal || c.aff == affNumeric):
		return v, fmt.Errorf("text in a numeric column")
	case v.kind != 't' && v.kind != 'n' && c.aff == affText:
		return v, fmt.Errorf("a number in a TEXT column")
	case v.kind == 'i' && c.aff == affReal:
		return recordValue{'f', int64(math.Float64bits(float64(v.n)))}, nil
	case v.kind == 'f' && (c.aff == affInteger || c.aff == affNumeric):
		f := math.Float64frombits(uint64(v.n))
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return recordValue{'i', int64(f)}, nil
		}
	}
	return v, nil
}

// appendRecord is appendRecord for values whose text lies at offs in text.
func (t *bulkTable) appendRecord(b []byte, vals []recordValue, offs []int, text []byte) []byte {
	hdr := 0
	for _, v := range vals {
		s, _ := serialOf(v)
		hdr += varintLen(s)
	}
	hdrLen := hdr + 1
	if hdrLen > 0x7f {
		hdrLen = hdr + varintLen(uint64(hdr+2))
	}
	b = putVarint(b, uint64(hdrLen))
	for _, v := range vals {
		s, _ := serialOf(v)
		b = putVarint(b, s)
	}
	for i, v := range vals {
		switch v.kind {
		case 'i':
			_, size := intSerial(v.n)
			b = putInt(b, v.n, size)
		case 'f':
			b = binary.BigEndian.AppendUint64(b, uint64(v.n))
		case 't':
			b = append(b, text[offs[i]:offs[i]+int(v.n)]...)
		}
	}
	return b
}

// finish writes the rest of the table and its indexes.
func (t *bulkTable) finish(l *bulkLoader) error {
	if err := t.tree.finish(); err != nil {
		return err
	}
	for _, ix := range t.indexes {
		if err := ix.finish(l); err != nil {
			return err
		}
	}
	return nil
}

// bulkIndex is one index of a bulk-loaded table. Its entries are kept as
// sort keys that order as SQLite orders the index (see key), sorted at the
// end, and turned back into index records while the pages are written.
type bulkIndex struct {
	name   string
	table  *bulkTable
	root   uint32
	cols   []int      // the table's columns, in index order
	nocase []bool     // compare the column without ASCII case
	tree   *indexTree // set when entries come in order and go straight to pages

	keys    [][]byte // the sort keys, end to end in chunks (growing one would copy it)
	chunks  [][]indexEntry
	entries []indexEntry // all of chunks, to sort
	key     []byte       // scratch
	prev    []byte       // the previous key of a streamed index
	record  []byte       // scratch
}

// indexEntry locates a sort key, with its first 16 bytes inline so that
// most comparisons touch only the entries slice.
type indexEntry struct {
	a, b  uint64
	chunk uint32
	off   uint32 // in the chunk, and the length after it
}

// keyChunk is the size of a chunk of sort keys; entryChunk the number of
// entries in a chunk of them.
const (
	keyChunk   = 1 << 20
	entryChunk = 1 << 16
)

// Sort-key tags: SQLite orders NULL before numbers before text.
const (
	keyNull = 0x01
	keyInt  = 0x02
	keyText = 0x03
)

// add keeps the entry of one row.
func (ix *bulkIndex) add(vals []recordValue, offs []int, text []byte, rowid int64) error {
	k := ix.key[:0]
	for i, c := range ix.cols {
		v := vals[c]
		switch v.kind {
		case 'n':
			k = append(k, keyNull)
		case 'i':
			k = append(k, keyInt)
			k = binary.BigEndian.AppendUint64(k, uint64(v.n)^1<<63)
		case 't':
			s := text[offs[c] : offs[c]+int(v.n)]
			if bytes.IndexByte(s, 0) >= 0 {
				return fmt.Errorf("%s: a NUL byte in indexed text", ix.name)
			}
			k = append(k, keyText)
			if ix.nocase[i] {
				for _, ch := range s {
					if 'A' <= ch && ch <= 'Z' {
						ch += 'a' - 'A'
					}
					k = append(k, ch)
				}
			} else {
				k = append(k, s...)
			}
			k = append(k, 0)
		default:
			return fmt.Errorf("%s: a real number in an index column", ix.name)
		}
	}
	k = binary.BigEndian.AppendUint64(k, uint64(rowid)^1<<63)
	// Text compared without case keeps its spelling after the rowid, where
	// it cannot change the order.
	for i, c := range ix.cols {
		if v := vals[c]; ix.nocase[i] && v.kind == 't' {
			k = append(k, text[offs[c]:offs[c]+int(v.n)]...)
		}
	}
	ix.key = k
	if ix.tree != nil {
		if len(ix.prev) > 0 && bytes.Compare(ix.prev, k) >= 0 {
			return fmt.Errorf("%s: rows out of the index's order; create it with the indexes, not inOrderIndexes", ix.name)
		}
		ix.prev = append(ix.prev[:0], k...)
		rec, err := ix.recordOf(k)
		if err != nil {
			return err
		}
		return ix.tree.add(rec)
	}
	if len(k) > 1<<12 {
		return fmt.Errorf("%s: an entry of %d bytes", ix.name, len(k))
	}
	n := len(ix.keys)
	if n == 0 || len(ix.keys[n-1])+2+len(k) > keyChunk {
		ix.keys = append(ix.keys, make([]byte, 0, keyChunk))
		n++
	}
	c := ix.keys[n-1]
	off := len(c)
	c = binary.BigEndian.AppendUint16(c, uint16(len(k)))
	ix.keys[n-1] = append(c, k...)
	var pre [16]byte
	copy(pre[:], k)
	m := len(ix.chunks)
	if m == 0 || len(ix.chunks[m-1]) == entryChunk {
		ix.chunks = append(ix.chunks, make([]indexEntry, 0, entryChunk))
		m++
	}
	ix.chunks[m-1] = append(ix.chunks[m-1], indexEntry{binary.BigEndian.Uint64(pre[:8]), binary.BigEndian.Uint64(pre[8:]), uint32(n - 1), uint32(off)})
	return nil
}

// entryKey is the sort key of e.
func (ix *bulkIndex) entryKey(e indexEntry) []byte {
	c := ix.keys[e.chunk][e.off:]
	return c[2 : 2+binary.BigEndian.Uint16(c)]
}

// sort orders the entries, unless they came in order.
func (ix *bulkIndex) sort() {
	n := 0
	for _, c := range ix.chunks {
		n += len(c)
	}
	ix.entries = make([]indexEntry, 0, n)
	for i, c := range ix.chunks {
		ix.entries = append(ix.entries, c...)
		ix.chunks[i] = nil
	}
	ix.chunks = nil
	cmp := func(x, y indexEntry) int {
		if x.a != y.a {
			if x.a < y.a {
				return -1
			}
			return 1
		}
		if x.b != y.b {
			if x.b < y.b {
				return -1
			}
			return 1
		}
		return bytes.Compare(ix.entryKey(x), ix.entryKey(y))
	}
	if !slices.IsSortedFunc(ix.entries, cmp) {
		slices.SortFunc(ix.entries, cmp)
	}
}

// finish writes the index's pages from its sorted entries.
func (ix *bulkIndex) finish(l *bulkLoader) error {
	if ix.tree != nil {
		return ix.tree.finish()
	}
	tree := newIndexTree(ix.name, l, ix.root)
	for _, e := range ix.entries {
		rec, err := ix.recordOf(ix.entryKey(e))
		if err != nil {
			return err
		}
		if err := tree.add(rec); err != nil {
			return err
		}
	}
	ix.entries, ix.keys = nil, nil
	return tree.finish()
}

// recordOf turns a sort key back into the index record SQLite stores: the
// indexed values, then the rowid.
func (ix *bulkIndex) recordOf(k []byte) ([]byte, error) {
	var vals [8]recordValue
	var starts [8]int
	if len(ix.cols) >= len(vals) {
		return nil, fmt.Errorf("%s: too many columns", ix.name)
	}
	text := k
	p := 0
	var nocaseAt []int
	for i := range ix.cols {
		switch k[p] {
		case keyNull:
			vals[i] = recordValue{kind: 'n'}
			p++
		case keyInt:
			vals[i] = recordValue{kind: 'i', n: int64(binary.BigEndian.Uint64(k[p+1:]) ^ 1<<63)}
			p += 9
		case keyText:
			end := bytes.IndexByte(k[p+1:], 0)
			vals[i], starts[i] = recordValue{kind: 't', n: int64(end)}, p+1
			if ix.nocase[i] {
				nocaseAt = append(nocaseAt, i)
			}
			p += end + 2
		default:
			return nil, fmt.Errorf("%s: a corrupt sort key", ix.name)
		}
	}
	n := len(ix.cols)
	vals[n] = recordValue{kind: 'i', n: int64(binary.BigEndian.Uint64(k[p:]) ^ 1<<63)}
	p += 8
	for _, i := range nocaseAt { // the original spelling
		starts[i] = p
		p += int(vals[i].n)
	}
	ix.record = ix.table.appendRecord(ix.record[:0], vals[:n+1], starts[:n+1], text)
	return ix.record, nil
}

// queryInt runs a query that returns one integer.
func (c *rawConn) queryInt(query string) (int64, error) {
	rows, err := c.queryAll(query)
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return 0, fmt.Errorf("%s: want one value", query)
	}
	n, ok := rows[0][0].(int64)
	if !ok {
		return 0, fmt.Errorf("%s: got %T, want an integer", query, rows[0][0])
	}
	return n, nil
}

// queryAll runs a query and returns its rows: each value an int64, a
// float64, a string, a []byte or nil. For small answers only.
func (c *rawConn) queryAll(query string) ([][]any, error) {
	q, err := libc.CString(query)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, q)
	pst := c.tls.Alloc(8)
	rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, q, -1, pst, 0)
	st := *(*uintptr)(cmem(pst))
	c.tls.Free(8)
	if rc != sqlite3.SQLITE_OK {
		return nil, c.errorf(rc)
	}
	defer sqlite3.Xsqlite3_finalize(c.tls, st)
	var rows [][]any
	for {
		rc := sqlite3.Xsqlite3_step(c.tls, st)
		if rc == sqlite3.SQLITE_DONE {
			return rows, nil
		}
		if rc != sqlite3.SQLITE_ROW {
			return nil, c.errorf(rc)
		}
		n := int(sqlite3.Xsqlite3_column_count(c.tls, st))
		row := make([]any, n)
		for i := range n {
			switch sqlite3.Xsqlite3_column_type(c.tls, st, int32(i)) {
			case sqlite3.SQLITE_INTEGER:
				row[i] = sqlite3.Xsqlite3_column_int64(c.tls, st, int32(i))
			case sqlite3.SQLITE_FLOAT:
				row[i] = sqlite3.Xsqlite3_column_double(c.tls, st, int32(i))
			case sqlite3.SQLITE_TEXT:
				p := sqlite3.Xsqlite3_column_text(c.tls, st, int32(i))
				size := sqlite3.Xsqlite3_column_bytes(c.tls, st, int32(i))
				row[i] = string(unsafe.Slice((*byte)(cmem(p)), size))
			case sqlite3.SQLITE_BLOB:
				p := sqlite3.Xsqlite3_column_blob(c.tls, st, int32(i))
				size := sqlite3.Xsqlite3_column_bytes(c.tls, st, int32(i))
				row[i] = append([]byte(nil), unsafe.Slice((*byte)(cmem(p)), size)...)
			}
		}
		rows = append(rows, row)
	}
}

// table is the bulk table called name, or nil when name is written with SQL.
func (l *bulkLoader) table(name string) *bulkTable {
	if l == nil {
		return nil
	}
	return l.tables[name]
}

// memdbBytesPerStudent is about what a generated district takes in SQLite
// per student (1,342 for a million, 1,693 for 20,000), rounded up.
const memdbBytesPerStudent = 1800

// growMemdb has an in-memory database allocate room for size bytes at once.
// SQLite's memdb doubles its buffer as it fills, copying it each time, and
// a copy touches memory as fresh as the pages written into it: for a
// district of a million students the copies cost more than building the
// pages. Writing one page out at size, then truncating back, leaves the
// buffer allocated (memdb never shrinks it) and not yet touched.
func growMemdb(conn *rawConn, size int) error {
	l := &bulkLoader{conn: conn, stmts: map[int]string{}}
	ps, err := conn.queryInt("PRAGMA page_size")
	if err != nil {
		return err
	}
	l.size = int(ps)
	n, err := conn.queryInt("PRAGMA page_count")
	if err != nil {
		return err
	}
	far := min(size, memdbMaxSize) / l.size
	if far <= int(n)+1 {
		return nil
	}
	setSize := func(pages int) error {
		rows, err := conn.queryAll("SELECT data FROM sqlite_dbpage WHERE pgno = 1")
		if err != nil || len(rows) != 1 {
			return fmt.Errorf("reading the database header: %v", err)
		}
		page1, _ := rows[0][0].([]byte)
		if len(page1) != l.size {
			return fmt.Errorf("reading the database header: got %d bytes", len(page1))
		}
		binary.BigEndian.PutUint32(page1[28:], uint32(pages))
		return l.put(1, page1)
	}
	// The header must claim the far page for the truncation to apply: it
	// only cuts below the size the header gives.
	if err := conn.exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	err = setSize(far)
	if err == nil {
		err = l.put(uint32(far), make([]byte, l.size))
	}
	if err == nil {
		err = l.flush()
	}
	if err == nil {
		err = conn.exec("COMMIT")
	}
	if err == nil {
		err = conn.exec("BEGIN IMMEDIATE")
		if err == nil {
			err = setSize(int(n))
		}
		if err == nil {
			err = l.flush()
		}
		if err == nil { // a NULL page truncates the database before it
			err = conn.run("INSERT INTO sqlite_dbpage (pgno, data) VALUES (?, NULL)", params{vals: []param{{'i', n + 1}}})
		}
		if err == nil {
			err = conn.exec("COMMIT")
		}
	}
	if err != nil {
		conn.exec("ROLLBACK")
		return fmt.Errorf("making room for the district: %w", err)
	}
	return nil
}
