package tableapi

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pskit/pskit/emulator/internal/fiql"
	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/emulator/internal/powerquery/oraclesql"
	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/store"
	"github.com/pskit/pskit/internal/jsonraw"
	"github.com/pskit/pskit/plugin"
)

const maxBody = 1 << 20

func quote(col string) string { return `"` + col + `"` }

// readable returns the columns of t the caller may read.
func readable(t *table, c *pluginaccess.Caller) []column {
	var out []column
	for _, col := range t.cols {
		if c.CanRead(t.name, col.name) {
			out = append(out, col)
		}
	}
	return out
}

func details(t *table, cols []string) []pluginaccess.Detail {
	out := make([]pluginaccess.Detail, len(cols))
	for i, c := range cols {
		out[i] = pluginaccess.Detail{Resource: t.name, Field: c, Code: "missing_field_access"}
	}
	return out
}

// projection resolves ?projection= to columns; it writes the error and
// returns nil when it cannot.
func projection(r *http.Request, c *pluginaccess.Caller, t *table, required bool) ([]column, error) {
	p := strings.TrimSpace(pluginaccess.Query(r).Get("projection"))
	if p == "" && !required {
		p = "*"
	}
	if p == "" {
		return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("projection is required: add ?projection=* for every column you may read, or a comma list such as ?projection=%s", strings.ToLower(t.cols[0].name)))
	}
	if p == "*" {
		cols := readable(t, c)
		if len(cols) == 0 {
			names := make([]string, len(t.cols))
			for i, col := range t.cols {
				names[i] = col.name
			}
			return nil, pluginaccess.ForbiddenError(plugin.ViewOnly, details(t, names))
		}
		return cols, nil
	}
	var cols []column
	var missing []string
	for _, name := range strings.FieldsFunc(p, func(r rune) bool { return r == ',' || r == ';' }) {
		name = strings.TrimSpace(name)
		if tn, cn, ok := strings.Cut(name, "."); ok && strings.EqualFold(tn, t.name) {
			name = cn
		}
		col, ok := t.column(name)
		if !ok {
			return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("projection: %s has no column %q", t.name, name))
		}
		if !c.CanRead(t.name, col.name) {
			missing = append(missing, col.name)
			continue
		}
		cols = append(cols, col)
	}
	if len(missing) > 0 {
		return nil, pluginaccess.ForbiddenError(plugin.ViewOnly, details(t, missing))
	}
	return cols, nil
}

// filter renders ?q= as a WHERE clause over readable columns; it writes the
// error and returns ok=false when it cannot.
func filter(r *http.Request, c *pluginaccess.Caller, t *table) (string, []any, error) {
	conds, err := fiql.Schema.Parse(pluginaccess.Query(r).Get("q"))
	if err != nil {
		return "", nil, pluginaccess.Errorf(http.StatusBadRequest, "q: "+err.Error())
	}
	var missing []string
	where, args, err := fiql.Schema.Where(conds, func(sel string) (fiql.Field, error) {
		name := sel
		if tn, cn, ok := strings.Cut(sel, "."); ok && strings.EqualFold(tn, t.name) {
			name = cn
		}
		col, ok := t.column(name)
		if !ok {
			return fiql.Field{}, fmt.Errorf("%w: %s has no column %q", fiql.ErrUnknownField, t.name, sel)
		}
		if !c.CanRead(t.name, col.name) {
			missing = append(missing, col.name)
		}
		// A whole-number column compares as a number, which its index can
		// serve (id=ge=A;id=lt=B windows, key-range counts); other columns
		// compare by what each value holds.
		kind := fiql.Auto
		if strings.EqualFold(col.typ, "INTEGER") {
			kind = fiql.Int
		}
		return fiql.Field{Expr: quote(col.name), Kind: kind}, nil
	})
	if err != nil {
		return "", nil, pluginaccess.Errorf(http.StatusBadRequest, "q: "+err.Error())
	}
	if len(missing) > 0 {
		return "", nil, pluginaccess.ForbiddenError(plugin.ViewOnly, details(t, missing))
	}
	return where, args, nil
}

