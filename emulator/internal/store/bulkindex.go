package store

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
)

// bulkIndex is one index of a bulk-loaded table. An index whose entries
// come in key order goes straight to pages (tree). The others are kept as
// sort keys that order as SQLite orders the index (see add), in chunks
// that are sorted on their own and merged while the pages are written,
// then turned back into index records.
type bulkIndex struct {
	name   string
	root   uint32
	cols   []int      // the table's columns, in index order
	nocase []bool     // compare the column without ASCII case
	tree   *indexTree // set when entries come in order and go straight to pages

	keys   [][]byte       // sort keys, each after its 2-byte length, in chunks
	chunks [][]indexEntry // the entries, in chunks sorted by sort
	key    []byte         // scratch
	prev   []byte         // the previous key of a streamed index
	enc    recordEncoder
	record []byte        // scratch
	vals   []recordValue // scratch
	offs   []int         // scratch
}

// indexEntry locates a sort key, with its first 16 bytes inline so that
// most comparisons touch only the entries.
type indexEntry struct {
	a, b  uint64
	chunk uint32 // which chunk of keys
	off   uint32 // where in it
}

// keyChunk is the size of a chunk of sort keys, entryChunk the number of
// entries in one: chunks grow without copying, and sort in cache.
const (
	keyChunk   = 1 << 20
	entryChunk = 1 << 16
)

// Sort keys compare byte for byte in SQLite's order for the index:
// NULL, then integers, then text; a column's value is a tag and its bytes.
// An integer's tag says how many bytes follow (fewer for a smaller
// magnitude), so that small ids take little room and the inline prefix
// of an entry covers several columns.
const (
	keyNull    = 0x05
	keyIntZero = 0x10 // the tag of 0; a positive n of k bytes is keyIntZero+k, a negative one keyIntZero-1-k
	keyText    = 0x20
)

func appendKeyInt(k []byte, v int64) []byte {
	if v >= 0 {
		n := (bits.Len64(uint64(v)) + 7) / 8
		k = append(k, byte(keyIntZero+n))
		for i := n - 1; i >= 0; i-- {
			k = append(k, byte(uint64(v)>>(8*i)))
		}
		return k
	}
	u := ^uint64(v) // -v-1: larger for a more negative v
	n := (bits.Len64(u) + 7) / 8
	k = append(k, byte(keyIntZero-1-n))
	for i := n - 1; i >= 0; i-- {
		k = append(k, ^byte(u>>(8*i)))
	}
	return k
}

// readKeyInt decodes an integer at the start of k (its tag first).
func readKeyInt(k []byte) (int64, int, bool) {
	t := int(k[0])
	if t >= keyIntZero && t <= keyIntZero+8 {
		n := t - keyIntZero
		var u uint64
		for _, c := range k[1 : 1+n] {
			u = u<<8 | uint64(c)
		}
		return int64(u), 1 + n, true
	}
	if t >= keyIntZero-9 && t < keyIntZero {
		n := keyIntZero - 1 - t
		var u uint64
		for _, c := range k[1 : 1+n] {
			u = u<<8 | uint64(^c)
		}
		return int64(^u), 1 + n, true
	}
	return 0, 0, false
}

