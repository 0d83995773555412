package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
//
// Each table encodes its rows and builds its pages on its own goroutine;
// one more writes the finished pages to SQLite, which the connection
// allows only one goroutine at a time to do.
type bulkLoader struct {
	conn     *rawConn
	size     int
	lockPage uint32 // the page holding SQLite's lock bytes, never used
	tables   map[string]*bulkTable

	started bool // pages have been numbered: SQL would now collide (the writer's goroutine only)

	mu      sync.Mutex
	next    uint32 // the next page number to hand out
	pending params // pages for the next INSERT: numbers and blobs

	full   chan params // batches of pages for the writing goroutine
	free   chan params // batches it has written
	done   chan struct{}
	err    error // the first failure; read after done is closed
	failed atomic.Bool
	once   sync.Once // records err
}

// pageBatch is how many pages one INSERT INTO sqlite_dbpage writes.
const pageBatch = 64

// newBulkLoader prepares tables (names in upper case, as in the schema) for
// bulk loading, or says why one of them cannot be (a shape the page
// writer does not handle). The indexes named in inOrder, and the unique
// ones SQLite made, must receive their entries in key order: they go
// straight to pages; the others are sorted at the end.
func newBulkLoader(conn *rawConn, tables []string, inOrder map[string]bool) (*bulkLoader, error) {
	size, err := conn.queryInt("PRAGMA page_size")
	if err != nil {
		return nil, err
	}
	l := &bulkLoader{conn: conn, size: int(size), tables: map[string]*bulkTable{}}
	l.lockPage = uint32(0x40000000/l.size + 1)
	if rows, err := conn.queryAll("PRAGMA auto_vacuum"); err != nil || len(rows) != 1 || rows[0][0] != int64(0) {
		return nil, fmt.Errorf("bulk loading needs auto_vacuum off (%v)", err)
	}
	if page, err := readPage1(conn, l.size); err != nil {
		return nil, err
	} else if page[20] != 0 {
		return nil, fmt.Errorf("bulk loading needs pages with no reserved bytes")
	}
	for _, name := range tables {
		t, err := l.prepare(name, inOrder)
		if err != nil {
			return nil, err
		}
		l.tables[name] = t
	}
	return l, nil
}

// readPage1 reads the first page, which starts with the database header.
func readPage1(conn *rawConn, size int) ([]byte, error) {
	rows, err := conn.queryAll("SELECT data FROM sqlite_dbpage WHERE pgno = 1")
	if err != nil || len(rows) != 1 {
		return nil, fmt.Errorf("reading the database header: %v", err)
	}
	page, _ := rows[0][0].([]byte)
	if len(page) != size {
		return nil, fmt.Errorf("reading the database header: got %d bytes", len(page))
	}
	return page, nil
}

// alloc hands out the next page number, past the lock-byte page.
func (l *bulkLoader) alloc() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next == l.lockPage {
		l.next++
	}
	l.next++
	return l.next - 1
}

func (l *bulkLoader) pageSize() int { return l.size }

// start numbers pages from the end of the database and starts writing
// them. No SQL write may run on the connection afterwards.
func (l *bulkLoader) start() error {
	if l.started {
		return nil
	}
	n, err := l.conn.queryInt("PRAGMA page_count")
	if err != nil {
		return err
	}
	l.next, l.started = uint32(n)+1, true
	l.full, l.free, l.done = make(chan params, 4), make(chan params, 8), make(chan struct{})
	go func() {
		defer close(l.done)
		w := pageWriter{conn: l.conn}
		for batch := range l.full {
			if !l.failed.Load() {
				if err := w.write(batch); err != nil {
					l.fail(err)
				}
			}
			select {
			case l.free <- params{batch.vals[:0], batch.text[:0]}:
			default:
			}
		}
	}()
	return nil
}

// fail records the first failure; every goroutine of the load stops at it.
func (l *bulkLoader) fail(err error) {
	l.once.Do(func() { l.err = err; l.failed.Store(true) })
}

