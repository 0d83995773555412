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
	"maps"
	"slices"
	"strconv"
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
	// Every table is probed at once (the client's throttle still paces the
	// requests); the incremental tables that changed then read their
	// changes and search for their deletes at once, outside any
	// transaction; each table is then written in its own transaction, one
	// at a time, in the plan's order.
	lim := newLimiter(requestConcurrency)
	probes, err := probeAll(ctx, client, target, plan, size, lim)
	if err != nil {
		return rep, err
	}
	ahead, cancelAhead := context.WithCancel(ctx)
	prefetches := prefetchAll(ahead, target, plan, probes)
	reads, readsDone := readAhead(ahead, plan, probes, readWhole(target, probes, prefetches))
	var failed []error
	for i, spec := range plan.Tables {
		p, f, rd := probes[i], prefetches[i], reads[i]
		tr, err := p.tr, p.err
		took := p.took
		if f != nil {
			<-f.done
			took += f.took
			if err == nil {
				err = f.err
			}
		}
		start := time.Now()
		if err == nil {
			tr, err = syncTable(ctx, p, f, rd, target, plan, spec, rep.RunID)
		}
		if f != nil {
			f.release()
		}
		if rd != nil {
			rd.cancel() // a read the table did not finish stops
		}
		tr.Table, tr.Requests, tr.Duration = strLower(spec.Name), int(p.src.requests.Load()), took+time.Since(start)
		if err != nil {
			tr.Error = err.Error()
			failed = append(failed, err)
		}
		rep.Tables = append(rep.Tables, tr)
		if ps.IsAuthError(err) || ctx.Err() != nil {
			break
		}
	}
	cancelAhead() // the tables a stopped run did not reach
	for _, f := range prefetches {
		if f != nil {
			<-f.done
		}
	}
	<-readsDone
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

