package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	ps "github.com/pskit/pskit/powerschool"
)

// source reads one district's tables through the table API, counting the
// requests it makes.
type source struct {
	c        *ps.Client
	pageSize int
	lim      *limiter     // shared by every table of a run
	requests atomic.Int64 // range counts may run at once
	fill     []string     // columns a /ws/v1 table reads through the table API
}

// requestConcurrency bounds the requests a run's probes, reads of changes
// and delete searches have in flight together: the client's page
// concurrency, so a district's plugin sees no more than a normal pull
// (the client's throttle still paces each request).
const requestConcurrency = ps.DefaultPageConcurrency

// limiter bounds a run's requests in flight. Only single requests take a
// slot (never a caller waiting on other requests), so it cannot deadlock.
type limiter struct {
	slots     chan struct{}
	searching atomic.Int32 // delete searches under way, which share the slots
}

func newLimiter(n int) *limiter { return &limiter{slots: make(chan struct{}, n)} }

// do runs one request in a slot.
func (l *limiter) do(ctx context.Context, f func() error) error {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.slots }()
	return f()
}

// fanOut is how many parts each of m differing key ranges is split into:
// enough to fill this search's share of the slots in one round trip,
// never fewer than two (so many differing ranges cost about one count
// each per level, as halving does).
func (l *limiter) fanOut(m int) int {
	share := max(1, cap(l.slots)/max(1, int(l.searching.Load())))
	return min(maxFanOut, max(2, 1+share/max(1, m)))
}

func tablePath(t string) string { return "/ws/schema/table/" + url.PathEscape(strings.ToLower(t)) }

// tableMeta is the part of /ws/schema/table/{t}/metadata the sync uses.
type tableMeta struct {
	Name    string `json:"name"`
	Columns []struct {
		Name   string `json:"name"`
		Type   string `json:"type"`
		Key    bool   `json:"key"`
		Access string `json:"access"`
	} `json:"columns"`
}

// cursorColumns are PowerSchool's change columns, best first:
// TRANSACTION_DATE moves on every write to core tables; WHENMODIFIED is
// what gradebook and extension tables have (and is not always bumped).
var cursorColumns = []string{"transaction_date", "whenmodified"}

// describe reads a table's metadata: the target schema (readable columns
// only, typed), its key and its cursor column.
func (s *source) describe(ctx context.Context, spec TableSpec) (Schema, string, error) {
	var m tableMeta
	s.requests.Add(1)
	if err := s.lim.do(ctx, func() error { return s.c.Do(ctx, "GET", tablePath(spec.Name)+"/metadata", nil, nil, &m) }); err != nil {
		return Schema{}, "", fmt.Errorf("reading the metadata of %s: %w", spec.Name, err)
	}
	sch := Schema{Table: strings.ToLower(spec.Name)}
	have := map[string]bool{}
	readable := map[string]bool{}
	for _, c := range m.Columns {
		name := strings.ToLower(c.Name)
		if strings.EqualFold(c.Access, "NoAccess") || strings.EqualFold(c.Access, "BlackListNoAccess") {
			continue
		}
		readable[name] = true
		if c.Key && sch.Key == "" && spec.Key == "" {
			sch.Key = name
		}
		if !spec.wants(name) {
			continue
		}
		sch.Columns = append(sch.Columns, Column{Name: name, Type: typeOf(c.Type)})
		have[name] = true
	}
	for _, c := range spec.Columns {
		if !readable[strings.ToLower(c)] {
			return Schema{}, "", fmt.Errorf("%s: the plan's column %s is not readable by the plugin (or does not exist); add it to <access_request> or leave it out of columns", spec.Name, c)
		}
	}
	if len(sch.Columns) == 0 {
		return Schema{}, "", fmt.Errorf("%s: the plugin may read none of its columns; add them to the plugin's <access_request> (psctl plugin access)", spec.Name)
	}
	if spec.Key != "" {
		sch.Key = strings.ToLower(spec.Key)
	}
	if sch.Key != "" && !readable[sch.Key] {
		return Schema{}, "", fmt.Errorf("%s: the key column %s is not readable by the plugin; add it to <access_request> or name another key in the plan", spec.Name, sch.Key)
	}
	cursor := strings.ToLower(spec.Cursor)
	if cursor == "" {
		for _, c := range cursorColumns {
			if readable[c] {
				cursor = c
				break
			}
		}
	} else if !readable[cursor] {
		return Schema{}, "", fmt.Errorf("%s: the cursor column %s is not readable by the plugin (or does not exist)", spec.Name, cursor)
	}
	if len(spec.Columns) > 0 {
		// The key and cursor are read even when the plan leaves them out.
		for _, name := range []string{sch.Key, cursor} {
			if name != "" && !have[name] {
				sch.Columns = append(sch.Columns, Column{Name: name, Type: colType(m, name)})
				have[name] = true
			}
		}
	}
	return sch, cursor, nil
}