func (h *Handler) serveList(r *http.Request, c *pluginaccess.Caller, t *table) (any, error) {
	cols, err := projection(r, c, t, true)
	if err != nil {
		return nil, err
	}
	where, args, err := filter(r, c, t)
	if err != nil {
		return nil, err
	}
	qs := pluginaccess.Query(r)
	page, size := 1, c.PageSize()
	if v := qs.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("page %q must be a whole number from 1", v))
		}
		page = n
	}
	if v := qs.Get("pagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("pagesize %q must be a whole number from 1 to %d", v, c.PageSize()))
		}
		if n > 0 && n < size {
			size = n
		}
	}
	order := "rowid"
	if t.key != "" {
		order = quote(t.key)
	} else if t.view {
		order = quote(t.cols[0].name)
	}
	if s := qs.Get("sort"); s != "" {
		col, ok := t.column(strings.TrimPrefix(strings.ToLower(s), t.lower()+"."))
		if !ok {
			return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("sort: %s has no column %q", t.name, s))
		}
		if !c.CanRead(t.name, col.name) {
			return nil, pluginaccess.ForbiddenError(plugin.ViewOnly, details(t, []string{col.name}))
		}
		order = quote(col.name)
		if strings.EqualFold(qs.Get("sortdescending"), "true") {
			order += " DESC"
		}
		if t.key != "" {
			order += ", " + quote(t.key)
		}
	}
	text := fmt.Sprintf(`SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT %d OFFSET %d`,
		h.selectList(t, cols), quote(t.name), where, order, size, int64(page-1)*int64(size))
	if kc, _ := t.column(t.key); t.key != "" && qs.Get("sort") == "" && strings.Contains(strings.ToUpper(kc.typ), "INT") {
		// In key order: seek from the nearest page boundary instead of
		// stepping over every row before the page.
		keys, err := h.st.PageKeys(r.Context(), store.KeyPage{From: quote(t.name), Key: quote(t.key), Where: where, Args: args,
			Offset: int64(page-1) * int64(size), Limit: int64(size)})
		if err != nil {
			return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("reading %s: %v", t.name, err))
		}
		marks := "NULL"
		if len(keys) > 0 {
			marks = strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")
		}
		args = make([]any, len(keys))
		for i, k := range keys {
			args[i] = k
		}
		text = fmt.Sprintf(`SELECT %s FROM %s WHERE %s IN (%s) ORDER BY %s`, h.selectList(t, cols), quote(t.name), quote(t.key), marks, quote(t.key))
	}
	recs, err := h.records(r, t, cols, text, args)
	if err != nil {
		return nil, pluginaccess.Errorf(http.StatusBadRequest, err.Error())
	}
	return map[string]any{"name": t.name, "record": recs}, nil
}

// selectList selects the key (for the record id) then the columns.
func (h *Handler) selectList(t *table, cols []column) string {
	parts := []string{"NULL"}
	if t.key != "" {
		parts[0] = quote(t.key)
	}
	for _, c := range cols {
		parts = append(parts, quote(c.name))
	}
	return strings.Join(parts, ", ")
}

// recordEncoder writes rows as the table API's records,
// {"id":..,"name":..,"tables":{"<table>":{"<column>":"text",..}}}: the
// columns' names in sorted order, null columns left out, the bytes that
// encoding/json writes for the same record held in maps, without a map per
// row or reflection.
type recordEncoder struct {
	head  []byte // ,"name":"<TABLE>","tables":{"<table>":{
	names []encodedColumn
}

// encodedColumn is one output column: its quoted name and the projection
// columns it reads (several only if names differ in case alone; the last
// non-null wins, as it did in a map).
type encodedColumn struct {
	name string
	key  []byte
	cols []int
}

