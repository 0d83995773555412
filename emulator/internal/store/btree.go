package store

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file writes SQLite b-tree pages directly, in SQLite's documented file
// format (https://www.sqlite.org/fileformat2.html), for loading a district
// too big to insert row by row: rows that arrive in key order fill leaf
// pages from left to right and the interior levels are built once the
// leaves are known, which is how a sorted bulk load would lay them out
// anyway. Pages are handed to a pageSink, which numbers and stores them.

// Page types (the first byte of a b-tree page header).
const (
	pageIndexInterior = 0x02
	pageTableInterior = 0x05
	pageIndexLeaf     = 0x0a
	pageTableLeaf     = 0x0d
)

// pageSink numbers and stores finished pages.
type pageSink interface {
	alloc() uint32 // the next free page number
	put(pgno uint32, page []byte) error
	pageSize() int
}

// putVarint appends SQLite's variable-length integer: big-endian groups of
// seven bits, the ninth byte (if any) carrying eight.
func putVarint(b []byte, v uint64) []byte {
	if v <= 0x7f {
		return append(b, byte(v))
	}
	if v > 0x00ffffffffffffff {
		var tmp [9]byte
		tmp[8] = byte(v)
		v >>= 8
		for i := 7; i >= 0; i-- {
			tmp[i] = byte(v&0x7f) | 0x80
			v >>= 7
		}
		return append(b, tmp[:]...)
	}
	var tmp [9]byte
	n := 0
	for v > 0 {
		tmp[n] = byte(v&0x7f) | 0x80
		v >>= 7
		n++
	}
	tmp[0] &= 0x7f
	for i := n - 1; i >= 0; i-- {
		b = append(b, tmp[i])
	}
	return b
}

// readVarint decodes a varint at the start of b, returning it and its
// length.
func readVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 8 && i < len(b); i++ {
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	if len(b) < 9 {
		return v, len(b)
	}
	return v<<8 | uint64(b[8]), 9
}

func varintLen(v uint64) int {
	n := 1
	for v > 0x7f && n < 9 {
		v >>= 7
		n++
	}
	return n
}

// intSerial is the record serial type and body size of an integer.
func intSerial(v int64) (serial uint64, size int) {
	switch {
	case v == 0:
		return 8, 0
	case v == 1:
		return 9, 0
	case v >= -128 && v <= 127:
		return 1, 1
	case v >= -32768 && v <= 32767:
		return 2, 2
	case v >= -8388608 && v <= 8388607:
		return 3, 3
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 4, 4
	case v >= -1<<47 && v < 1<<47:
		return 5, 6
	}
	return 6, 8
}

