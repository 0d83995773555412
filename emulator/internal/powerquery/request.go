package powerquery

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pskit/pskit/emulator/internal/fiql"
	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/emulator/internal/powerquery/oraclesql"
	"github.com/pskit/pskit/plugin"
)

// maxBody bounds a PowerQuery request body.
const maxBody = 1 << 20

// badRequest is a client mistake, answered with 400 and its message.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badf(format string, a ...any) error { return &badRequest{fmt.Sprintf(format, a...)} }

// outCol is one <column> of the query and where its value goes.
type outCol struct {
	alias        string // as written, the flattened key
	group, key   string // non-flattened: tables.<group>.<key>
	table, field string // source column, for access checks; empty if not table.field
}

// call is one parsed PowerQuery request.
type call struct {
	q          plugin.NamedQuery
	st         *oraclesql.Statement
	cols       []outCol
	binds      []any // sql.Named values
	arrays     map[string]int
	filter     []fiql.Condition
	order      []orderTerm
	projected  []bool // per column; all true without projection
	withCount  bool
	page, size int // size 0 streams every row
	extensions []string
	idCol      int          // column holding the core table's DCID, or -1
	delta      *dataVersion // a $dataversion request, or nil
}

type orderTerm struct {
	col  int
	desc bool
}

func columnsOf(q plugin.NamedQuery) []outCol {
	core := strings.ToLower(q.CoreTable)
	out := make([]outCol, len(q.Columns))
	for i, c := range q.Columns {
		oc := outCol{alias: c.Alias}
		if g, k, ok := strings.Cut(c.Alias, "."); ok {
			oc.group, oc.key = strings.ToLower(g), k
		} else {
			oc.group, oc.key = core, c.Alias
		}
		if t, f, ok := strings.Cut(c.Column, "."); ok && !strings.Contains(f, ".") {
			oc.table, oc.field = strings.ToUpper(strings.TrimSpace(t)), strings.ToUpper(strings.TrimSpace(f))
		}
		out[i] = oc
	}
	return out
}

// idColumn finds the core table's primary key among the columns: the
// record id of the non-flattened form and _id of the flattened one.
func idColumn(q plugin.NamedQuery, cols []outCol) int {
	if q.CoreTable == "" {
		return -1
	}
	for i, c := range cols {
		if strings.EqualFold(c.table, q.CoreTable) && strings.EqualFold(c.field, "DCID") {
			return i
		}
	}
	return -1
}

// missingAccess lists the query's columns the plugin may not read.
func missingAccess(cols []outCol, c *pluginaccess.Caller) []pluginaccess.Detail {
	var out []pluginaccess.Detail
	seen := map[string]bool{}
	for _, col := range cols {
		if col.table == "" || c.CanRead(col.table, col.field) || seen[col.table+"."+col.field] {
			continue
		}
		seen[col.table+"."+col.field] = true
		out = append(out, pluginaccess.Detail{Resource: col.table, Field: col.field, Code: "missing_field_access"})
	}
	return out
}

// parseCall reads the request body and query string into a call.
func (h *Handler) parseCall(r *http.Request, q plugin.NamedQuery) (*call, error) {
	st, err := h.translate(q.SQL)
	if err != nil {
		return nil, &badRequest{err.Error()}
	}
	cl := &call{q: q, st: st, cols: columnsOf(q), arrays: map[string]int{}, page: 1, size: DefaultPageSize}
	cl.idCol = idColumn(q, cl.cols)

	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	qs := pluginaccess.Query(r)
	filter := qs.Get("$q")
	projection := qs.Get("projection")
	given := map[string]any{}
	dvVersion, haveVersion := body["$dataversion"]
	dvApp, haveApp := body["$dataversion_applicationname"]
	if err := parseDataVersion(cl, dvVersion, dvApp, haveVersion, haveApp); err != nil {
		return nil, err
	}
	for k, v := range body {
		switch k {
		case "$q":
			s, ok := v.(string)
			if !ok {
				return nil, badf(`"$q" must be a string such as "students.grade_level=ge=9"`)
			}
			filter = s
		case "projection":
			s, ok := v.(string)
			if !ok {
				return nil, badf(`"projection" must be a string of ';'-separated aliases, e.g. "students.dcid;students.last_name"`)
			}
			projection = s
		case "$dataversion", "$dataversion_applicationname":
			// read above (parseDataVersion)
		default:
			given[k] = v
		}
	}
	if err := h.bindArgs(r.Context(), cl, given); err != nil {
		return nil, err
	}
	if cl.filter, err = fiql.Parse(filter); err != nil {
		return nil, badf("$q: %v", err)
	}
	for _, c := range cl.filter {
		if _, err := cl.resolve(c.Selector); err != nil {
			return nil, err
		}
	}
	if err := cl.parseOrder(qs.Get("order")); err != nil {
		return nil, err
	}
	if err := cl.parseProjection(projection); err != nil {
		return nil, err
	}
	cl.withCount = strings.EqualFold(qs.Get("count"), "true")
	if v := qs.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badf("page %q must be a whole number from 1", v)
		}
		cl.page = n
	}
	if v := qs.Get("pagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, badf("pagesize %q must be a whole number from 0 (0 returns every row)", v)
		}
		cl.size = n
	}
	if v := qs.Get("extensions"); v != "" {
		for _, e := range strings.Split(v, ",") {
			if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
				cl.extensions = append(cl.extensions, e)
			}
		}
	}
	return cl, nil
}

