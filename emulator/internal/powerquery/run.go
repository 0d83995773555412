package powerquery

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pskit/pskit/emulator/internal/fiql"
	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/emulator/internal/powerquery/oraclesql"
	"github.com/pskit/pskit/emulator/internal/store"
	"github.com/pskit/pskit/plugin"
)

// flushEvery is how many records a streamed (pagesize=0) answer holds
// before pushing them to the client, keeping memory constant.
const flushEvery = 256

// prepare finds the query, checks access and parses the request; it writes
// the error answer itself and returns nil when the request cannot run.
func (h *Handler) prepare(w http.ResponseWriter, r *http.Request, c *pluginaccess.Caller) *call {
	name := r.PathValue("name")
	q, ok := find(name, c)
	if !ok {
		pluginaccess.WriteError(w, http.StatusNotFound, fmt.Sprintf("PowerQuery %q not found: it is neither a core query nor a named query of the calling plugin (queries_root/*.named_queries.xml); list them with GET /ws/schema/query/api", name))
		return nil
	}
	if missing := missingAccess(columnsOf(q), c); len(missing) > 0 {
		pluginaccess.Forbidden(w, plugin.ViewOnly, missing)
		return nil
	}
	cl, err := h.parseCall(r, q)
	if err == nil {
		err = h.checkExtensions(r.Context(), cl, c)
	}
	if err == nil && cl.delta != nil {
		err = cl.delta.readCurrent(r.Context(), h.db)
	}
	if err != nil {
		var forbidden *forbiddenError
		if errors.As(err, &forbidden) {
			pluginaccess.Forbidden(w, plugin.ViewOnly, forbidden.missing)
			return nil
		}
		pluginaccess.WriteError(w, http.StatusBadRequest, err.Error())
		return nil
	}
	return cl
}

type forbiddenError struct{ missing []pluginaccess.Detail }

func (e *forbiddenError) Error() string { return "forbidden" }

func (h *Handler) serveCount(w http.ResponseWriter, r *http.Request, c *pluginaccess.Caller) {
	cl := h.prepare(w, r, c)
	if cl == nil {
		return
	}
	n, err := h.count(r.Context(), cl)
	if err != nil {
		pluginaccess.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"count\":%d}\n", n)
}

func (h *Handler) count(ctx context.Context, cl *call) (int64, error) {
	text, args, err := cl.sql(true)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := h.db.QueryRowContext(ctx, text, args...).Scan(&n); err != nil {
		return 0, queryError(cl, err)
	}
	return n, nil
}

func queryError(cl *call, err error) error {
	return fmt.Errorf("query %s failed on the emulator's SQLite: %v (the emulator runs PowerQuery SQL translated from Oracle; see docs/emulator.md for what is supported)", cl.q.Name, err)
}

// sql renders the wrapped query: the plugin's SQL as a CTE whose columns
// are c0..cN, filtered by $q, ordered by order=, limited to the page.
func (cl *call) sql(count bool) (string, []any, error) {
	inner := strings.TrimSpace(cl.st.Expand(cl.arrays))
	inner = strings.TrimRight(inner, "; \t\r\n")
	var b strings.Builder
	b.WriteString("WITH pq(")
	for i := range cl.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("c" + strconv.Itoa(i))
	}
	b.WriteString(") AS (\n")
	b.WriteString(inner)
	b.WriteString("\n) ")
	where, wargs, err := fiql.Where(cl.filter, cl.resolve)
	if err != nil {
		return "", nil, err
	}
	args := append([]any(nil), cl.binds...)
	// fiql renders positional "?"; SQLite numbers those after the named
	// binds unpredictably, so name them too.
	var wb strings.Builder
	n := 0
	for _, r := range where {
		if r == '?' {
			name := "pq_f" + strconv.Itoa(n)
			wb.WriteString(":" + name)
			args = append(args, sql.Named(name, wargs[n]))
			n++
			continue
		}
		wb.WriteRune(r)
	}
	if cl.delta != nil {
		dw, dargs := cl.delta.where(cl)
		wb.WriteString(" AND " + dw)
		args = append(args, dargs...)
	}
	if count {
		b.WriteString("SELECT COUNT(*) FROM pq WHERE " + wb.String())
		return b.String(), args, nil
	}
	b.WriteString("SELECT * FROM pq WHERE " + wb.String())
	if len(cl.order) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range cl.order {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("c" + strconv.Itoa(o.col))
			if o.desc {
				b.WriteString(" DESC")
			}
		}
	}
	if cl.size > 0 {
		b.WriteString(" LIMIT :pq_limit OFFSET :pq_offset")
		args = append(args, sql.Named("pq_limit", cl.size), sql.Named("pq_offset", int64(cl.page-1)*int64(cl.size)))
	}
	return b.String(), args, nil
}