// probeAll probes every table of the plan at once, its requests bounded
// by lim. The saved states are read first, one by one (a target may have
// a single connection). An error here is the target's; a table's own
// failure is kept in its probe.
func probeAll(ctx context.Context, client *ps.Client, target Target, plan Plan, size int, lim *limiter) ([]*probe, error) {
	probes := make([]*probe, len(plan.Tables))
	for i, spec := range plan.Tables {
		st, err := target.State(ctx, strLower(spec.Name))
		if err != nil {
			return nil, err
		}
		probes[i] = &probe{src: &source{c: client, pageSize: size, lim: lim}, st: st}
	}
	var wg sync.WaitGroup
	for i, spec := range plan.Tables {
		wg.Go(func() {
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

// prefetchAll starts reading the changes of every table that will be read
// incrementally (nil for the others).
func prefetchAll(ctx context.Context, target Target, plan Plan, probes []*probe) []*prefetch {
	out := make([]*prefetch, len(probes))
	b := &budget{left: prefetchRows}
	cr, _ := target.(committedReader)
	for i, p := range probes {
		if p.err != nil || p.tr.Strategy == StrategyUnchanged || !p.incremental(plan, plan.Tables[i], target) {
			continue
		}
		var rd tableReader
		if cr != nil {
			rd = cr.reader(p.sch)
		}
		out[i] = prefetchChanges(ctx, p, plan, plan.Tables[i], rd, b)
	}
	return out
}

// readWhole marks the tables syncTable writes from a whole read: those
// that neither the probe settled, nor a read of changes serves, nor a
// window reloads.
func readWhole(target Target, probes []*probe, prefetches []*prefetch) []bool {
	_, fullOnly := target.(interface{ fullOnly() bool })
	out := make([]bool, len(probes))
	for i, p := range probes {
		out[i] = p.err == nil && p.tr.Strategy != StrategyUnchanged && prefetches[i] == nil && (p.window == nil || fullOnly)
	}
	return out
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
	// The count and the newest cursor value are asked at once.
	p.probedAt = time.Now().UTC()
	if err := p.chooseWindow(ctx, plan, spec); err != nil || p.window != nil {
		return err // a window is reloaded: nothing to probe
	}
	var newestErr error
	var wg sync.WaitGroup
	if p.cursor != "" {
		wg.Go(func() { p.newest, newestErr = p.src.newest(ctx, p.sch, p.cursor) })
	}
	p.remote, err = p.src.count(ctx, p.sch.Table)
	wg.Wait()
	if err := errors.Join(err, newestErr); err != nil {
		return err
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

// incremental reports whether the table is read from its watermark. A
// Parquet snapshot is rewritten whole; a keyless table cannot take
// re-read rows without duplicating them.
func (p *probe) incremental(plan Plan, spec TableSpec, target Target) bool {
	_, fullOnly := target.(interface{ fullOnly() bool })
	// /ws/v1 has no change filter; a window is reloaded.
	return p.known(plan) && !fullOnly && p.sch.Key != "" && spec.Resource == "" && p.window == nil
}

// syncTable brings one probed table up to date in one transaction. f
// holds the changes read for it beforehand (nil: none were); rd is its
// whole read (nil: it is not read whole).
func syncTable(ctx context.Context, p *probe, f *prefetch, rd *tableRead, target Target, plan Plan, spec TableSpec, runID string) (TableReport, error) {
	tr := p.tr
	if tr.Strategy == StrategyUnchanged {
		return tr, nil
	}
	src, sch, cursor, remote, newest := p.src, p.sch, p.cursor, p.remote, p.newest
	name := sch.Table
	_, fullOnly := target.(interface{ fullOnly() bool })
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
	} else if f != nil {
		tr.Strategy = StrategyIncremental
		if err := w.incremental(cursor, f); err != nil {
			return tr, err
		}
		if tr.Deleted, err = w.deletes(f, plan, remote); err != nil {
			return tr, err
		}
	} else if rd != nil {
		tr.Strategy = StrategyFull
		if err := w.full(rd); err != nil {
			return tr, err
		}
		tr.Deleted = w.deleted
	} else {
		return tr, fmt.Errorf("%s: no read was started for it", name) // readWhole and this choice disagree
	}
	tr.Inserted, tr.Updated = w.inserted, w.updated
	tr.Watermark = newest
	next := &State{Table: name, Strategy: tr.Strategy, Cursor: cursor, Watermark: newest, RemoteCount: remote, SyncedAt: p.probedAt, RunID: runID}
	if err := ctx.Err(); err != nil {
		return tr, err // a cancelled run commits nothing more
	}
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

// incremental writes the changed rows read beforehand, then reads the
// rest, if any, page by page until a short page (no count request: the
// probe was enough). Rows whose cursor is NULL are never read here: they
// were read by the full sync and get a stamp when they are written.
func (w *writer) incremental(cursor string, f *prefetch) error {
	sch := w.tx.Schema()
	for _, batch := range f.batches {
		if err := w.written(batch); err != nil {
			return err
		}
	}
	if f.complete {
		return nil
	}
	q := changesQuery(w.projection, cursor, f.from, sch, w.src.pageSize)
	for page := f.pages + 1; ; page++ {
		recs, err := w.src.page(w.ctx, sch.Table, q, page)
		if err != nil {
			return fmt.Errorf("reading %s changed since %s: %w", sch.Table, f.from, err)
		}
		batch := make([]Row, 0, len(recs))
		for _, rec := range recs {
			r, err := row(sch, rec)
			if err != nil {
				return err
			}
			batch = append(batch, r)
		}
		if err := w.written(batch); err != nil {
			return err
		}
		if len(recs) < w.src.pageSize {
			return nil
		}
	}
}

// written flushes a batch of changes and reports the progress.
func (w *writer) written(batch []Row) error {
	if err := w.flush(batch); err != nil {
		return err
	}
	w.read += len(batch)
	if w.progress != nil {
		w.progress(w.tx.Schema().Table, w.read, w.read)
	}
	return nil
}

// deletes removes the rows PowerSchool no longer has after an incremental
// read: what the search before the transaction found, or, when it did
// not run, what the transaction's own row count shows (rows deleted in
// PowerSchool show as more rows here than there).
func (w *writer) deletes(f *prefetch, plan Plan, remote int) (int, error) {
	found := f.deletes
	if !f.searched {
		local, err := w.tx.Count(w.ctx)
		if err != nil {
			return 0, err
		}
		sch := w.tx.Schema()
		switch {
		case plan.VerifyDeletes || (local > remote && !bisectable(sch, w.src.pageSize, local, remote)):
			return w.deleteMissing()
		case local > remote:
			ds := &deleteSearch{src: w.src, sch: sch, view: w.tx}
			if found, err = ds.run(w.ctx, local, remote); err != nil {
				return 0, err
			}
		}
	}
	n := 0
	for _, d := range found {
		k, err := d.apply(w.ctx, w.tx)
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// full writes the whole table as r reads it; rows it did not see are
// deleted (a keyless table is emptied first).
func (w *writer) full(r *tableRead) error {
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
	total := func() int { return max(w.total, w.read) }
	if w.spec.Resource != "" {
		total = func() int { return 0 } // unknown: a shared /ws/v1 resource lists rows more than once
	}
	keys := make([]string, 0, batchSize)
	for batch := range r.batches {
		if err := rekey(sch, r.sch, batch); err != nil {
			return err
		}
		if err := w.flushFull(batch, &keys, before); err != nil {
			return err
		}
		w.read += len(batch)
		if w.progress != nil {
			w.progress(sch.Table, w.read, total())
		}
	}
	if r.err != nil {
		return r.err
	}
	if err := w.ctx.Err(); err != nil {
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

// rekey keys rows read with another key column than the target table's
// (a plan that names another key than the table was created with).
func rekey(target, read Schema, rows []Row) error {
	if target.Key == read.Key || target.Key == "" {
		return nil
	}
	for i := range rows {
		k := rows[i].Values[target.Key]
		if k == "" {
			return fmt.Errorf("%s: a row came without its key %s", target.Table, target.Key)
		}
		rows[i].Key = k
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