func readBody(r *http.Request) (map[string]any, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, badf("reading the request body: %v", err)
	}
	if len(data) > maxBody {
		return nil, badf("the request body is larger than %d bytes", maxBody)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, badf("the body must be a JSON object of arguments, e.g. {} or {\"studentnumber\":\"1012973\"}")
	}
	return body, nil
}

// resolve maps a $q or order name to the wrapped query's column: the alias
// as written, or coreTable.alias for one-part aliases, case-insensitively.
func (cl *call) resolve(name string) (string, error) {
	i := cl.column(name)
	if i < 0 {
		return "", badf("%q is not a column of query %s; use one of: %s", name, cl.q.Name, strings.Join(cl.aliases(), ", "))
	}
	return "c" + strconv.Itoa(i), nil
}

func (cl *call) column(name string) int {
	for i, c := range cl.cols {
		if strings.EqualFold(c.alias, name) || strings.EqualFold(c.group+"."+c.key, name) {
			return i
		}
	}
	return -1
}

func (cl *call) aliases() []string {
	out := make([]string, len(cl.cols))
	for i, c := range cl.cols {
		out[i] = c.group + "." + c.key
	}
	return out
}

func (cl *call) parseOrder(order string) error {
	if strings.TrimSpace(order) == "" {
		return nil
	}
	for _, term := range strings.Split(order, ",") {
		name, dir, _ := strings.Cut(strings.TrimSpace(term), ";")
		i := cl.column(strings.TrimSpace(name))
		if i < 0 {
			return badf("order: %q is not a column of query %s; use one of: %s", name, cl.q.Name, strings.Join(cl.aliases(), ", "))
		}
		t := orderTerm{col: i}
		switch strings.ToLower(strings.TrimSpace(dir)) {
		case "", "asc":
		case "desc":
			t.desc = true
		default:
			return badf("order: direction %q of %s must be asc or desc", dir, name)
		}
		cl.order = append(cl.order, t)
	}
	return nil
}

func (cl *call) parseProjection(p string) error {
	cl.projected = make([]bool, len(cl.cols))
	if strings.TrimSpace(p) == "" || strings.TrimSpace(p) == "*" {
		for i := range cl.projected {
			cl.projected[i] = true
		}
		return nil
	}
	for _, name := range strings.Split(p, ";") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if g, ok := strings.CutSuffix(name, ".*"); ok {
			found := false
			for i, c := range cl.cols {
				if strings.EqualFold(c.group, g) {
					cl.projected[i], found = true, true
				}
			}
			if !found {
				return badf("projection: no column of query %s belongs to %q", cl.q.Name, g)
			}
			continue
		}
		i := cl.column(name)
		if i < 0 {
			return badf("projection: %q is not a column of query %s; use ';' between aliases, e.g. %s", name, cl.q.Name, strings.Join(cl.aliases(), ";"))
		}
		cl.projected[i] = true
	}
	return nil
}

// bindArgs checks the body's arguments against the query's <args> and
// turns them into SQL binds.
func (h *Handler) bindArgs(ctx context.Context, cl *call, given map[string]any) error {
	used := map[string]bool{}
	for _, a := range cl.q.Args {
		var v any
		present := false
		for k, val := range given {
			if strings.EqualFold(k, a.Name) {
				v, present = val, true
				used[k] = true
			}
		}
		name := strings.ToLower(a.Name)
		if !present || v == nil {
			switch {
			case a.Required && !present:
				return badf("argument %q is required by query %s", a.Name, cl.q.Name)
			case a.Default != "" && !present:
				d, err := expandDefault(a.Default)
				if err != nil {
					return badf("argument %q: %v", a.Name, err)
				}
				v = d
			}
		}
		if strings.EqualFold(a.Type, "array") {
			var items []any
			switch t := v.(type) {
			case nil:
			case []any:
				items = t
			default:
				items = []any{t}
			}
			cl.arrays[name] = len(items)
			for i, it := range items {
				val, err := h.argValue(ctx, a, it)
				if err != nil {
					return err
				}
				cl.binds = append(cl.binds, sql.Named(oraclesql.ArrayBindName(name, i), val))
			}
			continue
		}
		if _, isList := v.([]any); isList {
			return badf("argument %q takes one value, not a list (it is not declared type=\"array\")", a.Name)
		}
		val, err := h.argValue(ctx, a, v)
		if err != nil {
			return err
		}
		cl.binds = append(cl.binds, sql.Named(name, val))
	}
	for k := range given {
		if !used[k] {
			names := make([]string, len(cl.q.Args))
			for i, a := range cl.q.Args {
				names[i] = a.Name
			}
			if len(names) == 0 {
				return badf("query %s takes no arguments, but the body has %q; send {}", cl.q.Name, k)
			}
			return badf("query %s has no argument %q; its arguments are: %s", cl.q.Name, k, strings.Join(names, ", "))
		}
	}
	// Binds the SQL uses without a declared argument are NULL.
	for _, b := range cl.st.Binds {
		if _, isArray := cl.arrays[b]; isArray || slices.ContainsFunc(cl.q.Args, func(a plugin.QueryArg) bool { return strings.EqualFold(a.Name, b) }) {
			continue
		}
		cl.binds = append(cl.binds, sql.Named(b, nil))
	}
	return nil
}