// add keeps the entry of one row.
func (ix *bulkIndex) add(vals []recordValue, offs []int, text []byte, rowid int64) error {
	k := ix.key[:0]
	for i, c := range ix.cols {
		v := vals[c]
		switch v.kind {
		case 'n':
			k = append(k, keyNull)
		case 'i':
			k = appendKeyInt(k, v.n)
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
	k = appendKeyInt(k, rowid)
	// Text compared without case keeps its spelling after the rowid, where
	// it cannot change the order.
	for i, c := range ix.cols {
		if v := vals[c]; ix.nocase[i] && v.kind == 't' {
			k = append(k, text[offs[c]:offs[c]+int(v.n)]...)
		}
	}
	ix.key = k
	if len(k) > 1<<12 {
		return fmt.Errorf("%s: an entry of %d bytes", ix.name, len(k))
	}
	if ix.tree != nil {
		if len(ix.prev) > 0 && bytes.Compare(ix.prev, k) >= 0 {
			return fmt.Errorf("%s: rows out of the index's order; create it with the indexes, not inOrderIndexes", ix.name)
		}
		ix.prev = append(ix.prev[:0], k...)
		ix.vals, ix.offs = ix.vals[:0], ix.offs[:0]
		for _, c := range ix.cols {
			ix.vals, ix.offs = append(ix.vals, vals[c]), append(ix.offs, offs[c])
		}
		ix.vals, ix.offs = append(ix.vals, recordValue{'i', rowid}), append(ix.offs, 0)
		ix.record = ix.enc.append(ix.record[:0], ix.vals, ix.offs, text)
		return ix.tree.add(ix.record)
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

func (ix *bulkIndex) compare(x, y indexEntry) int {
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

// sortJobs are the chunks of the indexes to sort; each can go to its own
// core.
func sortJobs(ixs []*bulkIndex) []func() {
	var jobs []func()
	for _, ix := range ixs {
		for i := range ix.chunks {
			jobs = append(jobs, func() {
				if c := ix.chunks[i]; !slices.IsSortedFunc(c, ix.compare) {
					slices.SortFunc(c, ix.compare)
				}
			})
		}
	}
	return jobs
}

// finish writes the index's pages, merging its sorted chunks.
func (ix *bulkIndex) finish(l *bulkLoader) error {
	if ix.tree != nil {
		return ix.tree.finish()
	}
	tree := newIndexTree(ix.name, l, ix.root)
	m := &entryMerge{ix: ix}
	for _, c := range ix.chunks {
		if len(c) > 0 {
			m.heads = append(m.heads, c)
		}
	}
	heap.Init(m)
	for m.Len() > 0 {
		e := m.heads[0][0]
		if m.heads[0] = m.heads[0][1:]; len(m.heads[0]) == 0 {
			heap.Pop(m)
		} else {
			heap.Fix(m, 0)
		}
		rec, err := ix.recordOf(ix.entryKey(e))
		if err != nil {
			return err
		}
		if err := tree.add(rec); err != nil {
			return err
		}
	}
	ix.chunks, ix.keys = nil, nil
	return tree.finish()
}

// entryMerge is a heap of sorted chunks, by their first entries.
type entryMerge struct {
	ix    *bulkIndex
	heads [][]indexEntry
}

func (m *entryMerge) Len() int           { return len(m.heads) }
func (m *entryMerge) Less(i, j int) bool { return m.ix.compare(m.heads[i][0], m.heads[j][0]) < 0 }
func (m *entryMerge) Swap(i, j int)      { m.heads[i], m.heads[j] = m.heads[j], m.heads[i] }
func (m *entryMerge) Push(x any)         { m.heads = append(m.heads, x.([]indexEntry)) }
func (m *entryMerge) Pop() any {
	x := m.heads[len(m.heads)-1]
	m.heads = m.heads[:len(m.heads)-1]
	return x
}

// recordOf turns a sort key back into the index record SQLite stores: the
// indexed values, then the rowid.
func (ix *bulkIndex) recordOf(k []byte) ([]byte, error) {
	var vals [8]recordValue
	var starts [8]int
	if len(ix.cols) >= len(vals) {
		return nil, fmt.Errorf("%s: too many columns", ix.name)
	}
	p := 0
	var nocaseAt []int
	for i := range ix.cols {
		switch k[p] {
		case keyNull:
			vals[i] = recordValue{kind: 'n'}
			p++
		case keyText:
			end := bytes.IndexByte(k[p+1:], 0)
			vals[i], starts[i] = recordValue{kind: 't', n: int64(end)}, p+1
			if ix.nocase[i] {
				nocaseAt = append(nocaseAt, i)
			}
			p += end + 2
		default:
			v, size, ok := readKeyInt(k[p:])
			if !ok {
				return nil, fmt.Errorf("%s: a corrupt sort key", ix.name)
			}
			vals[i] = recordValue{kind: 'i', n: v}
			p += size
		}
	}
	n := len(ix.cols)
	rowid, size, ok := readKeyInt(k[p:])
	if !ok {
		return nil, fmt.Errorf("%s: a corrupt sort key", ix.name)
	}
	vals[n] = recordValue{kind: 'i', n: rowid}
	p += size
	for _, i := range nocaseAt { // the original spelling
		starts[i] = p
		p += int(vals[i].n)
	}
	ix.record = ix.enc.append(ix.record[:0], vals[:n+1], starts[:n+1], k)
	return ix.record, nil
}