// put queues a page for writing.
func (l *bulkLoader) put(pgno uint32, page []byte) error {
	if l.failed.Load() {
		return errWriterStopped
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending.vals == nil {
		select {
		case l.pending = <-l.free:
		default:
			l.pending = params{vals: make([]param, 0, 2*pageBatch), text: make([]byte, 0, pageBatch*l.size)}
		}
	}
	l.pending.vals = append(l.pending.vals, param{'i', int64(pgno)}, param{'b', int64(len(page))})
	l.pending.text = append(l.pending.text, page...)
	if len(l.pending.vals) >= 2*pageBatch {
		l.full <- l.pending
		l.pending = params{}
	}
	return nil
}

// stop waits for every table's goroutine and for the pages queued so far
// to be written, and returns the last page number handed out. Generate
// calls it on every path, so a failed load leaves no goroutine behind.
func (l *bulkLoader) stop() uint32 {
	for _, t := range l.tables {
		t.wait()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.full != nil {
		if len(l.pending.vals) > 0 {
			l.full <- l.pending
			l.pending = params{}
		}
		close(l.full)
		<-l.done
		l.full = nil
	}
	return l.next - 1
}

// pageWriter writes pages with INSERT INTO sqlite_dbpage.
type pageWriter struct {
	conn  *rawConn
	stmts map[int]string
}

// write writes a batch of pages: page numbers and page blobs in turn.
func (w *pageWriter) write(batch params) error {
	n := len(batch.vals) / 2
	if n == 0 {
		return nil
	}
	if w.stmts == nil {
		w.stmts = map[int]string{}
	}
	q, ok := w.stmts[n]
	if !ok {
		q = "INSERT INTO sqlite_dbpage (pgno, data) VALUES " + strings.TrimSuffix(strings.Repeat("(?,?),", n), ",")
		w.stmts[n] = q
	}
	if err := w.conn.run(q, batch); err != nil {
		return fmt.Errorf("writing pages: %w", err)
	}
	return nil
}

// finish completes every table and index, waits for their pages to be
// written, then records the database's new size in its header.
func (l *bulkLoader) finish() error {
	if err := l.start(); err != nil {
		return err
	}
	names := make([]string, 0, len(l.tables))
	for name := range l.tables {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names { // the rows still on their way
		l.tables[name].wait()
	}
	// Sort the collected index entries on every core at once, then write
	// each table's remaining pages and its indexes', also at once.
	var sorts []*bulkIndex
	var jobs []func()
	for _, name := range names {
		t := l.tables[name]
		jobs = append(jobs, func() {
			if err := t.tree.finish(); err != nil {
				l.fail(err)
			}
		})
		for _, ix := range t.indexes {
			if ix.tree == nil {
				sorts = append(sorts, ix)
			}
			jobs = append(jobs, func() {
				if err := ix.finish(l); err != nil {
					l.fail(err)
				}
			})
		}
	}
	if !l.failed.Load() {
		runAll(sortJobs(sorts))
		runAll(jobs)
	}
	last := l.stop()
	if l.failed.Load() {
		return l.err
	}
	page1, err := readPage1(l.conn, l.size)
	if err != nil {
		return err
	}
	if cur := binary.BigEndian.Uint32(page1[28:]); cur > last {
		last = cur
	}
	binary.BigEndian.PutUint32(page1[28:], last)
	w := pageWriter{conn: l.conn}
	return w.write(params{vals: []param{{'i', 1}, {'b', int64(len(page1))}}, text: page1})
}

// runAll runs jobs on every core.
func runAll(jobs []func()) {
	var wg sync.WaitGroup
	next := make(chan func())
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for job := range next {
				job()
			}
		})
	}
	for _, job := range jobs {
		next <- job
	}
	close(next)
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

	in   chan bulkRows // rows for the table's goroutine
	done chan struct{}

	// Per-row scratch space.
	enc    recordEncoder
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

// bulkable reports why tables cannot be bulk loaded, or nil: a trigger
// must see every row go in, and pages can only fill an empty table.
func bulkable(conn *rawConn, tables ...string) error {
	for _, name := range tables {
		n, err := conn.queryInt("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = '" + name + "' COLLATE NOCASE")
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%s has triggers, which must see every row go in", name)
		}
		if n, err = conn.queryInt("SELECT EXISTS (SELECT 1 FROM " + name + ")"); err != nil {
			return err
		} else if n > 0 {
			return fmt.Errorf("%s already holds rows", name)
		}
	}
	return nil
}

// generatedInOrder names the indexes whose entries the generator makes in
// key order (see inOrderIndexes).
var generatedInOrder = func() map[string]bool {
	m := map[string]bool{}
	for _, ix := range strings.Split(inOrderIndexes, ";") {
		if f := strings.Fields(ix); len(f) > 5 && f[0] == "CREATE" { // CREATE INDEX IF NOT EXISTS name ...
			m[f[5]] = true
		}
	}
	return m
}()

