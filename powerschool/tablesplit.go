package powerschool

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// RangeSplit chooses how a table listing pages.
type RangeSplit int

const (
	// RangeSplitAuto splits a large table (more than SplitAbove pages) into
	// ranges of its key when the key is given (TableListOptions.Key) and
	// no Sort is asked for.
	RangeSplitAuto RangeSplit = iota
	// RangeSplitNever always pages with page/pagesize.
	RangeSplitNever
	// RangeSplitAlways splits whenever the key is known (given, or a core
	// table's DCID) and no Sort is asked for.
	RangeSplitAlways
)

// SplitAbove is the number of pages above which RangeSplitAuto splits.
const SplitAbove = 250

// splitWindowPages is how many pages of rows one key range holds, on
// average: enough that a range's last, partly empty request costs little.
const splitWindowPages = 8

// coreKeys are the key columns of core tables, which the table API's "id"
// is: PowerSchool's DCID.
var coreKeys = map[string]string{
	"students": "dcid", "cc": "dcid", "attendance": "dcid", "storedgrades": "dcid", "pgfinalgrades": "dcid",
	"sections": "dcid", "courses": "dcid", "schoolstaff": "dcid", "users": "dcid", "teachers": "dcid",
	"terms": "dcid", "schools": "dcid", "reenrollments": "dcid", "log": "dcid", "attendance_code": "dcid",
}

// splitKey returns the key column a listing of table may split on, "" when
// it may not.
func splitKey(table string, opts *TableListOptions) string {
	if opts.RangeSplit == RangeSplitNever || opts.Sort != "" {
		return ""
	}
	if opts.Key != "" {
		return opts.Key
	}
	// A core table's key is its DCID, which the table API's q compares as
	// a number: a window of keys is an index seek, where a deep page
	// re-reads every row before it.
	return coreKeys[strings.ToLower(table)]
}

// keyRange is the half-open range [lo, hi) of key values.
type keyRange struct{ lo, hi int64 }

// splitter lists a table in ranges of its key: each range is read by seek
// (key=gt=<last key read>, sorted by key, always page 1), so no request
// scans rows before it, and ranges are read concurrently and yielded in
// key order. Every row present for the whole pull is yielded exactly once
// whatever is inserted or deleted meanwhile (a row arrives at most once,
// since keys only grow along a range and ranges do not overlap); rows
// inserted or deleted during the pull may or may not appear.
type splitter struct {
	s     *TablesService
	path  string
	key   string
	q     url.Values // projection and the caller's filter
	userQ string
	size  int
}

// rangeQuery is the filter of keys in (after, hi): after is the last key
// read (or lo-1).
func (sp *splitter) rangeQuery(after, hi int64) url.Values {
	v := make(url.Values, len(sp.q)+4)
	for k, x := range sp.q {
		v[k] = x
	}
	cond := fmt.Sprintf("%s=gt=%d;%s=lt=%d", sp.key, after, sp.key, hi)
	if sp.userQ != "" {
		cond = sp.userQ + ";" + cond
	}
	v.Set("q", cond)
	v.Set("sort", sp.key)
	v.Set("sortdescending", "false")
	v.Set("page", "1")
	v.Set("pagesize", strconv.Itoa(sp.size))
	return v
}

func (sp *splitter) get(ctx context.Context, q url.Values) ([]SchemaRecord, error) {
	return sp.s.c.tablePage(ctx, sp.path, q)
}

// edge returns the smallest (desc false) or largest key matching the
// caller's filter; ok is false when no row matches.
func (sp *splitter) edge(ctx context.Context, desc bool) (int64, bool, error) {
	v := make(url.Values, len(sp.q)+4)
	for k, x := range sp.q {
		v[k] = x
	}
	v.Set("projection", sp.key)
	v.Set("sort", sp.key)
	v.Set("sortdescending", strconv.FormatBool(desc))
	v.Set("page", "1")
	v.Set("pagesize", "1")
	recs, err := sp.get(ctx, v)
	if err != nil || len(recs) == 0 {
		return 0, false, err
	}
	return int64(recs[0].ID.Int()), true, nil
}

// readRange reads every row with a key in r, by seek.
func (sp *splitter) readRange(ctx context.Context, r keyRange) ([]SchemaRecord, error) {
	var out []SchemaRecord
	after := r.lo - 1
	for {
		recs, err := sp.get(ctx, sp.rangeQuery(after, r.hi))
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			id := int64(rec.ID.Int())
			if id <= after || id >= r.hi {
				return nil, fmt.Errorf("powerschool: GET %s: the server answered a row with key %d outside the range asked for (%d, %d); list it with RangeSplit: RangeSplitNever", sp.path, id, after, r.hi)
			}
			after = id
		}
		out = append(out, recs...)
		if len(recs) < sp.size {
			return out, nil
		}
	}
}

// run lists the table in ranges: the first and last keys (two requests at
// once), then ranges of about splitWindowPages pages each.
func (sp *splitter) run(ctx context.Context, total, workers int, progress func(Progress), yield func(SchemaRecord, error) bool) {
	type edgeResult struct {
		k   int64
		ok  bool
		err error
	}
	lastc := make(chan edgeResult, 1)
	go func() {
		k, ok, err := sp.edge(ctx, true)
		lastc <- edgeResult{k, ok, err}
	}()
	first, ok, err := sp.edge(ctx, false)
	last := <-lastc
	if err == nil {
		err = last.err
	}
	if err != nil {
		yield(SchemaRecord{}, err)
		return
	}
	if !ok || !last.ok {
		return // no rows
	}
	n := max(1, total/(sp.size*splitWindowPages))
	width := (last.k - first + 1 + int64(n) - 1) / int64(n)
	width = max(width, 1)
	var ranges []keyRange
	for lo := first; lo <= last.k; lo += width {
		ranges = append(ranges, keyRange{lo, min(lo+width, last.k+1)})
	}
	// Rows inserted beyond the first or last key during the pull belong to
	// no range: the outer ranges are open so that the pull reads them too.
	ranges[0].lo = -(1 << 62)
	ranges[len(ranges)-1].hi = 1<<62 - 1
	done := 0
	fetch := func(ctx context.Context, i int) ([]SchemaRecord, error) { return sp.readRange(ctx, ranges[i-1]) }
	err = fetchOrdered(ctx, 1, len(ranges), workers, fetch, func(_ int, recs []SchemaRecord) bool {
		for _, r := range recs {
			if !yield(r, nil) {
				return false
			}
			done++
		}
		if progress != nil {
			progress(Progress{Total: max(total, done), Done: done})
		}
		return true
	})
	if err != nil {
		yield(SchemaRecord{}, err)
	}
}