// colType is the target type of a column named in the metadata.
func colType(m tableMeta, name string) string {
	for _, c := range m.Columns {
		if strings.EqualFold(c.Name, name) {
			return typeOf(c.Type)
		}
	}
	return TypeText
}

// typeOf maps a metadata type to a target type.
func typeOf(t string) string {
	switch strings.ToLower(t) {
	case "long", "integer", "int", "number":
		return TypeInt
	case "double", "float", "decimal":
		return TypeFloat
	}
	return TypeText
}

// wants reports whether the plan reads the column (every column when it
// names none).
func (t TableSpec) wants(col string) bool {
	if len(t.Columns) == 0 {
		return true
	}
	for _, c := range t.Columns {
		if strings.EqualFold(c, col) {
			return true
		}
	}
	return false
}

// projectionOf is the table API projection of a read: the plan's columns
// with the key and cursor, or every column.
func projectionOf(spec TableSpec, sch Schema, cursor string) []string {
	if len(spec.Columns) == 0 {
		return []string{"*"}
	}
	out := make([]string, 0, len(spec.Columns)+2)
	seen := map[string]bool{}
	for _, c := range append(append([]string{}, spec.Columns...), sch.Key, cursor) {
		c = strings.ToLower(c)
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// count is the table's row count: one request.
func (s *source) count(ctx context.Context, table string) (int, error) {
	s.requests.Add(1)
	var n int
	err := s.lim.do(ctx, func() (err error) { n, err = s.c.Tables.Count(ctx, table, ""); return err })
	if err != nil {
		return 0, fmt.Errorf("counting %s: %w", table, err)
	}
	return n, nil
}

// rowsInFlight bounds the rows a full read holds at once (the SDK keeps
// two pages per worker): wide rows at a page size of 1000 would otherwise
// hold hundreds of megabytes.
const rowsInFlight = 5000

// workers is the page concurrency of a full read: the client's default,
// fewer when pages are large.
func (s *source) workers() int {
	if n := rowsInFlight / (2 * s.pageSize); n < ps.DefaultPageConcurrency {
		return max(1, n)
	}
	return 0
}

// countQ counts the rows matching q: one request.
func (s *source) countQ(ctx context.Context, table, q string) (int, error) {
	s.requests.Add(1)
	var n int
	err := s.lim.do(ctx, func() (err error) { n, err = s.c.Tables.Count(ctx, table, q); return err })
	if err != nil {
		return 0, fmt.Errorf("counting %s where %s: %w", table, q, err)
	}
	return n, nil
}

// keysPage reads one page of the key column of the rows matching q (every
// row when q is ""), in key order.
func (s *source) keysPage(ctx context.Context, table, key, q string, page int) ([]string, error) {
	v := url.Values{"projection": {key}, "pagesize": {strconv.Itoa(s.pageSize)}, "sort": {key}}
	if q != "" {
		v.Set("q", q)
	}
	recs, err := s.page(ctx, table, v, page)
	if err != nil {
		return nil, fmt.Errorf("reading the keys of %s where %s: %w", table, q, err)
	}
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		k, ok := r.Value(key)
		if !ok || k == "" {
			k = strconv.FormatInt(int64(r.ID), 10)
		}
		out = append(out, k)
	}
	return out, nil
}

// cursorFloor is a cursor value below every real stamp. Filtering on
// cursor=ge=cursorFloor keeps out the rows whose cursor is NULL (old rows
// in a real district), which a descending sort may put first (Oracle
// sorts NULLs first when descending).
const cursorFloor = "1800-01-01"

// floorOf is the cursor floor for the column's type (a plan may name a
// numeric cursor such as dcid).
func floorOf(sch Schema, cursor string) string {
	if c, ok := sch.Col(cursor); ok && c.Type != TypeText {
		return strconv.FormatInt(math.MinInt64, 10)
	}
	return cursorFloor
}

// newest is the table's largest cursor value, "" when no row has one:
// one request for one row.
func (s *source) newest(ctx context.Context, sch Schema, cursor string) (string, error) {
	table := sch.Table
	recs, err := s.page(ctx, table, url.Values{"projection": {cursor}, "q": {fiqlGE(cursor, floorOf(sch, cursor))}, "sort": {cursor}, "sortdescending": {"true"}, "pagesize": {"1"}}, 1)
	if err != nil {
		return "", fmt.Errorf("probing %s for its newest %s: %w", table, cursor, err)
	}
	if len(recs) == 0 {
		return "", nil
	}
	v, _ := recs[0].Value(cursor)
	return v, nil
}

// page fetches one page of a table listing.
func (s *source) page(ctx context.Context, table string, q url.Values, page int) ([]ps.SchemaRecord, error) {
	pq := url.Values{}
	for k, v := range q {
		pq[k] = v
	}
	pq.Set("page", strconv.Itoa(page))
	var res struct {
		Records ps.List[ps.SchemaRecord] `json:"record"`
	}
	s.requests.Add(1)
	if err := s.lim.do(ctx, func() error { return s.c.Do(ctx, "GET", tablePath(table), pq, nil, &res) }); err != nil {
		return nil, err
	}
	return res.Records, nil
}

// powerQuery reads every row of a named query a page at a time, counting
// its pages in *pages (the SDK also counts before and after).
func (s *source) powerQuery(ctx context.Context, name string, pages *int) iter.Seq2[ps.SchemaRecord, error] {
	return func(yield func(ps.SchemaRecord, error) bool) {
		n := 0
		for rec, err := range s.c.PowerQueryRecords(ctx, name, &ps.PowerQuery{PageSize: s.pageSize}) {
			if err == nil {
				if n%s.pageSize == 0 {
					*pages++
				}
				n++
			}
			if !yield(rec, err) {
				return
			}
		}
	}
}

// row turns a record into a target row: lower-case column names, text
// values, and the record's JSON as PowerSchool sent it. A record holding
// several tables (a PowerQuery joining them) lands in one row; a column
// name two tables share is prefixed with its table (sections_dcid).
func row(sch Schema, rec ps.SchemaRecord) (Row, error) {
	fields := rec.Fields
	if len(rec.Tables) == 1 {
		for _, f := range rec.Tables {
			fields = f
		}
	} else if rec.Tables != nil {
		fields = rec.Tables[sch.Table]
		if fields == nil {
			fields = joined(rec.Tables)
		}
	}
	r := Row{Values: make(map[string]string, len(fields)), Raw: rec.Raw}
	for k, raw := range fields {
		if v, ok := text(raw); ok {
			r.Values[strings.ToLower(k)] = v
		}
	}
	if sch.Key != "" {
		k, ok := r.Values[sch.Key]
		if !ok || k == "" {
			if rec.ID == 0 {
				return Row{}, fmt.Errorf("%s: a row came without its key %s", sch.Table, sch.Key)
			}
			k = strconv.FormatInt(int64(rec.ID), 10)
		}
		r.Key = k
	}
	return r, nil
}

// joined flattens a record's tables into one set of columns.
func joined(tables map[string]map[string]json.RawMessage) map[string]json.RawMessage {
	seen := map[string]int{}
	for _, f := range tables {
		for k := range f {
			seen[strings.ToLower(k)]++
		}
	}
	out := map[string]json.RawMessage{}
	for t, f := range tables {
		for k, v := range f {
			if seen[strings.ToLower(k)] > 1 {
				k = t + "_" + k
			}
			out[k] = v
		}
	}
	return out
}

// text is a JSON value as text: a string's contents, a number's literal,
// an object's or array's JSON; ok is false for null. A plain string (the
// common case: PowerSchool sends most values as strings) is sliced, not
// decoded.
func text(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	if raw[0] == '"' && len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var v ps.FlexString
	if err := v.UnmarshalJSON(raw); err != nil {
		return string(raw), true
	}
	return string(v), true
}

// unknownColumns lists columns of rows the schema lacks.
func unknownColumns(sch Schema, rows []Row) []string {
	var out []string
	seen := make(map[string]bool, len(sch.Columns)) // the schema's, then the unknown ones
	for _, c := range sch.Columns {
		seen[c.Name] = true
	}
	for _, r := range rows {
		for k := range r.Values {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// timeLayouts are the forms PowerSchool cursor values come in.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"}

// MaxClockSkew is how far PowerSchool's clock may be behind the clock of
// the machine running the sync.
const MaxClockSkew = time.Hour

// readFrom is where an incremental read starts: the look-back before the
// watermark, or, when the table was idle long before the last probe,
// before that probe (less MaxClockSkew). A row committed after the last
// probe is stamped after it, give or take the skew and the look-back, so
// rows stamped long before it were read then. This keeps a table whose
// rows share one old stamp from being read again whole. Stamps without a
// zone use the watermark alone; a watermark that is no time is used as it
// is.
func readFrom(watermark string, probedAt time.Time, lookBack time.Duration) string {
	for _, l := range timeLayouts {
		w, err := time.Parse(l, watermark)
		if err != nil {
			continue
		}
		// Only a stamp with its zone can be compared with this machine's
		// clock: PowerSchool may stamp in the district's local time.
		if !probedAt.IsZero() && strings.Contains(l, "Z07") {
			if p := probedAt.Add(-MaxClockSkew).In(w.Location()); p.After(w) {
				w = p
			}
		}
		out := w.Add(-lookBack).Format(l)
		if len(out) > len(watermark) && !strings.Contains(l, "Z07") {
			out = out[:len(watermark)] // keep the precision the server uses
		}
		return out
	}
	return watermark
}

// fiqlValue quotes nothing: FIQL values are sent as they are, and
// url.Values encodes them.
func fiqlGE(col, v string) string { return col + "=ge=" + v }
