package store

import (
	"fmt"
	"math"
	"sync"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// rawConn is a connection opened through SQLite's C API, for seeding only.
// The database/sql driver copies every text value into a fresh C buffer,
// takes the connection's mutex for every bound value and looks each
// parameter up by name; for the millions of values of a big district that
// cost as much as SQLite's own inserts. rawConn copies a statement's text
// values into one reused buffer and binds them in place. It must be used by
// one goroutine at a time.
type rawConn struct {
	tls   *libc.TLS
	mu    sync.Mutex // keeps interrupt off a closing connection
	db    uintptr
	stmts map[string]uintptr // prepared statements by SQL text
	arena uintptr            // C buffer holding the text values being bound
	size  int                // arena's size in bytes
}

// openRaw opens uri (an SQLite "file:" URI) without a mutex: only the
// seeding goroutines use it, one after the other.
func openRaw(uri string) (*rawConn, error) {
	c := &rawConn{tls: libc.NewTLS(), stmts: map[string]uintptr{}}
	name, err := libc.CString(uri)
	if err != nil {
		c.tls.Close()
		return nil, err
	}
	defer libc.Xfree(c.tls, name)
	pdb := c.tls.Alloc(8)
	defer c.tls.Free(8)
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, pdb,
		sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_URI|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	c.db = *(*uintptr)(cmem(pdb))
	if rc != sqlite3.SQLITE_OK {
		err := c.errorf(rc)
		c.close()
		return nil, err
	}
	return c, nil
}

// close finalizes the statements and closes the connection.
func (c *rawConn) close() {
	for _, st := range c.stmts {
		sqlite3.Xsqlite3_finalize(c.tls, st)
	}
	c.stmts = nil
	c.mu.Lock()
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
		c.db = 0
	}
	c.mu.Unlock()
	if c.arena != 0 {
		libc.Xfree(c.tls, c.arena)
		c.arena = 0
	}
	c.tls.Close()
}

// errorf turns an SQLite result code into an error with the connection's
// message.
func (c *rawConn) errorf(rc int32) error {
	msg := sqlite3.Xsqlite3_errstr(c.tls, rc)
	if c.db != 0 {
		msg = sqlite3.Xsqlite3_errmsg(c.tls, c.db)
	}
	return fmt.Errorf("%s (SQLite code %d)", libc.GoString(msg), rc)
}

// exec runs one or more statements without arguments.
func (c *rawConn) exec(query string) error {
	q, err := libc.CString(query)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, q)
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, q, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return c.errorf(rc)
	}
	return nil
}

// params are the values of one run of a statement, ready to bind: the
// text and blob values lie end to end in text, so the writer copies them to C
// memory at once instead of chasing a string per value.
type params struct {
	vals []param
	text []byte
}

type param struct {
	kind byte  // 'i' integer, 'f' float, 't' text, 'b' blob, 'n' NULL
	n    int64 // the integer, the float's bits, or the text's length
}

// add appends a value.
func (p *params) add(v val) {
	p.vals = append(p.vals, param{v.kind, v.n})
	if v.kind == 't' {
		p.text = append(p.text, v.s...)
	}
}

// run executes query once with args, keeping the prepared statement for the
// next call with the same text.
func (c *rawConn) run(query string, args params) error {
	if len(args.vals) == 0 {
		return c.exec(query)
	}
	st := c.stmts[query]
	if st == 0 {
		q, err := libc.CString(query)
		if err != nil {
			return err
		}
		pst := c.tls.Alloc(8)
		rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, q, -1, pst, 0)
		st = *(*uintptr)(cmem(pst))
		c.tls.Free(8)
		libc.Xfree(c.tls, q)
		if rc != sqlite3.SQLITE_OK {
			return c.errorf(rc)
		}
		c.stmts[query] = st
	}
	if n := int(sqlite3.Xsqlite3_bind_parameter_count(c.tls, st)); n != len(args.vals) {
		return fmt.Errorf("%d values for %d parameters", len(args.vals), n)
	}
	if err := c.bind(st, args); err != nil {
		return err
	}
	rc := sqlite3.Xsqlite3_step(c.tls, st)
	sqlite3.Xsqlite3_reset(c.tls, st)
	if rc != sqlite3.SQLITE_DONE && rc != sqlite3.SQLITE_ROW {
		return c.errorf(rc)
	}
	return nil
}

// bind binds args in order. Text goes into the arena and is bound without
// a copy (SQLITE_STATIC): SQLite reads it only while the statement runs,
// and every run binds all its parameters afresh.
func (c *rawConn) bind(st uintptr, args params) error {
	if len(args.text) > c.size {
		size := max(len(args.text), 2*c.size, 1<<16)
		p := libc.Xmalloc(c.tls, uint64(size))
		if p == 0 {
			return fmt.Errorf("out of memory binding %d bytes of text", len(args.text))
		}
		if c.arena != 0 {
			libc.Xfree(c.tls, c.arena)
		}
		c.arena, c.size = p, size
	}
	if len(args.text) > 0 {
		copy(unsafe.Slice((*byte)(cmem(c.arena)), c.size), args.text)
	}
	off := c.arena
	for i, v := range args.vals {
		var rc int32
		switch v.kind {
		case 'i':
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, st, int32(i+1), v.n)
		case 'f':
			rc = sqlite3.Xsqlite3_bind_double(c.tls, st, int32(i+1), math.Float64frombits(uint64(v.n)))
		case 't':
			rc = sqlite3.Xsqlite3_bind_text(c.tls, st, int32(i+1), off, int32(v.n), 0)
			off += uintptr(v.n)
		case 'b':
			rc = sqlite3.Xsqlite3_bind_blob(c.tls, st, int32(i+1), off, int32(v.n), 0)
			off += uintptr(v.n)
		default:
			rc = sqlite3.Xsqlite3_bind_null(c.tls, st, int32(i+1))
		}
		if rc != sqlite3.SQLITE_OK {
			return c.errorf(rc)
		}
	}
	return nil
}

// interrupt stops the statement running on c, from any goroutine.
func (c *rawConn) interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db == 0 {
		return
	}
	tls := libc.NewTLS()
	defer tls.Close()
	sqlite3.Xsqlite3_interrupt(tls, c.db)
}

// cmem is the Go pointer for C memory that libc allocated (outside Go's
// heap, so the collector never moves or frees it).
func cmem(p uintptr) unsafe.Pointer { return unsafe.Add(nil, p) }

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