func (l *bulkLoader) prepare(name string, inOrder map[string]bool) (*bulkTable, error) {
	c := l.conn
	if err := bulkable(c, name); err != nil {
		return nil, err
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
		ix := &bulkIndex{name: ixName}
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

type bulkRows struct {
	pos     []int
	args    params
	recycle func(params) // hands the buffer back once the rows are in
}

// feed queues rows for the table's own goroutine, which encodes them and
// builds the table's pages.
func (t *bulkTable) feed(l *bulkLoader, rows bulkRows) {
	if t.in == nil {
		t.in, t.done = make(chan bulkRows, 2), make(chan struct{})
		go func() {
			defer close(t.done)
			for r := range t.in {
				if !l.failed.Load() {
					if err := t.addRows(r.pos, r.args); err != nil {
						l.fail(fmt.Errorf("inserting into %s: %w", t.name, err))
					}
				}
				r.recycle(r.args)
			}
		}()
	}
	t.in <- rows
}

// wait waits for the rows fed so far.
func (t *bulkTable) wait() {
	if t.in != nil {
		close(t.in)
		<-t.done
		t.in = nil
	}
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
		t.record = t.enc.append(t.record[:0], t.vals, t.offs, args.text)
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

// recordEncoder writes SQLite records; each goroutine needs its own.
type recordEncoder struct {
	hdr []byte // scratch: the serial types
}

// append appends the record of vals, whose text values lie at offs in
// text: the header's length, the serial types, then the values.
func (e *recordEncoder) append(b []byte, vals []recordValue, offs []int, text []byte) []byte {
	if len(e.hdr) < 9*len(vals) {
		e.hdr = make([]byte, 9*len(vals))
	}
	h := 0 // written in place: this runs for every row and entry
	for _, v := range vals {
		s, _ := serialOf(v)
		if s < 0x80 {
			e.hdr[h] = byte(s)
			h++
		} else {
			h += len(putVarint(e.hdr[h:h], s))
		}
	}
	n := h + 1 // the length counts its own varint
	if n > 0x7f {
		n = h + varintLen(uint64(h+2))
	}
	b = putVarint(b, uint64(n))
	b = append(b, e.hdr[:h]...)
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

// table is the bulk table called name, or nil when name is written with SQL.
func (l *bulkLoader) table(name string) *bulkTable {
	if l == nil {
		return nil
	}
	return l.tables[name]
}

// memdbBytesPerStudent is about what a generated district takes in SQLite
// per student (1,763 for a million, 1,694 for 20,000), rounded up.
const memdbBytesPerStudent = 1800

// growMemdb has an in-memory database allocate room for size bytes (at
// most its cap) at once.
// SQLite's memdb doubles its buffer as it fills, copying it each time, and
// a copy touches memory as fresh as the pages written into it: for a
// district of a million students the copies cost more than building the
// pages. Writing one page out at size, then truncating back, leaves the
// buffer allocated (memdb never shrinks it) and not yet touched.
func growMemdb(conn *rawConn, size int) error {
	ps, err := conn.queryInt("PRAGMA page_size")
	if err != nil {
		return err
	}
	n, err := conn.queryInt("PRAGMA page_count")
	if err != nil {
		return err
	}
	far := size / int(ps)
	if far <= int(n)+1 {
		return nil
	}
	w := pageWriter{conn: conn}
	setSize := func(pages int) error {
		page1, err := readPage1(conn, int(ps))
		if err != nil {
			return err
		}
		binary.BigEndian.PutUint32(page1[28:], uint32(pages))
		return w.write(params{vals: []param{{'i', 1}, {'b', ps}}, text: page1})
	}
	// The header must claim the far page for the truncation to apply: it
	// only cuts below the size the header gives.
	if err := conn.exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	err = setSize(far)
	if err == nil {
		err = w.write(params{vals: []param{{'i', int64(far)}, {'b', ps}}, text: make([]byte, ps)})
	}
	if err == nil {
		err = conn.exec("COMMIT")
	}
	if err == nil {
		err = conn.exec("BEGIN IMMEDIATE")
		if err == nil {
			err = setSize(int(n))
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