func (h *Handler) serveQuery(w http.ResponseWriter, r *http.Request, c *pluginaccess.Caller) {
	cl := h.prepare(w, r, c)
	if cl == nil {
		return
	}
	ctx := r.Context()
	var total int64
	if cl.withCount {
		n, err := h.count(ctx, cl)
		if err != nil {
			pluginaccess.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		total = n
	}
	text, args, err := cl.sql(false)
	if err != nil {
		pluginaccess.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	rows, err := h.db.QueryContext(ctx, text, args...)
	if err != nil {
		pluginaccess.WriteError(w, http.StatusBadRequest, queryError(cl, err).Error())
		return
	}
	defer rows.Close()
	// Reading the first row before answering turns errors raised while
	// evaluating (a bad TO_DATE, a wrong column count) into a 400.
	more := rows.Next()
	if err := rows.Err(); err != nil {
		pluginaccess.WriteError(w, http.StatusBadRequest, queryError(cl, err).Error())
		return
	}
	var ext *extLookup
	if len(cl.extensions) > 0 && !cl.q.Flattened {
		if ext, err = h.newExtLookup(ctx, cl); err != nil {
			pluginaccess.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		defer ext.close()
	}

	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 32<<10)
	// The header is sent when bw first writes through; an error before
	// that can still be a 400.
	name := recordName(cl.q)
	buf := make([]byte, 0, 4096)
	buf = append(buf, `{"name":`...)
	buf = appendString(buf, name)
	if cl.delta != nil {
		buf = append(buf, `,"$dataversion":"`...)
		buf = strconv.AppendInt(buf, cl.delta.current, 10)
		buf = append(buf, '"')
	}
	if cl.withCount {
		buf = append(buf, `,"count":`...)
		buf = strconv.AppendInt(buf, total, 10)
	}
	buf = append(buf, `,"record":[`...)
	bw.Write(buf)

	vals := make([]any, len(cl.cols))
	ptrs := make([]any, len(cl.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	groups := cl.groups()
	rowNum := int64(cl.page-1) * int64(cl.size)
	rc := http.NewResponseController(w) // reaches Flush through wrapping writers
	n := 0
	written := len(buf) // bytes given to bw; once more than it holds, the client has some
	fail := func(err error) {
		if written == bw.Buffered() {
			// Nothing has reached the client yet: answer a clean 400.
			bw.Reset(w)
			pluginaccess.WriteError(w, http.StatusBadRequest, queryError(cl, err).Error())
			return
		}
		abort(ctx, cl, err)
	}
	for ; more; more = rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			fail(err)
			return
		}
		rowNum++
		buf = buf[:0]
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = cl.appendRecord(buf, name, vals, groups, rowNum)
		if ext != nil {
			if buf, err = ext.appendTo(ctx, buf, vals[cl.idCol]); err != nil {
				fail(err)
				return
			}
		}
		if !cl.q.Flattened {
			buf = append(buf, "}}"...)
		} else {
			buf = append(buf, '}')
		}
		bw.Write(buf)
		written += len(buf)
		n++
		if cl.size == 0 && n%flushEvery == 0 {
			bw.Flush()
			rc.Flush()
			written = 1 << 62 // flushed: the answer has started
		}
	}
	if err := rows.Err(); err != nil {
		fail(err)
		return
	}
	buf = append(buf[:0], `],"@extensions":`...)
	buf = appendString(buf, strings.Join(h.extensionsFor(ctx, cl.q.CoreTable), ","))
	buf = append(buf, "}\n"...)
	bw.Write(buf)
	bw.Flush()
}

// abort ends a response that failed after its first bytes were sent: the
// client sees a broken connection rather than JSON that looks complete.
func abort(ctx context.Context, cl *call, err error) {
	slog.WarnContext(ctx, "PowerQuery failed while streaming its answer", "query", cl.q.Name, "error", err)
	panic(http.ErrAbortHandler)
}

func recordName(q plugin.NamedQuery) string {
	if q.CoreTable == "" {
		return q.Name
	}
	t := strings.ToLower(q.CoreTable)
	return strings.ToUpper(t[:1]) + t[1:]
}

// group is a table under "tables" and the projected columns it holds.
type group struct {
	name string
	cols []int
}

func (cl *call) groups() []group {
	var out []group
	for i, c := range cl.cols {
		if !cl.projected[i] {
			continue
		}
		found := false
		for j := range out {
			if out[j].name == c.group {
				out[j].cols = append(out[j].cols, i)
				found = true
			}
		}
		if !found {
			out = append(out, group{name: c.group, cols: []int{i}})
		}
	}
	return out
}

// appendRecord writes one record without its closing braces (the caller
// may add extension tables first). Values are strings and NULLs are
// omitted, as PowerSchool's PowerQuery records are loosely typed.
func (cl *call) appendRecord(buf []byte, name string, vals []any, groups []group, rowNum int64) []byte {
	idKey := `{"id":`
	nameKey := `,"name":`
	if cl.q.Flattened {
		idKey, nameKey = `{"_id":`, `,"_name":`
	}
	buf = append(buf, idKey...)
	if cl.idCol >= 0 && vals[cl.idCol] != nil {
		s := oraclesql.Text(vals[cl.idCol])
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			buf = append(buf, s...)
		} else {
			buf = appendString(buf, s)
		}
	} else {
		buf = strconv.AppendInt(buf, rowNum, 10)
	}
	buf = append(buf, nameKey...)
	buf = appendString(buf, name)
	if cl.q.Flattened {
		for i, c := range cl.cols {
			if !cl.projected[i] || vals[i] == nil {
				continue
			}
			buf = append(buf, ',')
			buf = appendString(buf, c.alias)
			buf = append(buf, ':')
			buf = appendString(buf, oraclesql.Text(vals[i]))
		}
		return buf
	}
	buf = append(buf, `,"tables":{`...)
	for gi, g := range groups {
		if gi > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, g.name)
		buf = append(buf, ":{"...)
		first := true
		for _, i := range g.cols {
			if vals[i] == nil {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendString(buf, cl.cols[i].key)
			buf = append(buf, ':')
			buf = appendString(buf, oraclesql.Text(vals[i]))
		}
		buf = append(buf, '}')
	}
	return buf
}

// appendString appends s as a JSON string.
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			buf = append(buf, `\u202`...)
			buf = append(buf, hex[r&0xf])
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

// extensionsFor lists the extension tables of a core table: U_* and
// *COREFIELDS tables keyed by <CORE>DCID, lower-cased, as @extensions
// names them.
func (h *Handler) extensionsFor(ctx context.Context, core string) []string {
	core = strings.ToUpper(core)
	if core == "" {
		return nil
	}
	if v, ok := h.extensions.Load(core); ok {
		return v.([]string)
	}
	rows, err := h.db.QueryContext(ctx, `SELECT lower(m.name) FROM sqlite_master m
		WHERE m.type = 'table' AND (upper(m.name) LIKE 'U\_%' ESCAPE '\' OR upper(m.name) LIKE '%COREFIELDS')
		  AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE upper(p.name) = ?)
		ORDER BY m.name`, core+"DCID")
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			out = append(out, n)
		}
	}
	if rows.Err() != nil {
		return nil
	}
	h.extensions.Store(core, out)
	return out
}