func newRecordEncoder(t *table, cols []column) *recordEncoder {
	e := &recordEncoder{}
	e.head = append(e.head, `,"name":`...)
	e.head = jsonraw.AppendQuote(e.head, t.name)
	e.head = append(e.head, `,"tables":{`...)
	e.head = jsonraw.AppendQuote(e.head, t.lower())
	e.head = append(e.head, ":{"...)
	byName := map[string]int{}
	for i, c := range cols {
		n := strings.ToLower(c.name)
		j, ok := byName[n]
		if !ok {
			j = len(e.names)
			byName[n] = j
			e.names = append(e.names, encodedColumn{name: n, key: jsonraw.AppendQuote(nil, n)})
		}
		e.names[j].cols = append(e.names[j].cols, i)
	}
	slices.SortFunc(e.names, func(a, b encodedColumn) int { return strings.Compare(a.name, b.name) })
	return e
}

// encode appends one row: id, then the projection's values in cols order.
func (e *recordEncoder) encode(dst []byte, id any, vals []any) ([]byte, error) {
	dst = append(dst, `{"id":`...)
	switch v := id.(type) {
	case nil:
		dst = append(dst, "null"...)
	case int64:
		dst = strconv.AppendInt(dst, v, 10)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		dst = append(dst, b...)
	}
	dst = append(dst, e.head...)
	first := true
	for _, n := range e.names {
		var v any
		for _, i := range n.cols {
			if vals[i] != nil {
				v = vals[i]
			}
		}
		if v == nil {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, n.key...)
		dst = append(dst, ':')
		dst = jsonraw.AppendQuote(dst, oraclesql.Text(v))
	}
	return append(dst, "}}}"...), nil
}

func (h *Handler) records(r *http.Request, t *table, cols []column, text string, args []any) ([]json.RawMessage, error) {
	rows, err := h.db.QueryContext(r.Context(), text, args...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", t.name, err)
	}
	defer rows.Close()
	vals := make([]any, len(cols)+1)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	enc := newRecordEncoder(t, cols)
	recs := []json.RawMessage{}
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		start := len(buf)
		if buf, err = enc.encode(buf, vals[0], vals[1:]); err != nil {
			return nil, fmt.Errorf("reading %s: %v", t.name, err)
		}
		recs = append(recs, buf[start:len(buf):len(buf)])
	}
	return recs, rows.Err()
}

func (h *Handler) serveCount(r *http.Request, c *pluginaccess.Caller, t *table) (any, error) {
	if len(readable(t, c)) == 0 {
		return nil, pluginaccess.ForbiddenError(plugin.ViewOnly, details(t, []string{t.cols[0].name}))
	}
	where, args, err := filter(r, c, t)
	if err != nil {
		return nil, err
	}
	var n int64
	if err := h.db.QueryRowContext(r.Context(), fmt.Sprintf(`SELECT COUNT(*) FROM %s WHERE %s`, quote(t.name), where), args...).Scan(&n); err != nil {
		return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("counting %s: %v", t.name, err))
	}
	return map[string]int64{"count": n}, nil
}

// rowID reads {id} from the path; it writes the error and returns false
// when the table has no key or the id is not a number.
func rowID(r *http.Request, t *table) (int64, error) {
	if t.key == "" {
		return 0, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("%s has no single-column key, so its rows cannot be addressed by id; list it with a q filter", t.name))
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("id %q must be a whole number (the row's %s)", r.PathValue("id"), t.key))
	}
	return id, nil
}

func (h *Handler) serveGet(r *http.Request, c *pluginaccess.Caller, t *table) (any, error) {
	id, err := rowID(r, t)
	if err != nil {
		return nil, err
	}
	cols, err := projection(r, c, t, false)
	if err != nil {
		return nil, err
	}
	recs, err := h.records(r, t, cols, fmt.Sprintf(`SELECT %s FROM %s WHERE %s = ?`, h.selectList(t, cols), quote(t.name), quote(t.key)), []any{id})
	if err != nil {
		return nil, pluginaccess.Errorf(http.StatusBadRequest, err.Error())
	}
	if len(recs) == 0 {
		return nil, pluginaccess.Errorf(http.StatusNotFound, fmt.Sprintf("%s has no row with %s %d", t.name, t.key, id))
	}
	return recs[0], nil
}

