package powerschool

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pskit/pskit/internal/wire"
)

// TablesService covers the table API, /ws/schema/table/{table}, for extended
// schema tables, table extensions, child tables and standalone tables.
type TablesService struct{ c *Client }

// TableListOptions filter a table listing.
type TableListOptions struct {
	Q          string   // FIQL filter
	Projection []string // columns; default "*" (PowerSchool requires a projection)
	Sort       string
	Descending bool
	PageSize   int // default and cap: metadata's schema_table_query_max_page_size
	// Concurrency is how many pages are fetched at once (0: client default).
	Concurrency int
	// RangeSplit chooses between paging and reading ranges of the table's
	// key concurrently (RangeSplitAuto: ranges for a table of more than
	// SplitAbove pages whose Key is given). Ranges need no deep offset, so
	// a server whose deep pages cost more than its key ranges serves a
	// large table at the same cost per row at its end as at its start.
	RangeSplit RangeSplit
	// Key is the table's key column, whose values are the rows' ids, for
	// RangeSplit. With RangeSplitAlways it defaults to DCID for core tables
	// such as STUDENTS, CC, ATTENDANCE and STOREDGRADES.
	Key string
	// Limit, if positive, stops after that many rows, asking for no page
	// beyond them (see ListOptions.Limit).
	Limit    int
	Progress func(Progress)
}

func tablePath(table string) (string, error) {
	if table == "" || strings.ContainsAny(table, "/?#") {
		return "", fmt.Errorf("powerschool: %q is not a table name, e.g. u_def_global_lists", table)
	}
	return "/ws/schema/table/" + url.PathEscape(strings.ToLower(table)), nil
}

func projection(cols []string) string {
	if len(cols) == 0 {
		return "*"
	}
	return strings.Join(cols, ",")
}

// Count counts a table's rows matching q (FIQL, may be empty).
func (s *TablesService) Count(ctx context.Context, table, q string) (int, error) {
	path, err := tablePath(table)
	if err != nil {
		return 0, err
	}
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	return s.c.count(ctx, path+"/count", v)
}

// List iterates over a table's rows: the pages (concurrently, in order),
// a count asked for with the first page and a count at the end, as every
// list does.
func (s *TablesService) List(ctx context.Context, table string, opts *TableListOptions) iter.Seq2[SchemaRecord, error] {
	return func(yield func(SchemaRecord, error) bool) {
		if opts == nil {
			opts = &TableListOptions{}
		}
		path, err := tablePath(table)
		if err != nil {
			yield(SchemaRecord{}, err)
			return
		}
		maxPage := func(m *Metadata) FlexInt { return m.SchemaTableQueryMaxPageSize }
		q := url.Values{"projection": {projection(opts.Projection)}}
		if opts.Q != "" {
			q.Set("q", opts.Q)
		}
		if opts.Sort != "" {
			q.Set("sort", opts.Sort)
			q.Set("sortdescending", strconv.FormatBool(opts.Descending))
		}
		counted, total := false, 0
		if key := splitKey(table, opts); key != "" && opts.Limit == 0 {
			// Whether to split depends on the size: count first.
			if total, err = s.Count(ctx, table, opts.Q); err != nil {
				yield(SchemaRecord{}, err)
				return
			}
			counted = true
			size := s.c.knownPageSize(opts.PageSize, maxPage)
			if size == 0 && (opts.RangeSplit == RangeSplitAlways || total > SplitAbove*DefaultPageSize) {
				// Only a table that may be large needs the page size now.
				if size, err = s.c.capPageSize(ctx, 0, maxPage); err != nil {
					yield(SchemaRecord{}, err)
					return
				}
			}
			if size > 0 && (opts.RangeSplit == RangeSplitAlways || total > SplitAbove*size) {
				sq := url.Values{"projection": {projection(opts.Projection)}}
				sp := &splitter{s: s, path: path, key: key, q: sq, userQ: opts.Q, size: size}
				sp.run(ctx, total, s.c.workers(opts.Concurrency), opts.Progress, yield)
				return
			}
		}
		pull[SchemaRecord]{
			counted: counted, total: total,
			path: path, size: s.c.knownPageSize(opts.PageSize, maxPage), limit: opts.Limit, workers: s.c.workers(opts.Concurrency), progress: opts.Progress,
			fetch: func(ctx context.Context, page, size int) ([]SchemaRecord, error) {
				return s.c.tablePage(ctx, path, pageQuery(q, page, size))
			},
			count:   func(ctx context.Context) (int, error) { return s.Count(ctx, table, opts.Q) },
			maxSize: func(ctx context.Context, want int) (int, error) { return s.c.capPageSize(ctx, want, maxPage) },
		}.run(ctx, yield)
	}
}