// checkExtensions validates extensions= against the core table's
// extension tables and the plugin's access to their fields.
func (h *Handler) checkExtensions(ctx context.Context, cl *call, c *pluginaccess.Caller) error {
	if len(cl.extensions) == 0 {
		return nil
	}
	if cl.q.Flattened {
		return nil // flattened records carry no tables; extensions are ignored
	}
	avail := h.extensionsFor(ctx, cl.q.CoreTable)
	if cl.idCol < 0 {
		return badf("extensions need a coreTable query that selects %s.DCID; query %s does not", strings.ToUpper(cl.q.CoreTable), cl.q.Name)
	}
	var missing []pluginaccess.Detail
	for _, e := range cl.extensions {
		known := false
		for _, a := range avail {
			known = known || a == e
		}
		if !known {
			return badf("extension %q is not available for %s; available: %s", e, cl.q.CoreTable, strings.Join(avail, ","))
		}
		cols, err := h.extColumns(ctx, e, cl.q.CoreTable)
		if err != nil {
			return err
		}
		for _, col := range cols {
			if !c.CanRead(e, col) {
				missing = append(missing, pluginaccess.Detail{Resource: strings.ToUpper(e), Field: strings.ToUpper(col), Code: "missing_field_access"})
			}
		}
	}
	if len(missing) > 0 {
		return &forbiddenError{missing}
	}
	return nil
}

