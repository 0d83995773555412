package mirror

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"sync"
)

// Deleted rows are found by comparing row counts over ranges of an integer
// key: PowerSchool's count of a range (one request) against the target's.
// A range whose counts differ lost rows; it is split in k parts, each
// counted at once, until a range is small enough to read its keys. Every
// range of a level is searched at once, so the search takes a few round
// trips (about log_k(rows / page size)) however many rows went.

// rangeCounter is what the search asks the target: the table as the
// transaction will find it (its committed rows), or the transaction
// itself.
type rangeCounter interface {
	// CountRange counts rows whose key is in [lo, hi); KeyAt is the key at
	// offset (from 0, in key order) in that range.
	CountRange(ctx context.Context, lo, hi int64) (int, error)
	KeyAt(ctx context.Context, lo, hi int64, offset int) (int64, error)
}

// rangeDelete is what the search found in one range: its rows whose keys
// are not in keep are gone from PowerSchool (keep nil: every row of it).
type rangeDelete struct {
	lo, hi int64
	keep   []string
}

// apply deletes the range's rows gone from PowerSchool, inside tx.
func (d rangeDelete) apply(ctx context.Context, tx TableTx) (int, error) {
	if err := tx.Seen(ctx, d.keep); err != nil {
		return 0, err
	}
	return tx.DeleteUnseenRange(ctx, d.lo, d.hi)
}

// keyRange is a range of keys under search: [lo, hi), math.MinInt64 and
// math.MaxInt64 meaning unbounded.
type keyRange struct {
	lo, hi    int64
	committed int  // rows the view holds in the range
	local     int  // committed plus the fetched rows the view lacks
	remote    int  // PowerSchool's rows in the range
	counted   bool // remote was counted for this very range, not derived
	probed    bool // remote is the probe's count, older than the changes read
}

// splitRange is a range cut in parts, the first counted of them counted by
// their own requests.
type splitRange struct {
	r       keyRange
	parts   []keyRange
	counted int
}

// maxFanOut bounds the parts a range is split into.
const maxFanOut = 16

// deleteSearch finds the rows of one table that PowerSchool no longer has.
type deleteSearch struct {
	src  *source
	sch  Schema
	view rangeCounter
	// added are the keys, sorted, of fetched rows the view lacks but the
	// table will hold once they are written (nil when view is the
	// transaction, which already holds them).
	added []int64
}

// bisectable reports whether finding local-remote deleted rows by
// splitting key ranges (a count per range, then the keys of small ranges)
// costs fewer requests than reading every key. It needs an integer key.
func bisectable(sch Schema, pageSize, local, remote int) bool {
	if c, ok := sch.Col(sch.Key); !ok || c.Type != TypeInt {
		return false
	}
	levels := bits.Len(uint(local/pageSize)) + 1
	return (local-remote)*(levels+1) < 1+(remote+pageSize-1)/pageSize
}

// run searches the whole key space, which holds committed rows in the
// view (plus d.added) and remote rows in PowerSchool as last counted. It
// returns what to delete; nothing is written.
func (d *deleteSearch) run(ctx context.Context, committed, remote int) ([]rangeDelete, error) {
	lim := d.src.lim
	lim.searching.Add(1)
	defer lim.searching.Add(-1)
	frontier := []keyRange{{lo: math.MinInt64, hi: math.MaxInt64, committed: committed, local: committed + len(d.added), remote: remote, probed: true}}
	var out []rangeDelete
	for len(frontier) > 0 {
		var differ []keyRange
		for _, r := range frontier {
			if r.remote < r.local {
				differ = append(differ, r)
			}
		}
		if len(differ) == 0 {
			break
		}
		k := lim.fanOut(len(differ))
		// Each range's requests go out at once; the target is read here,
		// one query at a time (a transaction is not safe for concurrent use).
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			errs   []error
			splits []splitRange
		)
		fail := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }
		for _, r := range differ {
			switch {
			case r.counted && r.remote == 0:
				mu.Lock()
				out = append(out, rangeDelete{lo: r.lo, hi: r.hi})
				mu.Unlock()
			case r.local <= k*d.src.pageSize || r.committed < k:
				wg.Go(func() {
					keys, err := d.keys(ctx, r)
					if err != nil {
						fail(err)
						return
					}
					mu.Lock()
					out = append(out, rangeDelete{lo: r.lo, hi: r.hi, keep: keys})
					mu.Unlock()
				})
			default:
				parts, err := d.split(ctx, r, k)
				if err != nil {
					fail(err)
					break
				}
				// The last part's count is the range's less the others'
				// (a derived count only steers the search: a range is
				// deleted whole only when counted empty). The probe's count
				// is older than the changes read, so there every part is
				// counted.
				s := splitRange{r: r, parts: parts, counted: len(parts) - 1}
				if r.probed {
					s.counted++
				}
				for i := range s.counted {
					wg.Go(func() {
						n, err := d.src.countQ(ctx, d.sch.Table, d.query(parts[i]))
						if err != nil {
							fail(err)
							return
						}
						parts[i].remote, parts[i].counted = n, true
					})
				}
				splits = append(splits, s)
			}
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		var next []keyRange
		for _, s := range splits {
			if s.counted < len(s.parts) {
				last := &s.parts[len(s.parts)-1]
				last.remote = s.r.remote
				for _, p := range s.parts[:s.counted] {
					last.remote -= p.remote
				}
			}
			next = append(next, s.parts...)
		}
		frontier = next
	}
	slices.SortFunc(out, func(a, b rangeDelete) int { return cmp.Compare(a.lo, b.lo) })
	return out, nil
}

