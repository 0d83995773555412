package mirror

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	ps "github.com/pskit/pskit/powerschool"
)

// A history table with no cursor column but a YEARID or TERMID (a term's
// ID is its year's ID times 100, plus the term) is reloaded by window: only
// the rows of the current school year on, read with yearid=ge=Y (or
// termid=ge=Y*100), and only the rows of that window are deleted when
// PowerSchool no longer has them. Older years stay as they are: a
// district does not rewrite last year's attendance.

// windowColumns are the columns a window may be on, best first.
var windowColumns = []string{"yearid", "termid"}

// window is the part of a table a windowed reload reads.
type window struct {
	column string
	from   int64 // the first value in the window
}

func (w window) String() string { return w.column + ">=" + strconv.FormatInt(w.from, 10) }

// windowDeleter is a target that can delete the unseen rows of a window;
// a target without it (Parquet, rewritten whole) reloads the table.
type windowDeleter interface {
	DeleteUnseenWindow(ctx context.Context, column string, from int64) (int, error)
}

// chooseWindow decides whether the table is reloaded by window: the plan
// forces it (strategy: window), or the table has no cursor, a key, and a
// YEARID or TERMID column. The window starts at the plan's window_from
// (a YEARID), or at the current school year, the newest YEARID of the
// terms that have begun.
func (p *probe) chooseWindow(ctx context.Context, plan Plan, spec TableSpec) error {
	if plan.Full || spec.Strategy == StrategyFull || spec.Strategy == StrategyIncremental {
		return nil
	}
	// A first sync reads every year.
	if p.st == nil || len(p.st.Schema.Columns) == 0 {
		return nil
	}
	if spec.Strategy != StrategyWindow && (p.cursor != "" || p.sch.Key == "") {
		return nil
	}
	if p.sch.Key == "" {
		return fmt.Errorf("%s: strategy window needs a primary key to find the window's deleted rows; name one (key:) or use strategy full", spec.Name)
	}
	col := ""
	for _, c := range windowColumns {
		if _, ok := p.sch.Col(c); ok {
			col = c
			break
		}
	}
	if col == "" {
		if spec.Strategy == StrategyWindow {
			return fmt.Errorf("%s: strategy window needs a yearid or termid column the plugin may read (and, when the plan names columns, among them); use strategy full instead", spec.Name)
		}
		return nil
	}
	year := int64(spec.WindowFrom)
	if year == 0 {
		var err error
		if year, err = p.src.currentYear(ctx); err != nil {
			return fmt.Errorf("%s: %w", spec.Name, err)
		}
	}
	w := window{column: col, from: year}
	if col == "termid" {
		w.from = year * 100
	}
	p.window = &w
	p.cursor, p.newest = "", w.String()
	return nil
}

// currentYear is the YEARID of the school year under way: the newest
// YEARID among the terms whose first day has passed (one request).
func (s *source) currentYear(ctx context.Context) (int64, error) {
	today := time.Now().UTC().Format("2006-01-02")
	q := url.Values{"projection": {"yearid"}, "q": {"firstday=le=" + today}, "sort": {"yearid"}, "sortdescending": {"true"}, "pagesize": {"1"}}
	recs, err := s.page(ctx, "terms", q, 1)
	if err != nil {
		return 0, fmt.Errorf("finding the current school year in TERMS for a windowed reload: %w (let the plugin read TERMS.YEARID and FIRSTDAY, or give window_from in the plan)", err)
	}
	if len(recs) == 0 {
		return 0, fmt.Errorf("no term has begun by %s, so the current school year is unknown; give window_from (a YEARID, e.g. 35 for 2025-26) in the plan", today)
	}
	v, _ := recs[0].Value("yearid")
	y, err := strconv.ParseInt(strings.TrimSuffix(v, ".0"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("TERMS.YEARID %q is not a number; give window_from in the plan", v)
	}
	return y, nil
}

// windowed reads the rows of the window and deletes the window's rows
// PowerSchool no longer has; rows outside it are left alone.
func (w *writer) windowed(win window) error {
	sch := w.tx.Schema()
	del, ok := w.tx.(windowDeleter)
	if !ok {
		r := readNow(w.ctx, w.src, w.spec, sch, w.projection)
		defer r.cancel()
		return w.full(r)
	}
	batch := make([]Row, 0, batchSize)
	keys := make([]string, 0, batchSize)
	pages := 0
	opts := &ps.TableListOptions{Q: fiqlGE(win.column, strconv.FormatInt(win.from, 10)), PageSize: w.src.pageSize, Concurrency: w.src.workers(),
		Projection: w.projection, Sort: sch.Key, Progress: func(p ps.Progress) {
			pages++
			if w.progress != nil {
				w.progress(sch.Table, p.Done, p.Total)
			}
		}}
	w.src.requests.Add(2) // List counts before and after its pages
	defer func() { w.src.requests.Add(int64(pages)) }()
	flush := func() error {
		if err := w.flushFull(batch, &keys, 1); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	for rec, err := range w.src.c.Tables.List(w.ctx, sch.Table, opts) {
		if err != nil {
			return fmt.Errorf("reading %s where %s: %w", sch.Table, win, err)
		}
		r, err := row(sch, rec)
		if err != nil {
			return err
		}
		if batch = append(batch, r); len(batch) == batchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	n, err := del.DeleteUnseenWindow(w.ctx, win.column, win.from)
	w.deleted = n
	return err
}

func (x *sqliteTx) DeleteUnseenWindow(ctx context.Context, column string, from int64) (int, error) {
	res, err := x.tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE CAST(%s AS INTEGER) >= ? AND CAST(%s AS TEXT) NOT IN (SELECT k FROM _pskit_seen)",
		qi(x.schema.Table), qi(column), qi(x.schema.Key)), from)
	if err != nil {
		return 0, fmt.Errorf("deleting the rows gone from %s where %s >= %d: %w", x.schema.Table, column, from, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (x *pgTx) DeleteUnseenWindow(ctx context.Context, column string, from int64) (int, error) {
	tag, err := x.tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s t WHERE t.%s::numeric >= $1 AND NOT EXISTS (SELECT 1 FROM pg_temp._pskit_seen s WHERE s.k = t.%s::text)",
		qi(x.schema.Table), qi(column), qi(x.schema.Key)), from)
	if err != nil {
		return 0, fmt.Errorf("deleting the rows gone from %s where %s >= %d: %w", x.schema.Table, column, from, err)
	}
	return int(tag.RowsAffected()), nil
}