func (h *Handler) serveMetadata(r *http.Request, c *pluginaccess.Caller, t *table) (any, error) {
	type col struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Key      bool   `json:"key,omitempty"`
		Required bool   `json:"required,omitempty"`
		Access   string `json:"access"`
	}
	cols := make([]col, len(t.cols))
	for i, tc := range t.cols {
		access := c.Access(t.name, tc.name)
		if access == "" {
			access = "NoAccess"
		}
		cols[i] = col{Name: strings.ToLower(tc.name), Type: apiType(tc.typ), Key: tc.name == t.key, Required: tc.notNull, Access: access}
	}
	actions := []string{"GET"}
	if t.writable {
		actions = append(actions, "POST", "PUT", "DELETE")
	}
	return map[string]any{"name": t.name, "columns": cols, "actions": actions, "extension": t.writable}, nil
}

func apiType(sqlType string) string {
	t := strings.ToUpper(sqlType)
	switch {
	case strings.Contains(t, "INT"):
		return "Long"
	case strings.Contains(t, "REAL"), strings.Contains(t, "DOUB"), strings.Contains(t, "FLOA"), strings.Contains(t, "NUM"):
		return "Double"
	case strings.Contains(t, "BLOB"):
		return "Blob"
	}
	return "String"
}

func (h *Handler) serveTables(r *http.Request, c *pluginaccess.Caller) (any, error) {
	rows, err := h.db.QueryContext(r.Context(), `SELECT upper(name) FROM sqlite_master WHERE type IN ('table','view') ORDER BY upper(name)`)
	if err != nil {
		return nil, pluginaccess.Errorf(http.StatusInternalServerError, "listing tables: "+err.Error())
	}
	defer rows.Close()
	type entry struct {
		Name      string `json:"name"`
		Extension bool   `json:"extension"`
	}
	out := []entry{}
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil && !hidden(n) {
			out = append(out, entry{Name: n, Extension: isExtension(n)})
		}
	}
	return map[string]any{"tables": out}, nil
}

// writeBody reads {"tables":{"<table>":{...}}} and checks every column
// against the table and the caller's FullAccess. It writes the error and
// returns nil when the write cannot go ahead.
func writeBody(r *http.Request, c *pluginaccess.Caller, t *table) (cols []string, vals []any, err error) {
	if !t.writable && (t.required == nil || r.Method != http.MethodPost) {
		return nil, nil, pluginaccess.Errorf(http.StatusForbidden, fmt.Sprintf("%s is read-only through the table API: it writes only database extension tables (U_*, *COREFIELDS); change students with POST /ws/v1/student", t.name))
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(data) > maxBody {
		return nil, nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("the body must be JSON of at most %d bytes", maxBody))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var body struct {
		Tables map[string]map[string]any `json:"tables"`
	}
	if err := dec.Decode(&body); err != nil {
		return nil, nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf(`the body is not valid JSON (%v); send {"tables":{"%s":{"column":"value"}}}`, err, t.lower()))
	}
	var fields map[string]any
	for k, v := range body.Tables {
		if !strings.EqualFold(k, t.name) {
			return nil, nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf(`"tables" holds %q, but the URL names %s; send {"tables":{"%s":{...}}}`, k, t.name, t.lower()))
		}
		fields = v
	}
	if len(fields) == 0 {
		return nil, nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf(`no columns to write: send {"tables":{"%s":{"column":"value"}}}`, t.lower()))
	}
	derived := map[string]bool{}
	if t.required != nil {
		if derived, err = coreInsertFields(t, fields); err != nil {
			return nil, nil, err
		}
	}
	var missing []string
	for k, v := range fields {
		col, ok := t.column(k)
		if !ok {
			return nil, nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("%s has no column %q", t.name, k))
		}
		if col.name != t.key && !store.StampColumn(col.name) && !derived[col.name] && !c.CanWrite(t.name, col.name) {
			missing = append(missing, col.name)
		}
		val, err := sqlValue(v)
		if err != nil {
			return nil, nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("column %s: %v", strings.ToLower(col.name), err))
		}
		cols, vals = append(cols, col.name), append(vals, val)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, nil, pluginaccess.ForbiddenError(plugin.FullAccess, details(t, missing))
	}
	return cols, vals, nil
}