func putInt(b []byte, v int64, size int) []byte {
	for i := size - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// recordValue is one value of a record.
type recordValue struct {
	kind byte  // 'i', 'f', 't' or 'n' (NULL)
	n    int64 // the integer, the float's bits, or the text's length
}

func serialOf(v recordValue) (uint64, int) {
	switch v.kind {
	case 'i':
		return intSerial(v.n)
	case 'f':
		return 7, 8
	case 't':
		return 13 + 2*uint64(v.n), int(v.n)
	}
	return 0, 0
}

// pageBuf assembles one b-tree page: cell pointers grow from the header
// down the page, cell contents from the end up.
type pageBuf struct {
	buf  []byte
	kind byte
	n    int // cells
	top  int // where the cell content area starts
}

func newPageBuf(size int, kind byte) *pageBuf {
	p := &pageBuf{buf: make([]byte, size)}
	p.reset(kind)
	return p
}

func (p *pageBuf) reset(kind byte) {
	clear(p.buf)
	p.kind, p.n, p.top = kind, 0, len(p.buf)
}

func (p *pageBuf) headerSize() int {
	if p.kind == pageTableInterior || p.kind == pageIndexInterior {
		return 12
	}
	return 8
}

// fits reports whether a cell of size bytes still fits.
func (p *pageBuf) fits(size int) bool {
	return p.headerSize()+2*(p.n+1) <= p.top-size
}

// cell reserves size bytes for the next cell and returns them to fill.
func (p *pageBuf) cell(size int) []byte {
	p.top -= size
	binary.BigEndian.PutUint16(p.buf[p.headerSize()+2*p.n:], uint16(p.top))
	p.n++
	return p.buf[p.top : p.top+size]
}

// popIndexCell removes the last cell of an index leaf and returns its
// entry.
func (p *pageBuf) popIndexCell() []byte {
	n, k := readVarint(p.buf[p.top:])
	entry := append([]byte(nil), p.buf[p.top+k:p.top+k+int(n)]...)
	clear(p.buf[p.top : p.top+k+int(n)])
	p.n--
	clear(p.buf[p.headerSize()+2*p.n : p.headerSize()+2*p.n+2])
	p.top += k + int(n)
	return entry
}

// finish writes the page header (right is the right-most child of an
// interior page) and returns the page.
func (p *pageBuf) finish(right uint32) []byte {
	h := p.buf
	h[0] = p.kind
	binary.BigEndian.PutUint16(h[3:], uint16(p.n))
	top := p.top
	if top == 65536 {
		top = 0
	}
	binary.BigEndian.PutUint16(h[5:], uint16(top))
	if p.headerSize() == 12 {
		binary.BigEndian.PutUint32(h[8:], right)
	}
	return p.buf
}

// maxLocal is the largest payload a cell of kind keeps on its page; a
// bigger one would need overflow pages, which the loader does not write.
func maxLocal(usable int, kind byte) int {
	if kind == pageTableLeaf {
		return usable - 35
	}
	return (usable-12)*64/255 - 23
}

// leaves numbers a tree's full leaf pages as they come and lists them as
// the children of the level above. The first is held back until a second
// exists: a tree of one leaf keeps it in its root page.
type leaves struct {
	sink  pageSink
	leaf  *pageBuf // the leaf being filled
	held  []byte   // the first full leaf, not yet numbered
	level []child
}

// child is a page of the level below an interior page.
type child struct {
	pgno    uint32
	key     int64  // in a table: the largest rowid under the child
	divider []byte // in an index: the entry after the child (none for the last)
}

// close takes the full leaf, whose place among its siblings c describes.
func (s *leaves) close(c child) error {
	page := s.leaf.finish(0)
	kind := s.leaf.kind
	defer s.leaf.reset(kind)
	if s.held == nil && len(s.level) == 0 {
		s.held = append([]byte(nil), page...)
		s.level = append(s.level, c)
		return nil
	}
	if err := s.writeHeld(); err != nil {
		return err
	}
	c.pgno = s.sink.alloc()
	s.level = append(s.level, c)
	return s.sink.put(c.pgno, page)
}

// writeHeld numbers and writes the first leaf once it is not the only one.
func (s *leaves) writeHeld() error {
	if s.held == nil {
		return nil
	}
	pg := s.sink.alloc()
	if err := s.sink.put(pg, s.held); err != nil {
		return err
	}
	s.level[0].pgno, s.held = pg, nil
	return nil
}

// tableTree loads rows into an empty table b-tree in rowid order.
type tableTree struct {
	leaves
	name string
	root uint32
	last int64 // rowid of the previous row
	rows int
}

func newTableTree(name string, sink pageSink, root uint32) *tableTree {
	return &tableTree{name: name, root: root, leaves: leaves{sink: sink, leaf: newPageBuf(sink.pageSize(), pageTableLeaf)}}
}

// add appends a row; rowids must ascend.
func (t *tableTree) add(rowid int64, payload []byte) error {
	if t.rows > 0 && rowid <= t.last {
		return fmt.Errorf("%s: row %d after row %d: bulk loading needs rows in rowid order", t.name, rowid, t.last)
	}
	if len(payload) > maxLocal(len(t.leaf.buf), pageTableLeaf) {
		return fmt.Errorf("%s: row %d is %d bytes, more than a page holds without overflow", t.name, rowid, len(payload))
	}
	size := varintLen(uint64(len(payload))) + varintLen(uint64(rowid)) + len(payload)
	if !t.leaf.fits(size) {
		if err := t.close(child{key: t.last}); err != nil {
			return err
		}
	}
	c := putVarint(t.leaf.cell(size)[:0], uint64(len(payload)))
	c = putVarint(c, uint64(rowid))
	copy(c[len(c):size], payload)
	t.last = rowid
	t.rows++
	return nil
}

// finish writes the last leaf and the interior levels, the top one into
// the root page.
func (t *tableTree) finish() error {
	if t.rows == 0 {
		return nil // the root stays an empty leaf
	}
	if len(t.level) == 0 { // one leaf: it is the root
		return t.sink.put(t.root, t.leaf.finish(0))
	}
	if err := t.close(child{key: t.last}); err != nil {
		return err
	}
	level := t.level
	page := newPageBuf(t.sink.pageSize(), pageTableInterior)
	for {
		// Split the children into pages: every page has at least two.
		var groups [][]child
		start := 0
		page.reset(pageTableInterior)
		for i := range level {
			if i == start {
				continue // the first child of a page is only a pointer so far
			}
			prev := level[i-1]
			size := 4 + varintLen(uint64(prev.key))
			if !page.fits(size) {
				groups = append(groups, level[start:i])
				start = i
				page.reset(pageTableInterior)
				continue
			}
			page.cell(size)
		}
		groups = append(groups, level[start:])
		if n := len(groups); n > 1 && len(groups[n-1]) == 1 {
			a := groups[n-2]
			groups[n-2], groups[n-1] = a[:len(a)-1], level[len(level)-2:]
		}
		var next []child
		for _, g := range groups {
			page.reset(pageTableInterior)
			for _, c := range g[:len(g)-1] {
				cell := page.cell(4 + varintLen(uint64(c.key)))
				binary.BigEndian.PutUint32(cell, c.pgno)
				putVarint(cell[4:4], uint64(c.key))
			}
			pg := t.root
			if len(groups) > 1 {
				pg = t.sink.alloc()
			}
			if err := t.sink.put(pg, page.finish(g[len(g)-1].pgno)); err != nil {
				return err
			}
			next = append(next, child{pgno: pg, key: g[len(g)-1].key})
		}
		if len(next) == 1 {
			return nil
		}
		level = next
	}
}

// indexTree loads index entries, in key order, into an empty index b-tree.
// Unlike a table's, an index's interior cells hold entries of their own:
// the entry after a full leaf moves up as the divider between it and the
// next leaf.
type indexTree struct {
	leaves
	name    string
	root    uint32
	pending []byte // an entry that found the leaf full: it divides that leaf from the next
	hasPend bool
	entries int
}

func newIndexTree(name string, sink pageSink, root uint32) *indexTree {
	return &indexTree{name: name, root: root, leaves: leaves{sink: sink, leaf: newPageBuf(sink.pageSize(), pageIndexLeaf)}}
}

func indexCellSize(payload []byte) int { return varintLen(uint64(len(payload))) + len(payload) }

// add appends an entry (an index record); entries must come in the
// index's order.
func (t *indexTree) add(entry []byte) error {
	if len(entry) > maxLocal(len(t.leaf.buf), pageIndexLeaf) {
		return fmt.Errorf("%s: an entry of %d bytes is more than a page holds without overflow", t.name, len(entry))
	}
	t.entries++
	if t.hasPend {
		// The leaf was full: the pending entry divides it from the next.
		if err := t.close(child{divider: append([]byte(nil), t.pending...)}); err != nil {
			return err
		}
		t.hasPend = false
	}
	size := indexCellSize(entry)
	if !t.leaf.fits(size) {
		t.pending, t.hasPend = append(t.pending[:0], entry...), true
		return nil
	}
	c := putVarint(t.leaf.cell(size)[:0], uint64(len(entry)))
	copy(c[len(c):size], entry)
	return nil
}

func (t *indexTree) finish() error {
	if t.entries == 0 {
		return nil
	}
	if t.hasPend {
		// The last entry found its leaf full. It starts the last leaf, and
		// the full leaf gives up its own last entry as the divider.
		if err := t.close(child{divider: t.leaf.popIndexCell()}); err != nil {
			return err
		}
		size := indexCellSize(t.pending)
		c := putVarint(t.leaf.cell(size)[:0], uint64(len(t.pending)))
		copy(c[len(c):size], t.pending)
		t.hasPend = false
	}
	if len(t.level) == 0 { // one leaf: it is the root
		return t.sink.put(t.root, t.leaf.finish(0))
	}
	if err := t.close(child{}); err != nil { // the last leaf
		return err
	}
	return t.buildInterior(t.level)
}

// buildInterior writes interior levels over children (each but the last
// with the divider that follows it) until one page, the root, remains.
func (t *indexTree) buildInterior(level []child) error {
	page := newPageBuf(t.sink.pageSize(), pageIndexInterior)
	for {
		// A page holds children c[a..b] and the dividers between them; the
		// divider after c[b] moves up a level. Every page has a cell.
		type group struct{ a, b int }
		var groups []group
		a := 0
		page.reset(pageIndexInterior)
		for i := 0; i < len(level)-1; i++ {
			size := 4 + indexCellSize(level[i].divider)
			if i > a && !page.fits(size) {
				groups = append(groups, group{a, i})
				a = i + 1
				page.reset(pageIndexInterior)
				continue
			}
			page.cell(size)
		}
		groups = append(groups, group{a, len(level) - 1})
		if n := len(groups); n > 1 && groups[n-1].a == groups[n-1].b {
			// The last page would hold only a pointer: give it the
			// previous page's last child.
			groups[n-2].b--
			groups[n-1].a--
		}
		var next []child
		for _, g := range groups {
			page.reset(pageIndexInterior)
			for _, c := range level[g.a:g.b] {
				size := 4 + indexCellSize(c.divider)
				cell := page.cell(size)
				binary.BigEndian.PutUint32(cell, c.pgno)
				p := putVarint(cell[4:4], uint64(len(c.divider)))
				copy(cell[4+len(p):], c.divider)
			}
			pg := t.root
			if len(groups) > 1 {
				pg = t.sink.alloc()
			}
			if err := t.sink.put(pg, page.finish(level[g.b].pgno)); err != nil {
				return err
			}
			next = append(next, child{pgno: pg, divider: level[g.b].divider})
		}
		if len(next) == 1 {
			return nil
		}
		level = next
	}
}
