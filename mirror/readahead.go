package mirror

import (
	"context"
	"fmt"
	"iter"

	ps "github.com/pskit/pskit/powerschool"
)

// A table read whole is read outside its transaction, by one goroutine
// that reads such tables one after another in the plan's order, a batch
// ahead of the writer. The target's write of one batch then overlaps the
// read of the next, and the next table's first requests go out while the
// last batch of the one before is written. The run holds
// the target's lock, so reading before the transaction opens changes
// nothing a reader of the target sees.

// readAheadBatches is how many full batches a read may hold before its
// writer takes them, besides the one it is filling: none, so a read holds
// one batch more than the writer (one pair measured: as fast as one more,
// and a batch of wide rows at a page size of 1000 is tens of megabytes).
const readAheadBatches = 0

// tableRead is one table's whole read, a batch of rows at a time.
type tableRead struct {
	ctx        context.Context
	cancel     context.CancelFunc // the writer is done with the read
	src        *source
	spec       TableSpec
	sch        Schema // the schema the rows are keyed with
	projection []string
	split      bool       // read by ranges of the key, not by pages
	batches    chan []Row // closed when the read ends
	err        error      // why the read ended early; read once batches is closed
}

// readAhead starts reading, one after another, the tables of the plan
// marked in whole; reads[i] is nil for the others. done is closed when
// the reading goroutine has stopped.
func readAhead(ctx context.Context, plan Plan, probes []*probe, whole []bool) (reads []*tableRead, done <-chan struct{}) {
	reads = make([]*tableRead, len(probes))
	for i, p := range probes {
		if whole[i] {
			reads[i] = newTableRead(ctx, p.src, plan.Tables[i], p.sch, projectionOf(plan.Tables[i], p.sch, p.cursor))
			reads[i].split = splitByKey(plan.Tables[i], p.sch, p.remote, p.src.pageSize, p.src.workers())
		}
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for _, r := range reads {
			if r != nil {
				r.run()
			}
		}
	}()
	return reads, stopped
}

// splitRangePages is about how many pages the SDK reads per key range; a
// split read holds up to two ranges per worker.
const splitRangePages = 8

// splitByKey reports whether a table is read whole by ranges of its key
// (the SDK's range split) rather than by pages: a large table whose key is
// its DCID, which is the table API's id. A deep page costs a server more
// the deeper it is (it walks every row before it), a range is a seek;
// ranges also yield each row once, in key order. Ranges hold more rows in
// flight than pages, so large pages (few of them, and the offsets less
// deep per row) keep paging: memory stays bounded as a full read's is.
func splitByKey(spec TableSpec, sch Schema, remote, pageSize, workers int) bool {
	if workers == 0 {
		workers = ps.DefaultPageConcurrency
	}
	c, _ := sch.Col(sch.Key)
	held := 2 * workers * splitRangePages * pageSize
	return spec.Key == "" && sch.Key == "dcid" && c.Type == TypeInt && remote > ps.SplitAbove*pageSize && held <= 4*rowsInFlight
}

// readNow starts one table's whole read at once, on its own.
func readNow(ctx context.Context, src *source, spec TableSpec, sch Schema, projection []string) *tableRead {
	r := newTableRead(ctx, src, spec, sch, projection)
	go r.run()
	return r
}

func newTableRead(ctx context.Context, src *source, spec TableSpec, sch Schema, projection []string) *tableRead {
	rctx, cancel := context.WithCancel(ctx)
	return &tableRead{ctx: rctx, cancel: cancel, src: src, spec: spec, sch: sch, projection: projection, batches: make(chan []Row, readAheadBatches)}
}

// run reads the table into batches, counting its requests in its
// source, and closes batches.
func (r *tableRead) run() {
	defer close(r.batches)
	ctx, src, sch, spec := r.ctx, r.src, r.sch, r.spec
	if err := ctx.Err(); err != nil {
		r.err = fmt.Errorf("reading %s: %w", sch.Table, err)
		return
	}
	pages := 0
	defer func() { src.requests.Add(int64(pages)) }()
	var records iter.Seq2[ps.SchemaRecord, error]
	switch {
	case spec.Resource != "":
		records = src.v1Records(ctx, spec, sch, nil) // counts its own requests
	case spec.PowerQuery != "":
		src.requests.Add(2) // counts before and after its pages
		records = src.powerQuery(ctx, spec.PowerQuery, &pages)
	default:
		src.requests.Add(2) // List counts before and after its pages
		opts := &ps.TableListOptions{PageSize: src.pageSize, Concurrency: src.workers(), Projection: r.projection,
			Progress: func(ps.Progress) { pages++ }}
		switch {
		case r.split:
			opts.Key, opts.RangeSplit = sch.Key, ps.RangeSplitAlways
		case sch.Key != "":
			opts.Sort = sch.Key // pages stay put while they are read
		}
		records = src.c.Tables.List(ctx, sch.Table, opts)
	}
	batch := make([]Row, 0, batchSize)
	send := func() bool {
		select {
		case r.batches <- batch:
			batch = make([]Row, 0, batchSize)
			return true
		case <-ctx.Done():
			r.err = fmt.Errorf("reading %s: %w", sch.Table, ctx.Err())
			return false
		}
	}
	for rec, err := range records {
		if err != nil {
			r.err = fmt.Errorf("reading %s: %w", sch.Table, err)
			return
		}
		row, err := row(sch, rec)
		if err != nil {
			r.err = err
			return
		}
		batch = append(batch, row)
		if len(batch) == batchSize && !send() {
			return
		}
	}
	if len(batch) > 0 {
		send()
	}
}
