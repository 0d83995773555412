// Package mirror keeps a PowerSchool district in a database, run after run,
// moving only what changed.
//
// Each table is read through the table API (/ws/schema/table/{t}), a
// named PowerQuery or a /ws/v1 resource (see V1Resources), and
// lands under PowerSchool's own name in lower case, with PowerSchool's
// column names, a raw JSON column, and its sync state in the target
// itself. A table with a cursor column (TRANSACTION_DATE, WHENMODIFIED) is
// read incrementally from its last watermark; one without is reloaded.
// A probe (count and newest cursor) before each table makes an unchanged
// table cost two requests. See docs/sync.md.
package mirror

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"math/bits"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	ps "github.com/pskit/pskit/powerschool"
)

// Report is what a run did.
type Report struct {
	RunID    string        `json:"run_id"`
	District string        `json:"district"`
	Target   string        `json:"target"`
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
	Status   string        `json:"status"` // ok, failed (some table failed), running
	Tables   []TableReport `json:"tables"`
}

// TableReport is what a run did to one table.
type TableReport struct {
	Table     string        `json:"table"`
	Strategy  string        `json:"strategy"` // incremental, full, window, unchanged
	Inserted  int           `json:"inserted"`
	Updated   int           `json:"updated"`
	Deleted   int           `json:"deleted"`
	Requests  int           `json:"requests"`
	Duration  time.Duration `json:"duration_ns"`
	Watermark string        `json:"watermark,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// Failed lists the tables that failed.
func (r *Report) Failed() []string {
	var out []string
	for _, t := range r.Tables {
		if t.Error != "" {
			out = append(out, t.Table)
		}
	}
	return out
}

// batchSize is how many rows go to the target at once.
const batchSize = 2000

// Run syncs plan's tables from client's district into target. A table
// that fails is reported and the others still land; the error is then
// non-nil too. Refused credentials stop the run at once (errors.As gives
// *powerschool.AuthError). The client's throttle, retries and page sizes
// apply to every request.
func Run(ctx context.Context, client *ps.Client, target Target, plan Plan) (Report, error) {
	rep := Report{RunID: newRunID(), District: client.BaseURL(), Target: target.String(), Started: time.Now().UTC(), Status: "running"}
	if err := plan.Validate(); err != nil {
		return rep, err
	}
	if plan.LookBack == 0 {
		plan.LookBack = DefaultLookBack
	}
	unlock, err := target.Lock(ctx, rep.District)
	if err != nil {
		return rep, err
	}
	defer unlock()
	md, err := client.Metadata(ctx)
	if err != nil {
		return rep, fmt.Errorf("reading the district's metadata: %w", err)
	}
	size := int(md.SchemaTableQueryMaxPageSize)
	if size <= 0 {
		size = 100
	}
	if err := target.StartRun(ctx, &rep); err != nil {
		return rep, fmt.Errorf("writing the run log in %s: %w", target, err)
	}
	// Every table is probed first, several at once (the client's throttle
	// still paces the requests); then the tables that changed are written
	// one at a time, each in its own transaction.
	probes, err := probeAll(ctx, client, target, plan, size)
	if err != nil {
		return rep, err
	}
	var failed []error
	for i, spec := range plan.Tables {
		p := probes[i]
		start := time.Now()
		tr, err := p.tr, p.err
		if err == nil {
			tr, err = syncTable(ctx, p, target, plan, spec, rep.RunID)
		}
		tr.Table, tr.Requests, tr.Duration = strLower(spec.Name), int(p.src.requests.Load()), p.took+time.Since(start)
		if err != nil {
			tr.Error = err.Error()
			failed = append(failed, err)
		}
		rep.Tables = append(rep.Tables, tr)
		if ps.IsAuthError(err) || ctx.Err() != nil {
			break
		}
	}
	rep.Finished = time.Now().UTC()
	rep.Status = "ok"
	if len(failed) > 0 {
		rep.Status = "failed"
	}
	// The run log is written even when the run was cancelled.
	logCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := target.FinishRun(logCtx, &rep); err != nil {
		failed = append(failed, fmt.Errorf("writing the run log: %w", err))
	}
	return rep, errors.Join(failed...)
}

func newRunID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func strLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// probeConcurrency bounds the tables probed at once.
const probeConcurrency = 4

// probe is what the sync learnt about a table before writing it.
type probe struct {
	src       *source
	st        *State // saved state, nil on a first sync
	sch       Schema
	cursor    string
	described bool // sch comes from the metadata, not the saved state
	remote    int  // PowerSchool's row count
	newest    string
	probedAt  time.Time
	took      time.Duration
	window    *window     // set when only the current years are reloaded
	tr        TableReport // set when the probe alone decided (unchanged)
	err       error
}

// probeAll probes every table of the plan, probeConcurrency at a time.
// The saved states are read first, one by one (a target may have a single
// connection). An error here is the target's; a table's own failure is
// kept in its probe.
func probeAll(ctx context.Context, client *ps.Client, target Target, plan Plan, size int) ([]*probe, error) {
	probes := make([]*probe, len(plan.Tables))
	for i, spec := range plan.Tables {
		st, err := target.State(ctx, strLower(spec.Name))
		if err != nil {
			return nil, err
		}
		probes[i] = &probe{src: &source{c: client, pageSize: size}, st: st}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, probeConcurrency)
	for i, spec := range plan.Tables {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p := probes[i]
			if ctx.Err() != nil {
				p.err = ctx.Err()
				return
			}
			start := time.Now()
			p.err = p.run(ctx, plan, spec)
			p.took = time.Since(start)
		})
	}
	wg.Wait()
	return probes, nil
}

// run reads the table's schema (from the saved state, or its metadata on
// a first or full sync), its count and its newest cursor value, and
// decides whether the table is unchanged.
func (p *probe) run(ctx context.Context, plan Plan, spec TableSpec) error {
	st := p.st
	var err error
	if spec.Resource != "" {
		return p.runV1(ctx, plan, spec)
	}
	if spec.PowerQuery != "" {
		// No metadata: the columns come from the rows, as text.
		p.sch, p.described = Schema{Table: strLower(spec.Name), Key: strLower(spec.Key)}, true
		if st != nil && len(st.Schema.Columns) > 0 {
			p.sch = st.Schema
		} else if p.sch.Key != "" {
			p.sch.Columns = []Column{{Name: p.sch.Key, Type: TypeText}}
		}
		p.probedAt = time.Now().UTC()
		p.src.requests.Add(1)
		if p.remote, err = p.src.c.PowerQueryCount(ctx, spec.PowerQuery, nil); err != nil {
			return fmt.Errorf("counting the rows of PowerQuery %s: %w", spec.PowerQuery, err)
		}
		return nil
	}
	if st != nil && !plan.Full && len(st.Schema.Columns) > 0 && spec.Strategy != StrategyFull && !v1State(st) {
		p.sch, p.cursor = st.Schema, st.Cursor
		if spec.Cursor != "" {
			p.cursor = strLower(spec.Cursor)
		}
	} else {
		if p.sch, p.cursor, err = p.src.describe(ctx, spec); err != nil {
			return err
		}
		p.described = true
	}
	if spec.Strategy == StrategyFull {
		p.cursor = ""
	}
	p.probedAt = time.Now().UTC()
	if err := p.chooseWindow(ctx, plan, spec); err != nil || p.window != nil {
		return err // a window is reloaded: nothing to probe
	}
	if p.remote, err = p.src.count(ctx, p.sch.Table); err != nil {
		return err
	}
	if p.cursor != "" {
		if p.newest, err = p.src.newest(ctx, p.sch, p.cursor); err != nil {
			return err
		}
	}
	if p.known(plan) && !plan.VerifyDeletes && st.RemoteCount == p.remote && st.Watermark == p.newest {
		p.tr.Strategy, p.tr.Watermark = StrategyUnchanged, p.newest
	}
	return nil
}

// known reports whether the saved state holds a watermark for the
// table's cursor. An empty watermark is known too: no row had a cursor
// value at the last probe (old rows keep a NULL stamp until they are
// written).
func (p *probe) known(plan Plan) bool {
	return p.cursor != "" && p.st != nil && p.st.Cursor == p.cursor && !plan.Full
}

// syncTable brings one probed table up to date in one transaction.
func syncTable(ctx context.Context, p *probe, target Target, plan Plan, spec TableSpec, runID string) (TableReport, error) {
	tr := p.tr
	if tr.Strategy == StrategyUnchanged {
		return tr, nil
	}
	src, st, sch, cursor, remote, newest := p.src, p.st, p.sch, p.cursor, p.remote, p.newest
	name := sch.Table
	known := p.known(plan)
	// A Parquet snapshot is rewritten whole; a keyless table cannot take
	// re-read rows without duplicating them.
	_, fullOnly := target.(interface{ fullOnly() bool })
	incremental := known && !fullOnly && sch.Key != "" && spec.Resource == "" // /ws/v1 has no change filter
	tx, err := target.Begin(ctx, sch)
	if err != nil {
		return tr, err
	}
	done := false
	defer func() {
		if !done {
			tx.Rollback()
		}
	}()
	w := &writer{ctx: ctx, src: src, tx: tx, spec: spec, described: p.described, progress: plan.Progress, total: remote, projection: projectionOf(spec, sch, cursor)}
	if p.window != nil && !fullOnly {
		tr.Strategy = StrategyWindow
		if err := w.windowed(*p.window); err != nil {
			return tr, err
		}
		tr.Deleted = w.deleted
	} else if incremental {
		tr.Strategy = StrategyIncremental
		if err := w.incremental(cursor, readFrom(st.Watermark, st.SyncedAt, plan.LookBack)); err != nil {
			return tr, err
		}
		local, err := tx.Count(ctx)
		if err != nil {
			return tr, err
		}
		// Rows deleted in PowerSchool show as more rows here than there.
		switch {
		case plan.VerifyDeletes || (local > remote && !w.bisectable(local, remote)):
			tr.Deleted, err = w.deleteMissing()
		case local > remote:
			tr.Deleted, err = w.bisectDeletes(local)
		}
		if err != nil {
			return tr, err
		}
	} else {
		tr.Strategy = StrategyFull
		if err := w.full(); err != nil {
			return tr, err
		}
		tr.Deleted = w.deleted
	}
	tr.Inserted, tr.Updated = w.inserted, w.updated
	tr.Watermark = newest
	next := &State{Table: name, Strategy: tr.Strategy, Cursor: cursor, Watermark: newest, RemoteCount: remote, SyncedAt: p.probedAt, RunID: runID}
	if err := tx.Commit(ctx, next); err != nil {
		return tr, err
	}
	done = true
	return tr, nil
}

// writer moves rows from the source into one table's transaction.
type writer struct {
	ctx       context.Context
	src       *source
	tx        TableTx
	spec      TableSpec
	described bool
	progress  func(table string, done, total int)
	total     int
	// projection is what every read asks for (the plan's columns, or *).
	projection []string

	inserted, updated, deleted, read int
}

// flush writes a batch, de-duplicated on the key (the last copy wins),
// growing the table first if the rows carry columns it lacks.
func (w *writer) flush(batch []Row) error {
	if len(batch) == 0 {
		return nil
	}
	sch := w.tx.Schema()
	if sch.Key != "" {
		last := make(map[string]int, len(batch))
		for i, r := range batch {
			last[r.Key] = i
		}
		if len(last) < len(batch) {
			idx := slices.Sorted(maps.Values(last))
			uniq := make([]Row, 0, len(idx))
			for _, i := range idx {
				uniq = append(uniq, batch[i])
			}
			batch = uniq
		}
	}
	if extra := unknownColumns(sch, batch); len(extra) > 0 {
		grown := sch
		if !w.described {
			fresh, _, err := w.src.describe(w.ctx, w.spec)
			if err != nil {
				return err
			}
			w.described = true
			grown, _, _ = merge(sch, fresh)
		}
		for _, c := range unknownColumns(grown, batch) {
			grown.Columns = append(grown.Columns, Column{Name: c, Type: TypeText})
		}
		if err := w.tx.Grow(w.ctx, grown); err != nil {
			return err
		}
	}
	ins, upd, err := w.tx.Upsert(w.ctx, batch)
	if err != nil {
		return err
	}
	w.inserted += ins
	w.updated += upd
	return nil
}

// incremental reads the rows whose cursor is at or after from (every row
// with a cursor value when from is empty), page by page until a short page
// (no count request: the probe was enough). Rows whose cursor is NULL are
// never read here: they were read by the full sync and get a stamp when
// they are written.
func (w *writer) incremental(cursor, from string) error {
	sch := w.tx.Schema()
	if from == "" {
		from = floorOf(sch, cursor)
	}
	q := url.Values{"projection": {strings.Join(w.projection, ",")}, "q": {fiqlGE(cursor, from)}, "pagesize": {strconv.Itoa(w.src.pageSize)}}
	for page := 1; ; page++ {
		recs, err := w.src.page(w.ctx, sch.Table, q, page)
		if err != nil {
			return fmt.Errorf("reading %s changed since %s: %w", sch.Table, from, err)
		}
		batch := make([]Row, 0, len(recs))
		for _, rec := range recs {
			r, err := row(sch, rec)
			if err != nil {
				return err
			}
			batch = append(batch, r)
		}
		if err := w.flush(batch); err != nil {
			return err
		}
		w.read += len(recs)
		if w.progress != nil {
			w.progress(sch.Table, w.read, w.read)
		}
		if len(recs) < w.src.pageSize {
			return nil
		}
	}
}

// full reads the whole table; rows it did not see are deleted (a keyless
// table is emptied first).
func (w *writer) full() error {
	sch := w.tx.Schema()
	if sch.Key == "" {
		n, err := w.tx.DeleteAll(w.ctx)
		if err != nil {
			return err
		}
		w.deleted = n
	}
	before, err := w.tx.Count(w.ctx)
	if err != nil {
		return err
	}
	batch := make([]Row, 0, batchSize)
	keys := make([]string, 0, batchSize)
	pages := 0
	opts := &ps.TableListOptions{PageSize: w.src.pageSize, Concurrency: w.src.workers(), Projection: w.projection, Progress: func(p ps.Progress) {
		pages++
		if w.progress != nil {
			w.progress(sch.Table, p.Done, p.Total)
		}
	}}
	if sch.Key != "" {
		opts.Sort = sch.Key
	}
	defer func() { w.src.requests.Add(int64(pages)) }()
	var records iter.Seq2[ps.SchemaRecord, error]
	switch {
	case w.spec.Resource != "":
		records = w.src.v1Records(w.ctx, w.spec, sch, w.progress) // counts its own requests
	case w.spec.PowerQuery != "":
		w.src.requests.Add(2) // counts before and after its pages
		records = w.src.powerQuery(w.ctx, w.spec.PowerQuery, &pages)
	default:
		w.src.requests.Add(2) // List counts before and after its pages
		records = w.src.c.Tables.List(w.ctx, sch.Table, opts)
	}
	for rec, err := range records {
		if err != nil {
			return fmt.Errorf("reading %s: %w", sch.Table, err)
		}
		r, err := row(sch, rec)
		if err != nil {
			return err
		}
		batch = append(batch, r)
		if len(batch) == batchSize {
			if err := w.flushFull(batch, &keys, before); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := w.flushFull(batch, &keys, before); err != nil {
		return err
	}
	if sch.Key != "" && before > 0 {
		n, err := w.tx.DeleteUnseen(w.ctx)
		if err != nil {
			return err
		}
		w.deleted = n
	}
	return nil
}

func (w *writer) flushFull(batch []Row, keys *[]string, before int) error {
	if err := w.flush(batch); err != nil {
		return err
	}
	if w.tx.Schema().Key == "" || before == 0 {
		return nil
	}
	*keys = (*keys)[:0]
	for _, r := range batch {
		*keys = append(*keys, r.Key)
	}
	return w.tx.Seen(w.ctx, *keys)
}

// deleteMissing reads only the primary keys and deletes the rows
// PowerSchool no longer has.
func (w *writer) deleteMissing() (int, error) {
	sch := w.tx.Schema()
	if sch.Key == "" {
		return 0, nil
	}
	keys := make([]string, 0, batchSize)
	pages := 0
	w.src.requests.Add(2) // List counts before and after its pages
	defer func() { w.src.requests.Add(int64(pages)) }()
	opts := &ps.TableListOptions{PageSize: w.src.pageSize, Projection: []string{sch.Key}, Sort: sch.Key, Progress: func(ps.Progress) { pages++ }}
	for rec, err := range w.src.c.Tables.List(w.ctx, sch.Table, opts) {
		if err != nil {
			return 0, fmt.Errorf("reading the keys of %s: %w", sch.Table, err)
		}
		k, ok := rec.Value(sch.Key)
		if !ok || k == "" {
			k = strconv.FormatInt(int64(rec.ID), 10)
		}
		keys = append(keys, k)
		if len(keys) == batchSize {
			if err := w.tx.Seen(w.ctx, keys); err != nil {
				return 0, err
			}
			keys = keys[:0]
		}
	}
	if err := w.tx.Seen(w.ctx, keys); err != nil {
		return 0, err
	}
	return w.tx.DeleteUnseen(w.ctx)
}

// bisectable reports whether finding local-remote deleted rows by halving
// key ranges (a count per range, then the keys of small ranges) costs
// fewer requests than reading every key. It needs an integer key.
func (w *writer) bisectable(local, remote int) bool {
	sch := w.tx.Schema()
	if c, ok := sch.Col(sch.Key); !ok || c.Type != TypeInt {
		return false
	}
	size := w.src.pageSize
	levels := bits.Len(uint(local/size)) + 1
	return (local-remote)*(levels+1) < 1+(remote+size-1)/size
}

// bisectDeletes finds the deleted rows by comparing counts over key
// ranges, halving the ranges that differ. Ranges are disjoint, so the
// halves are searched at once (up to probeConcurrency counts in flight);
// the transaction itself is used by one at a time.
func (w *writer) bisectDeletes(local int) (int, error) {
	lo, err := w.tx.KeyAt(w.ctx, math.MinInt64, math.MaxInt64, 0)
	if err != nil {
		return 0, err
	}
	hi, err := w.tx.KeyAt(w.ctx, math.MinInt64, math.MaxInt64, local-1)
	if err != nil {
		return 0, err
	}
	b := &bisector{w: w, slots: make(chan struct{}, probeConcurrency-1)}
	return b.bisect(lo, hi+1, local, -1)
}

// bisector searches key ranges for deleted rows.
type bisector struct {
	w     *writer
	mu    sync.Mutex    // the transaction is not safe for concurrent use
	slots chan struct{} // extra goroutines allowed
}

// local runs f on the transaction alone.
func (b *bisector) local(f func(TableTx) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return f(b.w.tx)
}

// bisect handles [lo, hi), which holds local rows here and remote rows in
// PowerSchool (-1: not counted yet).
func (b *bisector) bisect(lo, hi int64, local, remote int) (int, error) {
	w := b.w
	sch := w.tx.Schema()
	q := fmt.Sprintf("%s=ge=%d;%s=lt=%d", sch.Key, lo, sch.Key, hi)
	if remote < 0 {
		n, err := w.src.countQ(w.ctx, sch.Table, q)
		if err != nil {
			return 0, err
		}
		remote = n
	}
	deleteUnseen := func() (n int, err error) {
		err = b.local(func(tx TableTx) error { n, err = tx.DeleteUnseenRange(w.ctx, lo, hi); return err })
		return n, err
	}
	switch {
	case remote >= local:
		return 0, nil
	case remote == 0:
		return deleteUnseen()
	case local <= w.src.pageSize:
		keys, err := w.src.keys(w.ctx, sch.Table, sch.Key, q)
		if err != nil {
			return 0, err
		}
		if err := b.local(func(tx TableTx) error { return tx.Seen(w.ctx, keys) }); err != nil {
			return 0, err
		}
		return deleteUnseen()
	}
	var mid int64
	var left int
	err := b.local(func(tx TableTx) (err error) {
		if mid, err = tx.KeyAt(w.ctx, lo, hi, local/2); err != nil {
			return err
		}
		left, err = tx.CountRange(w.ctx, lo, mid)
		return err
	})
	if err != nil {
		return 0, err
	}
	// One count splits PowerSchool's rows between the halves.
	leftRemote, err := w.src.countQ(w.ctx, sch.Table, fmt.Sprintf("%s=ge=%d;%s=lt=%d", sch.Key, lo, sch.Key, mid))
	if err != nil {
		return 0, err
	}
	right := func() (int, error) { return b.bisect(mid, hi, local-left, remote-leftRemote) }
	select {
	case b.slots <- struct{}{}:
		var rn int
		var rerr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() { <-b.slots }()
			rn, rerr = right()
		}()
		ln, lerr := b.bisect(lo, mid, left, leftRemote)
		<-done
		return ln + rn, errors.Join(lerr, rerr)
	default: // no slot free: search the halves in turn
		ln, err := b.bisect(lo, mid, left, leftRemote)
		if err != nil {
			return 0, err
		}
		rn, err := right()
		return ln + rn, err
	}
}