// tablePage reads one page of the table API ({"name":..,"record":[..]}),
// decoding each record straight from the page.
func (c *Client) tablePage(ctx context.Context, path string, q url.Values) ([]SchemaRecord, error) {
	b, err := c.getBytes(ctx, path, q)
	if err != nil {
		return nil, err
	}
	recs, err := decodePage[SchemaRecord](b, "record", "")
	if err != nil {
		return nil, fmt.Errorf("powerschool: GET %s: the rows are not as expected: %w", path, err)
	}
	return recs, nil
}

// Get fetches one row by ID; projection defaults to all columns.
func (s *TablesService) Get(ctx context.Context, table string, id int64, projectionCols ...string) (*SchemaRecord, error) {
	path, err := tablePath(table)
	if err != nil {
		return nil, err
	}
	var r SchemaRecord
	if err := s.c.do(ctx, &request{method: http.MethodGet, path: path + "/" + strconv.FormatInt(id, 10),
		query: url.Values{"projection": {projection(projectionCols)}}}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// TableWriteResult is PowerSchool's answer to a table insert.
type TableWriteResult struct {
	ID     FlexInt
	Status string
	Raw    json.RawMessage
}

// Insert adds a row ({"tables":{"<table>":fields}}) and returns its ID when
// the server reports one.
func (s *TablesService) Insert(ctx context.Context, table string, fields map[string]any) (*TableWriteResult, error) {
	path, err := tablePath(table)
	if err != nil {
		return nil, err
	}
	body, err := encodeBody(map[string]any{"tables": map[string]any{strings.ToLower(table): fields}})
	if err != nil {
		return nil, fmt.Errorf("powerschool: POST %s: encoding the row: %w", path, err)
	}
	var raw json.RawMessage
	if err := s.c.do(ctx, &request{method: http.MethodPost, path: path, body: body}, &raw); err != nil {
		return nil, err
	}
	var res struct {
		Result List[struct {
			Status         string `json:"status"`
			SuccessMessage *struct {
				ID FlexInt `json:"id"`
			} `json:"success_message"`
			ErrorMessage json.RawMessage `json:"error_message"`
		}] `json:"result"`
	}
	out := &TableWriteResult{Raw: raw}
	if len(raw) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return out, fmt.Errorf("powerschool: POST %s: the answer is not as expected: %w", path, err)
	}
	if len(res.Result) > 0 {
		r := res.Result[0]
		out.Status = r.Status
		if r.SuccessMessage != nil {
			out.ID = r.SuccessMessage.ID
		}
		if strings.EqualFold(r.Status, "ERROR") {
			return out, fmt.Errorf("powerschool: POST %s: PowerSchool refused the row: %s", path, s.c.scrub(wire.Truncate(string(r.ErrorMessage), 300)))
		}
	}
	return out, nil
}

// Update changes the given columns of row id.
func (s *TablesService) Update(ctx context.Context, table string, id int64, fields map[string]any) error {
	path, err := tablePath(table)
	if err != nil {
		return err
	}
	t := strings.ToLower(table)
	body, err := encodeBody(map[string]any{"id": id, "name": t, "tables": map[string]any{t: fields}})
	if err != nil {
		return fmt.Errorf("powerschool: PUT %s: encoding the row: %w", path, err)
	}
	return s.c.do(ctx, &request{method: http.MethodPut, path: path + "/" + strconv.FormatInt(id, 10), body: body}, nil)
}

// Delete removes row id. PowerSchool answers 403 unless the plugin has full
// access to every field of the table.
func (s *TablesService) Delete(ctx context.Context, table string, id int64) error {
	path, err := tablePath(table)
	if err != nil {
		return err
	}
	return s.c.do(ctx, &request{method: http.MethodDelete, path: path + "/" + strconv.FormatInt(id, 10)}, nil)
}