// extColumns lists an extension table's columns other than its key and
// the audit columns PowerSchool maintains.
func (h *Handler) extColumns(ctx context.Context, table, core string) ([]string, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT lower(name) FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if !strings.EqualFold(n, core+"dcid") && !store.StampColumn(n) {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

// extLookup adds the requested extension tables to each record.
type extLookup struct {
	tables []string
	cols   [][]string
	stmts  []*sql.Stmt
}

func (h *Handler) newExtLookup(ctx context.Context, cl *call) (*extLookup, error) {
	x := &extLookup{}
	for _, e := range cl.extensions {
		cols, err := h.extColumns(ctx, e, cl.q.CoreTable)
		if err != nil {
			x.close()
			return nil, err
		}
		st, err := h.db.PrepareContext(ctx, fmt.Sprintf(`SELECT %s FROM "%s" WHERE "%sDCID" = ?`, quoteList(cols), strings.ToUpper(e), strings.ToUpper(cl.q.CoreTable)))
		if err != nil {
			x.close()
			return nil, fmt.Errorf("reading extension %s: %w", e, err)
		}
		x.tables, x.cols, x.stmts = append(x.tables, e), append(x.cols, cols), append(x.stmts, st)
	}
	return x, nil
}

func quoteList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = `"` + strings.ToUpper(c) + `"`
	}
	return strings.Join(q, ",")
}

func (x *extLookup) appendTo(ctx context.Context, buf []byte, id any) ([]byte, error) {
	for i, st := range x.stmts {
		vals := make([]any, len(x.cols[i]))
		ptrs := make([]any, len(vals))
		for j := range vals {
			ptrs[j] = &vals[j]
		}
		err := st.QueryRowContext(ctx, id).Scan(ptrs...)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return buf, err
		}
		buf = append(buf, ',')
		buf = appendString(buf, x.tables[i])
		buf = append(buf, ":{"...)
		first := true
		for j, v := range vals {
			if v == nil {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendString(buf, x.cols[i][j])
			buf = append(buf, ':')
			buf = appendString(buf, oraclesql.Text(v))
		}
		buf = append(buf, '}')
	}
	return buf, nil
}

func (x *extLookup) close() {
	for _, s := range x.stmts {
		s.Close()
	}
}

// serveList answers GET /ws/schema/query/api with a Swagger 2.0 listing of
// the queries the caller can run; definitions are named
// powerquery.param.<name> and powerquery.resp.<name>, as PowerSchool's.
func (h *Handler) serveList(w http.ResponseWriter, r *http.Request, c *pluginaccess.Caller) {
	type schema map[string]any
	paths := map[string]any{}
	defs := map[string]any{}
	for _, q := range queries(c) {
		params := schema{}
		var required []string
		for _, a := range q.Args {
			p := schema{"type": "string", "description": a.Description}
			if strings.EqualFold(a.Type, "array") {
				p = schema{"type": "array", "items": schema{"type": "string"}, "description": a.Description}
			}
			params[a.Name] = p
			if a.Required {
				required = append(required, a.Name)
			}
		}
		param := schema{"type": "object", "properties": params}
		if len(required) > 0 {
			param["required"] = required
		}
		fields := schema{}
		for _, col := range columnsOf(q) {
			fields[col.alias] = schema{"type": "string", "description": col.table + "." + col.field}
		}
		defs["powerquery.param."+q.Name] = param
		defs["powerquery.resp."+q.Name] = schema{"type": "object", "properties": fields}
		paths["/ws/schema/query/"+q.Name] = schema{"post": schema{
			"summary":     q.Summary,
			"description": q.Description,
			"tags":        []string{"powerquery"},
			"parameters": []schema{{"in": "body", "name": "body", "required": false,
				"schema": schema{"$ref": "#/definitions/powerquery.param." + q.Name}}},
			"responses": schema{
				"200": schema{"description": "records", "schema": schema{"$ref": "#/definitions/powerquery.resp." + q.Name}},
				"400": schema{"description": "invalid argument or filter"},
				"403": schema{"description": "a column is missing from the plugin's access_request"},
				"404": schema{"description": "unknown query"},
			},
		}}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(schema{
		"swagger":     "2.0",
		"info":        schema{"title": "PowerQuery API", "version": "1.0"},
		"paths":       paths,
		"definitions": defs,
	})
}