// coreInsertFields checks a core-table insert against its documented
// rules and turns STOREDGRADES' schoolyear (2024, or "2024-2025") into the
// year term's TERMID; it writes the error and returns false on failure.
func coreInsertFields(t *table, fields map[string]any) (derived map[string]bool, err error) {
	have := func(name string) (string, bool) {
		for k, v := range fields {
			if strings.EqualFold(k, name) && v != nil && fmt.Sprint(v) != "" {
				return k, true
			}
		}
		return "", false
	}
	var missing []string
	for _, req := range t.required {
		ok := false
		for _, name := range req {
			if _, found := have(name); found {
				ok = true
			}
		}
		if !ok {
			missing = append(missing, strings.ToLower(strings.Join(req, " or ")))
		}
	}
	if len(missing) > 0 {
		return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("an insert into %s must include %s", t.lower(), strings.Join(missing, ", ")))
	}
	derived = map[string]bool{}
	if k, ok := have("SCHOOLYEAR"); ok && t.name == "STOREDGRADES" {
		v := fmt.Sprint(fields[k])
		first, _, _ := strings.Cut(v, "-")
		year, err := strconv.Atoi(strings.TrimSpace(first))
		if err != nil || year < 1991 || year > 9999 {
			return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf(`schoolyear %q must be the school year's first calendar year (2024) or the year span ("2024-2025")`, v))
		}
		delete(fields, k)
		if _, given := have("TERMID"); !given {
			fields["TERMID"] = json.Number(strconv.Itoa((year - 1990) * 100))
			derived["TERMID"] = true
		}
	}
	return derived, nil
}

func sqlValue(v any) (any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		return t, nil
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, nil
		}
		return t.Float64()
	case bool:
		if t {
			return int64(1), nil
		}
		return int64(0), nil
	}
	return nil, errors.New("a value must be a string, a number, true/false or null")
}

// writeFailure turns a failed statement into the answer a client can act on.
func writeFailure(t *table, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE") || strings.Contains(msg, "PRIMARY KEY"):
		return pluginaccess.Errorf(http.StatusConflict, fmt.Sprintf("%s already has a row with that key (%s); update it with PUT /ws/schema/table/%s/{id}", t.name, msg, t.lower()))
	case strings.Contains(msg, "FOREIGN KEY"):
		return pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("%s: the row refers to a record that does not exist (%s); check the key column (e.g. STUDENTSDCID is a STUDENTS.DCID)", t.name, msg))
	case strings.Contains(msg, "NOT NULL"):
		return pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("%s: a required column is missing (%s)", t.name, msg))
	}
	return pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("writing %s: %s", t.name, msg))
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func success(r *http.Request, t *table, action string, id int64) map[string]any {
	return map[string]any{"result": []map[string]any{{
		"status": "SUCCESS",
		"action": action,
		"success_message": map[string]any{
			"id":  id,
			"ref": fmt.Sprintf("%s/ws/schema/table/%s/%d", baseURL(r), t.lower(), id),
		},
	}}}
}

