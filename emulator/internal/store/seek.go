package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"sync"
)

// Paging by OFFSET makes SQLite step over every row before the page, so a
// pull of a big table page by page is quadratic. PageKeys keeps, per query,
// the key that ends each page it served (a checkpoint) and starts the next
// request from the nearest checkpoint at or before its offset with a seek
// on the key ("key > checkpoint"), so a page deep in the table costs what
// the first one does. Checkpoints belong to a data version: any write to a
// tracked table drops them, since offsets may have moved.

// maxSeekQueries bounds the queries whose checkpoints are kept.
const maxSeekQueries = 256

type seekCache struct {
	mu      sync.Mutex
	queries map[string]*checkpoints
}

type checkpoints struct {
	version int64
	offsets []int64         // sorted
	keys    map[int64]int64 // offset -> the key of the row just before it
}

// KeyPage asks for one page of keys: the values of Key over From (a table
// with an optional alias) where Where holds, in ascending key order.
type KeyPage struct {
	From, Key, Where string
	Args             []any
	Offset, Limit    int64
}

// PageKeys returns the keys of one page, reading from the nearest known
// page boundary instead of from the start.
func (s *Store) PageKeys(ctx context.Context, p KeyPage) ([]int64, error) {
	if p.Where == "" {
		p.Where = "1=1"
	}
	tx, err := s.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var version int64
	if err := tx.QueryRowContext(ctx, DataVersionSQL).Scan(&version); err != nil {
		return nil, err
	}
	id := fmt.Sprintf("%s\x00%s\x00%s\x00%v", p.From, p.Key, p.Where, p.Args)
	from, after, ok := s.seek.nearest(id, version, p.Offset)
	text := fmt.Sprintf(`SELECT %[1]s FROM %[2]s WHERE (%[3]s) ORDER BY %[1]s LIMIT ? OFFSET ?`, p.Key, p.From, p.Where)
	args := append(append([]any(nil), p.Args...), p.Limit, p.Offset-from)
	if ok {
		text = fmt.Sprintf(`SELECT %[1]s FROM %[2]s WHERE (%[3]s) AND %[1]s > ? ORDER BY %[1]s LIMIT ? OFFSET ?`, p.Key, p.From, p.Where)
		args = append(append(append([]any(nil), p.Args...), after), p.Limit, p.Offset-from)
	}
	rows, err := tx.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(keys) > 0 {
		s.seek.remember(id, version, p.Offset+int64(len(keys)), keys[len(keys)-1])
	}
	return keys, nil
}

// nearest finds the checkpoint at or before offset: its offset and key.
func (c *seekCache) nearest(id string, version, offset int64) (int64, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := c.queries[id]
	if cp == nil || cp.version != version {
		return 0, 0, false
	}
	i := sort.Search(len(cp.offsets), func(i int) bool { return cp.offsets[i] > offset }) - 1
	if i < 0 {
		return 0, 0, false
	}
	o := cp.offsets[i]
	return o, cp.keys[o], true
}

func (c *seekCache) remember(id string, version, offset, key int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.queries == nil {
		c.queries = map[string]*checkpoints{}
	}
	cp := c.queries[id]
	if cp == nil || cp.version != version {
		if cp == nil && len(c.queries) >= maxSeekQueries {
			for k := range c.queries { // drop one at random
				delete(c.queries, k)
				break
			}
		}
		cp = &checkpoints{version: version, keys: map[int64]int64{}}
		c.queries[id] = cp
	}
	if _, ok := cp.keys[offset]; ok {
		return
	}
	cp.keys[offset] = key
	i := sort.Search(len(cp.offsets), func(i int) bool { return cp.offsets[i] > offset })
	cp.offsets = append(cp.offsets, 0)
	copy(cp.offsets[i+1:], cp.offsets[i:])
	cp.offsets[i] = offset
}