// argValue converts one JSON value for binding, checking it against the
// type of the argument's column (a number for a numeric column).
func (h *Handler) argValue(ctx context.Context, a plugin.QueryArg, v any) (any, error) {
	var out any
	switch t := v.(type) {
	case nil:
		return nil, nil
	case json.Number:
		if i, err := t.Int64(); err == nil {
			out = i
		} else if f, err := t.Float64(); err == nil {
			out = f
		} else {
			return nil, badf("argument %q: %s is not a usable number", a.Name, t)
		}
	case bool:
		out = int64(0)
		if t {
			out = int64(1)
		}
	case string:
		s := t
		switch a.Casing {
		case "upper":
			s = strings.ToUpper(s)
		case "lower":
			s = strings.ToLower(s)
		}
		out = s
		// Canonical integers bind as numbers, so they compare equal to
		// numbers in expressions too; "007" stays text.
		if i, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(i, 10) == s {
			out = i
		}
	default:
		return nil, badf("argument %q must be a string or a number, not %s", a.Name, jsonKind(v))
	}
	if table, col, ok := strings.Cut(a.Column, "."); ok {
		if typ, known := h.columns.typeOf(ctx, table, col); known && isNumericType(typ) {
			if s, isText := out.(string); isText {
				if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
					return nil, badf("argument %q: %q is not a number, but %s is numeric", a.Name, s, strings.ToUpper(a.Column))
				}
			}
		}
	}
	return out, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

func isNumericType(t string) bool {
	t = strings.ToUpper(t)
	return strings.Contains(t, "INT") || strings.Contains(t, "REAL") || strings.Contains(t, "NUM") || strings.Contains(t, "DOUBLE") || strings.Contains(t, "FLOAT")
}

var psHTML = regexp.MustCompile(`~\(([^)]*)\)`)

// expandDefault fills the PS-HTML tags PowerSchool allows in an arg's
// default. An OAuth plugin has no signed-in user, so the current school is
// the district office (0) and the current year follows today's date.
func expandDefault(def string) (string, error) {
	var bad error
	out := psHTML.ReplaceAllStringFunc(def, func(tag string) string {
		switch strings.ToLower(strings.TrimSpace(psHTML.FindStringSubmatch(tag)[1])) {
		case "curschoolid":
			return "0"
		case "curyearid":
			return strconv.Itoa(currentYearID(time.Now()))
		}
		if bad == nil {
			bad = fmt.Errorf("the default %s uses a PS-HTML tag the emulator does not expand (supported: ~(curschoolid), ~(curyearid)); pass the argument explicitly", tag)
		}
		return tag
	})
	return out, bad
}

// currentYearID is PowerSchool's YEARID of the school year holding t:
// the year it starts (in July) minus 1990.
func currentYearID(t time.Time) int {
	y := t.Year()
	if t.Month() < time.July {
		y--
	}
	return y - 1990
}

// columnTypes caches the declared types of the store's columns.
type columnTypes struct {
	db *sql.DB
	m  sync.Map // upper table -> map[upper column]type
}

func (c *columnTypes) typeOf(ctx context.Context, table, col string) (string, bool) {
	table, col = strings.ToUpper(strings.TrimSpace(table)), strings.ToUpper(strings.TrimSpace(col))
	v, ok := c.m.Load(table)
	if !ok {
		types := map[string]string{}
		rows, err := c.db.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, table)
		if err != nil {
			return "", false
		}
		for rows.Next() {
			var n, t string
			if rows.Scan(&n, &t) == nil {
				types[strings.ToUpper(n)] = t
			}
		}
		rows.Close()
		if rows.Err() != nil || len(types) == 0 {
			return "", false
		}
		v, _ = c.m.LoadOrStore(table, types)
	}
	t, ok := v.(map[string]string)[col]
	return t, ok
}