func (h *Handler) serveInsert(r *http.Request, c *pluginaccess.Caller, t *table) (any, error) {
	cols, vals, err := writeBody(r, c, t)
	if err != nil {
		return nil, err
	}
	quoted := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, col := range cols {
		quoted[i], marks[i] = quote(col), "?"
	}
	status := http.StatusOK
	if t.required != nil {
		status = http.StatusCreated // as documented for core-table inserts
		if idCol, ok := t.column("ID"); ok && !slices.Contains(cols, "ID") && t.key != "ID" {
			// Core tables carry an ID beside the DCID; PowerSchool assigns it.
			quoted = append(quoted, quote(idCol.name))
			marks = append(marks, fmt.Sprintf(`(SELECT COALESCE(MAX(%s), 0) + 1 FROM %s)`, quote(idCol.name), quote(t.name)))
		}
	}
	res, err := h.exec(r.Context(), fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)`, quote(t.name), strings.Join(quoted, ", "), strings.Join(marks, ", ")), vals...)
	if err != nil {
		return nil, writeFailure(t, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, pluginaccess.Errorf(http.StatusInternalServerError, "reading the new row's id: "+err.Error())
	}
	return &respond.Reply{Status: status, Body: success(r, t, "INSERT", id)}, nil
}

func (h *Handler) serveUpdate(r *http.Request, c *pluginaccess.Caller, t *table) (any, error) {
	id, err := rowID(r, t)
	if err != nil {
		return nil, err
	}
	cols, vals, err := writeBody(r, c, t)
	if err != nil {
		return nil, err
	}
	sets := make([]string, 0, len(cols))
	for i, col := range cols {
		if col == t.key {
			if n, isInt := vals[i].(int64); !isInt || n != id {
				return nil, pluginaccess.Errorf(http.StatusBadRequest, fmt.Sprintf("%s is the row's key and cannot change (the URL names %d)", strings.ToLower(t.key), id))
			}
			continue
		}
		sets = append(sets, quote(col)+" = ?")
	}
	if len(sets) == 0 {
		return nil, pluginaccess.Errorf(http.StatusBadRequest, "no columns to change besides the key")
	}
	var args []any
	for i, col := range cols {
		if col != t.key {
			args = append(args, vals[i])
		}
	}
	res, err := h.exec(r.Context(), fmt.Sprintf(`UPDATE %s SET %s WHERE %s = ?`, quote(t.name), strings.Join(sets, ", "), quote(t.key)), append(args, id)...)
	if err != nil {
		return nil, writeFailure(t, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, pluginaccess.Errorf(http.StatusNotFound, fmt.Sprintf("%s has no row with %s %d; insert it with POST /ws/schema/table/%s", t.name, t.key, id, t.lower()))
	}
	return success(r, t, "UPDATE", id), nil
}

func (h *Handler) serveDelete(r *http.Request, c *pluginaccess.Caller, t *table) (any, error) {
	if !t.writable {
		return nil, pluginaccess.Errorf(http.StatusForbidden, fmt.Sprintf("%s is read-only through the table API: only database extension tables (U_*, *COREFIELDS) can be deleted from", t.name))
	}
	id, err := rowID(r, t)
	if err != nil {
		return nil, err
	}
	// Deleting a row removes every field, so it needs FullAccess to all.
	var missing []string
	for _, col := range t.cols {
		if col.name != t.key && !store.StampColumn(col.name) && !c.CanWrite(t.name, col.name) {
			missing = append(missing, col.name)
		}
	}
	if len(missing) > 0 {
		return nil, pluginaccess.ForbiddenError(plugin.FullAccess, details(t, missing))
	}
	res, err := h.exec(r.Context(), fmt.Sprintf(`DELETE FROM %s WHERE %s = ?`, quote(t.name), quote(t.key)), id)
	if err != nil {
		return nil, writeFailure(t, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, pluginaccess.Errorf(http.StatusNotFound, fmt.Sprintf("%s has no row with %s %d", t.name, t.key, id))
	}
	return &respond.Reply{Status: http.StatusNoContent}, nil
}

// exec runs one write statement through the store's single write path.
func (h *Handler) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := h.st.Write(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}
