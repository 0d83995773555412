package mirror

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// An incremental table's network work (its changed rows, the search for
// its deleted rows) is done before its transaction opens, every changed
// table at once; the transactions then only write, one table at a time.
// The run holds the target's lock, so nothing else writes a table between
// the search and its transaction: what the search read of the target is
// what the transaction starts from.

// tableReader reads one table as last committed, outside any transaction
// (a target that has one implements committedReader).
type tableReader interface {
	rangeCounter
	// Count counts the table's rows.
	Count(ctx context.Context) (int, error)
	// Existing says which of keys the table holds.
	Existing(ctx context.Context, keys []string) (map[string]bool, error)
}

// committedReader is a target whose committed tables can be read while
// another table's transaction is open.
type committedReader interface {
	reader(sch Schema) tableReader
}

// prefetchRows is how many changed rows a run may hold in memory before
// writing them (the full read's bound: a run never holds more than a
// first sync does).
var prefetchRows = rowsInFlight

// budget bounds the changed rows a run holds in memory before writing
// them; a table that finds it spent reads the rest of its changes inside
// its transaction, as a big change does.
type budget struct {
	mu   sync.Mutex
	left int
}

func (b *budget) take(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

func (b *budget) give(n int) {
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
}

// prefetch is what was read for an incremental table before its
// transaction.
type prefetch struct {
	done     chan struct{}
	from     string  // where the read of changes starts
	batches  [][]Row // the changed rows, a page each
	pages    int     // pages read
	complete bool    // the last page was short: batches hold every change
	// searched: the deleted rows were looked for, and deletes is all
	// there is to delete; otherwise the transaction looks.
	searched bool
	deletes  []rangeDelete
	budget   *budget
	held     int // rows taken from the budget
	took     time.Duration
	err      error
}

// prefetchChanges reads the changed rows of an incremental table while
// the budget lasts and, when it read them all, searches for the deleted
// rows against the committed table.
func prefetchChanges(ctx context.Context, p *probe, plan Plan, spec TableSpec, rd tableReader, b *budget) *prefetch {
	f := &prefetch{done: make(chan struct{}), from: readFrom(p.st.Watermark, p.st.SyncedAt, plan.LookBack), budget: b}
	go func() {
		defer close(f.done)
		start := time.Now()
		f.err = f.run(ctx, p, plan, spec, rd, b)
		f.took = time.Since(start)
	}()
	return f
}

// release gives the rows back to the budget once the table is written.
func (f *prefetch) release() {
	f.budget.give(f.held)
	f.held, f.batches = 0, nil
}

func (f *prefetch) run(ctx context.Context, p *probe, plan Plan, spec TableSpec, rd tableReader, b *budget) error {
	src, sch := p.src, p.sch
	q := changesQuery(projectionOf(spec, sch, p.cursor), p.cursor, f.from, sch, src.pageSize)
	for !f.complete {
		if !b.take(src.pageSize) {
			return nil
		}
		f.held += src.pageSize
		recs, err := src.page(ctx, sch.Table, q, f.pages+1)
		if err != nil {
			return fmt.Errorf("reading %s changed since %s: %w", sch.Table, f.from, err)
		}
		f.pages++
		batch := make([]Row, 0, len(recs))
		for _, rec := range recs {
			r, err := row(sch, rec)
			if err != nil {
				return err
			}
			batch = append(batch, r)
		}
		f.batches = append(f.batches, batch)
		f.complete = len(recs) < src.pageSize
	}
	if rd == nil || plan.VerifyDeletes {
		return nil // the key pass runs in the transaction
	}
	committed, err := rd.Count(ctx)
	if err != nil {
		return fmt.Errorf("counting the rows of %s in the target: %w", sch.Table, err)
	}
	added, err := f.added(ctx, sch, rd)
	if err != nil {
		return err
	}
	local := committed + len(added)
	switch {
	case local <= p.remote:
		f.searched = true
	case bisectable(sch, src.pageSize, local, p.remote):
		ds := &deleteSearch{src: src, sch: sch, view: rd, added: added}
		if f.deletes, err = ds.run(ctx, committed, p.remote); err != nil {
			return err
		}
		f.searched = true
	}
	return nil
}

// added lists the keys, sorted, of fetched rows the target lacks (the
// table gains them when they are written). Non-integer keys are counted
// but left out of the list: only integer keys are searched by range.
func (f *prefetch) added(ctx context.Context, sch Schema, rd tableReader) ([]int64, error) {
	seen := map[string]bool{}
	var keys []string
	for _, b := range f.batches {
		for _, r := range b {
			if !seen[r.Key] {
				seen[r.Key] = true
				keys = append(keys, r.Key)
			}
		}
	}
	have, err := rd.Existing(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("reading the keys of %s in the target: %w", sch.Table, err)
	}
	out := make([]int64, 0, len(keys)-len(have))
	for _, k := range keys {
		if have[k] {
			continue
		}
		n, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			n = 0 // not searched by range (the key is not an integer)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// changesQuery is the listing of the rows whose cursor is at or after
// from (every row with a cursor value when from is empty).
func changesQuery(projection []string, cursor, from string, sch Schema, pageSize int) url.Values {
	if from == "" {
		from = floorOf(sch, cursor)
	}
	return url.Values{"projection": {strings.Join(projection, ",")}, "q": {fiqlGE(cursor, from)}, "pagesize": {strconv.Itoa(pageSize)}}
}