// keysAt is a view that finds the keys at several offsets in one pass.
type keysAt interface {
	KeysAt(ctx context.Context, lo, hi int64, offsets []int) ([]int64, error)
}

// split cuts r in k parts holding about as many of the view's rows each.
// The view's rows between two split keys are the difference of their
// offsets, so the split costs the k-1 keys and no count.
func (d *deleteSearch) split(ctx context.Context, r keyRange, k int) ([]keyRange, error) {
	offsets := make([]int, k-1)
	for j := range offsets {
		offsets[j] = r.committed * (j + 1) / k
	}
	keys := make([]int64, len(offsets))
	var err error
	if ka, ok := d.view.(keysAt); ok {
		keys, err = ka.KeysAt(ctx, r.lo, r.hi, offsets)
	} else {
		for j, off := range offsets {
			if keys[j], err = d.view.KeyAt(ctx, r.lo, r.hi, off); err != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("splitting the keys of %s: %w", d.sch.Table, err)
	}
	parts := make([]keyRange, k)
	prevKey, prevOff := r.lo, 0
	for j := range k {
		hi, off := r.hi, r.committed
		if j < k-1 {
			hi, off = keys[j], offsets[j]
		}
		parts[j] = keyRange{lo: prevKey, hi: hi, committed: off - prevOff}
		parts[j].local = parts[j].committed + d.addedIn(prevKey, hi)
		prevKey, prevOff = hi, off
	}
	return parts, nil
}

// addedIn counts the added keys in [lo, hi).
func (d *deleteSearch) addedIn(lo, hi int64) int {
	i, _ := slices.BinarySearch(d.added, lo)
	j, _ := slices.BinarySearch(d.added, hi)
	if hi == math.MaxInt64 {
		j = len(d.added)
	}
	return j - i
}

// query is the FIQL filter of a range; an unbounded side is left out (the
// whole key space has none).
func (d *deleteSearch) query(r keyRange) string {
	key := d.sch.Key
	var q string
	if r.lo != math.MinInt64 {
		q = key + "=ge=" + strconv.FormatInt(r.lo, 10)
	}
	if r.hi != math.MaxInt64 {
		if q != "" {
			q += ";"
		}
		q += key + "=lt=" + strconv.FormatInt(r.hi, 10)
	}
	return q
}

// keys reads the keys PowerSchool has in r: the pages its count says it
// fills, at once, then any further page one by one (the count may be old).
func (d *deleteSearch) keys(ctx context.Context, r keyRange) ([]string, error) {
	q := d.query(r)
	size := d.src.pageSize
	pages := max(r.remote, 0)/size + 1
	got := make([][]string, pages)
	var wg sync.WaitGroup
	errs := make([]error, pages)
	for i := range pages {
		wg.Go(func() { got[i], errs[i] = d.src.keysPage(ctx, d.sch.Table, d.sch.Key, q, i+1) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for len(got[len(got)-1]) == size {
		keys, err := d.src.keysPage(ctx, d.sch.Table, d.sch.Key, q, len(got)+1)
		if err != nil {
			return nil, err
		}
		got = append(got, keys)
	}
	return slices.Concat(got...), nil
}
